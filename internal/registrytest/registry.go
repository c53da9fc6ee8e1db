// Package registrytest runs a real distribution registry (v3.1.2) for
// integration tests, without auth, with htpasswd, or with token auth backed
// by an in-process token server.
package registrytest

import (
	"cmp"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// AuthMode is how the registry authenticates clients.
type AuthMode int

// Authentication modes.
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
	// Storage is the storage root to serve; empty means a fresh one of the
	// registry's own. Two registries may serve one, e.g. over http and https.
	Storage string
	// Metrics turns on the registry's debug server on a free loopback port,
	// with its Prometheus metrics at Registry.MetricsURL.
	Metrics bool
	// Upstream, a registry URL, makes this registry a pull-through cache of
	// it (distribution's proxy mode): it serves pulls and refuses pushes.
	Upstream string
	// RequestLog runs the registry with its JSON log (level info, one line
	// per request, on stderr) written to Registry.RequestLog and its access
	// log (Apache Combined, on stdout) to Registry.AccessLog.
	RequestLog bool
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
	MetricsURL         string       // http://127.0.0.1:PORT/metrics, with Options.Metrics
	// RequestLog and AccessLog are the paths of the JSON and access logs,
	// with Options.RequestLog; the registry appends to them as it serves.
	RequestLog, AccessLog string

	proc       *process
	bin        string
	configPath string
	tempDir    string // removed by Close, when Launch made it
}

// Start runs a registry for the test; it is killed and waited for in
// t.Cleanup, which logs its output if the test failed. It skips or fails
// the test as Binary does when there is no registry binary.
func Start(t testing.TB, opts Options) *Registry {
	t.Helper()
	reg, err := launch(Binary(t), opts, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("registry output (last %d bytes at most):\n%s", logTail, reg.proc.log.String())
		}
		if err := reg.Close(); err != nil {
			t.Error(err)
		}
	})
	return reg
}

// Launch runs a registry outside a test, in a temporary directory of its
// own: Close stops it and removes the directory.
func Launch(opts Options) (*Registry, error) {
	bin, err := FindBinary()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "registrytest-")
	if err != nil {
		return nil, err
	}
	reg, err := launch(bin, opts, dir)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	reg.tempDir = dir
	return reg, nil
}

// Restart kills the registry, as a crash would, and starts it again on
// the same address and storage.
func (r *Registry) Restart() error {
	if err := r.proc.stop(); err != nil {
		return err
	}
	p, err := startProcess(r.bin, r.configPath, nil, r.logFiles())
	if err != nil {
		return err
	}
	r.proc = p
	if err := p.waitReady(r.URL); err != nil {
		return err
	}
	return r.waitMetrics()
}

// logFiles are where the registry's output goes besides its tail.
func (r *Registry) logFiles() *logFiles {
	if r.RequestLog == "" {
		return nil
	}
	return &logFiles{stderr: r.RequestLog, stdout: r.AccessLog}
}

// Log is the tail of the registry's output.
func (r *Registry) Log() string { return r.proc.log.String() }

// Close stops the registry and its token server, and removes the
// directory Launch made.
func (r *Registry) Close() error {
	err := r.proc.stop()
	if r.Tokens != nil {
		err = errors.Join(err, r.Tokens.Close())
	}
	if r.tempDir != "" {
		err = errors.Join(err, os.RemoveAll(r.tempDir))
	}
	return err
}

// launch starts bin with its config, storage and credentials under dir.
func launch(bin string, opts Options, dir string) (reg *Registry, err error) {
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = defaultTokenTTL
	}
	reg = &Registry{Dir: cmp.Or(opts.Storage, filepath.Join(dir, "storage"))}
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, fmt.Errorf("registry listen: %w", err)
	}
	// Closed here only if the registry never takes it over.
	defer func() {
		if err != nil {
			_ = ln.Close()
			if reg.Tokens != nil {
				_ = reg.Tokens.Close()
			}
		}
	}()
	reg.Host = ln.Addr().String()
	reg.URL = "http://" + reg.Host

	cfg := config{addr: reg.Host, rootDir: reg.Dir, secret: rand.Text(), upstream: opts.Upstream, requestLog: opts.RequestLog}
	if opts.Metrics {
		// distribution binds the debug address itself and logs it as
		// configured, so the port is chosen here: free a moment ago.
		if cfg.debugAddr, err = freeLoopbackAddr(); err != nil {
			return nil, err
		}
		reg.MetricsURL = "http://" + cfg.debugAddr + metricsPath
	}
	if opts.RequestLog {
		reg.RequestLog, reg.AccessLog = filepath.Join(dir, "requests.log"), filepath.Join(dir, "access.log")
	}
	if opts.TLS {
		reg.URL = "https://" + reg.Host
		if cfg.tls, reg.CertPEM, err = writeSelfSigned(dir); err != nil {
			return nil, err
		}
	}
	switch opts.Auth {
	case AuthNone:
	case AuthHtpasswd:
		reg.Username, reg.Password = username, rand.Text()
		path := filepath.Join(dir, "htpasswd")
		if err := writeHtpasswd(path, reg.Username, reg.Password); err != nil {
			return nil, err
		}
		cfg.htpasswd = &htpasswdAuth{realm: "registrytest", path: path}
	case AuthToken:
		reg.Username, reg.Password = username, rand.Text()
		if reg.Tokens, err = newTokenIssuer(reg.Username, reg.Password, opts.TokenTTL); err != nil {
			return nil, err
		}
		jwks, err := reg.Tokens.key.jwks()
		if err != nil {
			return nil, err
		}
		path := filepath.Join(dir, "jwks.json")
		if err := os.WriteFile(path, jwks, 0o600); err != nil {
			return nil, err
		}
		cfg.token = &tokenAuth{realm: reg.Tokens.Realm(), service: tokenService, issuer: tokenIssuer, jwks: path}
	default:
		return nil, fmt.Errorf("registrytest: unknown %v", opts.Auth)
	}

	configPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(configPath, cfg.yaml(), 0o600); err != nil {
		return nil, err
	}
	reg.bin, reg.configPath = bin, configPath
	if reg.proc, err = startProcess(bin, configPath, ln, reg.logFiles()); err != nil {
		return nil, err
	}
	err = reg.proc.waitReady(reg.URL)
	if err == nil {
		err = reg.waitMetrics()
	}
	if err != nil {
		_ = reg.proc.stop()
		return nil, fmt.Errorf("%w; registry output:\n%s", err, reg.proc.log.String())
	}
	return reg, nil
}

// freeLoopbackAddr is a 127.0.0.1 port no one listens on now.
func freeLoopbackAddr() (string, error) {
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return "", fmt.Errorf("registry debug listen: %w", err)
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}

// waitMetrics waits until the debug server serves its metrics, when it
// has one: it starts after the registry answers, and a port taken since
// it was chosen makes the registry exit.
func (r *Registry) waitMetrics() error {
	if r.MetricsURL == "" {
		return nil
	}
	return r.proc.waitAnswer(r.MetricsURL)
}
