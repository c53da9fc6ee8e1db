package registry_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
	"github.com/xk6-registry/xk6-registry/registry"
	"github.com/xk6-registry/xk6-registry/registry/content"
)

// testImage is a valid OCI image of generated layers, one per size (at
// least the smallest tar of one file), a pure function of seed, so another
// client can validate it down to the diff_ids.
func testImage(t testing.TB, seed uint64, layerSizes ...int64) *registry.Image {
	t.Helper()
	var img *registry.Image
	for i, size := range layerSizes {
		// Each layer on top of the last, as FROM stacks them.
		layerSeed := seed*100 + uint64(i)
		next, err := content.Generate(content.GenerateOptions{
			Layers: 1, LayerSize: max(size, content.MinLayerSize), Seed: &layerSeed, Base: img,
		})
		require.NoError(t, err)
		img = next
	}
	return img
}

// heldImage is img with its layers read into memory, so a benchmark
// measures transfers, not generation.
func heldImage(t testing.TB, img *registry.Image) *registry.Image {
	t.Helper()
	held := *img
	held.Layers = nil
	for _, l := range img.Layers {
		held.Layers = append(held.Layers, content.Bytes(readBlob(t, l), describe(t, l).MediaType))
	}
	return &held
}

// describe and readBlob are a blob's descriptor and bytes, as a push has them.
var (
	describe = registrytest.Descriptor
	readBlob = registrytest.ReadBlob
)

// testBlob is size bytes of content that depends on seed.
func testBlob(t testing.TB, seed uint64, size int64) registry.BlobSource {
	t.Helper()
	b, err := content.Random(content.RandomOptions{Size: size, Seed: &seed})
	require.NoError(t, err)
	return b
}
