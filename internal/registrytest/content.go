package registrytest

import (
	"context"
	"io"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/require"
)

// Descriptor asks a blob source or an image for its descriptor as a push
// would, failing the test when it cannot be known.
func Descriptor(t testing.TB, of interface {
	Descriptor(context.Context) (ocispec.Descriptor, error)
}) ocispec.Descriptor {
	t.Helper()
	d, err := of.Descriptor(context.Background())
	require.NoError(t, err)
	return d
}

// ReadBlob reads a blob source whole, as a push streams it; for test-sized
// blobs only.
func ReadBlob(t testing.TB, b interface {
	Open(context.Context) (io.ReadCloser, error)
}) []byte {
	t.Helper()
	rc, err := b.Open(context.Background())
	require.NoError(t, err)
	defer rc.Close()
	data, err := io.ReadAll(rc)
	require.NoError(t, err)
	return data
}
