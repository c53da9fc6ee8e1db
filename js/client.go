package js

import (
	"context"
	"fmt"
	"time"

	"github.com/grafana/sobek"

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
	// headerNames are the client's own headers, masked in --http-debug.
	headerNames []string
}

// method is one network call of a Client: it reads the script's arguments
// and checks them with the registry package's own checks, and returns the
// call's work, or the script's mistake. It is named as the script called it.
type method func(name string, call sobek.FunctionCall) (work, error)

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
	for name := range cfg.Headers {
		c.headerNames = append(c.headerNames, name)
	}
	cfg.UserAgent = userAgent
	cfg.Transport = &measuringTransport{client: c, vu: vuTransports{httpVersion: opts.httpVersion}}
	cfg.OnTransfer = c.onTransfer
	cfg.OnRetry = c.onRetry
	cfg.OnWarnings = c.onWarnings
	if c.client, err = registry.New(cfg); err != nil {
		throw(rt, fmt.Errorf("new Client: %w", err))
	}
	obj := rt.NewObject()
	// Each call and its twin returning a Promise, named as k6 names its own
	// (http.asyncRequest): pull and asyncPull.
	for name, m := range map[string]method{
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
		"token":          c.token,
	} {
		if err := obj.Set(name, c.bind(name, false, m)); err != nil {
			throw(rt, err)
		}
		if err := obj.Set(asyncName(name), c.bind(asyncName(name), true, m)); err != nil {
			throw(rt, err)
		}
	}
	return obj
}

// asyncName is the name of a call's async twin: pull, asyncPull.
func asyncName(name string) string {
	return "async" + string(name[0]-'a'+'A') + name[1:]
}

func (c *Client) ping(string, sobek.FunctionCall) (work, error) {
	return func(ctx context.Context) outcome {
		status, err := c.client.Ping(ctx)
		return outcome{status: status, err: err}
	}, nil
}

func (c *Client) pull(name string, call sobek.FunctionCall) (work, error) {
	ref, err := stringArg(name, call.Argument(0), "reference", `"team/app:1.0"`)
	if err != nil {
		return nil, err
	}
	opts, err := parsePullOptions(c.mi.vu.Runtime(), name, call.Argument(1))
	if err != nil {
		return nil, err
	}
	if err := registry.CheckPull(ref, opts); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return func(ctx context.Context) outcome {
		start := time.Now()
		res, err := c.client.Pull(ctx, ref, opts)
		if err == nil {
			c.emit(ctx, c.mi.metrics.pullDuration, milliseconds(time.Since(start)))
		}
		return outcome{status: res.Status, err: err, fields: map[string]any{
			"ref": res.Ref, "digest": res.Digest, "mediaType": res.MediaType, "bytes": res.Bytes, "blobs": res.Blobs,
		}}
	}, nil
}

func (c *Client) push(name string, call sobek.FunctionCall) (work, error) {
	ref, err := stringArg(name, call.Argument(0), "reference", `"team/app:1.0"`)
	if err != nil {
		return nil, err
	}
	img, err := imageArg(name, call.Argument(1))
	if err != nil {
		return nil, err
	}
	opts, err := parsePushOptions(c.mi.vu.Runtime(), name, call.Argument(2))
	if err != nil {
		return nil, err
	}
	if err := registry.CheckPush(ref, img, opts); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return func(ctx context.Context) outcome {
		start := time.Now()
		res, err := c.client.Push(ctx, ref, img, opts)
		if err == nil {
			c.emit(ctx, c.mi.metrics.pushDuration, milliseconds(time.Since(start)))
		}
		return outcome{status: res.Status, err: err, sessions: true, fields: map[string]any{
			"ref": res.Ref, "digest": res.Digest, "bytes": res.Bytes,
			"uploaded": res.Uploaded, "skipped": res.Skipped, "mounted": res.Mounted,
			"fallbackTag": nullable(res.FallbackTag),
		}}
	}, nil
}

func (c *Client) uploadLayer(name string, call sobek.FunctionCall) (work, error) {
	repo, err := stringArg(name, call.Argument(0), "repository", `"team/app"`)
	if err != nil {
		return nil, err
	}
	blob, err := blobArg(name, call.Argument(1))
	if err != nil {
		return nil, err
	}
	opts, err := parseUploadOptions(c.mi.vu.Runtime(), name, call.Argument(2))
	if err != nil {
		return nil, err
	}
	if err := registry.CheckUploadBlob(repo, blob, opts); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return func(ctx context.Context) outcome {
		res, err := c.client.UploadBlob(ctx, repo, blob, opts)
		return outcome{status: res.Status, err: err, sessions: true, fields: map[string]any{
			"digest": res.Digest, "size": res.Size, "location": res.Location, "mounted": res.Mounted, "skipped": res.Skipped,
		}}
	}, nil
}

// stringArg reads a string argument, what, refusing anything else with an
// example of one.
func stringArg(call string, v sobek.Value, what, example string) (string, error) {
	s, ok := v.Export().(string)
	if !ok {
		return "", fmt.Errorf("%s: the %s must be a string such as %s, got %s", call, what, example, describe(v))
	}
	return s, nil
}

func milliseconds(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// onTransfer records a blob transfer; it runs on the goroutine that moved
// the blob, never touching the JS runtime.
func (c *Client) onTransfer(ctx context.Context, t registry.Transfer) {
	if t.Err != nil || t.Mounted {
		return
	}
	if t.Direction == registry.DirectionPush {
		c.emit(ctx, c.mi.metrics.uploadDuration, milliseconds(t.Duration))
	}
	if t.Bytes > 0 && t.Duration > 0 {
		c.emit(ctx, c.mi.metrics.blobThroughput, float64(t.Bytes)/t.Duration.Seconds(),
			tagDirection, t.Direction, tagSizeClass, sizeClass(t.Bytes))
	}
}

// onRetry counts a retry in registry_retries; like onTransfer, it runs on
// the goroutine that retries.
func (c *Client) onRetry(ctx context.Context, r registry.Retry) {
	c.emit(ctx, c.mi.metrics.retries, 1, tagOp, r.Op, tagReason, r.Reason)
}

// onWarnings counts a response's registry warnings in registry_warnings,
// on the goroutine that read the response.
func (c *Client) onWarnings(ctx context.Context, op string, n int) {
	c.emit(ctx, c.mi.metrics.warnings, float64(n), tagOp, op)
}
