package js

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/grafana/sobek"

	"github.com/xk6-registry/xk6-registry/registry"
)

// The single-request primitives: each is one registry call with its own
// registry_op, returning { ok, status, error, retries, ... } like pull and
// push, and each has its async twin.

func (c *Client) getManifest(name string, call sobek.FunctionCall) (work, error) {
	ref, err := stringArg(name, call.Argument(0), "reference", `"team/app:1.0"`)
	if err != nil {
		return nil, err
	}
	r := newOptionReader(c.mi.vu.Runtime(), name, call.Argument(1), "accept")
	var accept []string
	if v := r.get("accept"); v != nil {
		if s, ok := v.Export().(string); ok {
			accept = []string{s}
		} else {
			accept = r.strings("accept")
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	if err := registry.CheckGetManifest(ref, accept); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return func(ctx context.Context) outcome {
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
	}, nil
}

func (c *Client) headManifest(name string, call sobek.FunctionCall) (work, error) {
	ref, err := c.manifestRef(name, call.Argument(0))
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) outcome {
		res, err := c.client.HeadManifest(ctx, ref)
		return outcome{status: res.Status, err: err, fields: map[string]any{
			"digest": res.Digest, "mediaType": res.MediaType, "size": res.Size, "namespace": res.Namespace,
		}}
	}, nil
}

// manifestRef reads and checks the reference of a manifest call.
func (c *Client) manifestRef(name string, v sobek.Value) (string, error) {
	ref, err := stringArg(name, v, "reference", `"team/app:1.0"`)
	if err == nil {
		if err = registry.CheckReference(ref); err != nil {
			err = fmt.Errorf("%s: %w", name, err)
		}
	}
	return ref, err
}

func (c *Client) putManifest(name string, call sobek.FunctionCall) (work, error) {
	rt := c.mi.vu.Runtime()
	ref, err := stringArg(name, call.Argument(0), "reference", `"team/app:1.0"`)
	if err != nil {
		return nil, err
	}
	body, err := manifestBytes(rt, name, call.Argument(1))
	if err != nil {
		return nil, err
	}
	opts, err := parsePutManifestOptions(rt, name, call.Argument(2))
	if err != nil {
		return nil, err
	}
	if err := registry.CheckPutManifest(ref, body, opts); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return func(ctx context.Context) outcome {
		res, err := c.client.PutManifest(ctx, ref, body, opts)
		return outcome{status: res.Status, err: err, fields: map[string]any{
			"digest": res.Digest, "location": res.Location, "tags": res.Tags, "tagFallback": res.TagFallback,
		}}
	}, nil
}

// parsePutManifestOptions reads { mediaType, tags, tagMode }; the registry
// package checks them.
func parsePutManifestOptions(rt *sobek.Runtime, call string, v sobek.Value) (registry.PutManifestOptions, error) {
	r := newOptionReader(rt, call, v, "mediaType", "tags", "tagMode")
	var o registry.PutManifestOptions
	r.string("mediaType", &o.MediaType)
	o.Tags = r.strings("tags")
	mode := string(o.TagMode)
	r.string("tagMode", &mode)
	o.TagMode = registry.TagMode(mode)
	return o, r.err
}

// stringOption reads an options object whose one option is a string.
func stringOption(rt *sobek.Runtime, call string, v sobek.Value, key string) (string, error) {
	r := newOptionReader(rt, call, v, key)
	var s string
	r.string(key, &s)
	return s, r.err
}

// manifestBytes takes a manifest as a string, sent as is, or an object,
// serialised by the runtime's own JSON.stringify so key order is kept.
func manifestBytes(rt *sobek.Runtime, call string, v sobek.Value) ([]byte, error) {
	if s, ok := v.Export().(string); ok {
		return []byte(s), nil
	}
	obj, ok := v.(*sobek.Object)
	if !ok || isMissing(v) {
		return nil, fmt.Errorf("%s: the manifest must be an object or a JSON string, got %s", call, describe(v))
	}
	stringify, _ := sobek.AssertFunction(rt.Get("JSON").ToObject(rt).Get("stringify"))
	s, err := stringify(sobek.Undefined(), obj)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", call, err)
	}
	return []byte(s.String()), nil
}

func (c *Client) deleteManifest(name string, call sobek.FunctionCall) (work, error) {
	ref, err := c.manifestRef(name, call.Argument(0))
	if err != nil {
		return nil, err
	}
	return statusOnly(ref, c.client.DeleteManifest), nil
}

// statusOnly is the work of a call of one argument whose answer is a
// status alone.
func statusOnly(arg string, call func(context.Context, string) (int, error)) work {
	return func(ctx context.Context) outcome {
		status, err := call(ctx, arg)
		return outcome{status: status, err: err}
	}
}

// repoDigest reads and checks the (repository, digest) arguments of blob
// calls.
func repoDigest(name string, args sobek.FunctionCall) (string, string, error) {
	repo, err := stringArg(name, args.Argument(0), "repository", `"team/app"`)
	if err != nil {
		return "", "", err
	}
	d, err := stringArg(name, args.Argument(1), "digest", `"sha256:..."`)
	if err != nil {
		return "", "", err
	}
	if err := registry.CheckBlob(repo, d); err != nil {
		return "", "", fmt.Errorf("%s: %w", name, err)
	}
	return repo, d, nil
}

func (c *Client) getBlob(name string, call sobek.FunctionCall) (work, error) {
	repo, d, err := repoDigest(name, call)
	if err != nil {
		return nil, err
	}
	r := newOptionReader(c.mi.vu.Runtime(), name, call.Argument(2), "verify", "range")
	opts := registry.GetBlobOptions{Verify: true}
	r.bool("verify", &opts.Verify)
	opts.Range = readRange(r)
	if r.err != nil {
		return nil, r.err
	}
	if err := registry.CheckGetBlob(repo, d, opts); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return func(ctx context.Context) outcome {
		res, err := c.client.GetBlob(ctx, repo, d, opts)
		return outcome{status: res.Status, err: err, fields: map[string]any{"bytes": res.Bytes}}
	}, nil
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

func (c *Client) headBlob(name string, call sobek.FunctionCall) (work, error) {
	repo, d, err := repoDigest(name, call)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) outcome {
		res, err := c.client.HeadBlob(ctx, repo, d)
		return outcome{status: res.Status, err: err, fields: map[string]any{"size": res.Size}}
	}, nil
}

func (c *Client) deleteBlob(name string, call sobek.FunctionCall) (work, error) {
	repo, d, err := repoDigest(name, call)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) outcome {
		status, err := c.client.DeleteBlob(ctx, repo, d)
		return outcome{status: status, err: err}
	}, nil
}

func (c *Client) mountBlob(name string, call sobek.FunctionCall) (work, error) {
	repo, d, err := repoDigest(name, call)
	if err != nil {
		return nil, err
	}
	from, err := stringArg(name, call.Argument(2), "repository to mount from", `"team/base"`)
	if err != nil {
		return nil, err
	}
	if err := registry.CheckMountBlob(repo, d, from); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return func(ctx context.Context) outcome {
		res, err := c.client.MountBlob(ctx, repo, d, from)
		return outcome{status: res.Status, err: err, sessions: true, fields: map[string]any{"mounted": res.Mounted, "location": res.Location}}
	}, nil
}

func (c *Client) listOptions(call string, v sobek.Value) (registry.ListOptions, error) {
	r := newOptionReader(c.mi.vu.Runtime(), call, v, "n", "last", "all")
	var o registry.ListOptions
	r.int("n", 0, 1_000_000, &o.N)
	r.string("last", &o.Last)
	r.bool("all", &o.All)
	return o, r.err
}

func (c *Client) listTags(name string, call sobek.FunctionCall) (work, error) {
	repo, err := stringArg(name, call.Argument(0), "repository", `"team/app"`)
	if err != nil {
		return nil, err
	}
	opts, err := c.listOptions(name, call.Argument(1))
	if err != nil {
		return nil, err
	}
	if err := registry.CheckTags(repo, opts); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return func(ctx context.Context) outcome {
		res, err := c.client.Tags(ctx, repo, opts)
		return outcome{status: res.Status, err: err, fields: map[string]any{"tags": res.Items, "next": nullable(res.Next), "pages": res.Pages}}
	}, nil
}

func (c *Client) catalog(name string, call sobek.FunctionCall) (work, error) {
	opts, err := c.listOptions(name, call.Argument(0))
	if err != nil {
		return nil, err
	}
	if err := registry.CheckCatalog(opts); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return func(ctx context.Context) outcome {
		res, err := c.client.Catalog(ctx, opts)
		return outcome{status: res.Status, err: err, fields: map[string]any{"repositories": res.Items, "next": nullable(res.Next), "pages": res.Pages}}
	}, nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (c *Client) referrers(name string, call sobek.FunctionCall) (work, error) {
	repo, d, err := repoDigest(name, call)
	if err != nil {
		return nil, err
	}
	artifactType, err := stringOption(c.mi.vu.Runtime(), name, call.Argument(2), "artifactType")
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) outcome {
		res, err := c.client.Referrers(ctx, repo, d, artifactType)
		// Plain maps, so scripts see the descriptors' JSON field names.
		var manifests any = []any{}
		if raw, jerr := json.Marshal(res.Manifests); jerr == nil {
			_ = json.Unmarshal(raw, &manifests)
		}
		return outcome{status: res.Status, err: err, fields: map[string]any{
			"manifests": manifests, "filtered": res.Filtered, "fallback": res.Fallback,
		}}
	}, nil
}

// location reads and checks the upload location of a session call.
func (c *Client) location(name string, v sobek.Value) (string, error) {
	loc, ok := v.Export().(string)
	if !ok || loc == "" {
		return "", fmt.Errorf("%s: want an upload location (a URL the registry gave), got %s", name, describe(v))
	}
	if err := c.client.CheckLocation(loc); err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	return loc, nil
}

func (c *Client) cancelUpload(name string, call sobek.FunctionCall) (work, error) {
	loc, err := c.location(name, call.Argument(0))
	if err != nil {
		return nil, err
	}
	return statusOnly(loc, c.client.CancelUpload), nil
}

func (c *Client) uploadStatus(name string, call sobek.FunctionCall) (work, error) {
	loc, err := c.location(name, call.Argument(0))
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) outcome {
		res, err := c.client.UploadStatus(ctx, loc)
		return outcome{status: res.Status, err: err, fields: map[string]any{"offset": res.Offset, "location": res.Location}}
	}, nil
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

// token is client.token(repository, actions): one fresh token from the
// registry's realm, { expiresIn } in seconds; the token itself stays out.
func (c *Client) token(name string, call sobek.FunctionCall) (work, error) {
	repo, err := stringArg(name, call.Argument(0), "repository", `"team/app"`)
	if err != nil {
		return nil, err
	}
	actions, err := actionsArg(name, call.Argument(1))
	if err != nil {
		return nil, err
	}
	if err := registry.CheckToken(repo, actions); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return func(ctx context.Context) outcome {
		res, err := c.client.Token(ctx, repo, actions)
		return outcome{status: res.Status, err: err, fields: map[string]any{"expiresIn": res.ExpiresIn.Seconds()}}
	}, nil
}

// actionsArg reads a scope's actions: a list such as ["pull", "push"], or
// one string of them, "pull,push".
func actionsArg(call string, v sobek.Value) ([]string, error) {
	if s, ok := v.Export().(string); ok {
		return strings.Split(s, ","), nil
	}
	list, ok := v.Export().([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, isString := x.(string)
		if !isString {
			ok = false
			break
		}
		out = append(out, s)
	}
	if !ok {
		return nil, fmt.Errorf(`%s: the actions must be a list such as ["pull"] or ["pull", "push"], got %s`, call, describe(v))
	}
	return out, nil
}
