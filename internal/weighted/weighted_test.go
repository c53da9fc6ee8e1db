package weighted_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/weighted"
)

func TestPicksFallInProportionToTheWeights(t *testing.T) {
	t.Parallel()
	table, err := weighted.New(map[string]float64{"pull": 75, "push": 25, "never": 0})
	require.NoError(t, err)
	r := rand.New(rand.NewPCG(1, 2))
	counts := map[string]int{}
	const n = 100_000
	for range n {
		counts[table.Pick(weighted.Uniform(r.Uint64()))]++
	}
	assert.Zero(t, counts["never"], "a zero weight is never picked")
	assert.InDelta(t, 0.75, float64(counts["pull"])/n, 0.01)
	assert.InDelta(t, 0.25, float64(counts["push"])/n, 0.01)
}

func TestPicksAtTheBounds(t *testing.T) {
	t.Parallel()
	table, err := weighted.New(map[int64]float64{1: 1, 2: 0, 3: 1})
	require.NoError(t, err)
	assert.Equal(t, int64(1), table.Pick(0))
	assert.Equal(t, int64(3), table.Pick(0.5), "a bound belongs to the next choice, skipping zero weights")
	assert.Equal(t, int64(3), table.Pick(math.Nextafter(1, 0)))
	assert.Equal(t, map[int64]float64{1: 1, 2: 0, 3: 1}, table.Weights())
	assert.Less(t, weighted.Uniform(math.MaxUint64), 1.0)
}

func TestBadWeightsAreRefused(t *testing.T) {
	t.Parallel()
	for want, w := range map[string]map[string]float64{
		"no choices":                 {},
		"weights are numbers from 0": {"a": -1},
		"at least one must be above": {"a": 0, "b": 0},
	} {
		_, err := weighted.New(w)
		assert.ErrorContains(t, err, want)
	}
	_, err := weighted.New(map[string]float64{"a": math.NaN()})
	assert.ErrorContains(t, err, "weights are numbers from 0")
	_, err = weighted.New(map[string]float64{"a": math.MaxFloat64, "b": math.MaxFloat64})
	assert.ErrorContains(t, err, "add up to +Inf")
}
