package js

import (
	"errors"
	"io"
	"net"
	"os"
	"sync/atomic"
	"syscall"

	"go.k6.io/k6/v2/lib/netext"

	"github.com/xk6-registry/xk6-registry/registry"
)

// maxSendfile bounds one sendfile call, as the kernel does itself.
const maxSendfile = 1 << 30

// sendFile sends what r holds by sendfile(2), when r is (a limit on) a
// section of a file on disk and conn is a k6 connection over TCP: the
// kernel copies the file's pages to the socket, and the bytes sent are
// added to k6's counter as its own Write would add them. It tells whether
// it took r; when it did not, nothing was sent.
func sendFile(conn net.Conn, r io.Reader) (int64, bool, error) {
	limit, inner, limits := unwrapLimits(r)
	section, ok := inner.(registry.FileSection)
	if !ok {
		return 0, false, nil
	}
	k6Conn, ok := conn.(*netext.Conn)
	if !ok {
		return 0, false, nil
	}
	tcp, ok := k6Conn.Conn.(*net.TCPConn)
	if !ok {
		return 0, false, nil
	}
	f, offset, remaining := section.FileSection()
	if f == nil {
		return 0, false, nil
	}
	raw, src, ok := rawConns(tcp, f)
	if !ok {
		return 0, false, nil
	}
	want := min(limit, remaining)
	var sent int64
	for sent < want {
		var n int
		var serr error
		werr := src.Control(func(in uintptr) {
			werr := raw.Write(func(out uintptr) bool {
				// An explicit offset: the file's own position is left alone,
				// so many uploads may read one file at once.
				n, serr = syscall.Sendfile(int(out), int(in), &offset, int(min(want-sent, maxSendfile)))
				return !errors.Is(serr, syscall.EAGAIN)
			})
			if serr == nil {
				serr = werr
			}
		})
		if werr != nil && serr == nil {
			serr = werr
		}
		if n > 0 {
			sent += int64(n)
			atomic.AddInt64(k6Conn.BytesWritten, int64(n))
			section.Sent(int64(n))
			for _, lr := range limits {
				lr.N -= int64(n)
			}
		}
		switch {
		case sent == 0 && (errors.Is(serr, syscall.EINVAL) || errors.Is(serr, syscall.ENOSYS)):
			// This file or socket cannot be sent so: read it instead.
			return 0, false, nil
		case serr != nil:
			return sent, true, serr
		case n == 0:
			// The file ended before its section did.
			return sent, true, io.ErrUnexpectedEOF
		}
	}
	return sent, true, nil
}

// rawConns are the socket's and the file's descriptors, when both have one.
func rawConns(tcp *net.TCPConn, f *os.File) (syscall.RawConn, syscall.RawConn, bool) {
	raw, rerr := tcp.SyscallConn()
	src, ferr := f.SyscallConn()
	return raw, src, rerr == nil && ferr == nil
}

// unwrapLimits finds the reader under the io.LimitedReaders net/http and
// the upload wrap a body in, and the smallest of their limits.
func unwrapLimits(r io.Reader) (int64, io.Reader, []*io.LimitedReader) {
	limit := int64(1<<63 - 1)
	var limits []*io.LimitedReader
	for {
		lr, ok := r.(*io.LimitedReader)
		if !ok {
			return limit, r, limits
		}
		limit = min(limit, lr.N)
		limits = append(limits, lr)
		r = lr.R
	}
}
