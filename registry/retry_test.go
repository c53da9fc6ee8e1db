package registry

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func retryingClient(t *testing.T, p RetryPolicy) *Client {
	t.Helper()
	c, err := New(Config{URL: "http://127.0.0.1:1", Retry: &p})
	require.NoError(t, err)
	return c
}

func TestRetryDelayHonoursRetryAfterUpToMaxDelay(t *testing.T) {
	t.Parallel()
	p := DefaultRetryPolicy()
	p.MaxDelay = 10 * time.Second
	c := retryingClient(t, p)
	assert.Equal(t, 2*time.Second, c.retryDelay(1, http.Header{"Retry-After": {"2"}}))
	assert.Equal(t, 10*time.Second, c.retryDelay(1, http.Header{"Retry-After": {"3600"}}))
	date := time.Now().Add(5 * time.Second).UTC().Format(http.TimeFormat)
	d := c.retryDelay(1, http.Header{"Retry-After": {date}})
	assert.True(t, d > 3*time.Second && d <= 5*time.Second, "%s from %s", d, date)
	assert.Zero(t, c.retryDelay(1, http.Header{"Retry-After": {"Mon, 01 Jan 2001 00:00:00 GMT"}}), "a date past is no wait")
}

func TestRetryDelayBacksOffExponentiallyWithJitter(t *testing.T) {
	t.Parallel()
	p := DefaultRetryPolicy()
	p.Backoff, p.MaxDelay = 100*time.Millisecond, time.Second
	c := retryingClient(t, p)
	for try, base := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond} {
		for range 50 {
			d := c.retryDelay(try, http.Header{"Retry-After": {"soon"}})
			require.True(t, d >= base/2 && d <= base, "try %d: %s outside [%s, %s]", try, d, base/2, base)
		}
	}
	assert.LessOrEqual(t, c.retryDelay(30, nil), time.Second, "never past maxDelay")
}

func TestRetryReasonFollowsThePolicy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := retryingClient(t, DefaultRetryPolicy())
	for status, want := range map[int]bool{429: true, 503: true, 500: true, 404: false, 401: false, 400: false} {
		_, ok := c.retryReason(ctx, status, nil)
		assert.Equal(t, want, ok, "status %d", status)
	}
	reason, ok := c.retryReason(ctx, 0, &Error{Code: CodeConnectionReset})
	assert.True(t, ok)
	assert.Equal(t, CodeConnectionReset, reason)
	reason, ok = c.retryReason(ctx, 0, &Error{Status: 503, Code: "UNAVAILABLE"})
	assert.True(t, ok, "an error with a status is judged by the status")
	assert.Equal(t, "503", reason)
	for _, code := range []string{CodeCanceled, CodeTLS, CodeContentUnreadable, CodeDigestMismatch} {
		_, ok := c.retryReason(ctx, 0, &Error{Code: code})
		assert.False(t, ok, code)
	}
	_, ok = c.retryReason(ctx, 0, errors.New("a script's mistake"))
	assert.False(t, ok)
	done, cancel := context.WithCancel(ctx)
	cancel()
	_, ok = c.retryReason(done, 503, nil)
	assert.False(t, ok, "a VU that stops does not retry")

	off, err := New(Config{URL: "http://127.0.0.1:1"})
	require.NoError(t, err)
	_, ok = off.retryReason(ctx, 503, nil)
	assert.False(t, ok, "no policy, no retry")
}

func TestRetryPolicyRefusesNonsense(t *testing.T) {
	t.Parallel()
	for _, p := range []RetryPolicy{
		{Attempts: 0}, {Attempts: 11}, {Attempts: 3, Statuses: []int{200}}, {Attempts: 3, Backoff: -1},
	} {
		_, err := New(Config{URL: "http://127.0.0.1:1", Retry: &p})
		require.Error(t, err, "%+v", p)
		assert.Contains(t, err.Error(), `option "retry"`)
	}
}

func TestWaitRetryStopsWithTheCall(t *testing.T) {
	t.Parallel()
	p := DefaultRetryPolicy()
	c := retryingClient(t, p)
	ctx, cancel := context.WithCancel(context.Background())
	ctx, retries := CountRetries(ctx)
	cancel()
	err := c.waitRetry(ctx, OpBlobGet, 1, 503, http.Header{"Retry-After": {"30"}}, nil)
	require.Error(t, err)
	assert.True(t, HasCode(err, CodeCanceled), "%v", err)
	assert.Equal(t, 1, retries())
}
