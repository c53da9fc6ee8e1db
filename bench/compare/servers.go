package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
)

// nginxServers are the nginx rows' servers: the pulled image as files on
// tmpfs and a sink for uploads, over HTTP, over TLS with HTTP/1.1 only and
// over TLS offering HTTP/2. Neither costs much, so the clients' own limits
// show.
type nginxServers struct {
	plain, tls11, tls2 *registrytest.Nginx
}

// startNginx lays the registry's pulled image out under dir and starts the
// three servers on it.
func startNginx(ctx context.Context, s setup, dir string) (nginxServers, func(), error) {
	var n nginxServers
	var stops []func()
	stop := func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	root := filepath.Join(dir, "root")
	if err := copyImage(ctx, s.plain.URL, s.pullRepo, "1", root); err != nil {
		return n, stop, fmt.Errorf("laying out %s:1 for nginx: %w", s.pullRepo, err)
	}
	for _, srv := range []struct {
		name       string
		dst        **registrytest.Nginx
		tls, http2 bool
	}{{"plain", &n.plain, false, false}, {"tls11", &n.tls11, true, false}, {"tls2", &n.tls2, true, true}} {
		nginxDir := filepath.Join(dir, srv.name)
		if err := os.MkdirAll(nginxDir, 0o750); err != nil {
			return n, stop, err
		}
		started, err := registrytest.LaunchNginx(registrytest.NginxOptions{
			TLS: srv.tls, HTTP2: srv.http2, Root: root, Sink: true, Dir: nginxDir,
		})
		if err != nil {
			return n, stop, err
		}
		*srv.dst = started
		stops = append(stops, func() { _ = started.Close() })
	}
	return n, stop, nil
}

// copyImage writes repo:tag's manifest and blobs from the registry at base
// under root, where nginx's Root serves them at their API paths.
func copyImage(ctx context.Context, base, repo, tag, root string) error {
	dir := filepath.Join(root, "v2", filepath.FromSlash(repo))
	var m struct {
		Config descriptor   `json:"config"`
		Layers []descriptor `json:"layers"`
	}
	manifestPath := filepath.Join(dir, "manifests", tag)
	if _, err := download(ctx, base+"/v2/"+repo+"/manifests/"+tag, manifestPath); err != nil {
		return err
	}
	raw, err := os.ReadFile(manifestPath) // #nosec G304 -- the manifest just written
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return fmt.Errorf("%s:%s manifest: %w", repo, tag, err)
	}
	for _, d := range append([]descriptor{m.Config}, m.Layers...) {
		n, err := download(ctx, base+"/v2/"+repo+"/blobs/"+d.Digest, filepath.Join(dir, "blobs", d.Digest))
		if err != nil {
			return err
		}
		if n != d.Size {
			return fmt.Errorf("blob %s: got %d bytes, want %d", d.Digest, n, d.Size)
		}
	}
	return nil
}

// download streams url's body into the file at path.
func download(ctx context.Context, url, path string) (int64, error) {
	resp, err := getOK(ctx, url)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return 0, err
	}
	f, err := os.Create(path) // #nosec G304 -- under the driver's work directory
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(f, resp.Body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return n, err
}

// iperf3Server starts a one-off iperf3 server on a free loopback port, for
// one iperf3 row, and hands its port to the row as IPERF3_PORT. The server
// exits after its one test; stop ends it if the row never came.
func iperf3Server(ctx context.Context) ([]string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, func() {}, err
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	// iperf3 binds the port itself; it is free again from here.
	_ = ln.Close()
	cmd := exec.CommandContext(ctx, "iperf3", "--server", "--one-off", "--forceflush", "--bind", "127.0.0.1", "--port", port) // #nosec G204 -- a fixed command on a port of ours
	out := &watchWriter{want: "Server listening", seen: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, func() {}, fmt.Errorf("iperf3 server: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}
	select {
	case <-out.seen:
		return []string{"IPERF3_PORT=" + port}, stop, nil
	case <-exited:
		return nil, func() {}, fmt.Errorf("iperf3 server on port %s exited before listening: %s", port, out.text())
	case <-time.After(10 * time.Second):
		stop()
		return nil, func() {}, fmt.Errorf("iperf3 server on port %s did not listen within 10s", port)
	}
}

// watchWriter keeps what a process writes and closes seen once it has
// written want.
type watchWriter struct {
	mu   sync.Mutex
	buf  []byte
	want string
	seen chan struct{}
	done bool
}

func (w *watchWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) < 64<<10 {
		w.buf = append(w.buf, p...)
	}
	if !w.done && strings.Contains(string(w.buf), w.want) {
		w.done = true
		close(w.seen)
	}
	return len(p), nil
}

func (w *watchWriter) text() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return string(w.buf)
}
