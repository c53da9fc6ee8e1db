package js

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/grafana/sobek"

	"github.com/xk6-registry/xk6-registry/internal/weighted"
	"github.com/xk6-registry/xk6-registry/registry/content"
)

// mixPresets are published request mixes, by name.
var mixPresets = map[string]map[string]float64{
	// zot's zb (cmd/zb/perf.go): "Pull 75% and Push 25%".
	"zb": {"pull": 75, "push": 25},
}

// mix is registry.mix(weights | preset, { seed }): a picker of the next
// request by weight, so a script names its mix instead of rolling dice.
// Each VU draws its own sequence, from the seed and its VU id, on the
// first pick.
func (mi *ModuleInstance) mix(call sobek.FunctionCall) sobek.Value {
	rt := mi.vu.Runtime()
	weights, err := mixWeights(call.Argument(0))
	if err != nil {
		throw(rt, fmt.Errorf("mix: %w", err))
	}
	table, err := weighted.New(weights)
	if err != nil {
		throw(rt, fmt.Errorf("mix: %w", err))
	}
	r := newOptionReader(rt, "mix", call.Argument(1), "seed")
	seed := readSeed(r)
	if r.err != nil {
		throw(rt, r.err)
	}
	p := &picker{mi: mi, table: table}
	if seed != nil {
		p.seed = *seed
	}
	obj := rt.NewObject()
	for name, v := range map[string]any{"pick": p.pick, "weights": table.Weights()} {
		if err := obj.Set(name, v); err != nil {
			throw(rt, err)
		}
	}
	return obj
}

// mixWeights reads { name: weight, ... } or a preset's name.
func mixWeights(v sobek.Value) (map[string]float64, error) {
	if name, ok := v.Export().(string); ok {
		w, ok := mixPresets[name]
		if !ok {
			return nil, fmt.Errorf("no preset %q; presets: %s", name, strings.Join(sortedKeys(mixPresets), ", "))
		}
		return w, nil
	}
	return weightsArg(v, "the mix", func(k string) (string, error) { return k, nil })
}

// weightsArg reads an object of weights whose keys parse with key.
func weightsArg[K comparable](v sobek.Value, what string, key func(string) (K, error)) (map[K]float64, error) {
	obj, ok := v.(*sobek.Object)
	if !ok || isMissing(v) || !isPlainObject(obj) {
		return nil, fmt.Errorf("%s must be an object of weights such as { pull: 75, push: 25 } or a preset's name, got %s", what, describe(v))
	}
	out := map[K]float64{}
	for _, k := range obj.Keys() {
		w, ok := number(obj.Get(k))
		if !ok {
			return nil, fmt.Errorf("%s: the weight of %q must be a number, got %s", what, k, describe(obj.Get(k)))
		}
		parsed, err := key(k)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		if _, dup := out[parsed]; dup {
			return nil, fmt.Errorf("%s: %q names a size given before", what, k)
		}
		out[parsed] = w
	}
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// picker is one VU's mix.
type picker struct {
	mi    *ModuleInstance
	table *weighted.Table[string]
	seed  uint64
	rng   *rand.Rand
}

func (p *picker) pick() string {
	if p.rng == nil {
		state := p.mi.vu.State()
		if state == nil {
			throw(p.mi.vu.Runtime(), fmt.Errorf("mix.pick: pick in default(), setup() or teardown(), where each VU has its own sequence"))
		}
		p.rng = rand.New(rand.NewPCG(p.seed, state.VUID)) // #nosec G404 -- a load mix, not a secret
	}
	return p.table.Pick(weighted.Uniform(p.rng.Uint64()))
}

// readSizeMix reads generate's "layerSizes": a preset's name or an object
// of weights by size, such as { "1MiB": 20, "10MiB": 70, "100MiB": 10 }.
func readSizeMix(r *optionReader) *content.SizeMix {
	v := r.get("layerSizes")
	if v == nil {
		return nil
	}
	var mix *content.SizeMix
	var err error
	if name, ok := v.Export().(string); ok {
		mix, err = content.SizeMixPreset(name)
	} else {
		var weights map[int64]float64
		weights, err = weightsArg(v, `option "layerSizes"`, content.ParseSize)
		if err == nil {
			mix, err = content.NewSizeMix(weights)
		}
	}
	if err != nil && r.err == nil {
		r.err = fmt.Errorf("%s: %w", r.call, err)
	}
	if r.err == nil && r.get("layerSize") != nil {
		r.err = fmt.Errorf("%s: give layerSize or layerSizes, not both", r.call)
	}
	return mix
}
