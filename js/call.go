package js

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"

	"github.com/grafana/sobek"
	"go.k6.io/k6/v2/metrics"

	"github.com/xk6-registry/xk6-registry/registry"
)

// outcome is what a call's network work hands back: the last status, the
// failure (a registry failure is a value; any other error is the script's
// mistake), and the call's own fields as plain Go values. present, when
// set, adds fields that need the JS runtime, on the event loop.
type outcome struct {
	status  int
	err     error
	fields  map[string]any
	present func(rt *sobek.Runtime, fields map[string]any)
	// sessions marks a call that opens upload sessions: its result says
	// how many it could not close.
	sessions bool
}

// work is a call's network part: it runs on the VU's goroutine for the
// blocking call and on a goroutine of its own for the async twin, so it
// never touches the JS runtime.
type work func(ctx context.Context) outcome

// bind makes the JS function of a call, blocking or its async twin. A
// network call in the init context throws, async or not, as k6's own do. A
// mistake in the arguments throws from the blocking call; the async twin
// rejects its promise with the same error, as k6's http.asyncRequest does.
// Either way the call's work runs once, or not at all.
func (c *Client) bind(name string, async bool, m method) func(sobek.FunctionCall) sobek.Value {
	return func(call sobek.FunctionCall) sobek.Value {
		rt := c.mi.vu.Runtime()
		if c.mi.vu.State() == nil {
			throw(rt, fmt.Errorf("client.%s: network calls are not allowed in the init context; make them in default(), setup() or teardown()", name))
		}
		w, err := m(name, call)
		switch {
		case err == nil:
			return c.run(name, async, w)
		case async:
			promise, _, reject := rt.NewPromise()
			if rerr := reject(rt.NewGoError(err)); rerr != nil {
				throw(rt, rerr)
			}
			return rt.ToValue(promise)
		}
		throw(rt, err)
		return nil
	}
}

// run makes a network call of the script whose arguments are checked.
// Blocking, it returns the result object. Async, it moves the work to a
// goroutine of its own and returns a promise of the same result object,
// settled on the event loop.
func (c *Client) run(name string, async bool, w work) sobek.Value {
	rt := c.mi.vu.Runtime()
	if c.mi.vu.State() == nil {
		throw(rt, fmt.Errorf("client.%s: network calls are not allowed in the init context; make them in default(), setup() or teardown()", name))
	}
	ctx, counts := c.callContext()
	if !async {
		o := w(ctx)
		v, err := c.result(name, ctx, counts, o)
		if err != nil {
			throw(rt, err)
		}
		return v
	}
	promise, resolve, reject := rt.NewPromise()
	settle := c.mi.vu.RegisterCallback()
	go func() {
		o := w(ctx)
		settle(func() error {
			v, err := c.result(name, ctx, counts, o)
			if err != nil {
				return reject(rt.NewGoError(err))
			}
			return resolve(v)
		})
	}()
	return rt.ToValue(promise)
}

// callCounts read what a call counted of itself.
type callCounts struct {
	retries, leftOpen func() int
	warnings          func() []string
}

// callContext is the context of one network call: the VU's, with the VU's
// tags as they are now, so everything the call records carries them even
// if the script moves on, and counting the call's retries and the upload
// sessions it could not close.
func (c *Client) callContext() (context.Context, callCounts) {
	ctx := c.mi.vu.Context()
	if state := c.mi.vu.State(); state != nil {
		ctx = context.WithValue(ctx, callTagsKey{}, state.Tags.GetCurrentValues())
	}
	var counts callCounts
	ctx, counts.retries = registry.CountRetries(ctx)
	ctx, counts.leftOpen = registry.CountLeftOpen(ctx)
	ctx, counts.warnings = registry.CollectWarnings(ctx)
	return ctx, counts
}

type callTagsKey struct{}

// k6CodeOf is k6's error code of a failed call, as k6/http would give its
// failing request: the status's, or the network failure's; 0 when the
// failure is not one of a request (a digest mismatch, a missing platform).
func k6CodeOf(re *registry.Error) int {
	switch {
	case re.Status >= 400:
		return k6StatusCode(re.Status)
	case re.Status == 0 && re.Err != nil && re.Code != registry.CodeCanceled && re.Code != registry.CodeContentUnreadable:
		code, _ := k6Failure(re.Err)
		return code
	}
	return 0
}

// callTags is the tag set a call started with: the VU's tags then, the
// client's tags, then extra pairs.
func (c *Client) callTags(ctx context.Context, extra ...string) metrics.TagsAndMeta {
	tm, ok := ctx.Value(callTagsKey{}).(metrics.TagsAndMeta)
	if !ok {
		tm = c.mi.vu.State().Tags.GetCurrentValues()
	}
	tm.Metadata = maps.Clone(tm.Metadata)
	return withTags(tm, c.tags, extra...)
}

// result makes the plain object a network call returns: { ok, status,
// error, retries } and the call's own fields. A registry or network failure
// is a value, not an exception; any other error is the script's, returned.
func (c *Client) result(name string, ctx context.Context, counts callCounts, o outcome) (sobek.Value, error) {
	rt := c.mi.vu.Runtime()
	out := map[string]any{"ok": o.err == nil, "status": o.status, "error": nil, "retries": counts.retries(),
		"warnings": counts.warnings()}
	if o.sessions {
		out["sessionsLeftOpen"] = counts.leftOpen()
	}
	var re *registry.Error
	switch {
	case o.err == nil:
	case errors.As(o.err, &re):
		if o.status == 0 {
			out["status"] = re.Status
		}
		out["error"] = map[string]any{"op": re.Op, "status": re.Status, "code": re.Code, "message": re.Message}
		tags := []string{tagOp, re.Op, tagRegistryErrorCode, registry.BoundedCode(re.Code)}
		if code := k6CodeOf(re); code != 0 {
			tags = append(tags, metrics.TagErrorCode.String(), strconv.Itoa(code))
		}
		c.emit(ctx, c.mi.metrics.errors, 1, tags...)
	default:
		return nil, fmt.Errorf("%s: %w", name, o.err)
	}
	for k, v := range o.fields {
		out[k] = v
	}
	if o.err == nil && o.present != nil {
		o.present(rt, out)
	}
	return rt.ToValue(out), nil
}
