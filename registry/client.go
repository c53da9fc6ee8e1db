package registry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/xk6-registry/xk6-registry/registry/auth"
)

// Client speaks the distribution protocol to one registry. It is safe for
// concurrent use: a pull or push moves several blobs at once through it.
type Client struct {
	cfg  Config
	base *url.URL // registry base URL, without a trailing slash
	http *http.Client
	auth *auth.Authenticator
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
	c.auth = auth.New(auth.Credentials{Username: cfg.Username, Password: cfg.Password, Token: cfg.Token}, c.fetchToken)
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
func (c *Client) report(t Transfer) {
	if c.cfg.OnTransfer != nil {
		c.cfg.OnTransfer(t)
	}
}
