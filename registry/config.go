package registry

import (
	"context"
	"net/http"
	"time"
)

// Config describes one client of one registry.
type Config struct {
	// URL is the registry base: scheme, host[:port] and an optional path prefix.
	URL string
	// Username and Password are sent as Basic credentials, or to a token realm.
	Username, Password string
	// Token is a static bearer token, sent up front.
	Token string
	// Headers are added to every registry request (not to token requests).
	Headers http.Header
	// Timeout bounds each HTTP request, its body included; 0 means none.
	Timeout time.Duration
	// Transport sends the requests; nil means http.DefaultTransport.
	Transport http.RoundTripper
	// UserAgent is sent on every request when set.
	UserAgent string
	// OnTransfer, when set, is called once per blob transferred (or failed),
	// from the goroutine that moved it, with the context of the call.
	OnTransfer func(context.Context, Transfer)
	// Retry, when set, sends failed requests again as it says; nil never
	// retries.
	Retry *RetryPolicy
	// OnRetry, when set, is called before each retry, with the context of
	// the call that made it.
	OnRetry func(context.Context, Retry)
}

// Direction of a blob transfer.
const (
	DirectionPull = "pull"
	DirectionPush = "push"
)

// Transfer reports one blob moved between client and registry.
type Transfer struct {
	Direction  string // DirectionPull or DirectionPush
	Repository string
	Digest     string
	Bytes      int64         // bytes moved; 0 for a mount
	Duration   time.Duration // from first request to last byte
	Mounted    bool          // push only: satisfied by a cross-repository mount
	Err        error
}
