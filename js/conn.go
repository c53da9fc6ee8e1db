package js

import (
	"context"
	"io"
	"net"
	"sync"
)

// bodyWriteSize is what a request body that is not a file's is written to
// the network in: as a blob body is read, and as iperf3 writes.
const bodyWriteSize = 128 << 10

var bodyBuffers = sync.Pool{New: func() any { b := make([]byte, bodyWriteSize); return &b }}

// bodyConn is a connection k6's dialer made, which counts its bytes for
// data_sent and data_received, with a ReadFrom of its own: net/http hands a
// plain-http request body to its connection's ReadFrom in one call, and
// without one copies it 32 KiB at a time, two system calls each. A body
// that is a section of a file on disk goes by sendfile, its bytes added to
// k6's counter (sendfile_linux.go); any other through the k6 connection's
// own Write, in large writes, so k6 counts every byte either way.
type bodyConn struct{ net.Conn }

func (c bodyConn) ReadFrom(r io.Reader) (int64, error) {
	if n, took, err := sendFile(c.Conn, r); took {
		return n, err
	}
	buf := bodyBuffers.Get().(*[]byte)
	defer bodyBuffers.Put(buf)
	// Only Write and Read: io.CopyBuffer would hand the copy back to a
	// ReadFrom or WriteTo.
	return io.CopyBuffer(struct{ io.Writer }{c.Conn}, struct{ io.Reader }{r}, *buf)
}

// dialer is a DialContext.
type dialer func(ctx context.Context, network, addr string) (net.Conn, error)

// withBodyConns makes dial's connections bodyConns.
func withBodyConns(dial dialer) dialer {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return bodyConn{conn}, nil
	}
}
