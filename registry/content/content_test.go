package content_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
	"github.com/xk6-registry/xk6-registry/registry"
	"github.com/xk6-registry/xk6-registry/registry/content"
)

func TestParseSize(t *testing.T) {
	t.Parallel()
	good := map[string]int64{
		"0": 0, "4096": 4096, "1B": 1, "512KiB": 512 << 10, "4MB": 4_000_000, "4mib": 4 << 20,
		"1.5GiB": 3 << 29, "1 KiB": 1024, "2TB": 2e12, "3PB": 3e15, "16PiB": content.MaxSize, "1pib": 1 << 50,
	}
	for in, want := range good {
		got, err := content.ParseSize(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	bad := map[string]string{
		"4XB": `unknown unit "XB"`, "": "want a number", "MiB": "want a number", "-1": "negative",
		"1.3B": "not a whole number", "99999999TiB": "too large", "17PiB": "more than the 16PiB", "1..2": "want a number",
	}
	for in, want := range bad {
		_, err := content.ParseSize(in)
		require.Error(t, err, in)
		assert.Contains(t, err.Error(), want, in)
		assert.Contains(t, err.Error(), fmt.Sprintf("%q", in))
	}
}

// manifestOf builds an image's manifest as a push would.
func manifestOf(t testing.TB, img *registry.Image) []byte {
	t.Helper()
	raw, err := img.Manifest(context.Background())
	require.NoError(t, err)
	return raw
}

// streamDigest reads a blob as a push would and digests what it got.
func streamDigest(t *testing.T, b registry.BlobSource) (digest.Digest, int64) {
	t.Helper()
	rc, err := b.Open(context.Background())
	require.NoError(t, err)
	defer rc.Close()
	dg := digest.Canonical.Digester()
	n, err := io.Copy(dg.Hash(), rc)
	require.NoError(t, err)
	return dg.Digest(), n
}

func TestGenerateIsAPureFunctionOfItsSeed(t *testing.T) {
	t.Parallel()
	for _, format := range []content.Format{content.FormatOCI, content.FormatDocker} {
		seed := uint64(7)
		a, err := content.Generate(content.GenerateOptions{Layers: 2, LayerSize: 64 << 10, Seed: &seed, Format: format})
		require.NoError(t, err)
		b, err := content.Generate(content.GenerateOptions{Layers: 2, LayerSize: 64 << 10, Seed: &seed, Format: format})
		require.NoError(t, err)
		assert.Equal(t, manifestOf(t, a), manifestOf(t, b), "same seed, same image")
		other := uint64(8)
		c, err := content.Generate(content.GenerateOptions{Layers: 2, LayerSize: 64 << 10, Seed: &other, Format: format})
		require.NoError(t, err)
		assert.NotEqual(t, describe(t, a.Layers[0]).Digest, describe(t, c.Layers[0]).Digest)
		fresh1, err := content.Generate(content.GenerateOptions{Layers: 1, LayerSize: 4096, Format: format})
		require.NoError(t, err)
		fresh2, err := content.Generate(content.GenerateOptions{Layers: 1, LayerSize: 4096, Format: format})
		require.NoError(t, err)
		assert.NotEqual(t, describe(t, fresh1.Layers[0]).Digest, describe(t, fresh2.Layers[0]).Digest, "no seed, new blobs")
		assert.NotEqual(t, describe(t, a.Layers[0]).Digest, describe(t, a.Layers[1]).Digest, "layers differ")
	}
}

func TestGeneratedBlobsStreamTheirDescriptors(t *testing.T) {
	t.Parallel()
	for _, format := range []content.Format{content.FormatOCI, content.FormatDocker} {
		img, err := content.Generate(content.GenerateOptions{Layers: 3, LayerSize: 1 << 20, Format: format})
		require.NoError(t, err)
		var m ocispec.Manifest
		require.NoError(t, json.Unmarshal(manifestOf(t, img), &m))
		assert.Equal(t, img.MediaType, m.MediaType)
		require.Len(t, m.Layers, 3)
		for i, l := range img.Layers {
			d, n := streamDigest(t, l)
			assert.Equal(t, describe(t, l).Digest, d, "layer %d of %s", i, format)
			assert.Equal(t, describe(t, l).Size, n)
			assert.Equal(t, m.Layers[i], describe(t, l))
			if format == content.FormatOCI {
				assert.Equal(t, int64(1<<20), n, "an OCI layer is exactly layerSize")
			}
		}
		d, _ := streamDigest(t, img.Config)
		assert.Equal(t, describe(t, img.Config).Digest, d)
	}
}

func TestGenerateRefusesBadOptionsByName(t *testing.T) {
	t.Parallel()
	for opts, want := range map[*content.GenerateOptions]string{
		{Layers: -1, LayerSize: 4096}:                "layers -1",
		{Layers: 1, LayerSize: 100}:                  "layerSize 100",
		{Layers: 1, LayerSize: 4096, Format: "zstd"}: `format "zstd"`,
		{Layers: 5000, LayerSize: 4096}:              "layers 5000",
	} {
		_, err := content.Generate(*opts)
		require.Error(t, err)
		assert.Contains(t, err.Error(), want)
	}
}

func TestRandomAndLiteralBlobs(t *testing.T) {
	t.Parallel()
	seed := uint64(3)
	r1, err := content.Random(content.RandomOptions{Size: 100_000, Seed: &seed})
	require.NoError(t, err)
	r2, err := content.Random(content.RandomOptions{Size: 100_000, Seed: &seed})
	require.NoError(t, err)
	assert.Equal(t, describe(t, r1), describe(t, r2))
	d, n := streamDigest(t, r1)
	assert.Equal(t, describe(t, r1).Digest, d)
	assert.Equal(t, int64(100_000), n)

	lit := []byte("literal text")
	b := content.Bytes(lit, "")
	lit[0] = 'X' // the blob holds its own copy
	d, _ = streamDigest(t, b)
	assert.Equal(t, digest.FromString("literal text"), d)
	assert.Equal(t, content.MediaTypeOctetStream, describe(t, b).MediaType)

	_, err = content.Random(content.RandomOptions{Size: -1})
	require.Error(t, err)
}

// TestGeneratedImagesAreValidForAnotherClient pushes generated images and
// has go-containerregistry validate them: tar layers, diff_ids, digests.
func TestGeneratedImagesAreValidForAnotherClient(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{})
	c, err := registry.New(registry.Config{URL: reg.URL})
	require.NoError(t, err)
	for _, format := range []content.Format{content.FormatOCI, content.FormatDocker} {
		img, err := content.Generate(content.GenerateOptions{Layers: 2, LayerSize: 300_000, Format: format})
		require.NoError(t, err)
		ref := "generated/" + string(format) + ":1"
		_, err = c.Push(context.Background(), ref, img, registry.PushOptions{})
		require.NoError(t, err)
		r, err := name.ParseReference(reg.Host+"/"+ref, name.Insecure)
		require.NoError(t, err)
		got, err := remote.Image(r)
		require.NoError(t, err)
		require.NoError(t, registrytest.ValidateImage(got), format)
		mt, err := got.MediaType()
		require.NoError(t, err)
		assert.Equal(t, img.MediaType, string(mt))
	}
}

func TestGenerateOnABaseSharesItsLayers(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{})
	c, err := registry.New(registry.Config{URL: reg.URL})
	require.NoError(t, err)
	base, err := content.Generate(content.GenerateOptions{Layers: 2, LayerSize: 8192})
	require.NoError(t, err)
	app, err := content.Generate(content.GenerateOptions{Layers: 1, LayerSize: 8192, Base: base})
	require.NoError(t, err)
	require.Len(t, app.Layers, 3)
	assert.Equal(t, describe(t, base.Layers[0]), describe(t, app.Layers[0]))
	assert.Equal(t, describe(t, base.Layers[1]), describe(t, app.Layers[1]))

	_, err = c.Push(context.Background(), "farm/base:1", base, registry.PushOptions{})
	require.NoError(t, err)
	res, err := c.Push(context.Background(), "farm/app:1", app, registry.PushOptions{UploadOptions: registry.UploadOptions{MountFrom: "farm/base"}})
	require.NoError(t, err)
	assert.Equal(t, 2, res.Mounted, "the base's layers are mounted, not sent")
	assert.Equal(t, 2, res.Uploaded, "the new layer and the config are sent")
	r, err := name.ParseReference(reg.Host+"/farm/app:1", name.Insecure)
	require.NoError(t, err)
	got, err := remote.Image(r)
	require.NoError(t, err)
	require.NoError(t, registrytest.ValidateImage(got), "diff_ids of base and new layers line up")

	index, err := content.Generate(content.GenerateOptions{Layers: 1, LayerSize: 4096, Platforms: []string{"linux/amd64", "linux/arm64"}})
	require.NoError(t, err)
	_, err = content.Generate(content.GenerateOptions{Layers: 1, LayerSize: 4096, Base: index})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "an index cannot be a base")
}
