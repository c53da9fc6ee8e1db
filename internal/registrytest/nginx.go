package registrytest

import (
	"bufio"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// NginxOptions configure an nginx server (Debian's nginx 1.22): a static
// server, a sink for uploads, or a reverse proxy in front of a registry.
type NginxOptions struct {
	// TLS serves https with a self-signed certificate for 127.0.0.1, as a
	// registry's Options.TLS does.
	TLS bool
	// HTTP2 offers HTTP/2 by ALPN; it needs TLS.
	HTTP2 bool
	// Root serves files as they lie under it: GET /v2/team/app/blobs/sha256:…
	// reads Root/v2/team/app/blobs/sha256:…. Manifests (…/manifests/TAG) are
	// served as OCI image manifests, anything else as application/octet-stream.
	Root string
	// Sink reads uploads whole, discards them and answers as a registry
	// would: 202 with a Location to POST and PATCH of …/blobs/uploads/, 201
	// with the blob's or the manifest's Location to PUT.
	Sink bool
	// Upstream proxies every request to this URL (a registry's), streaming
	// request and response bodies instead of buffering them.
	Upstream string
	// MaxBodySize is client_max_body_size in bytes; 0 means no limit.
	// nginx's own default, a common cause of 413s in front of a registry,
	// is 1 MiB.
	MaxBodySize int64
	// Dir holds the config, the logs and the request bodies the sink
	// buffers; empty means a temporary directory. Benchmarks put it on tmpfs.
	Dir string
}

// Nginx is a running nginx.
type Nginx struct {
	URL     string // http://127.0.0.1:PORT or https://
	Host    string // 127.0.0.1:PORT
	CertPEM []byte // the server certificate, with TLS
	Dir     string

	proc    *process
	tempDir string // removed by Close, when Launch made it
	// logStart is the number of access log lines written before the
	// server was handed over: the readiness probe's.
	logStart int
}

// NginxRequest is one line of the access log: a request as nginx received
// and answered it.
type NginxRequest struct {
	Method   string
	URI      string // with its query
	Protocol string // HTTP/1.1, HTTP/2.0
	Status   int
	// Received is what nginx read of the request: line, headers and body
	// (with HTTP/2, as nginx counts the decoded request).
	Received int64
	BodySize int64 // Content-Length; -1 if none was sent
	Sent     int64 // bytes of the answer, headers included
}

// accessLine is a line of the access log as nginx writes it: numbers as
// strings, and "" where a request had no Content-Length.
type accessLine struct {
	Method, URI, Protocol, Status, Received, Body, Sent string
}

func (l accessLine) request() (NginxRequest, error) {
	r := NginxRequest{Method: l.Method, URI: l.URI, Protocol: l.Protocol, BodySize: -1}
	var err error
	number := func(s string) int64 {
		n, perr := strconv.ParseInt(s, 10, 64)
		if perr != nil && err == nil {
			err = fmt.Errorf("%q is not a number", s)
		}
		return n
	}
	r.Status, r.Received, r.Sent = int(number(l.Status)), number(l.Received), number(l.Sent)
	if l.Body != "" {
		r.BodySize = number(l.Body)
	}
	if err != nil {
		err = fmt.Errorf("access log line of %s %s: %w", l.Method, l.URI, err)
	}
	return r, err
}

// errNoNginx says no nginx binary was found.
var errNoNginx = errors.New("nginx not found; install it with `make tools` (Debian's nginx) or point NGINX_BIN at it")

// FindNginx returns $NGINX_BIN, else /usr/sbin/nginx, else nginx in PATH.
func FindNginx() (string, error) {
	if p := os.Getenv("NGINX_BIN"); p != "" {
		if !isExecutable(p) {
			return "", fmt.Errorf("NGINX_BIN=%s is not an executable file", p)
		}
		return p, nil
	}
	if isExecutable("/usr/sbin/nginx") {
		return "/usr/sbin/nginx", nil
	}
	if p, err := exec.LookPath("nginx"); err == nil {
		return p, nil
	}
	return "", errNoNginx
}

// StartNginx runs nginx for the test, stopped in t.Cleanup, which logs its
// error log if the test failed. Without nginx it fails the test under
// CI=true and skips it otherwise.
func StartNginx(t testing.TB, opts NginxOptions) *Nginx {
	t.Helper()
	bin, err := FindNginx()
	switch {
	case errors.Is(err, errNoNginx) && os.Getenv("CI") != "true":
		t.Skip(err)
	case err != nil:
		t.Fatal(err)
	}
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	n, err := launchNginx(bin, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("nginx output (last %d bytes at most):\n%s", logTail, n.proc.log.String())
		}
		if err := n.Close(); err != nil {
			t.Error(err)
		}
	})
	return n
}

// LaunchNginx runs nginx outside a test; Close stops it, and removes the
// directory when it made one.
func LaunchNginx(opts NginxOptions) (*Nginx, error) {
	bin, err := FindNginx()
	if err != nil {
		return nil, err
	}
	made := ""
	if opts.Dir == "" {
		if made, err = os.MkdirTemp("", "registrytest-nginx-"); err != nil {
			return nil, err
		}
		opts.Dir = made
	}
	n, err := launchNginx(bin, opts)
	if err != nil {
		if made != "" {
			_ = os.RemoveAll(made)
		}
		return nil, err
	}
	n.tempDir = made
	return n, nil
}

// Log is the tail of nginx's error output.
func (n *Nginx) Log() string { return n.proc.log.String() }

// Requests reads the access log: every request answered since the server
// was handed over, in order.
func (n *Nginx) Requests() ([]NginxRequest, error) {
	lines, err := n.barrier()
	if err != nil {
		return nil, err
	}
	var out []NginxRequest
	for _, line := range lines[n.logStart:] {
		if !strings.HasPrefix(line.URI, barrierPath) {
			r, err := line.request()
			if err != nil {
				return out, err
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// barrierPath is where barrier requests go; nginx answers them 204.
const barrierPath = "/.barrier/"

// barrier sends a request of its own and reads the access log until its
// line is there, and returns the lines up to it. nginx runs as one process
// and logs a request as it sends the end of the answer, so every request
// answered before the barrier was sent is logged before it.
func (n *Nginx) barrier() ([]accessLine, error) {
	client := probeClient()
	defer client.CloseIdleConnections()
	uri := barrierPath + rand.Text()
	resp, err := client.Get(n.URL + uri)
	if err != nil {
		return nil, fmt.Errorf("nginx barrier: %w", err)
	}
	_ = resp.Body.Close()
	ticker := time.NewTicker(readyPoll)
	defer ticker.Stop()
	deadline := time.NewTimer(readyTimeout)
	defer deadline.Stop()
	for {
		lines, err := n.accessLog()
		if err != nil {
			return nil, err
		}
		for i, l := range lines {
			if l.URI == uri {
				return lines[:i], nil
			}
		}
		select {
		case <-deadline.C:
			return nil, fmt.Errorf("nginx did not log %s within %s", uri, readyTimeout)
		case <-ticker.C:
		}
	}
}

func (n *Nginx) accessLog() ([]accessLine, error) {
	f, err := os.Open(filepath.Join(n.Dir, "access.log"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []accessLine
	s := bufio.NewScanner(f)
	for s.Scan() {
		var line accessLine
		if err := json.Unmarshal(s.Bytes(), &line); err != nil {
			return out, fmt.Errorf("access log line %q: %w", s.Text(), err)
		}
		out = append(out, line)
	}
	return out, s.Err()
}

// Close stops nginx and removes the directory LaunchNginx made.
func (n *Nginx) Close() error {
	err := n.stop()
	if n.tempDir != "" {
		err = errors.Join(err, os.RemoveAll(n.tempDir))
	}
	return err
}

// stop asks nginx to shut down, which its master does once its worker
// has; a kill would leave the worker behind.
func (n *Nginx) stop() error {
	if err := n.proc.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stop nginx: %w", err)
	}
	select {
	case <-n.proc.done:
		return nil
	case <-time.After(stopTimeout):
		return errors.Join(fmt.Errorf("nginx pid %d still running %s after SIGTERM", n.proc.cmd.Process.Pid, stopTimeout), n.proc.stop())
	}
}

func launchNginx(bin string, opts NginxOptions) (n *Nginx, err error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(opts.Dir, "body"), 0o750); err != nil {
		return nil, err
	}
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, fmt.Errorf("nginx listen: %w", err)
	}
	defer func() {
		if err != nil {
			_ = ln.Close()
		}
	}()
	n = &Nginx{Host: ln.Addr().String(), Dir: opts.Dir}
	n.URL = "http://" + n.Host
	var certs *tlsFiles
	if opts.TLS {
		n.URL = "https://" + n.Host
		if certs, n.CertPEM, err = writeSelfSigned(opts.Dir); err != nil {
			return nil, err
		}
	}
	configPath := filepath.Join(opts.Dir, "nginx.conf")
	if err := os.WriteFile(configPath, nginxConfig(opts, n.Host, certs), 0o600); err != nil {
		return nil, err
	}
	f, err := ln.File()
	if err != nil {
		return nil, fmt.Errorf("nginx listener: %w", err)
	}
	defer f.Close()
	p := &process{log: &tailBuffer{max: logTail}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, "-e", "stderr", "-p", opts.Dir, "-c", configPath) // #nosec G204 -- the nginx binary FindNginx chose
	// nginx takes listening sockets from $NGINX (how it upgrades its own
	// binary), so no other process can take the port between our choosing
	// it and nginx serving it.
	p.cmd.Env = append(childEnv(os.Environ()), "NGINX=3;")
	p.cmd.ExtraFiles = []*os.File{f}
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	p.cmd.WaitDelay = 5 * time.Second
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start nginx %s: %w", bin, err)
	}
	_ = ln.Close()
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	n.proc = p
	if err := p.waitReady(n.URL); err != nil {
		_ = n.stop()
		return nil, fmt.Errorf("nginx: %w; output:\n%s", err, p.log.String())
	}
	lines, err := n.barrier()
	if err != nil {
		_ = n.stop()
		return nil, err
	}
	n.logStart = len(lines) + 1
	return n, nil
}

func (o NginxOptions) validate() error {
	switch {
	case o.HTTP2 && !o.TLS:
		return errors.New("nginx: HTTP2 needs TLS (browsers' and Go's clients speak HTTP/2 over TLS only)")
	case o.Upstream != "" && (o.Root != "" || o.Sink):
		return errors.New("nginx: a proxy to Upstream serves everything; Root and Sink go without it")
	case o.Upstream == "" && o.Root == "" && !o.Sink:
		return errors.New("nginx: set Root, Sink or Upstream")
	case o.MaxBodySize < 0:
		return fmt.Errorf("nginx: MaxBodySize %d is negative", o.MaxBodySize)
	case o.Root != "" && !filepath.IsAbs(o.Root):
		return fmt.Errorf("nginx: Root %q must be an absolute path", o.Root)
	}
	return nil
}

// nginxConfig renders nginx.conf. Paths are written double-quoted, with Go
// escapes, which nginx reads the same way for the characters a path holds.
func nginxConfig(o NginxOptions, addr string, certs *tlsFiles) []byte {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("daemon off;")
	// One worker: requests are logged in the order they are answered.
	w("worker_processes 1;")
	w("pid %q;", filepath.Join(o.Dir, "nginx.pid"))
	if os.Geteuid() == 0 {
		// The worker would run as nobody, who cannot read a test's files.
		w("user root;")
	}
	w("error_log stderr warn;")
	w("events { worker_connections 1024; }")
	w("http {")
	w(`  log_format bench escape=json '{"Method":"$request_method","URI":"$request_uri","Protocol":"$server_protocol",'`)
	w(`    '"Status":"$status","Received":"$request_length","Body":"$content_length","Sent":"$bytes_sent"}';`)
	w("  access_log %q bench;", filepath.Join(o.Dir, "access.log"))
	for _, temp := range []string{"client_body", "proxy", "fastcgi", "uwsgi", "scgi"} {
		w("  %s_temp_path %q;", temp, filepath.Join(o.Dir, "body", temp))
	}
	w("  client_max_body_size %d;", o.MaxBodySize)
	w("  keepalive_requests 1000000;")
	w("  sendfile on;")
	w("  tcp_nopush on;")
	w("  server_tokens off;")
	listen := "listen " + addr
	if o.TLS {
		listen += " ssl"
	}
	if o.HTTP2 {
		listen += " http2" // nginx 1.22's spelling; 1.25 has `http2 on;`
	}
	w("  server {")
	w("    %s;", listen)
	if certs != nil {
		w("    ssl_certificate %q;", certs.certificate)
		w("    ssl_certificate_key %q;", certs.key)
	}
	w("    location ^~ %s { return 204; }", barrierPath)
	if o.Upstream != "" {
		writeProxy(w, o.Upstream)
	} else {
		writeStaticAndSink(w, o)
	}
	w("  }")
	if o.Sink {
		writeSinkMaps(w)
	}
	w("}")
	return []byte(b.String())
}

func writeProxy(w func(string, ...any), upstream string) {
	w("    location / {")
	w("      proxy_pass %s;", strings.TrimSuffix(upstream, "/"))
	w("      proxy_http_version 1.1;")
	w(`      proxy_set_header Connection "";`)
	// The registry builds its Location headers from these.
	w("      proxy_set_header Host $http_host;")
	w("      proxy_set_header X-Forwarded-Proto $scheme;")
	w("      proxy_request_buffering off;")
	w("      proxy_buffering off;")
	w("      proxy_read_timeout 300s;")
	w("      proxy_send_timeout 300s;")
	w("    }")
}

func writeStaticAndSink(w func(string, ...any), o NginxOptions) {
	w("    location = /v2/ {")
	w("      add_header Docker-Distribution-Api-Version registry/2.0 always;")
	w("      default_type application/json;")
	w("      return 200 '{}';")
	w("    }")
	w("    location ~ ^/v2/.+/manifests/[^/]+$ {")
	if o.Sink {
		w("      if ($request_method = PUT) { rewrite ^ /.sink last; }")
	}
	writeRoot(w, o.Root, "application/vnd.oci.image.manifest.v1+json")
	w("    }")
	if o.Sink {
		w("    location ~ ^/v2/.+/blobs/uploads/ {")
		w("      rewrite ^ /.sink last;")
		w("    }")
		// nginx has no handler that reads a body and then answers: a proxy
		// with request buffering does read it whole before it connects, and
		// its upstream, a socket no one listens on, fails at once, so the
		// answer comes from error_page. Nothing is copied on.
		w("    location = /.sink {")
		w("      internal;")
		w("      proxy_request_buffering on;")
		w("      proxy_pass http://unix:%s;", filepath.Join(o.Dir, "no-upstream.sock"))
		w("      error_page 502 = @answer;")
		// The failed connect is logged at crit on every upload.
		w("      error_log /dev/null;")
		w("    }")
		w("    location @answer {")
		w("      add_header Docker-Distribution-Api-Version registry/2.0 always;")
		w("      add_header Location $sink_location always;")
		w("      add_header Docker-Upload-UUID $sink_uuid always;")
		w("      if ($request_method = PUT) { return 201; }")
		w("      return 202;")
		w("    }")
	}
	w("    location / {")
	writeRoot(w, o.Root, "application/octet-stream")
	w("    }")
}

func writeRoot(w func(string, ...any), root, contentType string) {
	if root == "" {
		w("      return 404;")
		return
	}
	w("      root %q;", root)
	w("      default_type %s;", contentType)
}

// writeSinkMaps writes the Location a registry would answer each upload
// request with, from the request line: the session for POST and PATCH, the
// blob (by its digest) or the manifest for PUT.
func writeSinkMaps(w func(string, ...any)) {
	w(`  map "$request_method $request_uri" $sink_location {`)
	w(`    "~^POST (?<p>/v2/[^?]+/blobs/uploads/)" $p$request_id;`)
	w(`    "~^PATCH (?<p>/v2/[^?]+/blobs/uploads/[^?/]+)" $p;`)
	w(`    "~^PUT (?<p>/v2/[^?]+/blobs/)uploads/[^?]*\?(.*&)?digest=(?<d>[^&]+)" $p$d;`)
	w(`    "~^PUT (?<p>/v2/[^?]+/manifests/[^?/]+)" $p;`)
	w(`  }`)
	w(`  map "$request_method $request_uri" $sink_uuid {`)
	w(`    "~^POST " $request_id;`)
	w(`    "~^PATCH /v2/[^?]+/blobs/uploads/(?<u>[^?/]+)" $u;`)
	w(`  }`)
}
