package registry

import (
	"context"
	"sync/atomic"
)

// A call's own counts, which a result reports beside its status: the
// requests it sent again, and the upload sessions it could not close. Each
// is counted through the call's context, whichever goroutine of the call
// does the counting.

type (
	retriesKey  struct{}
	leftOpenKey struct{}
)

// CountRetries returns a context that counts the retries of the calls made
// with it, and a function that reads the count.
func CountRetries(ctx context.Context) (context.Context, func() int) {
	return withCounter(ctx, retriesKey{})
}

// CountLeftOpen returns a context that counts the upload sessions the calls
// made with it abandoned and could not close (the registry kept refusing
// the DELETE until the clean-up's deadline), and a function that reads it.
func CountLeftOpen(ctx context.Context) (context.Context, func() int) {
	return withCounter(ctx, leftOpenKey{})
}

func withCounter(ctx context.Context, key any) (context.Context, func() int) {
	n := &atomic.Int64{}
	return context.WithValue(ctx, key, n), func() int { return int(n.Load()) }
}

// count adds one to ctx's counter of key, if it has one.
func count(ctx context.Context, key any) {
	if n, _ := ctx.Value(key).(*atomic.Int64); n != nil {
		n.Add(1)
	}
}

// leftOpen counts a session that could not be closed, and is false.
func leftOpen(ctx context.Context) bool {
	count(ctx, leftOpenKey{})
	return false
}
