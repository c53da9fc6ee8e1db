package registry

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
)

// request is one registry HTTP request as the client means it; send turns
// it into one or two attempts on the wire.
type request struct {
	op       string
	method   string
	route    route
	scopes   []string // token scopes the operation needs
	header   http.Header
	body     bodySource // nil for none; opened anew per attempt
	size     int64      // body length; -1 when unknown
	expected []int      // statuses beyond 2xx/3xx that belong to a normal flow
	noAuth   bool       // token requests: no registry credentials, no user headers
	// noRetry leaves retries to the caller: a PATCH or a PUT with a body
	// may have left bytes in its session, so sending it again as it was
	// is wrong; the upload resumes or restarts instead.
	noRetry bool
}

// bodySource opens a request body; attempt counts from 1, so a source can
// hand over a reader it already holds on the first attempt and reopen on a
// retry after an auth challenge.
type bodySource func(attempt int) (io.ReadCloser, error)

// send sends r, answering one auth challenge and retrying as the client's
// policy says, and returns the response; a non-2xx status is not an error
// here. The caller must close the body.
func (c *Client) send(ctx context.Context, r *request) (*http.Response, error) {
	if err := checked(ctx); err != nil {
		return nil, err
	}
	for try := 1; ; try++ {
		resp, err := c.sendAuthorized(ctx, r)
		if r.noRetry {
			return resp, err
		}
		status, header := 0, http.Header(nil)
		if resp != nil {
			status, header = resp.StatusCode, resp.Header
		}
		if !c.canRetry(ctx, try, status, err) {
			return resp, err
		}
		if resp != nil {
			closeBody(resp)
		}
		if werr := c.waitRetry(ctx, r.op, try, status, header, err); werr != nil {
			return nil, werr
		}
	}
}

// sendAuthorized sends r once, or twice when the first answer is an auth
// challenge the client can meet.
func (c *Client) sendAuthorized(ctx context.Context, r *request) (*http.Response, error) {
	for attempt := 1; ; attempt++ {
		info := &RequestInfo{Op: r.op, Name: r.route.name, Expected: r.expected}
		resp, err := c.attempt(ctx, r, info, attempt)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusUnauthorized || r.noAuth || attempt > 1 {
			return resp, nil
		}
		sent, _ := strings.CutPrefix(resp.Request.Header.Get("Authorization"), "Bearer ")
		retry, err := c.auth.Challenged(ctx, resp.Header.Values("WWW-Authenticate"), r.scopes, sent)
		if err != nil {
			closeBody(resp)
			return nil, err
		}
		if !retry {
			return resp, nil
		}
		// Mark the 401 as the protocol's challenge before its body is closed,
		// which is when a measuring transport judges it.
		info.Challenged = true
		closeBody(resp)
	}
}

// attempt sends r once. Until a response owns them, the request's timeout
// and its body are released here, on every way out.
func (c *Client) attempt(ctx context.Context, r *request, info *RequestInfo, attempt int) (_ *http.Response, err error) {
	actx, cancel := ctx, context.CancelFunc(func() {})
	if c.cfg.Timeout > 0 {
		actx, cancel = context.WithTimeout(ctx, c.cfg.Timeout)
	}
	var body io.ReadCloser
	defer func() {
		if err != nil {
			cancel()
			if body != nil {
				_ = body.Close()
			}
		}
	}()
	if r.body != nil {
		if body, err = r.body(attempt); err != nil {
			return nil, contentError(ctx, r.op, "opening the blob to send", err)
		}
	}
	req, err := http.NewRequestWithContext(WithRequestInfo(actx, info), r.method, r.route.url.String(), body)
	if err != nil {
		return nil, &Error{Op: r.op, Code: CodeNetwork, Message: err.Error(), Err: err}
	}
	if body != nil {
		req.ContentLength = r.size
		// A body is never replayed by net/http: retries go through send.
		req.GetBody = nil
	}
	// The registry's credentials and the user's headers go to the registry
	// only; token requests carry their own.
	toRegistry := !r.noAuth && sameOrigin(req.URL, c.base)
	c.setHeaders(req, r, toRegistry)
	if toRegistry {
		if err := c.auth.Authorize(ctx, req, r.scopes); err != nil {
			return nil, err
		}
	}
	// From here the transport closes the body, whatever happens.
	body = nil
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, transportError(ctx, r.op, r.method, r.route.where(), err)
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// setHeaders adds the user's headers (to the registry only), the
// request's own and the User-Agent.
func (c *Client) setHeaders(req *http.Request, r *request, toRegistry bool) {
	if toRegistry {
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

// ErrChecked is what a call made with a CheckOnly context returns when its
// arguments are good: it stopped before its first request.
var ErrChecked = errors.New("arguments checked; no request sent")

type checkOnlyKey struct{}

// CheckOnly returns a context in which a call checks its arguments, as it
// always does first, and stops before its first request with ErrChecked.
// A caller that must refuse a mistake before starting the call elsewhere
// (the k6 binding, before a promise exists) learns it from the call itself.
func CheckOnly(ctx context.Context) context.Context {
	return context.WithValue(ctx, checkOnlyKey{}, true)
}

// checked is ErrChecked in a CheckOnly context. A call whose next step is
// work over content (digesting a generated blob) asks it before that step,
// so the check stays as quick as its arguments are.
func checked(ctx context.Context) error {
	if ctx.Value(checkOnlyKey{}) != nil {
		return ErrChecked
	}
	return nil
}
