package registry

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
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
	// Tokens says whether tokens fetched from the registry's realm are
	// reused: "" or TokensCached keeps them until they expire,
	// TokensPerRequest fetches one for every request.
	Tokens TokenMode
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
	// OnWarnings, when set, is called for each response that carried
	// registry warnings (Warning headers), with the context of the call,
	// the request's op and how many warnings it held.
	OnWarnings func(ctx context.Context, op string, n int)
	// Namespace, when set, is the source host (e.g. docker.io) a mirror or
	// pull-through cache should resolve the upstream by: sent as the ns
	// query parameter on pulls (manifest and blob GET and HEAD), as the
	// distribution spec's Registry Proxying says. Empty sends none.
	Namespace string
}

// TokenMode is whether a client reuses the tokens it fetches.
type TokenMode string

// Token modes.
const (
	// TokensCached keeps each token per realm, service and scope set until
	// it expires, as registry clients do.
	TokensCached TokenMode = "cached"
	// TokensPerRequest fetches a fresh token for every registry request
	// that needs one, so the token service sees a request per registry
	// request: the load a cache hides.
	TokensPerRequest TokenMode = "per-request"
)

// validateTokens checks a token mode against the rest of the config.
func validateTokens(cfg Config) error {
	switch cfg.Tokens {
	case "", TokensCached:
		return nil
	case TokensPerRequest:
		if cfg.Token != "" {
			return fmt.Errorf(`tokens %q fetches tokens from the registry's realm; a static token is never fetched, so leave one of them out`, cfg.Tokens)
		}
		return nil
	}
	return fmt.Errorf(`tokens %s is not %q or %q`, echo(string(cfg.Tokens)), TokensCached, TokensPerRequest)
}

// validateNamespace checks a source host for Config.Namespace: a host and
// an optional port, nothing else.
func validateNamespace(ns string) error {
	if ns == "" {
		return nil
	}
	u, err := url.Parse("//" + ns)
	if err != nil || u.Host != ns || u.Hostname() == "" {
		return fmt.Errorf("namespace %q: want a registry host such as docker.io or registry.example.com:5000", ns)
	}
	return nil
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
