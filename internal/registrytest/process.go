package registrytest

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	readyTimeout = 10 * time.Second
	readyPoll    = 20 * time.Millisecond
	stopTimeout  = 10 * time.Second
	logTail      = 64 << 10 // bytes of registry output kept for a failing test
)

// activate runs the registry with LISTEN_PID set to its own pid, which the
// systemd socket activation protocol wants and exec.Cmd cannot know before
// the fork: the shell's pid is the registry's once it execs.
const activate = `export LISTEN_PID=$$; exec "$0" "$@"`

// process is one running registry.
type process struct {
	cmd   *exec.Cmd
	log   *tailBuffer
	files []*os.File    // its log files, closed when it has exited
	done  chan struct{} // closed once the process has exited
	err   error         // what Wait said; read after done
}

// logFiles are files the registry's stdout and stderr are also appended to.
type logFiles struct {
	stdout, stderr string
}

// startProcess runs bin with the config file and hands it ln by socket
// activation, so no other process can take the port between our choosing it
// and the registry binding it. The caller stops it.
func startProcess(bin, configPath string, ln *net.TCPListener, logs *logFiles) (*process, error) {
	p := &process{log: &tailBuffer{max: logTail}, done: make(chan struct{})}
	if ln == nil {
		// A registry without socket activation binds the config's address.
		p.cmd = exec.Command(bin, "serve", configPath)
		p.cmd.Env = childEnv(os.Environ())
	} else {
		f, err := ln.File()
		if err != nil {
			return nil, fmt.Errorf("registry listener: %w", err)
		}
		defer f.Close()
		p.cmd = exec.Command("/bin/sh", "-c", activate, bin, "serve", configPath)
		p.cmd.Env = append(childEnv(os.Environ()), "LISTEN_FDS=1")
		p.cmd.ExtraFiles = []*os.File{f} // fd 3, SD_LISTEN_FDS_START
	}
	p.cmd.Stdout = p.log
	p.cmd.Stderr = p.log
	if logs != nil {
		out, err := openLog(logs.stdout)
		if err != nil {
			return nil, err
		}
		errLog, err := openLog(logs.stderr)
		if err != nil {
			_ = out.Close()
			return nil, err
		}
		p.files = []*os.File{out, errLog}
		p.cmd.Stdout = io.MultiWriter(p.log, out)
		p.cmd.Stderr = io.MultiWriter(p.log, errLog)
	}
	p.cmd.WaitDelay = 5 * time.Second
	if err := p.cmd.Start(); err != nil {
		p.closeFiles()
		return nil, fmt.Errorf("start registry %s: %w", bin, err)
	}
	// Only the registry may hold the socket now: if it dies, clients get
	// connection refused instead of waiting on a backlog no one accepts.
	if ln != nil {
		_ = ln.Close()
	}
	go func() {
		p.err = p.cmd.Wait()
		p.closeFiles()
		close(p.done)
	}()
	return p, nil
}

func openLog(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600) // #nosec G304 -- a path of the harness's own directory
	if err != nil {
		return nil, fmt.Errorf("registry log: %w", err)
	}
	return f, nil
}

func (p *process) closeFiles() {
	for _, f := range p.files {
		_ = f.Close()
	}
}

// startTestProcess is startProcess for a test: stopped in t.Cleanup, which
// also logs its output if the test failed.
func startTestProcess(t testing.TB, bin, configPath string, ln *net.TCPListener) *process {
	t.Helper()
	p, err := startProcess(bin, configPath, ln, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.stop(); err != nil {
			t.Error(err)
		}
		if t.Failed() {
			t.Logf("registry output (last %d bytes at most):\n%s", logTail, p.log.String())
		}
	})
	return p
}

// childEnv is env without variables that would reconfigure the registry
// behind the config file's back (distribution reads REGISTRY_* as config),
// with OpenTelemetry export off.
func childEnv(env []string) []string {
	dropped := func(kv string) bool {
		return strings.HasPrefix(kv, "REGISTRY_") || strings.HasPrefix(kv, "OTEL_") || strings.HasPrefix(kv, "LISTEN_")
	}
	out := make([]string, 0, len(env)+3)
	for _, kv := range env {
		if !dropped(kv) {
			out = append(out, kv)
		}
	}
	return append(out, "OTEL_TRACES_EXPORTER=none", "OTEL_METRICS_EXPORTER=none", "OTEL_LOGS_EXPORTER=none")
}

// waitReady polls GET /v2/ until the registry answers with any status, it
// exits, or readyTimeout passes.
func (p *process) waitReady(baseURL string) error { return p.waitAnswer(baseURL + "/v2/") }

// waitAnswer polls GET url until it answers with any status, the process
// exits, or readyTimeout passes.
func (p *process) waitAnswer(url string) error {
	client := probeClient()
	defer client.CloseIdleConnections()
	ticker := time.NewTicker(readyPoll)
	defer ticker.Stop()
	deadline := time.NewTimer(readyTimeout)
	defer deadline.Stop()
	var lastErr error
	for {
		resp, err := client.Get(url)
		if err == nil {
			_ = resp.Body.Close()
			return nil
		}
		lastErr = err
		select {
		case <-p.done:
			return fmt.Errorf("registry exited before answering: %w", p.err)
		case <-deadline.C:
			return fmt.Errorf("registry did not answer GET %s within %s: %w", url, readyTimeout, lastErr)
		case <-ticker.C:
		}
	}
}

// probeClient asks a test server whether it is there: a TLS one's
// certificate is self-signed.
func probeClient() *http.Client {
	return &http.Client{Timeout: time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, // #nosec G402 -- our own self-signed test servers
	}}
}

// stop kills the process and waits for it, a bounded time.
func (p *process) stop() error {
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill registry: %w", err)
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(stopTimeout):
		return fmt.Errorf("registry pid %d still running %s after kill", p.cmd.Process.Pid, stopTimeout)
	}
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

// listeningAddr waits until the registry logs the address it bound
// ("listening on 127.0.0.1:PORT"), it exits, or readyTimeout passes.
func (p *process) listeningAddr() (string, error) {
	ticker := time.NewTicker(readyPoll)
	defer ticker.Stop()
	deadline := time.NewTimer(readyTimeout)
	defer deadline.Stop()
	for {
		if m := listeningRegexp.FindStringSubmatch(p.log.String()); m != nil {
			return m[1], nil
		}
		select {
		case <-p.done:
			return "", fmt.Errorf("registry exited before listening: %w", p.err)
		case <-deadline.C:
			return "", fmt.Errorf("registry did not log its address within %s", readyTimeout)
		case <-ticker.C:
		}
	}
}

var listeningRegexp = regexp.MustCompile(`listening on (127\.0\.0\.1:[0-9]+)`)
