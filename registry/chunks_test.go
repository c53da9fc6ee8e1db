package registry

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// streamOnly is a blob whose reader cannot seek, as generated content is.
type streamOnly struct {
	data  []byte
	opens int
}

func (s *streamOnly) Descriptor(context.Context) (ocispec.Descriptor, error) {
	return ocispec.Descriptor{Digest: digest.FromBytes(s.data), Size: int64(len(s.data))}, nil
}

func (s *streamOnly) Open(context.Context) (io.ReadCloser, error) {
	s.opens++
	return io.NopCloser(io.MultiReader(bytes.NewReader(s.data))), nil // MultiReader hides Seek
}

func readChunk(t *testing.T, src bodySource, attempt int) string {
	t.Helper()
	rc, err := src(attempt)
	require.NoError(t, err)
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	return string(b)
}

func TestResumableReaderSendsAChunkAgainWithoutHoldingIt(t *testing.T) {
	t.Parallel()
	blob := &streamOnly{data: []byte("0123456789abcdefghij")}
	r := &resumableReader{ctx: context.Background(), blob: blob}
	defer r.Close()

	assert.Equal(t, "01234", readChunk(t, r.chunk(0, 5), 1))
	// The second chunk is refused after its bytes were read (a challenge):
	// its retry reopens the blob and skips to it.
	first := r.chunk(5, 5)
	assert.Equal(t, "56789", readChunk(t, first, 1))
	assert.Equal(t, "56789", readChunk(t, first, 2))
	assert.Equal(t, 2, blob.opens)
	// The chunks after it continue from the reopened reader.
	assert.Equal(t, "abcde", readChunk(t, r.chunk(10, 5), 1))
	assert.Equal(t, "fghij", readChunk(t, r.chunk(15, 5), 1))
	assert.Equal(t, 2, blob.opens)
}

func TestResumableReaderSkipsWhatARequestLeftUnread(t *testing.T) {
	t.Parallel()
	blob := &streamOnly{data: []byte("0123456789")}
	r := &resumableReader{ctx: context.Background(), blob: blob}
	defer r.Close()
	rc, err := r.chunk(0, 5)(1)
	require.NoError(t, err)
	buf := make([]byte, 2)
	_, err = io.ReadFull(rc, buf) // the server answered after two bytes
	require.NoError(t, err)
	assert.Equal(t, "56789", readChunk(t, r.chunk(5, 5), 1))
	assert.Equal(t, 1, blob.opens)
}
