package registry

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// request is one registry HTTP request as the client means it; send turns
// it into one or more attempts on the wire.
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
	// challengeOnly returns a 401 of the registry's own origin unanswered,
	// for its challenge: a realm is learned without fetching a token.
	challengeOnly bool
	// noRetry leaves retries to the caller: a PATCH or a PUT with a body
	// may have left bytes in its session, so sending it again as it was
	// is wrong; the upload resumes or restarts instead.
	noRetry bool
	// opensSession marks a request that may open an upload session (a POST
	// to /blobs/uploads/). It outlives its call by cleanupTimeout: one cut
	// on its way may still reach the registry (over HTTP/2 it often does)
	// and open a session no one would close; let through, its Location
	// tells the caller what to abandon.
	opensSession bool
	// expectContinue asks the registry, for a large body, whether it will
	// read it before the body is sent (Expect: 100-continue): a registry
	// that answers a POST with a body without reading it (202, a session
	// to PUT into), or a proxy that refuses the size (413), then gets none,
	// and a proxy in front does not break on a body no one reads.
	expectContinue bool
	// tries is the attempt budget of the request; nil gives it one of its
	// own. A caller that sends the same request again from a loop of its
	// own (a blob GET resumed after a cut, a PUT started over) passes one
	// budget to every send, so the policy's attempts bound them all.
	tries *tries
}

// tries counts the attempts of one request, whichever loop makes them.
type tries struct{ n int }

// bodySource opens a request body; attempt counts from 1, so a source can
// hand over a reader it already holds on the first attempt and reopen on a
// retry after an auth challenge.
type bodySource func(attempt int) (io.ReadCloser, error)

// send sends r, answering one auth challenge and retrying as the client's
// policy says, and returns the response; a non-2xx status is not an error
// here. The caller must close the body. A call that has ended (it failed
// elsewhere, or the test is over) starts no request.
func (c *Client) send(ctx context.Context, r *request) (*http.Response, error) {
	if r.tries == nil {
		r.tries = &tries{}
	}
	for {
		if err := ctx.Err(); err != nil {
			return nil, canceled(r.op, err)
		}
		r.tries.n++
		resp, err := c.sendAuthorized(ctx, r)
		if r.noRetry {
			return resp, err
		}
		status, header := 0, http.Header(nil)
		if resp != nil {
			status, header = resp.StatusCode, resp.Header
		}
		if !c.canRetry(ctx, r.tries.n, status, err) {
			return resp, err
		}
		if resp != nil {
			closeBody(resp)
		}
		if werr := c.waitRetry(ctx, r.op, r.tries.n, status, header, err); werr != nil {
			return nil, werr
		}
	}
}

// expectContinueMin is the smallest body sent with Expect: 100-continue.
// Below it the round trip the go-ahead costs is worth more than the bytes
// it could save.
const expectContinueMin = 1 << 20

// canceled is the failure of a request the call did not start, or stopped,
// because the call ended first.
func canceled(op string, err error) *Error {
	return &Error{Op: op, Code: CodeCanceled, Message: "the call ended before the request", Err: err}
}

// sendAuthorized sends r once, or twice when the first answer is an auth
// challenge the client can meet. Only the registry's own origin is
// answered: a 401 from anywhere else (an upload front, a storage redirect,
// a Link) fails the request, so no realm it names gets credentials.
func (c *Client) sendAuthorized(ctx context.Context, r *request) (*http.Response, error) {
	scopes := r.scopes
	for attempt := 1; ; attempt++ {
		info := &RequestInfo{Op: r.op, Name: r.route.name, Expected: r.expected, call: ctx}
		resp, err := c.attempt(ctx, r, scopes, info, attempt)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusUnauthorized || r.noAuth || attempt > 1 {
			return resp, nil
		}
		if !sameOrigin(resp.Request.URL, c.base) {
			err := foreignChallenge(r.op, r.method, resp.Request.URL)
			closeBody(resp)
			return nil, err
		}
		if r.challengeOnly {
			return resp, nil
		}
		retry, wanted, err := c.auth.Challenged(ctx, resp.Header.Values("WWW-Authenticate"), r.scopes, resp.Request.Header.Get("Authorization"))
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
		scopes = wanted
	}
}

// foreignChallenge is the failure of a request that another origin than
// the registry's answered with 401. Its message names the origin only: the
// path may hold an upload's state.
func foreignChallenge(op, method string, u *url.URL) *Error {
	origin := (&url.URL{Scheme: u.Scheme, Host: u.Host}).String()
	return &Error{Op: op, Status: http.StatusUnauthorized, Code: CodeForeignChallenge,
		Message: fmt.Sprintf("%s to %s answered 401: a challenge from another origin than the registry's is not answered, so no credentials go there", method, origin)}
}

// attempt sends r once, authorized for scopes. Until a response owns them,
// the request's timeout and its body are released here, on every way out.
func (c *Client) attempt(ctx context.Context, r *request, scopes []string, info *RequestInfo, attempt int) (_ *http.Response, err error) {
	actx, cancel := ctx, context.CancelFunc(func() {})
	if r.opensSession {
		actx, cancel = outlive(ctx, cleanupTimeout)
	}
	if c.cfg.Timeout > 0 {
		tctx, tcancel := context.WithTimeout(actx, c.cfg.Timeout)
		actx, cancel = tctx, chain(tcancel, cancel)
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
		if r.expectContinue && r.size >= expectContinueMin {
			req.Header.Set("Expect", "100-continue")
		}
	}
	// The registry's credentials and the user's headers go to the registry
	// only; token requests carry their own.
	toRegistry := !r.noAuth && sameOrigin(req.URL, c.base)
	c.setHeaders(req, r, toRegistry)
	if toRegistry {
		if err := c.auth.Authorize(ctx, req, scopes); err != nil {
			return nil, err
		}
	}
	// From here the transport closes the body, whatever happens.
	body = nil
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, transportError(ctx, r.op, r.method, r.route.where(), err)
	}
	c.warned(ctx, r.op, resp.Header)
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// outlive returns a context with ctx's values that ends grace after ctx
// ends, or when its cancel function is called.
func outlive(ctx context.Context, grace time.Duration) (context.Context, context.CancelFunc) {
	out, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(grace, cancel) })
	return out, func() { stop(); cancel() }
}

// chain calls each function, in order.
func chain(fs ...context.CancelFunc) context.CancelFunc {
	return func() {
		for _, f := range fs {
			f()
		}
	}
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
