package js_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/grafana/sobek"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.k6.io/k6/v2/js/modulestest"
	"go.k6.io/k6/v2/lib"
	"go.k6.io/k6/v2/metrics"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
	"github.com/xk6-registry/xk6-registry/js"
)

// vu is a k6 runtime with the module loaded as `registry`, and the samples
// its VU emits.
type vu struct {
	t       *testing.T
	rt      *modulestest.Runtime
	samples chan metrics.SampleContainer
}

func newVU(t *testing.T) *vu {
	t.Helper()
	rt := modulestest.NewRuntime(t)
	mi := js.New().NewModuleInstance(rt.VU)
	require.NoError(t, rt.VU.Runtime().Set("registry", mi.Exports().Default))
	return &vu{t: t, rt: rt, samples: make(chan metrics.SampleContainer, 100_000)}
}

// start moves the runtime from the init context to a running VU whose
// requests go through a real transport, as k6 gives each VU.
func (v *vu) start() {
	registry := v.rt.VU.InitEnvField.Registry
	v.rt.MoveToVUContext(&lib.State{
		Options: lib.Options{
			SystemTags: &metrics.DefaultSystemTagSet,
		},
		BuiltinMetrics: v.rt.BuiltinMetrics,
		Transport:      &http.Transport{},
		Samples:        v.samples,
		Tags:           lib.NewVUStateTags(registry.RootTagSet().With("scenario", "test")),
		BufferPool:     lib.NewBufferPool(),
	})
}

func (v *vu) run(code string) sobek.Value {
	v.t.Helper()
	val, err := v.rt.VU.Runtime().RunString(code)
	require.NoError(v.t, err)
	return val
}

func (v *vu) runErr(code string) error {
	v.t.Helper()
	_, err := v.rt.VU.Runtime().RunString(code)
	require.Error(v.t, err)
	return err
}

// drain returns every sample emitted so far.
func (v *vu) drain() []metrics.Sample {
	var out []metrics.Sample
	for {
		select {
		case c := <-v.samples:
			out = append(out, c.GetSamples()...)
		default:
			return out
		}
	}
}

func clientCode(reg *registrytest.Registry, password string) string {
	return `const client = new registry.Client({ url: "` + reg.URL + `", username: "` + reg.Username +
		`", password: "` + password + `", tags: { target: "unit" }, headers: { "X-Env": "test" } });`
}

func TestInitContextRefusesNetworkCallsButNotClients(t *testing.T) {
	t.Parallel()
	v := newVU(t)
	v.run(`const client = new registry.Client({ url: "http://127.0.0.1:1" });`)
	err := v.runErr(`client.ping()`)
	assert.Contains(t, err.Error(), "client.ping: network calls are not allowed in the init context")
	err = v.runErr(`client.pull("a/b:1")`)
	assert.Contains(t, err.Error(), "client.pull")
	v.run(`const img = registry.generate({ layers: 1, layerSize: "4KiB", seed: 1 });`)
	assert.Equal(t, int64(1), v.run(`img.layers.length`).ToInteger())
	assert.Empty(t, v.drain())
}

func TestProgrammerErrorsThrowWithTheCulpritNamed(t *testing.T) {
	t.Parallel()
	v := newVU(t)
	v.start()
	v.run(`const client = new registry.Client({ url: "http://127.0.0.1:1" }); const img = registry.generate({ layerSize: 4096 });`)
	cases := map[string]string{
		`new registry.Client({ url: "http://127.0.0.1:1", usernme: "x" })`: `unknown option "usernme"`,
		`new registry.Client({})`:                                                `"url" is required`,
		`new registry.Client({ url: "ftp://x" })`:                                "scheme must be http or https",
		`new registry.Client({ url: "127.0.0.1:5000" })`:                         "no scheme; write http://127.0.0.1:5000 or https://127.0.0.1:5000",
		`new registry.Client({ url: "localhost:5000" })`:                         "no scheme; write http://localhost:5000",
		`new registry.Client({ url: "u:secret@127.0.0.1:5000/team" })`:           "no scheme; write http://127.0.0.1:5000/team",
		`new registry.Client({ url: "http://127.0.0.1:5000/v2/" })`:              "leave /v2 out, the client adds it: http://127.0.0.1:5000",
		`new registry.Client({ url: "https://r.example/mirror/v2" })`:            "leave /v2 out, the client adds it: https://r.example/mirror",
		`new registry.Client({ url: "http://u:secret@x" })`:                      "username and password",
		`new registry.Client({ url: "http://x", timeout: "soon" })`:              `option "timeout"`,
		`client.pull("Team/App:1")`:                                              `repository name "Team/App" is invalid`,
		`client.pull("team/app")`:                                                `want repository:tag`,
		`client.pull("team/app:1", { verfy: true })`:                             `pull: unknown option "verfy"; known: concurrency, platform, verify`,
		`client.pull("team/app:1", { platform: "amd64" })`:                       `platform "amd64"`,
		`client.push("team/app:1", img, { upload: "bulk" })`:                     `must be one of monolithic, stream, chunked, post; got "bulk"`,
		`client.push("team/app:1", img, { chunkSize: "5XB" })`:                   `invalid size "5XB"`,
		`client.push("team/app:1", { digest: "sha256:x" })`:                      "must come from registry.generate() or registry.load()",
		`client.push("team/app:1", img, { concurrency: 0 })`:                     `"concurrency" must be a whole number from 1 to 64`,
		`client.uploadLayer("team/app", "text")`:                                 "must come from registry.blob()",
		`client.uploadLayer("team/app", registry.blob("x"), { mountFrom: "A" })`: `"mountFrom"`,
		`registry.generate({ layers: 2, size: "1MiB" })`:                         `generate: unknown option "size"`,
		`registry.generate({ layerSize: 10 })`:                                   "layerSize 10",
		`registry.generate({ format: "zip" })`:                                   `format "zip"`,
		`registry.blob({ seed: 1 })`:                                             `"size" is required`,
		`registry.blob()`:                                                        "want { size, seed }",
		`registry.load("./nope.tar")`:                                            "call it in the init context",
		`client.getBlob("team/app", "sha256:abc")`:                               `invalid digest "sha256:abc"`,
		`client.getBlob("team/app", img.digest, { range: [5, 1] })`:              `option "range" must be [start, end]`,
		`client.getManifest("team/app:1", { accept: 7 })`:                        `option "accept"`,
		`client.putManifest("team/app:1", "not json")`:                           "the manifest is not JSON",
		`client.putManifest("team/app:1", { schemaVersion: 2 })`:                 "pass { mediaType }",
		`client.tags("team/app", { n: -1 })`:                                     `option "n"`,
		`client.catalog({ page: 2 })`:                                            `catalog: unknown option "page"`,
		`client.referrers("team/app", img.digest, { type: "x" })`:                `referrers: unknown option "type"`,
		`client.mountBlob("team/app", img.digest, "Bad")`:                        `repository name "Bad" is invalid`,
		`client.uploadStatus("")`:                                                "want an upload location",
		`registry.artifact({ size: 10 })`:                                        "artifactType is required",
		`registry.artifact({ artifactType: "a/b", subject: { digest: "x" } })`:   "subject needs a valid digest",
		`registry.generate({ platforms: ["linux"] })`:                            `platform "linux"`,
		`registry.generate({ platforms: ["linux/amd64", "linux/amd64"] })`:       "listed twice",
		`registry.generate({ base: { layers: [] } })`:                            `option "base"`,
		`client.pull("team/app:1", { platform: "any" })`:                         `platform "any"`,
	}
	for code, want := range cases {
		err := v.runErr(code)
		assert.Contains(t, err.Error(), want, code)
		assert.NotContains(t, err.Error(), "secret", code)
	}
}

func TestPushAndPullAreMeasured(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{Auth: registrytest.AuthToken})
	v := newVU(t)
	v.run(clientCode(reg, reg.Password))
	v.start()
	v.run(`
		const image = registry.generate({ layers: 2, layerSize: "256KiB" });
		const pushed = client.push("unit/app:1", image, { upload: "chunked", chunkSize: "100KiB", concurrency: 2 });
		const pulled = client.pull("unit/app:1", { concurrency: 3 });
		const up = client.uploadLayer("unit/app", registry.blob(new Uint8Array([1, 2, 3]).buffer), { upload: "post" });
		const text = client.uploadLayer("unit/app", registry.blob("literal"), { upload: "monolithic", mountFrom: "unit/other", skipExisting: true });
		const again = client.uploadLayer("unit/app", registry.blob("literal"), { skipExisting: true });
		const pong = client.ping();
	`)
	for _, check := range []string{
		`pushed.ok && pushed.error === null && pushed.status === 201 && pushed.uploaded === 3 && pushed.digest === image.digest`,
		`pulled.ok && pulled.digest === pushed.digest && pulled.bytes === pushed.bytes && pulled.blobs === 3 && pulled.mediaType === image.mediaType`,
		`up.ok && up.size === 3 && up.location.includes(up.digest) && up.mounted === false`,
		`text.ok && text.size === 7 && text.skipped === false`,
		`again.ok && again.skipped === true && again.digest === text.digest`,
		`pong.ok && pong.status === 200`,
	} {
		assert.True(t, v.run(check).ToBoolean(), check)
	}

	samples := v.drain()
	seen := map[string]int{}
	ops := map[string]bool{}
	opened := map[string]int{} // 202 answers per op
	for _, s := range samples {
		name := s.Metric.Name
		seen[name]++
		tags := s.Tags.Map()
		assert.Equal(t, "unit", tags["target"], "client tag on %s", name)
		assert.Equal(t, "test", tags["scenario"], "VU tag on %s", name)
		if name == "http_reqs" {
			require.NotEmpty(t, tags["registry_op"], "%v", tags)
			ops[tags["registry_op"]] = true
			if tags["status"] == "202" {
				opened[tags["registry_op"]]++
			}
			for _, bad := range []string{"sha256:", "_state", "?"} {
				assert.NotContains(t, tags["name"], bad)
				assert.NotContains(t, tags["url"], bad)
			}
		}
		if name == "http_req_failed" {
			// Challenges and HEAD misses are part of the protocol, not failures.
			assert.Zero(t, s.Value, "failed request %v", tags)
		}
		if name == "registry_blob_throughput" {
			assert.Contains(t, []string{"pull", "push"}, tags["direction"])
			assert.Positive(t, s.Value)
		}
	}
	for _, m := range []string{"http_reqs", "http_req_duration", "http_req_waiting", "http_req_failed",
		"registry_pull_duration", "registry_push_duration", "registry_upload_duration", "registry_blob_throughput"} {
		assert.Positive(t, seen[m], "no %s samples", m)
	}
	assert.Zero(t, seen["registry_errors"])
	assert.Equal(t, 1, seen["registry_pull_duration"])
	assert.Equal(t, 1, seen["registry_push_duration"])
	assert.Equal(t, 3+2, seen["registry_upload_duration"], "a sample per uploaded blob")
	for _, op := range []string{"token", "ping", "blob_head", "upload_start", "upload_chunk", "upload_complete", "blob_mount", "manifest_put", "manifest_get", "blob_get"} {
		assert.True(t, ops[op], "no request with registry_op %s; saw %v", op, ops)
	}
	// The mount the registry declined (202) goes on in the session it
	// opened, as docker's does: nothing cancelled, no second session.
	assert.False(t, ops["upload_cancel"], "a session was cancelled")
	assert.Equal(t, 1, opened["blob_mount"])
	assert.Equal(t, 3+1, opened["upload_start"], "the pushed blobs' sessions and the post upload's")
}

func TestRegistryFailuresAreValuesAndCounted(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{Auth: registrytest.AuthHtpasswd})
	const secret = "Not-The-Password-42"
	v := newVU(t)
	v.run(clientCode(reg, secret))
	v.start()
	res := v.run(`JSON.stringify([client.ping(), client.pull("unit/none:1")])`).String()
	assert.NotContains(t, res, secret)
	var results []struct {
		OK     bool `json:"ok"`
		Status int  `json:"status"`
		Error  struct {
			Op, Code, Message string
			Status            int
		} `json:"error"`
	}
	require.NoError(t, json.Unmarshal([]byte(res), &results))
	for _, r := range results {
		assert.False(t, r.OK)
		assert.Equal(t, http.StatusUnauthorized, r.Status)
		assert.Equal(t, "UNAUTHORIZED", r.Error.Code)
	}
	assert.Equal(t, "ping", results[0].Error.Op)
	assert.Equal(t, "manifest_get", results[1].Error.Op)

	errors, failed, challenges := 0, 0, 0
	for _, s := range v.drain() {
		for k, val := range s.Tags.Map() {
			assert.NotContains(t, k+"="+val, secret)
		}
		if s.Metric.Name == "registry_errors" {
			errors++
			assert.Equal(t, "UNAUTHORIZED", s.Tags.Map()["registry_error_code"])
			assert.Equal(t, "1401", s.Tags.Map()["error_code"], "k6's code, as on the request")
			assert.Contains(t, []string{"ping", "manifest_get"}, s.Tags.Map()["registry_op"])
		}
		if s.Metric.Name == "http_req_failed" {
			if s.Value == 1 {
				failed++
			} else {
				challenges++
			}
		}
	}
	assert.Equal(t, 2, errors)
	// The ping's anonymous first attempt meets the Basic challenge, which is
	// the protocol; each attempt with the wrong password is a failure, and
	// is not sent again: the registry refused those very credentials.
	assert.Equal(t, 2, failed)
	assert.Equal(t, 1, challenges)
}

func TestMissingImageIsManifestUnknown(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{})
	v := newVU(t)
	v.run(`const client = new registry.Client({ url: "` + reg.URL + `" });`)
	v.start()
	got := v.run(`const r = client.pull("unit/none:1"); [r.ok, r.status, r.error.code, r.error.op].join(" ")`).String()
	assert.Equal(t, "false 404 MANIFEST_UNKNOWN manifest_get", got)
	assert.True(t, strings.Contains(v.run(`r.error.message`).String(), "unknown"), v.run(`r.error.message`).String())
}
