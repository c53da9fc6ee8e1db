package js

import (
	"fmt"
	"math"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/grafana/sobek"
	"github.com/opencontainers/go-digest"
	"go.k6.io/k6/v2/lib/types"

	"github.com/xk6-registry/xk6-registry/registry"
	"github.com/xk6-registry/xk6-registry/registry/content"
)

// optionReader reads one options object strictly: unknown keys and values
// of the wrong type are errors naming the call and the key, so a typo in a
// script fails at once instead of silently testing something else.
type optionReader struct {
	rt   *sobek.Runtime
	call string
	obj  *sobek.Object
	err  error
}

func newOptionReader(rt *sobek.Runtime, call string, v sobek.Value, known ...string) *optionReader {
	r := &optionReader{rt: rt, call: call}
	if isMissing(v) {
		return r
	}
	obj, ok := v.(*sobek.Object)
	if !ok || !isPlainObject(obj) {
		r.err = fmt.Errorf("%s: options must be an object, got %s", call, describe(v))
		return r
	}
	r.obj = obj
	allowed := map[string]bool{}
	for _, k := range known {
		allowed[k] = true
	}
	for _, k := range obj.Keys() {
		if !allowed[k] {
			sort.Strings(known)
			r.err = fmt.Errorf("%s: unknown option %q; known: %s", call, k, strings.Join(known, ", "))
			return r
		}
	}
	return r
}

func isMissing(v sobek.Value) bool { return v == nil || sobek.IsUndefined(v) || sobek.IsNull(v) }

func isPlainObject(obj *sobek.Object) bool { return obj.ClassName() == "Object" }

func describe(v sobek.Value) string {
	if isMissing(v) {
		return v.String()
	}
	if obj, ok := v.(*sobek.Object); ok {
		if obj.ClassName() == "Array" {
			// Echo short lists, so a refused range shows its values.
			if s := obj.String(); len(s) <= 64 {
				return "[" + s + "]"
			}
		}
		return obj.ClassName()
	}
	s := v.String()
	if len(s) > maxDescribed {
		s = fmt.Sprintf("%s… (%d bytes)", s[:maxDescribed], len(s))
	}
	return fmt.Sprintf("%T %s", v.Export(), s)
}

// maxDescribed bounds what of a refused value a message repeats.
const maxDescribed = 128

// get returns the key's value, or nil when it is absent or undefined.
func (r *optionReader) get(key string) sobek.Value {
	if r.err != nil || r.obj == nil {
		return nil
	}
	v := r.obj.Get(key)
	if isMissing(v) {
		return nil
	}
	return v
}

func (r *optionReader) fail(key, want string, v sobek.Value) {
	if r.err == nil {
		r.err = fmt.Errorf("%s: option %q must be %s, got %s", r.call, key, want, describe(v))
	}
}

func (r *optionReader) string(key string, dst *string) { readExported(r, key, "a string", dst) }

func (r *optionReader) bool(key string, dst *bool) { readExported(r, key, "a boolean", dst) }

// readExported reads a key whose exported value is of type T, such as a
// string or a boolean.
func readExported[T any](r *optionReader, key, want string, dst *T) {
	if v := r.get(key); v != nil {
		x, ok := v.Export().(T)
		if !ok {
			r.fail(key, want, v)
			return
		}
		*dst = x
	}
}

// int reads a whole number in [lo, hi].
func (r *optionReader) int(key string, lo, hi int, dst *int) {
	v := r.get(key)
	if v == nil {
		return
	}
	f, ok := number(v)
	if !ok || f != math.Trunc(f) || f < float64(lo) || f > float64(hi) {
		r.fail(key, fmt.Sprintf("a whole number from %d to %d", lo, hi), v)
		return
	}
	*dst = int(f)
}

func number(v sobek.Value) (float64, bool) {
	switch n := v.Export().(type) {
	case int64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

// size reads a byte count: a number, or a string such as "4MiB".
func (r *optionReader) size(key string, dst *int64) {
	v := r.get(key)
	if v == nil {
		return
	}
	n, err := sizeValue(v)
	if err != nil {
		if r.err == nil {
			r.err = fmt.Errorf("%s: option %q: %w", r.call, key, err)
		}
		return
	}
	*dst = n
}

func sizeValue(v sobek.Value) (int64, error) {
	if s, ok := v.Export().(string); ok {
		return content.ParseSize(s)
	}
	f, ok := number(v)
	if !ok || f != math.Trunc(f) || f < 0 || f > content.MaxSize {
		return 0, fmt.Errorf("want a size such as 4096 or \"4MiB\", at most 16PiB, got %s", describe(v))
	}
	return int64(f), nil
}

// duration reads a k6 duration: "60s", "1m30s", or milliseconds.
func (r *optionReader) duration(key string, dst *time.Duration) {
	v := r.get(key)
	if v == nil {
		return
	}
	d, err := types.GetDurationValue(v.Export())
	if err != nil || d < 0 {
		r.fail(key, `a duration such as "60s" or a number of milliseconds`, v)
		return
	}
	*dst = d
}

// stringMap reads an object of string values.
func (r *optionReader) stringMap(key string) map[string]string {
	v := r.get(key)
	if v == nil {
		return nil
	}
	obj, ok := v.(*sobek.Object)
	if !ok || !isPlainObject(obj) {
		r.fail(key, "an object of strings", v)
		return nil
	}
	out := map[string]string{}
	for _, k := range obj.Keys() {
		s, ok := obj.Get(k).Export().(string)
		if !ok {
			r.fail(key+"."+k, "a string", obj.Get(k))
			return nil
		}
		out[k] = s
	}
	return out
}

// clientOptions are new registry.Client({...}).
type clientOptions struct {
	config registry.Config
	tags   map[string]string
	// httpVersion is the HTTP version asked for TLS registries: "" as k6
	// negotiates (HTTP/2 when offered), "1.1" or "2".
	httpVersion string
}

// HTTP versions a client may ask for.
const (
	httpVersion11 = "1.1"
	httpVersion2  = "2"
)

// defaultTimeout matches k6's http module.
const defaultTimeout = 60 * time.Second

func parseClientOptions(rt *sobek.Runtime, v sobek.Value) (*clientOptions, error) {
	if isMissing(v) {
		return nil, fmt.Errorf("new Client: options with a url are required, e.g. { url: \"http://127.0.0.1:5000\" }")
	}
	r := newOptionReader(rt, "new Client", v, "url", "username", "password", "token", "headers", "timeout", "tags", "retry", "http", "ns", "tokens")
	o := &clientOptions{config: registry.Config{Timeout: defaultTimeout}}
	r.string("url", &o.config.URL)
	r.string("username", &o.config.Username)
	r.string("password", &o.config.Password)
	r.string("token", &o.config.Token)
	r.duration("timeout", &o.config.Timeout)
	r.string("ns", &o.config.Namespace)
	tokens := string(o.config.Tokens)
	r.string("tokens", &tokens)
	o.config.Tokens = registry.TokenMode(tokens)
	if headers := r.stringMap("headers"); headers != nil {
		o.config.Headers = http.Header{}
		for k, v := range headers {
			o.config.Headers.Set(k, v)
		}
	}
	o.tags = r.stringMap("tags")
	o.config.Retry = readRetry(r)
	r.string("http", &o.httpVersion)
	if o.httpVersion != "" && o.httpVersion != httpVersion11 && o.httpVersion != httpVersion2 && r.err == nil {
		r.fail("http", `"1.1" or "2"`, r.get("http"))
	}
	if r.err != nil {
		return nil, r.err
	}
	if o.config.URL == "" {
		return nil, fmt.Errorf("new Client: option \"url\" is required, e.g. \"http://127.0.0.1:5000\"")
	}
	for k := range o.tags {
		if slices.Contains(extensionTags, k) {
			return nil, fmt.Errorf("new Client: tag %q is set by the extension itself", k)
		}
	}
	return o, nil
}

// readRetry reads "retry": a number of attempts, or { attempts, statuses,
// network, backoff, maxDelay } over the registry package's defaults, which
// also checks the values.
func readRetry(r *optionReader) *registry.RetryPolicy {
	v := r.get("retry")
	if v == nil {
		return nil
	}
	p := registry.DefaultRetryPolicy()
	if _, isNumber := number(v); isNumber {
		r.int("retry", 0, math.MaxInt32, &p.Attempts)
		return &p
	}
	sub := newOptionReader(r.rt, r.call+`: option "retry"`, v, "attempts", "statuses", "network", "backoff", "maxDelay")
	sub.int("attempts", 0, math.MaxInt32, &p.Attempts)
	if statuses := sub.ints("statuses"); statuses != nil {
		p.Statuses = statuses
	}
	sub.bool("network", &p.Network)
	sub.duration("backoff", &p.Backoff)
	sub.duration("maxDelay", &p.MaxDelay)
	if r.err == nil {
		r.err = sub.err
	}
	return &p
}

func parsePullOptions(rt *sobek.Runtime, call string, v sobek.Value) (registry.PullOptions, error) {
	r := newOptionReader(rt, call, v, "verify", "concurrency", "platform")
	o := registry.PullOptions{Verify: true, Concurrency: 1}
	r.bool("verify", &o.Verify)
	r.int("concurrency", 1, registry.MaxConcurrency, &o.Concurrency)
	r.string("platform", &o.Platform)
	return o, r.err
}

// readUpload reads the options every upload shares.
func readUpload(r *optionReader) registry.UploadOptions {
	o := registry.UploadOptions{Mode: registry.UploadStream}
	mode := string(o.Mode)
	r.string("upload", &mode)
	o.Mode = registry.UploadMode(mode)
	r.size("chunkSize", &o.ChunkSize)
	r.string("mountFrom", &o.MountFrom)
	r.bool("skipExisting", &o.SkipExisting)
	// 0 means the default to the registry package; a script that writes 0
	// means no chunks at all, which is a mistake.
	if r.err == nil && r.get("chunkSize") != nil && o.ChunkSize == 0 {
		r.err = fmt.Errorf("%s: option \"chunkSize\" must be above 0", r.call)
	}
	return o
}

func parsePushOptions(rt *sobek.Runtime, call string, v sobek.Value) (registry.PushOptions, error) {
	r := newOptionReader(rt, call, v, "upload", "chunkSize", "concurrency", "skipExisting", "mountFrom")
	o := registry.PushOptions{Concurrency: 1}
	o.UploadOptions = readUpload(r)
	r.int("concurrency", 1, registry.MaxConcurrency, &o.Concurrency)
	return o, r.err
}

func parseUploadOptions(rt *sobek.Runtime, call string, v sobek.Value) (registry.UploadOptions, error) {
	r := newOptionReader(rt, call, v, "upload", "chunkSize", "skipExisting", "mountFrom")
	o := readUpload(r)
	return o, r.err
}

func parseGenerateOptions(rt *sobek.Runtime, v sobek.Value) (content.GenerateOptions, error) {
	r := newOptionReader(rt, "generate", v, "layers", "layerSize", "layerSizes", "seed", "format", "body", "platforms", "base", "digest")
	o := content.GenerateOptions{Layers: 1, LayerSize: 1 << 20, Format: content.FormatOCI}
	r.int("layers", 0, content.MaxLayers, &o.Layers)
	r.size("layerSize", &o.LayerSize)
	o.LayerSizes = readSizeMix(r)
	o.Seed = readSeed(r)
	format := string(o.Format)
	r.string("format", &format)
	o.Format = content.Format(format)
	o.Body = readBody(r)
	o.Digest = readDigest(r)
	o.Platforms = r.strings("platforms")
	if v := r.get("base"); v != nil && r.err == nil {
		base, ok := v.Export().(*imageObject)
		if !ok {
			r.fail("base", "an image from registry.generate() or registry.load()", v)
		} else {
			o.Base = base.image
		}
	}
	return o, r.err
}

// strings reads a list of strings.
func (r *optionReader) strings(key string) []string {
	return readList(r, key, "a list of strings", func(x any) (string, bool) {
		s, ok := x.(string)
		return s, ok
	})
}

// ints reads a list of whole numbers.
func (r *optionReader) ints(key string) []int {
	return readList(r, key, "a list of whole numbers", func(x any) (int, bool) {
		f, ok := toFloat(x)
		return int(f), ok && f == math.Trunc(f) && math.Abs(f) <= math.MaxInt32
	})
}

// readList reads a list whose every element item converts.
func readList[T any](r *optionReader, key, want string, item func(any) (T, bool)) []T {
	v := r.get(key)
	if v == nil {
		return nil
	}
	list, ok := v.Export().([]any)
	out := make([]T, 0, len(list))
	for _, x := range list {
		t, isItem := item(x)
		if !isItem {
			ok = false
			break
		}
		out = append(out, t)
	}
	if !ok {
		r.fail(key, want, v)
		return nil
	}
	return out
}

// readBody reads how a generated blob's body is made: "shared" or "unique".
func readBody(r *optionReader) content.Body {
	var body string
	r.string("body", &body)
	if content.Body(body).Validate() != nil {
		r.fail("body", `"shared" or "unique"`, r.get("body"))
	}
	return content.Body(body)
}

// readDigest reads the digest algorithm content is described by: "sha256"
// (the default) or "sha512".
func readDigest(r *optionReader) digest.Algorithm {
	var name string
	r.string("digest", &name)
	alg, err := content.ParseAlgorithm(name)
	if err != nil {
		r.fail("digest", `"sha256" or "sha512"`, r.get("digest"))
	}
	return alg
}

// readSeed reads a seed: a whole number from 0 to 2^53, what JS holds exactly.
func readSeed(r *optionReader) *uint64 {
	v := r.get("seed")
	if v == nil {
		return nil
	}
	f, ok := number(v)
	if !ok || f != math.Trunc(f) || f < 0 || f > 1<<53 {
		r.fail("seed", "a whole number from 0 to 2^53", v)
		return nil
	}
	s := uint64(f)
	return &s
}
