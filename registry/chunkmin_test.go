package registry_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
	"github.com/xk6-registry/xk6-registry/registry"
)

// chunkEnd reads a PATCH's Content-Range, "start-end".
func chunkEnd(r *http.Request) int64 {
	_, end, _ := strings.Cut(r.Header.Get("Content-Range"), "-")
	n, _ := strconv.ParseInt(end, 10, 64)
	return n
}

// A registry that asks for chunks of at least 1 MiB (OCI-Chunk-Min-Length)
// gets them, the last excepted, though the script asked for 256 KiB.
func TestChunksAreAtLeastTheRegistrysMinimum(t *testing.T) {
	t.Parallel()
	const minimum = 1 << 20
	blob := testImage(t, 15, 3<<20+100_000).Layers[0]
	size := registrytest.Descriptor(t, blob).Size
	reg := registrytest.Start(t, registrytest.Options{})
	proxy := registrytest.StartFaultProxy(t, reg.URL)
	proxy.Add(registrytest.Rule{Method: http.MethodPost, Path: "/blobs/uploads/", Fault: registrytest.Fault{
		Header: http.Header{"Oci-Chunk-Min-Length": {strconv.Itoa(minimum)}},
	}})
	// As such a registry answers a smaller chunk that is not the last.
	proxy.Add(registrytest.Rule{Method: http.MethodPatch, Match: func(r *http.Request) bool {
		return r.ContentLength < minimum && chunkEnd(r) != size-1
	}, Fault: registrytest.Fault{Status: http.StatusRequestedRangeNotSatisfiable}})
	c, _ := faultClient(t, registry.Config{URL: proxy.URL}, nil)
	_, err := c.UploadBlob(context.Background(), "chunks/app", blob, registry.UploadOptions{Mode: registry.UploadChunked, ChunkSize: 256 << 10})
	require.NoError(t, err)
	patches := 0
	for _, r := range proxy.Requests() {
		if r.Method == http.MethodPatch {
			patches++
			assert.False(t, r.Faulted, "a chunk below the minimum was sent")
		}
	}
	assert.Equal(t, 4, patches, "three chunks of 1 MiB and the rest")
	assertNoSessionLeft(t, reg)
}

// A registry that refuses every chunk's range is asked where it stands a
// bounded number of times, and the failure says why it stopped.
func TestARangeRefusedAgainAndAgainEnds(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{})
	proxy := registrytest.StartFaultProxy(t, reg.URL)
	proxy.Add(registrytest.Rule{Method: http.MethodPatch, Fault: registrytest.Fault{Status: http.StatusRequestedRangeNotSatisfiable}})
	c, _ := faultClient(t, registry.Config{URL: proxy.URL}, fastRetry())
	blob := testImage(t, 16, 300_000).Layers[0]
	_, err := c.UploadBlob(context.Background(), "chunks/app", blob, registry.UploadOptions{Mode: registry.UploadChunked, ChunkSize: 100_000})
	assertFailure(t, err, registry.OpUploadChunk, registry.CodeUnknown, "refused the chunk's range (416) 4 times")
	assert.Equal(t, 4, proxy.Injected(), "the first PATCH and three resumed ones")
	assertNoSessionLeft(t, reg)
}
