package js

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/grafana/sobek"
	"go.k6.io/k6/v2/metrics"

	"github.com/xk6-registry/xk6-registry/registry"
)

// userAgent names the extension to registries, so their logs tell load
// test traffic from real clients.
const userAgent = "xk6-registry (k6)"

// Client is one new registry.Client({...}) of one VU. The protocol lives
// in package registry; this adapts arguments, results and metrics.
type Client struct {
	mi     *ModuleInstance
	client *registry.Client
	tags   map[string]string
}

// newClient is the registry.Client constructor. It may run in the init
// context: the first request goes out when a VU calls a method.
func (mi *ModuleInstance) newClient(call sobek.ConstructorCall) *sobek.Object {
	rt := mi.vu.Runtime()
	opts, err := parseClientOptions(rt, call.Argument(0))
	if err != nil {
		throw(rt, err)
	}
	c := &Client{mi: mi, tags: opts.tags}
	cfg := opts.config
	cfg.UserAgent = userAgent
	cfg.Transport = &measuringTransport{state: mi.vu.State, ctx: mi.vu.Context, clientTags: opts.tags}
	cfg.OnTransfer = c.onTransfer
	cfg.OnRetry = c.onRetry
	if c.client, err = registry.New(cfg); err != nil {
		throw(rt, fmt.Errorf("new Client: %w", err))
	}
	obj := rt.NewObject()
	for name, fn := range map[string]func(sobek.FunctionCall) sobek.Value{
		"ping":           c.ping,
		"pull":           c.pull,
		"push":           c.push,
		"uploadLayer":    c.uploadLayer,
		"getManifest":    c.getManifest,
		"headManifest":   c.headManifest,
		"putManifest":    c.putManifest,
		"deleteManifest": c.deleteManifest,
		"getBlob":        c.getBlob,
		"headBlob":       c.headBlob,
		"deleteBlob":     c.deleteBlob,
		"mountBlob":      c.mountBlob,
		"tags":           c.listTags,
		"catalog":        c.catalog,
		"referrers":      c.referrers,
		"cancelUpload":   c.cancelUpload,
		"uploadStatus":   c.uploadStatus,
	} {
		if err := obj.Set(name, fn); err != nil {
			throw(rt, err)
		}
	}
	return obj
}

// inVU refuses network calls in the init context, where k6 has no VU
// network stack and no metrics to record them.
func (c *Client) inVU(call string) {
	if c.mi.vu.State() == nil {
		throw(c.mi.vu.Runtime(), fmt.Errorf("client.%s: network calls are not allowed in the init context; make them in default(), setup() or teardown()", call))
	}
}

func (c *Client) ping(sobek.FunctionCall) sobek.Value {
	c.inVU("ping")
	ctx, retries := c.callContext()
	status, err := c.client.Ping(ctx)
	return c.result("ping", retries(), status, err, nil)
}

func (c *Client) pull(call sobek.FunctionCall) sobek.Value {
	c.inVU("pull")
	rt := c.mi.vu.Runtime()
	ref := c.reference("pull", call.Argument(0))
	opts, err := parsePullOptions(rt, call.Argument(1))
	if err != nil {
		throw(rt, err)
	}
	start := time.Now()
	ctx, retries := c.callContext()
	res, err := c.client.Pull(ctx, ref, opts)
	if err == nil {
		c.emitDuration(c.mi.metrics.pullDuration, time.Since(start))
	}
	return c.result("pull", retries(), res.Status, err, map[string]any{
		"ref": res.Ref, "digest": res.Digest, "mediaType": res.MediaType, "bytes": res.Bytes, "blobs": res.Blobs,
	})
}

func (c *Client) push(call sobek.FunctionCall) sobek.Value {
	c.inVU("push")
	rt := c.mi.vu.Runtime()
	ref := c.reference("push", call.Argument(0))
	img := imageArg(rt, "push", call.Argument(1))
	opts, err := parsePushOptions(rt, call.Argument(2))
	if err != nil {
		throw(rt, err)
	}
	start := time.Now()
	ctx, retries := c.callContext()
	res, err := c.client.Push(ctx, ref, img, opts)
	if err == nil {
		c.emitDuration(c.mi.metrics.pushDuration, time.Since(start))
	}
	return c.result("push", retries(), res.Status, err, map[string]any{
		"ref": res.Ref, "digest": res.Digest, "bytes": res.Bytes,
		"uploaded": res.Uploaded, "skipped": res.Skipped, "mounted": res.Mounted,
		"fallbackTag": nullable(res.FallbackTag),
	})
}

func (c *Client) uploadLayer(call sobek.FunctionCall) sobek.Value {
	c.inVU("uploadLayer")
	rt := c.mi.vu.Runtime()
	repo, ok := call.Argument(0).Export().(string)
	if !ok {
		throw(rt, fmt.Errorf("uploadLayer: the repository must be a string such as \"team/app\", got %s", describe(call.Argument(0))))
	}
	blob := blobArg(rt, "uploadLayer", call.Argument(1))
	opts, err := parseUploadOptions(rt, call.Argument(2))
	if err != nil {
		throw(rt, err)
	}
	ctx, retries := c.callContext()
	res, err := c.client.UploadBlob(ctx, repo, blob, opts)
	return c.result("uploadLayer", retries(), res.Status, err, map[string]any{
		"digest": res.Digest, "size": res.Size, "location": res.Location, "mounted": res.Mounted,
	})
}

// reference reads a reference argument; the registry package checks it.
func (c *Client) reference(call string, v sobek.Value) string {
	ref, ok := v.Export().(string)
	if !ok {
		throw(c.mi.vu.Runtime(), fmt.Errorf("%s: the reference must be a string such as \"team/app:1.0\", got %s", call, describe(v)))
	}
	return ref
}

// callContext is the context of one network call: the VU's, counting the
// call's retries.
func (c *Client) callContext() (context.Context, func() int) {
	return registry.CountRetries(c.mi.vu.Context())
}

// result makes the plain object a network call returns: { ok, status,
// error, retries } and the call's own fields. A registry or network failure
// is a value, not an exception; any other error is the script's and is
// thrown.
func (c *Client) result(call string, retries int, status int, err error, fields map[string]any) sobek.Value {
	rt := c.mi.vu.Runtime()
	out := map[string]any{"ok": err == nil, "status": status, "error": nil, "retries": retries}
	var re *registry.Error
	switch {
	case err == nil:
	case errors.As(err, &re):
		if status == 0 {
			out["status"] = re.Status
		}
		out["error"] = map[string]any{"op": re.Op, "status": re.Status, "code": re.Code, "message": re.Message}
		c.emitError(re)
	default:
		throw(rt, fmt.Errorf("%s: %w", call, err))
	}
	for k, v := range fields {
		out[k] = v
	}
	return rt.ToValue(out)
}

func (c *Client) emitDuration(m *metrics.Metric, d time.Duration) {
	state := c.mi.vu.State()
	emit(c.mi.vu.Context(), state, m, sampleTags(state, c.tags), float64(d)/float64(time.Millisecond))
}

func (c *Client) emitError(e *registry.Error) {
	state := c.mi.vu.State()
	emit(c.mi.vu.Context(), state, c.mi.metrics.errors, sampleTags(state, c.tags, tagOp, e.Op, tagErrorCode, e.Code), 1)
}

// onTransfer records a blob transfer; it runs on the goroutine that moved
// the blob, never touching the JS runtime.
func (c *Client) onTransfer(t registry.Transfer) {
	state := c.mi.vu.State()
	if state == nil || t.Err != nil || t.Mounted {
		return
	}
	ctx := c.mi.vu.Context()
	if t.Direction == registry.DirectionPush {
		emit(ctx, state, c.mi.metrics.uploadDuration, sampleTags(state, c.tags),
			float64(t.Duration)/float64(time.Millisecond))
	}
	if t.Bytes > 0 && t.Duration > 0 {
		emit(ctx, state, c.mi.metrics.blobThroughput, sampleTags(state, c.tags, tagDirection, t.Direction),
			float64(t.Bytes)/t.Duration.Seconds())
	}
}

// onRetry counts a retry in registry_retries; like onTransfer, it runs on
// the goroutine that retries.
func (c *Client) onRetry(ctx context.Context, r registry.Retry) {
	state := c.mi.vu.State()
	if state == nil {
		return
	}
	emit(ctx, state, c.mi.metrics.retries, sampleTags(state, c.tags, tagOp, r.Op, tagReason, r.Reason), 1)
}
