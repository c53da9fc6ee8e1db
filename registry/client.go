package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Client speaks the distribution protocol to one registry. It is safe for
// concurrent use: a pull or push moves several blobs at once through it.
type Client struct {
	cfg  Config
	base *url.URL // registry base URL, without a trailing slash
	http *http.Client
	auth *authenticator
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
	transport := cfg.Transport
	if transport == nil {
		transport = http.DefaultTransport
	}
	c := &Client{
		cfg:  cfg,
		base: base,
		http: &http.Client{
			Transport: transport,
			CheckRedirect: func(req *http.Request, via []*http.Request) error {
				if len(via) >= maxRedirects {
					return fmt.Errorf("stopped after %d redirects", maxRedirects)
				}
				return nil
			},
		},
	}
	c.auth = newAuthenticator(cfg.Username, cfg.Password, cfg.Token, c.fetchToken)
	return c, nil
}

func parseBaseURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("url is required, e.g. http://127.0.0.1:5000")
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
	u.RawPath = ""
	return u, nil
}

// endpoint returns the absolute URL of path under the registry's /v2/ root.
func (c *Client) endpoint(path string) *url.URL {
	u := *c.base
	u.Path = c.base.Path + "/v2/" + path
	return &u
}

// name is the bounded-cardinality form of an endpoint, for metric tags:
// path may hold placeholders such as {digest}.
func (c *Client) name(path string) string {
	return c.base.String() + "/v2/" + path
}

// request is one registry HTTP request as the client means it; send turns
// it into one or two attempts on the wire.
type request struct {
	op       string
	method   string
	url      *url.URL
	name     string
	scopes   []string // token scopes the operation needs
	header   http.Header
	body     bodySource // nil for none; opened anew per attempt
	size     int64      // body length; -1 when unknown
	expected []int      // statuses beyond 2xx/3xx that belong to a normal flow
	noAuth   bool       // token requests: no registry credentials, no user headers
}

// bodySource opens a request body; attempt counts from 1, so a source can
// hand over a reader it already holds on the first attempt and reopen on a
// retry after an auth challenge.
type bodySource func(attempt int) (io.ReadCloser, error)

// send sends r, answering one auth challenge, and returns the response; a
// non-2xx status is not an error here. The caller must close the body.
func (c *Client) send(ctx context.Context, r *request) (*http.Response, error) {
	for attempt := 1; ; attempt++ {
		info := &RequestInfo{Op: r.op, Name: r.name, Expected: r.expected}
		resp, err := c.attempt(ctx, r, info, attempt)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusUnauthorized || r.noAuth || attempt > 1 {
			return resp, nil
		}
		sent, _ := strings.CutPrefix(resp.Request.Header.Get("Authorization"), "Bearer ")
		retry, err := c.auth.challenged(ctx, resp.Header.Values("WWW-Authenticate"), r.scopes, sent)
		if err != nil || !retry {
			if err != nil {
				closeBody(resp)
				return nil, err
			}
			return resp, nil
		}
		// Mark the 401 as the protocol's challenge before its body is closed,
		// which is when a measuring transport judges it.
		info.Challenged = true
		closeBody(resp)
	}
}

func (c *Client) attempt(ctx context.Context, r *request, info *RequestInfo, attempt int) (*http.Response, error) {
	actx, cancel := ctx, context.CancelFunc(func() {})
	if c.cfg.Timeout > 0 {
		actx, cancel = context.WithTimeout(ctx, c.cfg.Timeout)
	}
	var body io.ReadCloser
	if r.body != nil {
		b, err := r.body(attempt)
		if err != nil {
			cancel()
			return nil, &Error{Op: r.op, Code: CodeContentUnreadable, Message: "opening the blob to send: " + err.Error(), Err: err}
		}
		body = b
	}
	req, err := http.NewRequestWithContext(WithRequestInfo(actx, info), r.method, r.url.String(), body)
	if err != nil {
		cancel()
		if body != nil {
			body.Close()
		}
		return nil, &Error{Op: r.op, Code: CodeNetwork, Message: err.Error(), Err: err}
	}
	if body != nil {
		req.ContentLength = r.size
		// A body is never replayed by net/http: retries go through send.
		req.GetBody = nil
	}
	if !r.noAuth {
		for k, vs := range c.cfg.Headers {
			for _, v := range vs {
				req.Header.Add(k, v)
			}
		}
	}
	for k, vs := range r.header {
		req.Header[k] = vs
	}
	if c.cfg.UserAgent != "" {
		req.Header.Set("User-Agent", c.cfg.UserAgent)
	}
	if !r.noAuth {
		if err := c.auth.authorize(ctx, req, r.scopes); err != nil {
			cancel()
			if body != nil {
				body.Close()
			}
			return nil, err
		}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		cancel()
		return nil, transportError(ctx, r.op, r.method, r.name, err)
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// cancelOnClose releases a request's timeout once its body is done with:
// the timeout covers the body too, so it cannot be released earlier.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// closeBody drains a little of a body, so the connection can be reused, and
// closes it.
func closeBody(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
}

// expect returns nil when resp has one of the wanted statuses; otherwise it
// consumes and closes the body and returns the registry's error.
func expect(resp *http.Response, op string, wanted ...int) error {
	for _, s := range wanted {
		if resp.StatusCode == s {
			return nil
		}
	}
	err := responseError(op, resp)
	closeBody(resp)
	return err
}

// Ping sends GET /v2/, answering an auth challenge, and returns the status.
func (c *Client) Ping(ctx context.Context) (int, error) {
	resp, err := c.send(ctx, &request{
		op: OpPing, method: http.MethodGet, url: c.endpoint(""), name: c.name(""),
	})
	if err != nil {
		return 0, err
	}
	defer closeBody(resp)
	return resp.StatusCode, expect(resp, OpPing, http.StatusOK)
}
