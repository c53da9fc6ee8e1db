package lazy

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestComputedOnceForAll(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	v := New(func(context.Context) (int, error) { calls.Add(1); return 42, nil })
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := v.Get(context.Background())
			assert.NoError(t, err)
			assert.Equal(t, 42, got)
		}()
	}
	wg.Wait()
	assert.Equal(t, int32(1), calls.Load())
	assert.True(t, v.Ready())
	assert.True(t, Known("x").Ready())
}

func TestAComputationCutShortIsNotKept(t *testing.T) {
	t.Parallel()
	v := New(func(ctx context.Context) (string, error) {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		return "done", nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := v.Get(ctx)
	require.ErrorIs(t, err, context.Canceled)
	assert.False(t, v.Ready())
	got, err := v.Get(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "done", got)

	failing := New(func(context.Context) (int, error) { return 0, errors.New("bad input") })
	_, err = failing.Get(context.Background())
	require.EqualError(t, err, "bad input")
	assert.True(t, failing.Ready(), "a failure of its own is kept")
}

func TestAWaiterStopsWithItsContext(t *testing.T) {
	t.Parallel()
	started, release := make(chan struct{}), make(chan struct{})
	v := New(func(context.Context) (int, error) { close(started); <-release; return 1, nil })
	done := make(chan error)
	go func() { _, err := v.Get(context.Background()); done <- err }()
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := v.Get(ctx)
	require.ErrorIs(t, err, context.Canceled, "the waiter left while the computation ran")
	close(release)
	require.NoError(t, <-done)
}
