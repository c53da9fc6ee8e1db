package js

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"

	"github.com/grafana/sobek"

	"github.com/xk6-registry/xk6-registry/registry"
)

// The single-request primitives: each is one registry call with its own
// registry_op, returning { ok, status, error, retries, ... } like pull and
// push, and each has its async twin.

func (c *Client) getManifest(call sobek.FunctionCall, async bool) sobek.Value {
	name := callName("getManifest", async)
	rt := c.mi.vu.Runtime()
	ref := c.reference(name, call.Argument(0))
	r := newOptionReader(rt, name, call.Argument(1), "accept")
	var accept []string
	if v := r.get("accept"); v != nil {
		if s, ok := v.Export().(string); ok {
			accept = []string{s}
		} else {
			accept = r.strings("accept")
		}
	}
	if r.err != nil {
		throw(rt, r.err)
	}
	return c.run(name, async, func(ctx context.Context) outcome {
		res, err := c.client.GetManifest(ctx, ref, accept)
		// Checked here, off the event loop: a body that is not a JSON object
		// is no manifest object; null, as before.
		object := err == nil && isJSONObject(res.Body)
		return outcome{
			status: res.Status, err: err,
			fields: map[string]any{"digest": res.Digest, "mediaType": res.MediaType, "size": res.Size, "manifest": nil, "namespace": res.Namespace},
			present: func(rt *sobek.Runtime, out map[string]any) {
				if object {
					out["manifest"] = rt.NewDynamicObject(&lazyManifest{rt: rt, body: res.Body})
				}
			},
		}
	})
}

func (c *Client) headManifest(call sobek.FunctionCall, async bool) sobek.Value {
	name := callName("headManifest", async)
	ref := c.reference(name, call.Argument(0))
	return c.run(name, async, func(ctx context.Context) outcome {
		res, err := c.client.HeadManifest(ctx, ref)
		return outcome{status: res.Status, err: err, fields: map[string]any{
			"digest": res.Digest, "mediaType": res.MediaType, "size": res.Size, "namespace": res.Namespace,
		}}
	})
}

func (c *Client) putManifest(call sobek.FunctionCall, async bool) sobek.Value {
	name := callName("putManifest", async)
	rt := c.mi.vu.Runtime()
	ref := c.reference(name, call.Argument(0))
	body := manifestBytes(rt, name, call.Argument(1))
	opts := parsePutManifestOptions(rt, name, call.Argument(2))
	return c.run(name, async, func(ctx context.Context) outcome {
		res, err := c.client.PutManifest(ctx, ref, body, opts)
		return outcome{status: res.Status, err: err, fields: map[string]any{
			"digest": res.Digest, "location": res.Location, "tags": res.Tags, "tagFallback": res.TagFallback,
		}}
	})
}

// parsePutManifestOptions reads { mediaType, tags, tagMode }, throwing at
// a mistake; the registry package checks the tags.
func parsePutManifestOptions(rt *sobek.Runtime, call string, v sobek.Value) registry.PutManifestOptions {
	r := newOptionReader(rt, call, v, "mediaType", "tags", "tagMode")
	var o registry.PutManifestOptions
	r.string("mediaType", &o.MediaType)
	o.Tags = r.strings("tags")
	mode := string(o.TagMode)
	r.string("tagMode", &mode)
	o.TagMode = registry.TagMode(mode)
	if r.err == nil {
		if err := o.Validate(); err != nil {
			r.err = fmt.Errorf("%s: %w", call, err)
		}
	}
	if r.err != nil {
		throw(rt, r.err)
	}
	return o
}

// stringOption reads an options object whose one option is a string,
// throwing at a mistake.
func stringOption(rt *sobek.Runtime, call string, v sobek.Value, key string) string {
	r := newOptionReader(rt, call, v, key)
	var s string
	r.string(key, &s)
	if r.err != nil {
		throw(rt, r.err)
	}
	return s
}

// manifestBytes takes a manifest as a string, sent as is, or an object,
// serialised by the runtime's own JSON.stringify so key order is kept.
func manifestBytes(rt *sobek.Runtime, call string, v sobek.Value) []byte {
	if s, ok := v.Export().(string); ok {
		return []byte(s)
	}
	obj, ok := v.(*sobek.Object)
	if !ok || isMissing(v) {
		throw(rt, fmt.Errorf("%s: the manifest must be an object or a JSON string, got %s", call, describe(v)))
	}
	stringify, _ := sobek.AssertFunction(rt.Get("JSON").ToObject(rt).Get("stringify"))
	s, err := stringify(sobek.Undefined(), obj)
	if err != nil {
		throw(rt, fmt.Errorf("%s: %w", call, err))
	}
	return []byte(s.String())
}

func (c *Client) deleteManifest(call sobek.FunctionCall, async bool) sobek.Value {
	name := callName("deleteManifest", async)
	return c.statusOnly(name, async, c.reference(name, call.Argument(0)), c.client.DeleteManifest)
}

// statusOnly runs a call of one argument whose answer is a status alone.
func (c *Client) statusOnly(name string, async bool, arg string, call func(context.Context, string) (int, error)) sobek.Value {
	return c.run(name, async, func(ctx context.Context) outcome {
		status, err := call(ctx, arg)
		return outcome{status: status, err: err}
	})
}

// repoDigest reads the (repository, digest) arguments of blob calls.
func (c *Client) repoDigest(call string, args sobek.FunctionCall) (string, string) {
	rt := c.mi.vu.Runtime()
	repo, ok := args.Argument(0).Export().(string)
	if !ok {
		throw(rt, fmt.Errorf("%s: the repository must be a string such as \"team/app\", got %s", call, describe(args.Argument(0))))
	}
	d, ok := args.Argument(1).Export().(string)
	if !ok {
		throw(rt, fmt.Errorf("%s: the digest must be a string such as \"sha256:...\", got %s", call, describe(args.Argument(1))))
	}
	return repo, d
}

func (c *Client) getBlob(call sobek.FunctionCall, async bool) sobek.Value {
	name := callName("getBlob", async)
	rt := c.mi.vu.Runtime()
	repo, d := c.repoDigest(name, call)
	r := newOptionReader(rt, name, call.Argument(2), "verify", "range")
	opts := registry.GetBlobOptions{Verify: true}
	r.bool("verify", &opts.Verify)
	opts.Range = readRange(r)
	if r.err != nil {
		throw(rt, r.err)
	}
	return c.run(name, async, func(ctx context.Context) outcome {
		res, err := c.client.GetBlob(ctx, repo, d, opts)
		return outcome{status: res.Status, err: err, fields: map[string]any{"bytes": res.Bytes}}
	})
}

// readRange reads "range": [start, end] of whole numbers; the registry
// package checks that they make a range.
func readRange(r *optionReader) *[2]int64 {
	v := r.get("range")
	if v == nil {
		return nil
	}
	var out [2]int64
	list, ok := v.Export().([]any)
	ok = ok && len(list) == 2
	for i := 0; ok && i < 2; i++ {
		var f float64
		f, ok = toFloat(list[i])
		ok = ok && f == math.Trunc(f) && math.Abs(f) <= 1<<53
		out[i] = int64(f)
	}
	if !ok {
		r.fail("range", "[start, end] of two whole numbers of bytes, inclusive", v)
		return nil
	}
	return &out
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

func (c *Client) headBlob(call sobek.FunctionCall, async bool) sobek.Value {
	name := callName("headBlob", async)
	repo, d := c.repoDigest(name, call)
	return c.run(name, async, func(ctx context.Context) outcome {
		res, err := c.client.HeadBlob(ctx, repo, d)
		return outcome{status: res.Status, err: err, fields: map[string]any{"size": res.Size}}
	})
}

func (c *Client) deleteBlob(call sobek.FunctionCall, async bool) sobek.Value {
	name := callName("deleteBlob", async)
	repo, d := c.repoDigest(name, call)
	return c.run(name, async, func(ctx context.Context) outcome {
		status, err := c.client.DeleteBlob(ctx, repo, d)
		return outcome{status: status, err: err}
	})
}

func (c *Client) mountBlob(call sobek.FunctionCall, async bool) sobek.Value {
	name := callName("mountBlob", async)
	repo, d := c.repoDigest(name, call)
	from, ok := call.Argument(2).Export().(string)
	if !ok {
		throw(c.mi.vu.Runtime(), fmt.Errorf("%s: the repository to mount from must be a string, got %s", name, describe(call.Argument(2))))
	}
	return c.run(name, async, func(ctx context.Context) outcome {
		res, err := c.client.MountBlob(ctx, repo, d, from)
		return outcome{status: res.Status, err: err, sessions: true, fields: map[string]any{"mounted": res.Mounted, "location": res.Location}}
	})
}

func (c *Client) listOptions(call string, v sobek.Value) registry.ListOptions {
	r := newOptionReader(c.mi.vu.Runtime(), call, v, "n", "last", "all")
	var o registry.ListOptions
	r.int("n", 0, 1_000_000, &o.N)
	r.string("last", &o.Last)
	r.bool("all", &o.All)
	if r.err != nil {
		throw(c.mi.vu.Runtime(), r.err)
	}
	return o
}

func (c *Client) listTags(call sobek.FunctionCall, async bool) sobek.Value {
	name := callName("tags", async)
	repo, ok := call.Argument(0).Export().(string)
	if !ok {
		throw(c.mi.vu.Runtime(), fmt.Errorf("%s: the repository must be a string, got %s", name, describe(call.Argument(0))))
	}
	opts := c.listOptions(name, call.Argument(1))
	return c.run(name, async, func(ctx context.Context) outcome {
		res, err := c.client.Tags(ctx, repo, opts)
		return outcome{status: res.Status, err: err, fields: map[string]any{"tags": res.Items, "next": nullable(res.Next), "pages": res.Pages}}
	})
}

func (c *Client) catalog(call sobek.FunctionCall, async bool) sobek.Value {
	name := callName("catalog", async)
	opts := c.listOptions(name, call.Argument(0))
	return c.run(name, async, func(ctx context.Context) outcome {
		res, err := c.client.Catalog(ctx, opts)
		return outcome{status: res.Status, err: err, fields: map[string]any{"repositories": res.Items, "next": nullable(res.Next), "pages": res.Pages}}
	})
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (c *Client) referrers(call sobek.FunctionCall, async bool) sobek.Value {
	name := callName("referrers", async)
	rt := c.mi.vu.Runtime()
	repo, d := c.repoDigest(name, call)
	artifactType := stringOption(rt, name, call.Argument(2), "artifactType")
	return c.run(name, async, func(ctx context.Context) outcome {
		res, err := c.client.Referrers(ctx, repo, d, artifactType)
		// Plain maps, so scripts see the descriptors' JSON field names.
		var manifests any = []any{}
		if raw, jerr := json.Marshal(res.Manifests); jerr == nil {
			_ = json.Unmarshal(raw, &manifests)
		}
		return outcome{status: res.Status, err: err, fields: map[string]any{
			"manifests": manifests, "filtered": res.Filtered, "fallback": res.Fallback,
		}}
	})
}

func (c *Client) location(call string, v sobek.Value) string {
	loc, ok := v.Export().(string)
	if !ok || loc == "" {
		throw(c.mi.vu.Runtime(), fmt.Errorf("%s: want an upload location (a URL the registry gave), got %s", call, describe(v)))
	}
	return loc
}

func (c *Client) cancelUpload(call sobek.FunctionCall, async bool) sobek.Value {
	name := callName("cancelUpload", async)
	return c.statusOnly(name, async, c.location(name, call.Argument(0)), c.client.CancelUpload)
}

func (c *Client) uploadStatus(call sobek.FunctionCall, async bool) sobek.Value {
	name := callName("uploadStatus", async)
	loc := c.location(name, call.Argument(0))
	return c.run(name, async, func(ctx context.Context) outcome {
		res, err := c.client.UploadStatus(ctx, loc)
		return outcome{status: res.Status, err: err, fields: map[string]any{"offset": res.Offset, "location": res.Location}}
	})
}

// isJSONObject tells whether body is one JSON object.
func isJSONObject(body []byte) bool {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	return len(trimmed) > 0 && trimmed[0] == '{' && json.Valid(trimmed)
}

// lazyManifest is getManifest's manifest: a JS object whose properties are
// those of the body parsed by the runtime's JSON.parse (which keeps key
// order, so putManifest of it sends the same bytes), parsed on first use:
// a script that reads only status, digest or size parses nothing.
type lazyManifest struct {
	rt     *sobek.Runtime
	body   []byte
	parsed *sobek.Object
}

func (m *lazyManifest) object() *sobek.Object {
	if m.parsed != nil {
		return m.parsed
	}
	parse, _ := sobek.AssertFunction(m.rt.Get("JSON").ToObject(m.rt).Get("parse"))
	v, err := parse(sobek.Undefined(), m.rt.ToValue(string(m.body)))
	if obj, ok := v.(*sobek.Object); ok && err == nil {
		m.parsed = obj
	} else {
		// Not reached: the body was checked to be a JSON object.
		m.parsed = m.rt.NewObject()
	}
	m.body = nil
	return m.parsed
}

func (m *lazyManifest) Get(key string) sobek.Value {
	if !m.Has(key) {
		return nil // the prototype's, if any
	}
	return m.object().Get(key)
}

func (m *lazyManifest) Set(key string, v sobek.Value) bool { return m.object().Set(key, v) == nil }

func (m *lazyManifest) Has(key string) bool {
	for _, k := range m.object().Keys() {
		if k == key {
			return true
		}
	}
	return false
}

func (m *lazyManifest) Delete(key string) bool { return m.object().Delete(key) == nil }

func (m *lazyManifest) Keys() []string { return m.object().Keys() }
