package registrytest

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// HAProxyOptions configure an haproxy (Debian's 2.6) in HTTP mode in front
// of a registry.
type HAProxyOptions struct {
	// Upstream is the registry's URL, plain http.
	Upstream string
	// Rules are lines added to the frontend, as haproxy reads them, e.g.
	// `http-request silent-drop if { method PATCH }`: how a test makes the
	// proxy cut a request the way it does in a deployment.
	Rules []string
	// ServerTimeout is `timeout server`; 30s when zero.
	ServerTimeout time.Duration
}

// HAProxy is a running haproxy.
type HAProxy struct {
	URL  string // http://127.0.0.1:PORT
	Host string
	proc *process
}

var errNoHAProxy = errors.New("haproxy not found; install it with `make tools` (Debian's haproxy) or point HAPROXY_BIN at it")

// FindHAProxy returns $HAPROXY_BIN, else /usr/sbin/haproxy, else haproxy in PATH.
func FindHAProxy() (string, error) {
	if p := os.Getenv("HAPROXY_BIN"); p != "" {
		if !isExecutable(p) {
			return "", fmt.Errorf("HAPROXY_BIN=%s is not an executable file", p)
		}
		return p, nil
	}
	if isExecutable("/usr/sbin/haproxy") {
		return "/usr/sbin/haproxy", nil
	}
	if p, err := exec.LookPath("haproxy"); err == nil {
		return p, nil
	}
	return "", errNoHAProxy
}

// StartHAProxy runs haproxy for the test, stopped in t.Cleanup. Without
// haproxy it fails the test under CI=true and skips it otherwise.
func StartHAProxy(t testing.TB, opts HAProxyOptions) *HAProxy {
	t.Helper()
	bin, err := FindHAProxy()
	switch {
	case errors.Is(err, errNoHAProxy) && os.Getenv("CI") != "true":
		t.Skip(err)
	case err != nil:
		t.Fatal(err)
	}
	h, err := launchHAProxy(bin, opts, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("haproxy output (last %d bytes at most):\n%s", logTail, h.proc.log.String())
		}
		if err := h.proc.stop(); err != nil {
			t.Error(err)
		}
	})
	return h
}

func launchHAProxy(bin string, opts HAProxyOptions, dir string) (*HAProxy, error) {
	up, err := url.Parse(opts.Upstream)
	if err != nil || up.Scheme != "http" || up.Host == "" {
		return nil, fmt.Errorf("haproxy: upstream %q is not an http URL", opts.Upstream)
	}
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, fmt.Errorf("haproxy listen: %w", err)
	}
	defer ln.Close()
	h := &HAProxy{Host: ln.Addr().String()}
	h.URL = "http://" + h.Host
	serverTimeout := opts.ServerTimeout
	if serverTimeout <= 0 {
		serverTimeout = 30 * time.Second
	}
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("global")
	w("  maxconn 4096")
	w("defaults")
	w("  mode http")
	w("  timeout connect 5s")
	w("  timeout client 60s")
	w("  timeout server %dms", serverTimeout.Milliseconds())
	w("frontend registry")
	// The listening socket is inherited as fd 3, so no other process can
	// take the port between our choosing it and haproxy serving it.
	w("  bind fd@3")
	for _, rule := range opts.Rules {
		w("  %s", rule)
	}
	w("  default_backend registry")
	w("backend registry")
	w("  server registry %s", up.Host)
	configPath := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(configPath, []byte(b.String()), 0o600); err != nil {
		return nil, err
	}
	f, err := ln.File()
	if err != nil {
		return nil, fmt.Errorf("haproxy listener: %w", err)
	}
	defer f.Close()
	p := &process{log: &tailBuffer{max: logTail}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, "-db", "-f", configPath) // #nosec G204 -- the haproxy binary FindHAProxy chose
	p.cmd.Env = childEnv(os.Environ())
	p.cmd.ExtraFiles = []*os.File{f}
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	p.cmd.WaitDelay = 5 * time.Second
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start haproxy %s: %w", bin, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	h.proc = p
	if err := p.waitReady(h.URL); err != nil {
		_ = p.stop()
		return nil, fmt.Errorf("haproxy: %w; output:\n%s", err, p.log.String())
	}
	return h, nil
}
