package registrytest

import (
	"crypto/rand"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	ggcr "github.com/google/go-containerregistry/pkg/registry"
)

// Kind is a registry implementation of the interoperability matrix.
type Kind int

const (
	// KindDistribution is distribution v3.1.2, the project's reference.
	KindDistribution Kind = iota
	// KindDebian is Debian's docker-registry package, distribution v2.8.2:
	// what many self-hosted registries still run.
	KindDebian
	// KindGGCR is go-containerregistry's registry, with the referrers API on.
	KindGGCR
)

// Kinds lists every kind, in the order the matrix shows them.
var Kinds = []Kind{KindDistribution, KindDebian, KindGGCR}

func (k Kind) String() string {
	switch k {
	case KindDistribution:
		return "distribution-v3.1.2"
	case KindDebian:
		return "debian-docker-registry-2.8.2"
	case KindGGCR:
		return "go-containerregistry"
	}
	return "unknown"
}

// debianRegistry is where Debian's package installs its binary.
const debianRegistry = "/usr/bin/docker-registry"

// StartKind runs an anonymous registry of kind for the test.
func StartKind(t testing.TB, kind Kind) *Registry {
	t.Helper()
	switch kind {
	case KindDistribution:
		return Start(t, Options{})
	case KindDebian:
		return startDebian(t)
	case KindGGCR:
		return startGGCR(t)
	}
	t.Fatalf("registrytest: unknown kind %d", kind)
	return nil
}

// startDebian runs Debian's distribution v2.8.2 with the same
// configuration and socket handoff as Start: both read version 0.1 files.
func startDebian(t testing.TB) *Registry {
	t.Helper()
	bin := os.Getenv("DEBIAN_REGISTRY_BIN")
	if bin == "" {
		bin = debianRegistry
	}
	if !isExecutable(bin) {
		const hint = "install Debian's docker-registry package (make tools runs apt-get install docker-registry)"
		if os.Getenv("CI") == "true" {
			t.Fatalf("no %s: %s", bin, hint)
		}
		t.Skipf("no %s: %s", bin, hint)
	}
	dir := t.TempDir()
	reg := &Registry{Dir: filepath.Join(dir, "storage")}
	// Port 0 and the logged address: 2.8.2 has no socket activation, and
	// choosing a port first would race other tests for it.
	cfg := config{addr: "127.0.0.1:0", rootDir: reg.Dir, secret: rand.Text(), logLevel: "info"}
	configPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(configPath, cfg.yaml(), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startTestProcess(t, bin, configPath, nil)
	addr, err := p.listeningAddr()
	if err != nil {
		t.Fatal(err)
	}
	reg.Host = addr
	reg.URL = "http://" + addr
	if err := p.waitReady(reg.URL); err != nil {
		t.Fatal(err)
	}
	return reg
}

// startGGCR serves go-containerregistry's in-memory registry on loopback.
func startGGCR(t testing.TB) *Registry {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("registry listen: %v", err)
	}
	srv := &http.Server{Handler: ggcr.New(ggcr.WithReferrersSupport(true), ggcr.Logger(discardLogger())), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("ggcr registry: %v", err)
		}
	}()
	t.Cleanup(func() { _ = srv.Close() })
	host := ln.Addr().String()
	return &Registry{URL: "http://" + host, Host: host}
}

// discardLogger silences ggcr's per-request log.
func discardLogger() *log.Logger { return log.New(io.Discard, "", 0) }
