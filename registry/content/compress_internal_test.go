package content

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cancellingFiles hold one file whose reader ends the test's context
// after its first read, as the end of a k6 test does mid-compression.
type cancellingFiles struct {
	data   []byte
	cancel context.CancelFunc
}

func (c cancellingFiles) open(string) (io.ReadCloser, error) {
	return io.NopCloser(&cancellingReader{r: bytes.NewReader(c.data), cancel: c.cancel}), nil
}
func (c cancellingFiles) stat(string) (int64, error) { return int64(len(c.data)), nil }
func (cancellingFiles) canonical(name string) string { return name }

type cancellingReader struct {
	r      io.Reader
	cancel context.CancelFunc
}

func (c *cancellingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p[:min(len(p), 4096)])
	c.cancel()
	return n, err
}

// TestCompressionCutShortLeavesNothing: a compression the end of a test
// cuts short closes its file, which has no name: nothing is left open or
// on disk, and the next push compresses anew.
func TestCompressionCutShortLeavesNothing(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	data := bytes.Repeat([]byte("layer bytes "), 100_000)
	ctx, cancel := context.WithCancel(context.Background())
	l := &layerFile{src: cancellingFiles{data: data, cancel: cancel}, name: "l.tar", size: int64(len(data))}
	desc := ocispec.Descriptor{Digest: digest.FromBytes(data), Size: l.size}
	fds := openFiles(t)
	_, err := compress(ctx, &fileBlob{l: l, known: &desc}, desc.Digest)
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, fds, openFiles(t), "the file is closed")
	entries, err := os.ReadDir(tmp)
	require.NoError(t, err)
	assert.Empty(t, entries)

	l.src = cancellingFiles{data: data, cancel: func() {}}
	g, err := compress(context.Background(), &fileBlob{l: l, known: &desc}, desc.Digest)
	require.NoError(t, err)
	assert.Equal(t, fds+1, openFiles(t), "a compressed layer holds one file open, for the process")
	assert.Equal(t, tmp, filepath.Dir(g.f.Name()), "made in $TMPDIR")
	_, err = os.Stat(g.f.Name())
	assert.True(t, os.IsNotExist(err), "and removed from it at once")
	got, err := io.ReadAll(io.NewSectionReader(g.f, 0, g.size))
	require.NoError(t, err)
	assert.Equal(t, g.digest, digest.FromBytes(got), "yet it reads")
	require.NoError(t, g.f.Close())
}

// openFiles counts this process's open file descriptors.
func openFiles(t testing.TB) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	return len(fds)
}
