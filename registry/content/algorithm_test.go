package content_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/registry/content"
)

func TestSHA512ImagesDescribeTheirBlobsBySHA512(t *testing.T) {
	t.Parallel()
	seed := uint64(7)
	for _, format := range []content.Format{content.FormatOCI, content.FormatDocker} {
		for _, body := range []content.Body{content.BodyShared, content.BodyUnique} {
			opts := content.GenerateOptions{Layers: 2, LayerSize: 70_000, Seed: &seed, Format: format, Body: body}
			plain, err := content.Generate(opts)
			require.NoError(t, err)
			opts.Digest = digest.SHA512
			img, err := content.Generate(opts)
			require.NoError(t, err)
			raw, err := img.Manifest(context.Background())
			require.NoError(t, err)
			var m ocispec.Manifest
			require.NoError(t, json.Unmarshal(raw, &m))
			for i, l := range img.Layers {
				data := readAll(t, l)
				assert.Equal(t, readAll(t, plain.Layers[i]), data, "the same bytes as with sha256")
				desc := describe(t, l)
				assert.Equal(t, digest.SHA512.FromBytes(data), desc.Digest, "%s %s layer %d", format, body, i)
				assert.Equal(t, int64(len(data)), desc.Size)
				assert.Equal(t, describe(t, plain.Layers[i]).MediaType, desc.MediaType)
				assert.Equal(t, desc, m.Layers[i], "the manifest names the layer by sha512")
			}
			config := readAll(t, img.Config)
			assert.Equal(t, digest.SHA512.FromBytes(config), describe(t, img.Config).Digest)
			assert.Equal(t, describe(t, img.Config), m.Config)
			var cfg ocispec.Image
			require.NoError(t, json.Unmarshal(config, &cfg))
			var plainCfg ocispec.Image
			require.NoError(t, json.Unmarshal(readAll(t, plain.Config), &plainCfg))
			assert.Equal(t, plainCfg.RootFS.DiffIDs, cfg.RootFS.DiffIDs, "diff_ids stay sha256")
			assert.Equal(t, digest.FromBytes(raw), describe(t, img).Digest, "the manifest is named by sha256")
		}
	}
}

func TestSHA512BlobsAndIndexes(t *testing.T) {
	t.Parallel()
	b, err := content.Random(content.RandomOptions{Size: 300_000, Digest: digest.SHA512})
	require.NoError(t, err)
	assert.Equal(t, digest.SHA512.FromBytes(readAll(t, b)), describe(t, b).Digest)
	idx, err := content.Generate(content.GenerateOptions{Layers: 1, LayerSize: 4096, Platforms: []string{"linux/amd64", "linux/arm64"}, Digest: digest.SHA512})
	require.NoError(t, err)
	for _, child := range idx.Manifests {
		assert.Equal(t, digest.SHA512, describe(t, child.Layers[0]).Digest.Algorithm())
		assert.Equal(t, digest.SHA512, describe(t, child.Config).Digest.Algorithm())
	}
}

func TestDigestAlgorithmsAreChecked(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"sha384", "SHA512", "md5", "blake3"} {
		_, err := content.Generate(content.GenerateOptions{Layers: 1, LayerSize: 4096, Digest: digest.Algorithm(name)})
		assert.ErrorContains(t, err, `digest "`+name+`" is not sha256 or sha512`)
		_, err = content.Random(content.RandomOptions{Size: 1, Digest: digest.Algorithm(name)})
		assert.ErrorContains(t, err, `digest "`+name+`" is not sha256 or sha512`)
	}
	for name, want := range map[string]digest.Algorithm{"": digest.SHA256, "sha256": digest.SHA256, "sha512": digest.SHA512} {
		got, err := content.ParseAlgorithm(name)
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
}

func TestSHA512DigestsFollowTheContext(t *testing.T) {
	t.Parallel()
	b, err := content.Random(content.RandomOptions{Size: 64 << 20, Body: content.BodyUnique, Digest: digest.SHA512})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = b.Descriptor(ctx)
	require.ErrorIs(t, err, context.Canceled)
	// Not kept: the next caller computes it.
	assert.Equal(t, digest.SHA512, describe(t, b).Digest.Algorithm())
}
