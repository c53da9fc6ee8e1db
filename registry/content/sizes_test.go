package content_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/registry/content"
)

func TestLayerSizesAreDrawnFromTheMixBySeed(t *testing.T) {
	t.Parallel()
	mix, err := content.NewSizeMix(map[int64]float64{2048: 20, 4096: 70, 8192: 10})
	require.NoError(t, err)
	ctx := context.Background()
	sizesOf := func(seed uint64) []int64 {
		img, err := content.Generate(content.GenerateOptions{Layers: 20, LayerSizes: mix, Seed: &seed})
		require.NoError(t, err)
		var out []int64
		for _, l := range img.Layers {
			d, err := l.Descriptor(ctx)
			require.NoError(t, err)
			out = append(out, d.Size)
		}
		return out
	}
	counts := map[int64]int{}
	for seed := range uint64(50) {
		sizes := sizesOf(seed)
		assert.Equal(t, sizes, sizesOf(seed), "a seed draws the same sizes every time")
		for _, s := range sizes {
			counts[s]++
		}
	}
	// 1000 layers: 200, 700 and 100 expected; 4 standard deviations apart at most.
	assert.InDelta(t, 200, counts[2048], 55)
	assert.InDelta(t, 700, counts[4096], 60)
	assert.InDelta(t, 100, counts[8192], 40)
	assert.Len(t, counts, 3, "only the mix's sizes: %v", counts)
}

func TestSizeMixPresetsAndMistakes(t *testing.T) {
	t.Parallel()
	zb, err := content.SizeMixPreset("zb-mixed")
	require.NoError(t, err)
	assert.Equal(t, map[int64]float64{1 << 20: 20, 10 << 20: 70, 100 << 20: 10}, zb.Weights())
	_, err = content.SizeMixPreset("zb")
	assert.ErrorContains(t, err, `no preset "zb"; presets: zb-even, zb-mixed`)
	_, err = content.NewSizeMix(map[int64]float64{100: 1})
	assert.ErrorContains(t, err, "layerSize 100 is below 1536")
	_, err = content.NewSizeMix(map[int64]float64{4096: -1})
	assert.ErrorContains(t, err, "weights are numbers from 0 up")
}
