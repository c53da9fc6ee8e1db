package registrytest

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// CountingProxy forwards TCP connections to a target and counts the bytes
// each way, below TLS and HTTP: what a client wrote to the network and
// what it read, to check k6's data_sent and data_received against.
type CountingProxy struct {
	Host string // 127.0.0.1:PORT

	ln       net.Listener
	target   string
	conns    sync.WaitGroup
	sent     atomic.Int64 // client to target
	received atomic.Int64 // target to client
}

// StartCountingProxy runs a counting proxy in front of target (host:port)
// for the test.
func StartCountingProxy(t testing.TB, target string) *CountingProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &CountingProxy{Host: ln.Addr().String(), ln: ln, target: target}
	go p.accept()
	t.Cleanup(func() { _ = ln.Close() })
	return p
}

func (p *CountingProxy) accept() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.conns.Add(1)
		go p.forward(client)
	}
}

func (p *CountingProxy) forward(client net.Conn) {
	defer p.conns.Done()
	defer client.Close()
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer server.Close()
	var both sync.WaitGroup
	both.Add(2)
	// What the target writes once the client has hung up (a TLS
	// close_notify) never reaches a client that could count it.
	var clientGone atomic.Bool
	pipe := func(dst, src net.Conn, counter *atomic.Int64, last func()) {
		defer both.Done()
		buf := make([]byte, 64<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				if _, werr := dst.Write(buf[:n]); werr != nil {
					break
				}
				if counter == &p.sent || !clientGone.Load() {
					counter.Add(int64(n))
				}
			}
			if err != nil {
				break
			}
		}
		last()
		// Pass the half-close on, so the other side sees the end.
		if tcp, ok := dst.(*net.TCPConn); ok {
			_ = tcp.CloseWrite()
		}
	}
	go pipe(server, client, &p.sent, func() { clientGone.Store(true) })
	go pipe(client, server, &p.received, func() {})
	both.Wait()
}

// Totals waits up to limit for every connection to end (the client exited)
// and returns the bytes the client sent and received.
func (p *CountingProxy) Totals(limit time.Duration) (sent, received int64, err error) {
	_ = p.ln.Close()
	done := make(chan struct{})
	go func() {
		p.conns.Wait()
		close(done)
	}()
	select {
	case <-done:
		return p.sent.Load(), p.received.Load(), nil
	case <-time.After(limit):
		return 0, 0, errors.New(fmt.Sprint("connections still open after ", limit))
	}
}
