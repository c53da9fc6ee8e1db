package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// registry is one distribution process serving dir's storage.
type registry struct {
	url  string // http://127.0.0.1:PORT or https://...
	host string // 127.0.0.1:PORT
	cmd  *exec.Cmd
	log  string
	done chan error
}

// registryConfig is a minimal distribution v3 configuration: filesystem
// storage, no access log (it would cost the registry CPU on every request),
// optionally TLS, which also offers HTTP/2.
const registryConfig = `version: 0.1
log:
  level: warn
  formatter: text
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %q
  delete:
    enabled: true
http:
  addr: 127.0.0.1:0 # unused: the socket is handed over
  secret: bench-compare
%s`

// activate sets LISTEN_PID to the registry's pid, which socket activation
// wants and exec.Cmd cannot know before the fork: the shell's pid is the
// registry's once it execs.
const activate = `export LISTEN_PID=$$; exec "$0" "$@"`

// startRegistry runs bin with storage in storageDir, its config and log in
// dir, on a free loopback port; with tlsFiles (certificate, key) it serves
// https.
func startRegistry(ctx context.Context, bin, dir, storageDir string, tlsFiles []string) (*registry, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	tlsSection := ""
	scheme := "http"
	if tlsFiles != nil {
		tlsSection = fmt.Sprintf("  tls:\n    certificate: %q\n    key: %q\n", tlsFiles[0], tlsFiles[1])
		scheme = "https"
	}
	configPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(configPath, fmt.Appendf(nil, registryConfig, storageDir, tlsSection), 0o644); err != nil {
		return nil, err
	}
	// The port is bound here and handed over by systemd socket activation,
	// so the registry can log at warn (at info it logs every request) and
	// no other process can take the port in between.
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	lnFile, err := ln.File()
	_ = ln.Close()
	if err != nil {
		return nil, err
	}
	defer lnFile.Close()
	r := &registry{host: ln.Addr().String(), log: filepath.Join(dir, "registry.log"), done: make(chan error, 1)}
	logFile, err := os.Create(r.log)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	r.cmd = exec.Command("/bin/sh", "-c", activate, bin, "serve", configPath)
	r.cmd.Env = append(registryEnv(os.Environ()), "LISTEN_FDS=1")
	r.cmd.ExtraFiles = []*os.File{lnFile} // fd 3, the first socket-activation descriptor
	r.cmd.Stdout, r.cmd.Stderr = logFile, logFile
	if err := r.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() { r.done <- r.cmd.Wait() }()
	r.url = scheme + "://" + r.host
	if err := r.waitReady(ctx); err != nil {
		r.stop()
		return nil, err
	}
	return r, nil
}

// registryEnv drops what would reconfigure the registry behind its config
// file (distribution reads REGISTRY_* as configuration) and turns
// OpenTelemetry export off.
func registryEnv(env []string) []string {
	out := make([]string, 0, len(env)+3)
	for _, kv := range env {
		if !strings.HasPrefix(kv, "REGISTRY_") && !strings.HasPrefix(kv, "OTEL_") && !strings.HasPrefix(kv, "LISTEN_") {
			out = append(out, kv)
		}
	}
	return append(out, "OTEL_TRACES_EXPORTER=none", "OTEL_METRICS_EXPORTER=none", "OTEL_LOGS_EXPORTER=none")
}

// waitReady polls GET /v2/ until it answers 200.
func (r *registry) waitReady(ctx context.Context) error {
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // our own self-signed registry
	}}
	defer client.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for {
		resp, err := client.Get(r.url + "/v2/")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("GET /v2/: %s", resp.Status)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("registry at %s not ready within 10s: %w; its log:\n%s", r.url, err, tail(r.log, 2000))
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// stop kills the registry and waits for it.
func (r *registry) stop() {
	if err := r.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		fmt.Fprintf(os.Stderr, "bench-compare: kill registry: %v\n", err)
	}
	select {
	case <-r.done:
	case <-time.After(10 * time.Second):
		fmt.Fprintf(os.Stderr, "bench-compare: registry pid %d still running 10s after kill\n", r.cmd.Process.Pid)
	}
}
