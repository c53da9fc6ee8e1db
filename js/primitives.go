package js

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/grafana/sobek"

	"github.com/xk6-registry/xk6-registry/registry"
)

// The single-request primitives: each is one registry call with its own
// registry_op, returning { ok, status, error, ... } like pull and push.

func (c *Client) getManifest(call sobek.FunctionCall) sobek.Value {
	c.inVU("getManifest")
	rt := c.mi.vu.Runtime()
	ref := c.reference("getManifest", call.Argument(0))
	r := newOptionReader(rt, "getManifest", call.Argument(1), "accept")
	var accept []string
	if v := r.get("accept"); v != nil {
		switch a := v.Export().(type) {
		case string:
			accept = []string{a}
		case []any:
			for _, x := range a {
				s, ok := x.(string)
				if !ok {
					r.fail("accept", "a media type or a list of them", v)
					break
				}
				accept = append(accept, s)
			}
		default:
			r.fail("accept", "a media type or a list of them", v)
		}
	}
	if r.err != nil {
		throw(rt, r.err)
	}
	ctx, retries := c.callContext()
	res, err := c.client.GetManifest(ctx, ref, accept)
	fields := map[string]any{"digest": res.Digest, "mediaType": res.MediaType, "size": res.Size, "manifest": nil}
	if err == nil {
		// The runtime's JSON.parse keeps key order, so a script that puts
		// the object back gets the same bytes and digest.
		parse, _ := sobek.AssertFunction(rt.Get("JSON").ToObject(rt).Get("parse"))
		if parsed, perr := parse(sobek.Undefined(), rt.ToValue(string(res.Body))); perr == nil {
			fields["manifest"] = parsed
		}
	}
	return c.result("getManifest", retries(), res.Status, err, fields)
}

func (c *Client) headManifest(call sobek.FunctionCall) sobek.Value {
	c.inVU("headManifest")
	ref := c.reference("headManifest", call.Argument(0))
	ctx, retries := c.callContext()
	res, err := c.client.HeadManifest(ctx, ref)
	return c.result("headManifest", retries(), res.Status, err, map[string]any{
		"digest": res.Digest, "mediaType": res.MediaType, "size": res.Size,
	})
}

func (c *Client) putManifest(call sobek.FunctionCall) sobek.Value {
	c.inVU("putManifest")
	rt := c.mi.vu.Runtime()
	ref := c.reference("putManifest", call.Argument(0))
	body := manifestBytes(rt, call.Argument(1))
	mediaType := stringOption(rt, "putManifest", call.Argument(2), "mediaType")
	ctx, retries := c.callContext()
	res, err := c.client.PutManifest(ctx, ref, mediaType, body)
	return c.result("putManifest", retries(), res.Status, err, map[string]any{"digest": res.Digest, "location": res.Location})
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
func manifestBytes(rt *sobek.Runtime, v sobek.Value) []byte {
	if s, ok := v.Export().(string); ok {
		return []byte(s)
	}
	obj, ok := v.(*sobek.Object)
	if !ok || isMissing(v) {
		throw(rt, fmt.Errorf("putManifest: the manifest must be an object or a JSON string, got %s", describe(v)))
	}
	stringify, _ := sobek.AssertFunction(rt.Get("JSON").ToObject(rt).Get("stringify"))
	s, err := stringify(sobek.Undefined(), obj)
	if err != nil {
		throw(rt, fmt.Errorf("putManifest: %w", err))
	}
	return []byte(s.String())
}

func (c *Client) deleteManifest(call sobek.FunctionCall) sobek.Value {
	c.inVU("deleteManifest")
	ref := c.reference("deleteManifest", call.Argument(0))
	ctx, retries := c.callContext()
	status, err := c.client.DeleteManifest(ctx, ref)
	return c.result("deleteManifest", retries(), status, err, nil)
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

func (c *Client) getBlob(call sobek.FunctionCall) sobek.Value {
	c.inVU("getBlob")
	rt := c.mi.vu.Runtime()
	repo, d := c.repoDigest("getBlob", call)
	r := newOptionReader(rt, "getBlob", call.Argument(2), "verify", "range")
	opts := registry.GetBlobOptions{Verify: true}
	r.bool("verify", &opts.Verify)
	opts.Range = readRange(r)
	if r.err != nil {
		throw(rt, r.err)
	}
	ctx, retries := c.callContext()
	res, err := c.client.GetBlob(ctx, repo, d, opts)
	return c.result("getBlob", retries(), res.Status, err, map[string]any{"bytes": res.Bytes})
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

func (c *Client) headBlob(call sobek.FunctionCall) sobek.Value {
	c.inVU("headBlob")
	repo, d := c.repoDigest("headBlob", call)
	ctx, retries := c.callContext()
	res, err := c.client.HeadBlob(ctx, repo, d)
	return c.result("headBlob", retries(), res.Status, err, map[string]any{"size": res.Size})
}

func (c *Client) deleteBlob(call sobek.FunctionCall) sobek.Value {
	c.inVU("deleteBlob")
	repo, d := c.repoDigest("deleteBlob", call)
	ctx, retries := c.callContext()
	status, err := c.client.DeleteBlob(ctx, repo, d)
	return c.result("deleteBlob", retries(), status, err, nil)
}

func (c *Client) mountBlob(call sobek.FunctionCall) sobek.Value {
	c.inVU("mountBlob")
	repo, d := c.repoDigest("mountBlob", call)
	from, ok := call.Argument(2).Export().(string)
	if !ok {
		throw(c.mi.vu.Runtime(), fmt.Errorf("mountBlob: the repository to mount from must be a string, got %s", describe(call.Argument(2))))
	}
	ctx, retries := c.callContext()
	res, err := c.client.MountBlob(ctx, repo, d, from)
	return c.result("mountBlob", retries(), res.Status, err, map[string]any{"mounted": res.Mounted, "location": res.Location})
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

func (c *Client) listTags(call sobek.FunctionCall) sobek.Value {
	c.inVU("tags")
	repo, ok := call.Argument(0).Export().(string)
	if !ok {
		throw(c.mi.vu.Runtime(), fmt.Errorf("tags: the repository must be a string, got %s", describe(call.Argument(0))))
	}
	opts := c.listOptions("tags", call.Argument(1))
	ctx, retries := c.callContext()
	res, err := c.client.Tags(ctx, repo, opts)
	return c.result("tags", retries(), res.Status, err, map[string]any{"tags": res.Items, "next": nullable(res.Next), "pages": res.Pages})
}

func (c *Client) catalog(call sobek.FunctionCall) sobek.Value {
	c.inVU("catalog")
	opts := c.listOptions("catalog", call.Argument(0))
	ctx, retries := c.callContext()
	res, err := c.client.Catalog(ctx, opts)
	return c.result("catalog", retries(), res.Status, err, map[string]any{"repositories": res.Items, "next": nullable(res.Next), "pages": res.Pages})
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (c *Client) referrers(call sobek.FunctionCall) sobek.Value {
	c.inVU("referrers")
	rt := c.mi.vu.Runtime()
	repo, d := c.repoDigest("referrers", call)
	artifactType := stringOption(rt, "referrers", call.Argument(2), "artifactType")
	ctx, retries := c.callContext()
	res, err := c.client.Referrers(ctx, repo, d, artifactType)
	var manifests any = []any{}
	if raw, jerr := json.Marshal(res.Manifests); jerr == nil {
		_ = json.Unmarshal(raw, &manifests)
	}
	return c.result("referrers", retries(), res.Status, err, map[string]any{
		"manifests": manifests, "filtered": res.Filtered, "fallback": res.Fallback,
	})
}

func (c *Client) location(call string, v sobek.Value) string {
	loc, ok := v.Export().(string)
	if !ok || loc == "" {
		throw(c.mi.vu.Runtime(), fmt.Errorf("%s: want an upload location (a URL the registry gave), got %s", call, describe(v)))
	}
	return loc
}

func (c *Client) cancelUpload(call sobek.FunctionCall) sobek.Value {
	c.inVU("cancelUpload")
	ctx, retries := c.callContext()
	status, err := c.client.CancelUpload(ctx, c.location("cancelUpload", call.Argument(0)))
	return c.result("cancelUpload", retries(), status, err, nil)
}

func (c *Client) uploadStatus(call sobek.FunctionCall) sobek.Value {
	c.inVU("uploadStatus")
	ctx, retries := c.callContext()
	res, err := c.client.UploadStatus(ctx, c.location("uploadStatus", call.Argument(0)))
	return c.result("uploadStatus", retries(), res.Status, err, map[string]any{"offset": res.Offset, "location": res.Location})
}
