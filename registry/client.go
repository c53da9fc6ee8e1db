package registry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"golang.org/x/net/http/httpguts"

	"github.com/xk6-registry/xk6-registry/registry/auth"
)

// Client speaks the distribution protocol to one registry. It is safe for
// concurrent use: a pull or push moves several blobs at once through it.
type Client struct {
	cfg  Config
	base *url.URL // registry base URL, without a trailing slash
	http *http.Client
	auth *auth.Authenticator
	post postBodies
}

// maxRedirects bounds the redirects followed for one request; registries
// redirect blob GETs to storage, once.
const maxRedirects = 10

// New checks cfg and returns a client for it.
func New(cfg Config) (*Client, error) {
	base, err := parseBaseURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("timeout %s is negative", cfg.Timeout)
	}
	if err := validateHeaders(cfg.Headers); err != nil {
		return nil, err
	}
	if err := validateNamespace(cfg.Namespace); err != nil {
		return nil, err
	}
	if err := validateTokens(cfg); err != nil {
		return nil, err
	}
	if cfg.Retry != nil {
		if err := cfg.Retry.Validate(); err != nil {
			return nil, err
		}
	}
	transport := cfg.Transport
	if transport == nil {
		transport = http.DefaultTransport
	}
	c := &Client{
		cfg:  cfg,
		base: base,
		post: newPostBodies(),
		http: &http.Client{
			Transport: transport,
			CheckRedirect: func(req *http.Request, via []*http.Request) error {
				if len(via) >= maxRedirects {
					return fmt.Errorf("stopped after %d redirects", maxRedirects)
				}
				if !sameOrigin(req.URL, via[0].URL) {
					keepForRedirect(req.Header)
				}
				return nil
			},
		},
	}
	reuse := auth.Cached
	if cfg.Tokens == TokensPerRequest {
		reuse = auth.PerRequest
	}
	c.auth = auth.New(auth.Credentials{Username: cfg.Username, Password: cfg.Password, Token: cfg.Token}, c.fetchToken, reuse)
	return c, nil
}

// redirectHeaders are what a request keeps when it is redirected to another
// origin: what the redirect needs to answer it. net/http would copy the
// rest, the client's own headers and a Cookie among them (for the same host
// name on another port, Authorization too), and add a Referer naming the
// registry's URL; credentials and the client's headers belong to one origin.
var redirectHeaders = []string{"Accept", "Range", "User-Agent"}

// keepForRedirect removes from h everything but redirectHeaders.
func keepForRedirect(h http.Header) {
	for name := range h {
		if !slices.Contains(redirectHeaders, http.CanonicalHeaderKey(name)) {
			delete(h, name)
		}
	}
}

func parseBaseURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("url is required, e.g. http://127.0.0.1:5000")
	}
	if !strings.Contains(raw, "://") {
		shown := withoutUserinfo(raw)
		return nil, fmt.Errorf("url %q: no scheme; write http://%s or https://%s", shown, shown, shown)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("url %q: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("url %q: scheme must be http or https", raw)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("url %q: no host", raw)
	}
	if u.User != nil {
		// Credentials in a URL end up in error messages and logs.
		return nil, fmt.Errorf("url %q: put credentials in username and password, not in the url", u.Redacted())
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("url %q: no query or fragment allowed", raw)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	if strings.HasSuffix(u.Path, "/v2") {
		// The client adds /v2/ itself; a url ending in it fails later as MANIFEST_UNKNOWN.
		return nil, fmt.Errorf("url %q: leave /v2 out, the client adds it: %s://%s%s", raw, u.Scheme, u.Host, strings.TrimSuffix(u.Path, "/v2"))
	}
	u.RawPath = ""
	return u, nil
}

// withoutUserinfo is a url written without a scheme, for a message, with
// any user:password@ before its host left out.
func withoutUserinfo(raw string) string {
	host, path, _ := strings.Cut(raw, "/")
	if i := strings.LastIndexByte(host, '@'); i >= 0 {
		host = host[i+1:]
	}
	if path != "" {
		return host + "/" + path
	}
	return host
}

// Ping sends GET /v2/, answering an auth challenge, and returns the status.
func (c *Client) Ping(ctx context.Context) (int, error) {
	resp, err := c.send(ctx, &request{op: OpPing, method: http.MethodGet, route: c.pingRoute()})
	if err != nil {
		return 0, err
	}
	defer closeBody(resp)
	return resp.StatusCode, expect(resp, OpPing, http.StatusOK)
}

// report hands a transfer to Config.OnTransfer.
func (c *Client) report(ctx context.Context, t Transfer) {
	if c.cfg.OnTransfer != nil {
		c.cfg.OnTransfer(ctx, t)
	}
}

// validateHeaders refuses headers net/http would fail every request with,
// so the mistake shows when the client is made. Values are not echoed: a
// header may hold a credential.
func validateHeaders(h http.Header) error {
	for name, values := range h {
		if !httpguts.ValidHeaderFieldName(name) {
			return fmt.Errorf("header %q: not a valid header name (letters, digits and !#$%%&'*+-.^_`|~ only)", name)
		}
		for _, v := range values {
			if !httpguts.ValidHeaderFieldValue(v) {
				return fmt.Errorf("header %q: its value holds a line break or another control character", name)
			}
		}
	}
	return nil
}
