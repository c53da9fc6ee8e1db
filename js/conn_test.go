package js

import (
	"bytes"
	"crypto/rand"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.k6.io/k6/v2/lib/netext"
)

// section is a FileSection whose bytes must go by sendfile: reading it
// fails the test.
type section struct {
	t         *testing.T
	f         *os.File
	at, end   int64
	readCalls int
}

func (s *section) Read(p []byte) (int, error) {
	s.readCalls++
	n, err := s.f.ReadAt(p[:min(int64(len(p)), s.end-s.at)], s.at)
	s.at += int64(n)
	if s.at == s.end {
		err = io.EOF
	}
	return n, err
}

func (s *section) FileSection() (*os.File, int64, int64) { return s.f, s.at, s.end - s.at }
func (s *section) Sent(n int64)                          { s.at += n }

// A body that is a section of a file goes to a k6 connection by sendfile,
// byte for byte, and k6's counter counts every byte; any other body goes
// through the connection's own Write, counted as k6 counts it.
func TestABodyConnSendsFilesBySendfileAndCountsEveryByte(t *testing.T) {
	t.Parallel()
	data := make([]byte, 3<<20+12345)
	_, _ = rand.Read(data)
	path := filepath.Join(t.TempDir(), "blob")
	require.NoError(t, os.WriteFile(path, data, 0o600))
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()

	for _, tc := range []struct {
		name string
		body func() (io.Reader, *section)
		want []byte
	}{
		{"a file section", func() (io.Reader, *section) {
			s := &section{t: t, f: f, at: 1000, end: int64(len(data)) - 77}
			// net/http's limit on the upload's: the smallest wins.
			return &io.LimitedReader{R: &io.LimitedReader{R: s, N: s.end - s.at}, N: 1 << 40}, s
		}, data[1000 : len(data)-77]},
		{"bytes", func() (io.Reader, *section) {
			return &io.LimitedReader{R: bytes.NewReader(data), N: int64(len(data))}, nil
		}, data},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			defer ln.Close()
			got := make(chan []byte, 1)
			go func() {
				c, err := ln.Accept()
				if err != nil {
					got <- nil
					return
				}
				defer c.Close()
				b, _ := io.ReadAll(c)
				got <- b
			}()
			raw, err := net.Dial("tcp", ln.Addr().String())
			require.NoError(t, err)
			var read, written int64
			conn := bodyConn{&netext.Conn{Conn: raw, BytesRead: &read, BytesWritten: &written}}
			body, s := tc.body()
			n, err := conn.ReadFrom(body)
			require.NoError(t, err)
			require.NoError(t, raw.(*net.TCPConn).CloseWrite())
			assert.Equal(t, int64(len(tc.want)), n)
			assert.Equal(t, int64(len(tc.want)), written, "k6's counter")
			assert.True(t, bytes.Equal(tc.want, <-got), "the bytes that arrived")
			if s != nil && runtime.GOOS == "linux" {
				assert.Zero(t, s.readCalls, "a file section was read through memory")
				assert.Equal(t, s.end, s.at, "the section moved past what was sent")
			}
			_ = raw.Close()
		})
	}
}
