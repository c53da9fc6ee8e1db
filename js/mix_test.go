package js_test

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
)

func picks(v *vu, code string, n int) map[string]int {
	v.run(`var m = ` + code + `; var seen = {}; for (let i = 0; i < ` + strconv.Itoa(n) + `; i++) { const k = m.pick(); seen[k] = (seen[k] || 0) + 1; }`)
	out := map[string]int{}
	for k, c := range v.run(`seen`).Export().(map[string]any) {
		out[k] = int(c.(int64))
	}
	return out
}

func TestAMixPicksByWeightASequencePerVU(t *testing.T) {
	t.Parallel()
	vuOf := func(id uint64) *vu {
		v := newVU(t)
		v.start()
		v.rt.VU.StateField.VUID = id
		return v
	}
	a := picks(vuOf(1), `registry.mix({ pull: 75, push: 25, delete: 0 })`, 4000)
	assert.InDelta(t, 3000, a["pull"], 150)
	assert.InDelta(t, 1000, a["push"], 150)
	assert.Zero(t, a["delete"])

	seq := func(id uint64, seed string) string {
		v := vuOf(id)
		return v.run(`const m = registry.mix("zb"` + seed + `); Array.from({ length: 32 }, () => m.pick()).join(",")`).String()
	}
	assert.Equal(t, seq(2, ""), seq(2, ""), "the same VU draws the same sequence")
	assert.NotEqual(t, seq(2, ""), seq(3, ""), "another VU draws its own")
	assert.NotEqual(t, seq(2, ""), seq(2, ", { seed: 9 }"), "the seed changes it")
	assert.Equal(t, map[string]float64{"pull": 75, "push": 25}, vuOf(1).run(`registry.mix("zb").weights`).Export())
}

func TestMixAndLayerSizesMistakesThrow(t *testing.T) {
	t.Parallel()
	v := newVU(t)
	assert.Contains(t, v.runErr(`registry.mix("zb").pick()`).Error(), "pick in default(), setup() or teardown()")
	for code, want := range map[string]string{
		`registry.mix("harbor")`:                                         `mix: no preset "harbor"; presets: zb`,
		`registry.mix([1, 2])`:                                           "mix: the mix must be an object of weights",
		`registry.mix({ pull: "most" })`:                                 `the weight of "pull" must be a number`,
		`registry.mix({ pull: 0 })`:                                      "at least one must be above 0",
		`registry.mix({ pull: 1 }, { sed: 1 })`:                          `mix: unknown option "sed"`,
		`registry.generate({ layerSizes: "zb" })`:                        `generate: layerSizes: no preset "zb"; presets: zb-even, zb-mixed`,
		`registry.generate({ layerSizes: { "1XB": 1 } })`:                `option "layerSizes": invalid size "1XB"`,
		`registry.generate({ layerSizes: { "10": 1 } })`:                 "layerSize 10 is below 1536",
		`registry.generate({ layerSizes: "zb-mixed", layerSize: 4096 })`: "give layerSize or layerSizes, not both",
		`registry.generate({ layerSizes: { "4KiB": 1, "4096": 1 } })`:    `names a size given before`,
	} {
		assert.Contains(t, v.runErr(code).Error(), want, code)
	}
}

func TestGenerateDrawsLayerSizesFromAMix(t *testing.T) {
	t.Parallel()
	v := newVU(t)
	sizes := v.run(`const img = registry.generate({ layers: 12, layerSizes: { "4KiB": 1, "8KiB": 1 }, seed: 5 });
		const again = registry.generate({ layers: 12, layerSizes: { "4KiB": 1, "8KiB": 1 }, seed: 5 });
		JSON.stringify([img.layers.map((l) => l.size), again.layers.map((l) => l.size)])`).String()
	assert.Regexp(t, `^\[\[((4096|8192),?){12}\],\[((4096|8192),?){12}\]\]$`, sizes)
	half := len(sizes) / 2
	assert.Equal(t, sizes[1:half], sizes[half+1:len(sizes)-1], "a seed draws the same sizes")
	assert.Contains(t, sizes, "4096")
	assert.Contains(t, sizes, "8192")
}
