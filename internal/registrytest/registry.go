// Package registrytest runs a real distribution registry (v3.1.2) for
// integration tests, without auth, with htpasswd, or with token auth backed
// by an in-process token server.
package registrytest

import (
	"crypto/rand"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// AuthMode is how the registry authenticates clients.
type AuthMode int

const (
	AuthNone     AuthMode = iota // anyone may push and pull
	AuthHtpasswd                 // Basic auth against an htpasswd file
	AuthToken                    // Bearer tokens from Registry.Tokens
)

func (m AuthMode) String() string {
	switch m {
	case AuthNone:
		return "none"
	case AuthHtpasswd:
		return "htpasswd"
	case AuthToken:
		return "token"
	}
	return "AuthMode(" + strconv.Itoa(int(m)) + ")"
}

// Options configure Start.
type Options struct {
	Auth AuthMode
	// TokenTTL is the lifetime of issued tokens with AuthToken; 5m when zero.
	// The registry accepts a token up to 60s past its exp (clock-skew leeway).
	TokenTTL time.Duration
	// TLS serves https with a self-signed certificate for 127.0.0.1, so a
	// client must skip verification (or trust Registry.CertPEM).
	TLS bool
}

// defaultTokenTTL is what Options.TokenTTL means when zero.
const defaultTokenTTL = 5 * time.Minute

// username is the registry's only user when it has auth.
const username = "tester"

// Registry is a running registry.
type Registry struct {
	URL                string       // http://127.0.0.1:PORT
	Host               string       // 127.0.0.1:PORT, for image references
	Username, Password string       // valid credentials; empty with AuthNone
	Tokens             *TokenIssuer // the token server; nil unless AuthToken
	Dir                string       // storage root directory
	CertPEM            []byte       // the server certificate, with Options.TLS
}

// Start runs a registry for the test; it is killed and waited for in
// t.Cleanup. It skips or fails the test as Binary does when there is no
// registry binary.
func Start(t testing.TB, opts Options) *Registry {
	t.Helper()
	bin := Binary(t)
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = defaultTokenTTL
	}
	dir := t.TempDir()
	reg := &Registry{Dir: filepath.Join(dir, "storage")}

	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatalf("registry listen: %v", err)
	}
	// Closed here only if Start fails before the registry takes it over.
	t.Cleanup(func() { _ = ln.Close() })
	reg.Host = ln.Addr().String()
	reg.URL = "http://" + reg.Host

	cfg := config{addr: reg.Host, rootDir: reg.Dir, secret: rand.Text()}
	if opts.TLS {
		reg.URL = "https://" + reg.Host
		var err error
		cfg.tls, reg.CertPEM, err = writeSelfSigned(dir)
		if err != nil {
			t.Fatal(err)
		}
	}
	switch opts.Auth {
	case AuthNone:
	case AuthHtpasswd:
		reg.Username, reg.Password = username, rand.Text()
		path := filepath.Join(dir, "htpasswd")
		if err := writeHtpasswd(path, reg.Username, reg.Password); err != nil {
			t.Fatal(err)
		}
		cfg.htpasswd = &htpasswdAuth{realm: "registrytest", path: path}
	case AuthToken:
		reg.Username, reg.Password = username, rand.Text()
		reg.Tokens = newTokenIssuer(t, reg.Username, reg.Password, opts.TokenTTL)
		jwks, err := reg.Tokens.key.jwks()
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "jwks.json")
		if err := os.WriteFile(path, jwks, 0o600); err != nil {
			t.Fatal(err)
		}
		cfg.token = &tokenAuth{realm: reg.Tokens.Realm(), service: tokenService, issuer: tokenIssuer, jwks: path}
	default:
		t.Fatalf("registrytest: unknown %v", opts.Auth)
	}

	configPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(configPath, cfg.yaml(), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startProcess(t, bin, configPath, ln)
	if err := p.waitReady(reg.URL); err != nil {
		t.Fatal(err)
	}
	return reg
}
