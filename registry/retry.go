package registry

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// RetryPolicy says which failed requests the client sends again, as real
// clients do (the docker daemon tries a layer 5 times, go-containerregistry
// retries 408 and 5xx with backoff). Off by default, so a test measures
// every refusal. The JSON names are the options' names in scripts.
type RetryPolicy struct {
	// Attempts is how often one request is tried in all; 1 never retries.
	Attempts int `json:"attempts"`
	// Statuses are the answers worth trying again.
	Statuses []int `json:"statuses"`
	// Network retries failures to get or read a response: resets,
	// refusals, timeouts, bodies cut short.
	Network bool `json:"network"`
	// Backoff is the first wait, doubled with each retry, with jitter; a
	// Retry-After from the registry wins.
	Backoff time.Duration `json:"backoff"`
	// MaxDelay bounds any one wait, Retry-After included.
	MaxDelay time.Duration `json:"maxDelay"`
}

// DefaultRetryPolicy is what a script gets with `retry: 3` or an empty
// `retry: {}`, but for the attempts.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{
		Attempts: 3,
		Statuses: []int{http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
			http.StatusServiceUnavailable, http.StatusGatewayTimeout},
		Network:  true,
		Backoff:  200 * time.Millisecond,
		MaxDelay: 30 * time.Second,
	}
}

// maxAttempts bounds Attempts: a load test that retries more measures its
// own patience, not the registry.
const maxAttempts = 10

// Validate checks the policy, naming what is wrong.
func (p RetryPolicy) Validate() error {
	if p.Attempts < 1 || p.Attempts > maxAttempts {
		return fmt.Errorf(`option "retry": "attempts" must be from 1 to %d; got %d`, maxAttempts, p.Attempts)
	}
	for _, s := range p.Statuses {
		if s < 400 || s > 599 {
			return fmt.Errorf(`option "retry": "statuses" must be 4xx or 5xx statuses; got %d`, s)
		}
	}
	if p.Backoff < 0 || p.MaxDelay < 0 {
		return fmt.Errorf(`option "retry": "backoff" and "maxDelay" must not be negative`)
	}
	return nil
}

// Retry is one request the client is about to send again.
type Retry struct {
	Op     string        // the request's Op* constant
	Reason string        // the status ("503") or the error code that failed it
	Wait   time.Duration // how long the client waits before the next attempt
}

// retryReason tells whether a failure is worth another attempt under the
// client's policy, and names it.
func (c *Client) retryReason(ctx context.Context, status int, err error) (string, bool) {
	p := c.cfg.Retry
	if p == nil || ctx.Err() != nil {
		return "", false
	}
	if status == 0 {
		status = StatusOf(err)
	}
	if status != 0 {
		return strconv.Itoa(status), slices.Contains(p.Statuses, status)
	}
	var re *Error
	if !p.Network || !errors.As(err, &re) {
		return "", false
	}
	switch re.Code {
	case CodeConnectionReset, CodeConnectionRefused, CodeTimeout, CodeNetwork:
		return re.Code, true
	}
	return "", false
}

// canRetry tells whether the try-th attempt of a request, which failed
// with status (0 if no response came) or err, is worth another.
func (c *Client) canRetry(ctx context.Context, try, status int, err error) bool {
	_, ok := c.retryReason(ctx, status, err)
	return ok && try < c.cfg.Retry.Attempts
}

// waitRetry reports the retry of op, then waits as the policy and the
// registry's Retry-After (in header, nil if no response came) say. It
// fails only when the call's context ends first.
func (c *Client) waitRetry(ctx context.Context, op string, try, status int, header http.Header, err error) error {
	reason, _ := c.retryReason(ctx, status, err)
	var re *Error
	if header == nil && errors.As(err, &re) {
		header = re.header
	}
	wait := c.retryDelay(try, header)
	count(ctx, retriesKey{})
	if c.cfg.OnRetry != nil {
		c.cfg.OnRetry(ctx, Retry{Op: op, Reason: reason, Wait: wait})
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return &Error{Op: op, Code: CodeCanceled, Message: "stopped while waiting to retry", Err: ctx.Err()}
	}
}

// retryDelay is the wait before attempt try+1: the registry's Retry-After
// (seconds or an HTTP date) when it sent one, else an exponential backoff
// with jitter, so VUs refused together do not return together; never more
// than MaxDelay.
func (c *Client) retryDelay(try int, header http.Header) time.Duration {
	p := c.cfg.Retry
	if d, ok := retryAfter(header); ok {
		return min(d, p.MaxDelay)
	}
	d := p.Backoff << min(try-1, 20)
	if d <= 0 {
		return 0
	}
	// Half fixed, half random: "equal jitter".
	d = d/2 + rand.N(d/2+1) // #nosec G404 -- jitter needs no cryptographic randomness
	return min(d, p.MaxDelay)
}

// retryAfter reads a Retry-After header: delay-seconds or an HTTP date.
func retryAfter(header http.Header) (time.Duration, bool) {
	v := header.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil && s >= 0 {
		// Bounded before the multiplication overflows; MaxDelay bounds it again.
		return time.Duration(min(s, 1<<31)) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0), true
	}
	return 0, false
}
