package registry_test

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
	"github.com/xk6-registry/xk6-registry/registry"
)

// BenchmarkPushPull pushes and pulls (verified) an image of two 8 MiB
// layers of fresh content per iteration, with this client and, as the
// baseline on the same registry in the same run, with go-containerregistry.
// Compare the two lines' MB/s: the machine's noise cancels in the ratio.
func BenchmarkPushPull(b *testing.B) {
	reg := registrytest.Start(b, registrytest.Options{})
	const layerSize = 8 << 20
	ctx := context.Background()

	b.Run("client=xk6-registry", func(b *testing.B) {
		c, err := registry.New(registry.Config{URL: reg.URL})
		require.NoError(b, err)
		b.SetBytes(2 * layerSize)
		for i := range b.N {
			b.StopTimer()
			img := heldImage(b, testImage(b, benchSeed.Add(1), layerSize, layerSize))
			ref := fmt.Sprintf("bench/ours:%d", i)
			b.StartTimer()
			_, err := c.Push(ctx, ref, img, registry.PushOptions{Concurrency: 3})
			require.NoError(b, err)
			_, err = c.Pull(ctx, ref, registry.PullOptions{Verify: true, Concurrency: 3})
			require.NoError(b, err)
		}
	})

	b.Run("client=ggcr", func(b *testing.B) {
		b.SetBytes(2 * layerSize)
		for i := range b.N {
			b.StopTimer()
			ours := testImage(b, benchSeed.Add(1), layerSize, layerSize)
			img := ggcrImageOf(b, ours)
			ref, err := name.ParseReference(fmt.Sprintf("%s/bench/ggcr:%d", reg.Host, i), name.Insecure)
			require.NoError(b, err)
			b.StartTimer()
			require.NoError(b, remote.Write(ref, img, remote.WithJobs(3)))
			got, err := remote.Image(ref)
			require.NoError(b, err)
			layers, err := got.Layers()
			require.NoError(b, err)
			for _, l := range layers {
				// Compressed() of a remote layer verifies the digest as it reads.
				rc, err := l.Compressed()
				require.NoError(b, err)
				_, err = io.Copy(io.Discard, rc)
				require.NoError(b, err)
				require.NoError(b, rc.Close())
			}
		}
	})
}

// benchSeed makes every benchmarked image new to the registry, across runs
// too: a client that finds a blob present skips it, which is not a transfer.
var benchSeed atomic.Uint64

// ggcrImageOf rebuilds one of our test images as a go-containerregistry
// image with the same layer bytes.
func ggcrImageOf(b *testing.B, img *registry.Image) v1.Image {
	b.Helper()
	var layers []v1.Layer
	for _, l := range img.Layers {
		layers = append(layers, static.NewLayer(readBlob(b, l), types.OCIUncompressedLayer))
	}
	out, err := mutate.AppendLayers(empty.Image, layers...)
	require.NoError(b, err)
	return out
}
