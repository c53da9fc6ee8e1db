package registry_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
	"github.com/xk6-registry/xk6-registry/registry"
)

// largeRead is the buffer every blob body must be read in.
const largeRead = 128 << 10

// readSizes wraps a transport and records, per blob GET, every Read made of
// its response body.
type readSizes struct {
	next http.RoundTripper
	mu   sync.Mutex
	gets []*sizedBody
}

func (rs *readSizes) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := rs.next.RoundTrip(req)
	if err != nil || req.Method != http.MethodGet || !strings.Contains(req.URL.Path, "/blobs/sha256:") {
		return resp, err
	}
	b := &sizedBody{ReadCloser: resp.Body, url: req.URL.Path}
	rs.mu.Lock()
	rs.gets = append(rs.gets, b)
	rs.mu.Unlock()
	resp.Body = b
	return resp, nil
}

// sizedBody is a response body that records the reads made of it; one
// goroutine reads a body.
type sizedBody struct {
	io.ReadCloser
	url   string
	got   int64 // bytes read so far
	reads []bodyRead
}

type bodyRead struct{ asked, at int64 }

func (b *sizedBody) Read(p []byte) (int, error) {
	b.reads = append(b.reads, bodyRead{asked: int64(len(p)), at: b.got})
	n, err := b.ReadCloser.Read(p)
	b.got += int64(n)
	return n, err
}

// checkLargeReads asserts that every read of every blob body asked for
// largeRead bytes, or for all that was left (and one byte more, which a
// verified body reads to catch an overlong one).
func (rs *readSizes) checkLargeReads(t *testing.T, wantGets int) {
	t.Helper()
	rs.mu.Lock()
	defer rs.mu.Unlock()
	require.Len(t, rs.gets, wantGets)
	for _, b := range rs.gets {
		require.NotEmpty(t, b.reads, b.url)
		for _, r := range b.reads {
			want := min(int64(largeRead), b.got-r.at+1)
			if r.asked < want {
				t.Errorf("%s: the read at byte %d of %d asked for %d bytes, want %d or more", b.url, r.at, b.got, r.asked, want)
				break
			}
		}
	}
}

// TestBlobBodiesAreReadInLargeBuffers pulls and gets blobs, verified and
// not, and checks the reads their bodies saw: none smaller than 128 KiB
// but the last, not the 8 KiB of io.Discard's ReadFrom.
func TestBlobBodiesAreReadInLargeBuffers(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{})
	ctx := context.Background()
	push, err := registry.New(registry.Config{URL: reg.URL})
	require.NoError(t, err)
	// Sizes off the buffer's multiples, so a last read is a short one.
	img := testImage(t, 19, 3<<20+4096, 1<<20+512)
	_, err = push.Push(ctx, "reads/app:1", img, registry.PushOptions{})
	require.NoError(t, err)
	layer := describe(t, img.Layers[0])

	for _, verify := range []bool{true, false} {
		name := map[bool]string{true: "verify", false: "no verify"}[verify]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rs := &readSizes{next: http.DefaultTransport}
			c, err := registry.New(registry.Config{URL: reg.URL, Transport: rs})
			require.NoError(t, err)
			pulled, err := c.Pull(ctx, "reads/app:1", registry.PullOptions{Verify: verify})
			require.NoError(t, err)
			require.Equal(t, imageBytes(t, img), pulled.Bytes)
			got, err := c.GetBlob(ctx, "reads/app", layer.Digest.String(), registry.GetBlobOptions{Verify: verify})
			require.NoError(t, err)
			require.Equal(t, layer.Size, got.Bytes)
			// Config and two layers, then the layer again.
			rs.checkLargeReads(t, 4)
		})
	}
}
