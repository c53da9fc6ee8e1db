package js_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.k6.io/k6/v2/metrics"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
)

// Every async twin resolves to what its blocking call returns.
func TestAsyncTwinsResolveToTheBlockingResults(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{Auth: registrytest.AuthToken})
	v := newVU(t)
	v.run(clientCode(reg, reg.Password))
	v.start()
	_, err := v.rt.RunOnEventLoop(`
		globalThis.pairs = {};
		(async () => {
			const image = registry.generate({ layers: 2, layerSize: "64KiB", seed: 5 });
			const blob = registry.blob({ size: "8KiB", seed: 6 });
			const pair = async (name, blocking, async) => { pairs[name] = [blocking(), await async()]; };
			await pair("push", () => client.push("twin/app:1", image), () => client.asyncPush("twin/app:1", image));
			await pair("pull", () => client.pull("twin/app:1"), () => client.asyncPull("twin/app:1"));
			await pair("ping", () => client.ping(), () => client.asyncPing());
			await pair("uploadLayer", () => client.uploadLayer("twin/app", blob), () => client.asyncUploadLayer("twin/app", blob));
			await pair("getManifest", () => client.getManifest("twin/app:1"), () => client.asyncGetManifest("twin/app:1"));
			await pair("headManifest", () => client.headManifest("twin/app:1"), () => client.asyncHeadManifest("twin/app:1"));
			await pair("getBlob", () => client.getBlob("twin/app", blob.digest), () => client.asyncGetBlob("twin/app", blob.digest));
			await pair("headBlob", () => client.headBlob("twin/app", blob.digest), () => client.asyncHeadBlob("twin/app", blob.digest));
			await pair("mountBlob", () => client.mountBlob("twin/other", blob.digest, "twin/app"), () => client.asyncMountBlob("twin/other", blob.digest, "twin/app"));
			await pair("tags", () => client.tags("twin/app"), () => client.asyncTags("twin/app"));
			await pair("catalog", () => client.catalog(), () => client.asyncCatalog());
			await pair("referrers", () => client.referrers("twin/app", image.digest), () => client.asyncReferrers("twin/app", image.digest));
			await pair("putManifest", () => client.putManifest("twin/app:2", pairs.getManifest[0].manifest), () => client.asyncPutManifest("twin/app:2", pairs.getManifest[0].manifest));
			await pair("uploadStatus", () => client.uploadStatus(pairs.push[0].ref), () => client.asyncUploadStatus(pairs.push[0].ref));
			await pair("deleteBlob", () => client.deleteBlob("twin/app", "sha256:" + "0".repeat(64)), () => client.asyncDeleteBlob("twin/app", "sha256:" + "0".repeat(64)));
			await pair("deleteManifest", () => client.deleteManifest("twin/app@sha256:" + "0".repeat(64)), () => client.asyncDeleteManifest("twin/app@sha256:" + "0".repeat(64)));
			await pair("cancelUpload", () => client.cancelUpload("/v2/twin/app/blobs/uploads/none"), () => client.asyncCancelUpload("/v2/twin/app/blobs/uploads/none"));
		})();
	`)
	require.NoError(t, err)
	names := v.run(`Object.keys(pairs).join(",")`).String()
	require.Len(t, strings.Split(names, ","), 17, "every network call has its twin: %s", names)
	// Fields that do not depend on when a call ran must be equal.
	same := v.run(`
		const stable = (r) => JSON.stringify({ ok: r.ok, status: r.status, code: r.error && r.error.code,
			keys: Object.keys(r).sort(), digest: r.digest, bytes: r.bytes, blobs: r.blobs, size: r.size,
			mediaType: r.mediaType, tags: r.tags });
		Object.entries(pairs).filter(([, [b, a]]) => stable(b) !== stable(a)).map(([n, [b, a]]) => n + ": " + stable(b) + " != " + stable(a)).join("\n")
	`).String()
	assert.Empty(t, same)
	assert.True(t, v.run(`pairs.pull[1].ok && pairs.push[1].ok && pairs.getManifest[1].manifest.layers.length === 2`).ToBoolean())
}

// A script's mistake rejects the async twin's promise with the error the
// blocking call throws, as k6's http.asyncRequest rejects on bad arguments;
// nothing is sent either way.
func TestAsyncMistakesRejectWithTheBlockingCallsError(t *testing.T) {
	t.Parallel()
	v := newVU(t)
	v.start()
	v.run(`const client = new registry.Client({ url: "http://127.0.0.1:1" }); const img = registry.generate({ layerSize: 4096 });`)
	for call, want := range map[string]string{
		`pull("Team/App:1")`:                        `invalid reference`,
		`pull("team/app:1", { verfy: true })`:       `unknown option "verfy"`,
		`pull("team/app:1", { platform: "amd64" })`: `platform "amd64"`,
		`pull(7)`: `the reference must be a string`,
		`push("team/app:1", img, { upload: "bulk" })`:        `must be one of monolithic, stream, chunked, post; got "bulk"`,
		`push("team/app:1", { digest: "x" })`:                `must come from registry.generate() or registry.load()`,
		`putManifest("team/app:1", "[]")`:                    "not an object",
		`getManifest("team/app:1", { accept: "a\r\nX: 1" })`: `option "accept"`,
		`getBlob("team/app", "sha256:abc")`:                  `invalid digest "sha256:abc"`,
		`mountBlob("team/app", img.digest, "Bad")`:           `repository name "Bad" is invalid`,
		`uploadStatus("")`:                                   "want an upload location",
		`tags("Bad/Repo")`:                                   `repository name "Bad/Repo" is invalid`,
		`uploadLayer("team/app", "text")`:                    "must come from registry.blob()",
	} {
		name, args, _ := strings.Cut(call, "(")
		asyncName := "async" + strings.ToUpper(name[:1]) + name[1:]
		thrown := v.run(`(() => { try { client.` + call + `; return "returned"; } catch (e) { return e.message; } })()`).String()
		assert.True(t, strings.HasPrefix(thrown, name+": "), "%s: %s", call, thrown)
		assert.Contains(t, thrown, want, call)
		_, err := v.rt.RunOnEventLoop(`globalThis.rejected = undefined;
			client.` + asyncName + `(` + args + `.then(() => { rejected = "resolved"; }, (e) => { rejected = e.message; });`)
		require.NoError(t, err, "%s threw instead of rejecting", asyncName)
		assert.Equal(t, asyncName+strings.TrimPrefix(thrown, name), v.run(`rejected`).String(), call)
	}
	assert.Empty(t, v.drain(), "a refused call sent a request")
	// In the init context a network call throws, async or not, as k6's do.
	init := newVU(t)
	init.run(`const client = new registry.Client({ url: "http://127.0.0.1:1" });`)
	assert.Contains(t, init.runErr(`client.asyncPull("team/app:1")`).Error(), "not allowed in the init context")
}

// Pulls awaited together run at the same time: the registry sees their
// blob requests overlap.
func TestAsyncPullsRunAtOnce(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{})
	proxy := registrytest.StartFaultProxy(t, reg.URL)
	var mu sync.Mutex
	inFlight, most := 0, 0
	both := make(chan struct{})
	proxy.Add(registrytest.Rule{Method: http.MethodGet, Path: "/blobs/sha256:", Limit: 2, Fault: registrytest.Fault{Before: func() {
		mu.Lock()
		inFlight++
		most = max(most, inFlight)
		if inFlight == 2 {
			close(both)
		}
		mu.Unlock()
		// Hold the first until the second arrives: a bound, not a pace.
		select {
		case <-both:
		case <-time.After(5 * time.Second):
		}
	}}})
	v := newVU(t)
	v.run(`const client = new registry.Client({ url: "` + proxy.URL + `" });`)
	v.start()
	v.run(`
		for (const tag of ["a", "b"]) client.push("overlap/app:" + tag, registry.generate({ layers: 1, layerSize: "16KiB" }));
		globalThis.done = [];
	`)
	_, err := v.rt.RunOnEventLoop(`(async () => { done = await Promise.all([client.asyncPull("overlap/app:a"), client.asyncPull("overlap/app:b")]); })()`)
	require.NoError(t, err)
	assert.True(t, v.run(`done.length === 2 && done.every((r) => r.ok)`).ToBoolean())
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, 2, most, "the two pulls' blob requests were at the registry at once")
}

// An async call is measured with the VU's tags as they were when it was
// made, though the script changed them before awaiting it.
func TestAsyncCallsKeepTheTagsOfTheirCall(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{})
	v := newVU(t)
	v.run(`const client = new registry.Client({ url: "` + reg.URL + `" });`)
	v.start()
	state := v.rt.VU.State()
	require.NoError(t, v.rt.VU.Runtime().Set("setPhase", func(phase string) {
		state.Tags.Modify(func(tm *metrics.TagsAndMeta) { tm.SetTag("phase", phase) })
	}))
	v.run(`client.push("tags/app:1", registry.generate({ layers: 1, layerSize: "16KiB" }));`)
	v.drain()
	_, err := v.rt.RunOnEventLoop(`(async () => {
		setPhase("A");
		const pending = client.asyncPull("tags/app:1");
		setPhase("B");
		if (!(await pending).ok) throw new Error("pull failed");
	})()`)
	require.NoError(t, err)
	seen := 0
	for _, s := range v.drain() {
		if s.Metric.Name == "http_reqs" || s.Metric.Name == "registry_pull_duration" || s.Metric.Name == "registry_blob_throughput" {
			phase, _ := s.Tags.Get("phase")
			assert.Equal(t, "A", phase, "%s sample", s.Metric.Name)
			seen++
		}
	}
	assert.Positive(t, seen)
}
