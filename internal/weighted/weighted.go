// Package weighted picks among choices by their weights: the size of a
// generated layer, a script's next request.
package weighted

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
)

// Table is a choice by weight. Choices are kept in order, so a pick is a
// pure function of its uniform draw.
type Table[T cmp.Ordered] struct {
	choices []T
	weights []float64
	bounds  []float64 // cumulative weights over their sum; the last is 1
}

// New makes a table of weights, which need not sum to 100 or 1: each is a
// share of their sum. A negative, infinite or NaN weight is an error, as
// is a table whose weights are all zero.
func New[T cmp.Ordered](weights map[T]float64) (*Table[T], error) {
	if len(weights) == 0 {
		return nil, errors.New("no choices to weigh")
	}
	t := &Table[T]{choices: slices.Sorted(maps.Keys(weights))}
	total := 0.0
	for _, c := range t.choices {
		w := weights[c]
		if w < 0 || math.IsNaN(w) || math.IsInf(w, 0) {
			return nil, fmt.Errorf("the weight of %v is %v; weights are numbers from 0 up", c, w)
		}
		total += w
		t.weights = append(t.weights, w)
	}
	if total <= 0 || math.IsInf(total, 0) {
		return nil, fmt.Errorf("the weights add up to %v; at least one must be above 0", total)
	}
	sum := 0.0
	for _, w := range t.weights {
		sum += w
		t.bounds = append(t.bounds, sum/total)
	}
	t.bounds[len(t.bounds)-1] = 1
	return t, nil
}

// Pick is the choice a uniform draw u in [0, 1) falls on.
func (t *Table[T]) Pick(u float64) T {
	i, _ := slices.BinarySearch(t.bounds, u)
	// u equal to a bound belongs to the next choice; none is past the last.
	for i < len(t.bounds)-1 && (t.bounds[i] <= u || t.weights[i] == 0) {
		i++
	}
	return t.choices[i]
}

// Weights are the table's choices and their weights, as given.
func (t *Table[T]) Weights() map[T]float64 {
	out := make(map[T]float64, len(t.choices))
	for i, c := range t.choices {
		out[c] = t.weights[i]
	}
	return out
}

// Uniform maps 64 random bits to [0, 1) with the 53 bits a float64 holds.
func Uniform(bits uint64) float64 {
	return float64(bits>>11) / (1 << 53)
}
