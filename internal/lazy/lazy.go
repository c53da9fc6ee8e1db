// Package lazy holds values that cost work to know (a digest over a large
// blob, a manifest built from such digests) and are computed once, on first
// need, under the context of whoever needs them first.
package lazy

import (
	"context"
	"sync/atomic"
)

// Value is computed by its function on the first Get and kept. A
// computation cut short by its caller's context is not kept: the next Get,
// from a caller still running, computes again. Callers waiting for another
// caller's computation stop waiting when their own context ends.
type Value[T any] struct {
	compute func(context.Context) (T, error)
	// turn holds one token: whoever takes it computes, the others wait.
	turn chan struct{}
	done atomic.Bool
	v    T
	err  error
}

// New is a value compute makes on first need.
func New[T any](compute func(context.Context) (T, error)) *Value[T] {
	return &Value[T]{compute: compute, turn: make(chan struct{}, 1)}
}

// Known is a value known already.
func Known[T any](v T) *Value[T] {
	l := &Value[T]{v: v}
	l.done.Store(true)
	return l
}

// Get returns the value, computing it if no one has yet.
func (l *Value[T]) Get(ctx context.Context) (T, error) {
	if l.done.Load() {
		return l.v, l.err
	}
	select {
	case l.turn <- struct{}{}:
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
	defer func() { <-l.turn }()
	if l.done.Load() {
		return l.v, l.err
	}
	v, err := l.compute(ctx)
	if err != nil && ctx.Err() != nil {
		return v, err
	}
	l.v, l.err = v, err
	l.done.Store(true)
	return v, err
}

// Ready tells whether Get would return at once.
func (l *Value[T]) Ready() bool { return l.done.Load() }
