package content

import (
	"fmt"
	"sort"
	"strings"

	"github.com/xk6-registry/xk6-registry/internal/weighted"
)

// SizeMix is a distribution of layer sizes: each layer of a generated
// image draws its size from it, as a pure function of the image's seed
// and the layer's index, so a seeded image is the same on every run.
type SizeMix struct {
	table *weighted.Table[int64]
}

// NewSizeMix makes a distribution of sizes by weight; each size is a
// layer size Generate accepts.
func NewSizeMix(weights map[int64]float64) (*SizeMix, error) {
	for size := range weights {
		if err := (GenerateOptions{LayerSize: size}).Validate(); err != nil {
			return nil, fmt.Errorf("layerSizes: %w", err)
		}
	}
	t, err := weighted.New(weights)
	if err != nil {
		return nil, fmt.Errorf("layerSizes: %w", err)
	}
	return &SizeMix{table: t}, nil
}

// sizePresets are published size mixes, by name.
var sizePresets = map[string]struct {
	weights map[int64]float64
	source  string
}{
	// zot's benchmark tool zb (cmd/zb/perf.go): "Pull Mixed 20% 1MB, 70%
	// 10MB, 10% 100MB" and "Push Monolith Mixed", whose sizes are MiB.
	"zb-mixed": {map[int64]float64{1 << 20: 20, 10 << 20: 70, 100 << 20: 10}, "zot zb, Pull Mixed"},
	// zb's "Push Chunk Mixed 33% 1MB, 33% 10MB, 33% 100MB".
	"zb-even": {map[int64]float64{1 << 20: 33, 10 << 20: 33, 100 << 20: 33}, "zot zb, Push Chunk Mixed"},
}

// SizeMixPreset is a published size mix by name: zb-mixed (20% 1 MiB, 70%
// 10 MiB, 10% 100 MiB) or zb-even (a third each), both from zot's zb.
func SizeMixPreset(name string) (*SizeMix, error) {
	p, ok := sizePresets[name]
	if !ok {
		names := make([]string, 0, len(sizePresets))
		for n := range sizePresets {
			names = append(names, n)
		}
		sort.Strings(names)
		return nil, fmt.Errorf("layerSizes: no preset %q; presets: %s", name, strings.Join(names, ", "))
	}
	return NewSizeMix(p.weights)
}

// Weights are the mix's sizes and their weights.
func (m *SizeMix) Weights() map[int64]float64 { return m.table.Weights() }

// sizeOf is the size of layer i of an image of seed.
func (m *SizeMix) sizeOf(seed uint64, layer int) int64 {
	return m.table.Pick(weighted.Uniform(splitMix(seed ^ (uint64(layer)+1)*0x9e3779b97f4a7c15))) // #nosec G115 -- a layer index, 0 to MaxLayers
}

// splitMix is SplitMix64's finalizer: nearby inputs give unrelated bits.
func splitMix(x uint64) uint64 {
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}
