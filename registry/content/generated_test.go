package content_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
	"github.com/xk6-registry/xk6-registry/registry"
	"github.com/xk6-registry/xk6-registry/registry/content"
)

// describe and readAll are a blob's descriptor and bytes, as a push has them.
var (
	describe = registrytest.Descriptor
	readAll  = registrytest.ReadBlob
)

// sizes are around every edge of the layout: no shared unit, one, the
// smallest own part, several units, odd sizes.
var sizes = []int64{
	content.MinLayerSize, 4096, 64 << 10, 64<<10 + 1536, 64<<10 + 1536 + 512,
	320 << 10, 321<<10 + 1536, 1 << 20, 1<<20 + 1, 3<<20 + 777, 9 << 20,
}

// TestGeneratedBytesMatchTheirDescriptors streams every kind of generated
// blob, at every edge size, with a shared and an own body, and checks its
// digest and size against what it says without reading (from the chain of
// its family), and that layers are valid tars that say their diff_ids.
func TestGeneratedBytesMatchTheirDescriptors(t *testing.T) {
	t.Parallel()
	for _, body := range []content.Body{content.BodyShared, content.BodyUnique} {
		for _, size := range sizes {
			b, err := content.Random(content.RandomOptions{Size: size, Body: body})
			require.NoError(t, err)
			data := readAll(t, b)
			d := describe(t, b)
			assert.Equal(t, digest.FromBytes(data), d.Digest, "random blob of %d, body %s", size, body)
			assert.Equal(t, size, int64(len(data)))

			for _, format := range []content.Format{content.FormatOCI, content.FormatDocker} {
				img, err := content.Generate(content.GenerateOptions{Layers: 2, LayerSize: size, Format: format, Body: body})
				require.NoError(t, err)
				var cfg ocispec.Image
				require.NoError(t, jsonOf(t, img.Config, &cfg))
				require.Len(t, cfg.RootFS.DiffIDs, 2)
				for i, l := range img.Layers {
					data := readAll(t, l)
					d := describe(t, l)
					what := []any{"layer %d of %d bytes, %s, body %s", i, size, format, body}
					assert.Equal(t, digest.FromBytes(data), d.Digest, what...)
					assert.Equal(t, int64(len(data)), d.Size, what...)
					tarball := data
					if format == content.FormatDocker {
						zr, err := gzip.NewReader(bytes.NewReader(data))
						require.NoError(t, err, what...)
						tarball, err = io.ReadAll(zr)
						require.NoError(t, err, what...)
					} else {
						assert.Equal(t, (size+511)/512*512, int64(len(data)), "an OCI layer is layerSize, in whole tar blocks")
					}
					assert.Equal(t, digest.FromBytes(tarball), cfg.RootFS.DiffIDs[i], what...)
					assertTar(t, tarball, what)
				}
			}
		}
	}
}

func jsonOf(t testing.TB, b registry.BlobSource, v any) error {
	t.Helper()
	return json.Unmarshal(readAll(t, b), v)
}

// assertTar reads a layer to its end: every entry a regular file whose
// bytes are all there, the last one of the blob's own.
func assertTar(t *testing.T, tarball []byte, what []any) {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(tarball))
	var last string
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err, what...)
		assert.Equal(t, byte(tar.TypeReg), hdr.Typeflag, what...)
		n, err := io.Copy(io.Discard, tr)
		require.NoError(t, err, what...)
		assert.Equal(t, hdr.Size, n, what...)
		last = hdr.Name
	}
	assert.Regexp(t, `^xk6-registry/[0-9a-f]{16}-[0-9]+\.bin$`, last, what...)
}

// TestGeneratedReadersSeek reads a blob from offsets a resumed upload
// would seek to and gets the bytes a whole read gives there.
func TestGeneratedReadersSeek(t *testing.T) {
	t.Parallel()
	img, err := content.Generate(content.GenerateOptions{Layers: 1, LayerSize: 2<<20 + 4096, Format: content.FormatDocker})
	require.NoError(t, err)
	layer := img.Layers[0]
	whole := readAll(t, layer)
	rc, err := layer.Open(context.Background())
	require.NoError(t, err)
	defer rc.Close()
	seeker := rc.(io.Seeker)
	for _, off := range []int64{int64(len(whole)) - 3, 0, 1 << 20, 12345, 262656*2 + 7, int64(len(whole)) - 100_000} {
		_, err := seeker.Seek(off, io.SeekStart)
		require.NoError(t, err)
		got := make([]byte, min(70_000, int64(len(whole))-off))
		_, err = io.ReadFull(rc, got)
		require.NoError(t, err)
		require.Equal(t, whole[off:off+int64(len(got))], got, "at %d", off)
	}
}

// TestBlobsShareOnlyTheirBody compares two fresh blobs of one size: with
// a shared body they are equal but for their last minOwn bytes or more;
// with body "unique" they share nothing.
func TestBlobsShareOnlyTheirBody(t *testing.T) {
	t.Parallel()
	const size = 2 << 20
	pair := func(body content.Body) ([]byte, []byte) {
		a, err := content.Random(content.RandomOptions{Size: size, Body: body})
		require.NoError(t, err)
		b, err := content.Random(content.RandomOptions{Size: size, Body: body})
		require.NoError(t, err)
		return readAll(t, a), readAll(t, b)
	}
	a, b := pair(content.BodyShared)
	common := 0
	for common < size && a[common] == b[common] {
		common++
	}
	assert.Greater(t, common, size/2, "a shared body")
	assert.LessOrEqual(t, common, size-64<<10, "at least 64 KiB of each blob is its own")
	assert.NotEqual(t, digest.FromBytes(a), digest.FromBytes(b))

	a, b = pair(content.BodyUnique)
	same := 0
	for i := range a {
		if a[i] == b[i] {
			same++
		}
	}
	assert.Less(t, same, size/100, "unique bodies agree only by chance, 1 byte in 256")
}

// TestGeneratedContentIsIncompressible gzips a generated layer at the
// best level and finds it no smaller: a registry or proxy that compresses
// cannot make a test's bytes cheaper than a real image's.
func TestGeneratedContentIsIncompressible(t *testing.T) {
	t.Parallel()
	img, err := content.Generate(content.GenerateOptions{Layers: 1, LayerSize: 4 << 20})
	require.NoError(t, err)
	data := readAll(t, img.Layers[0])
	var zipped bytes.Buffer
	zw, err := gzip.NewWriterLevel(&zipped, gzip.BestCompression)
	require.NoError(t, err)
	_, err = zw.Write(data)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	assert.Greater(t, float64(zipped.Len()), 0.99*float64(len(data)))
}

// TestDigestsFollowTheContext asks for the digest of the largest blob a
// script may make and ends the context: the pass stops at once.
func TestDigestsFollowTheContext(t *testing.T) {
	t.Parallel()
	for _, body := range []content.Body{content.BodyShared, content.BodyUnique} {
		b, err := content.Random(content.RandomOptions{Size: content.MaxSize, Body: body})
		require.NoError(t, err, "the largest size is accepted, and nothing is hashed yet")
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		_, err = b.Descriptor(ctx)
		cancel()
		require.ErrorIs(t, err, context.DeadlineExceeded)
		ctx, cancel = context.WithCancel(context.Background())
		cancel()
		_, err = b.Descriptor(ctx)
		require.ErrorIs(t, err, context.Canceled, "a cut pass is not kept: the next one runs under its own context")
	}
	_, err := content.Random(content.RandomOptions{Size: content.MaxSize + 1})
	require.Error(t, err)
	_, err = content.Generate(content.GenerateOptions{Layers: 1, LayerSize: content.MaxSize + 1})
	require.ErrorContains(t, err, "layerSize")
}

// TestFreshContentIsNeverTheSame generates fresh images from many
// goroutines at once, as VUs do, and finds no blob twice: each layer's own
// part comes from a seed of its own. (Across k6 instances, the segments
// test in e2e pushes from three processes and finds no blob twice.)
func TestFreshContentIsNeverTheSame(t *testing.T) {
	t.Parallel()
	const vus, images = 8, 50
	digests := make(chan digest.Digest, vus*images*3)
	var wg sync.WaitGroup
	for range vus {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range images {
				img, err := content.Generate(content.GenerateOptions{Layers: 2, LayerSize: 300 << 10})
				assert.NoError(t, err)
				for _, b := range append(img.Layers, img.Config) {
					d, err := b.Descriptor(context.Background())
					assert.NoError(t, err)
					digests <- d.Digest
				}
			}
		}()
	}
	wg.Wait()
	close(digests)
	seen := map[digest.Digest]bool{}
	for d := range digests {
		require.False(t, seen[d], "%s generated twice", d)
		seen[d] = true
	}
	require.Len(t, seen, vus*images*3)
}
