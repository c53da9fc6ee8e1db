package js_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
	"github.com/xk6-registry/xk6-registry/replay"
)

// tinyPlan warms up a tagged image, then one client reads it, a blob that
// never existed, and a tag the source found but the target will not: that
// step's status differs from the source's.
func tinyPlan(t *testing.T) string {
	t.Helper()
	p := &replay.Plan{
		Version: replay.PlanVersion, Seed: 9, Duration: 0.3,
		Clients:   []replay.Client{{ID: "c1"}},
		Blobs:     []replay.Blob{{ID: "b1", Size: 64}, {ID: "b2", Size: 4096}, {ID: "b3", Absent: true}},
		Manifests: []replay.Manifest{{ID: "m1", Config: &replay.Descriptor{ID: "b1"}, Layers: []replay.Descriptor{{ID: "b2"}}, Size: 700}},
		WarmUp: replay.Existing{
			Blobs:     []replay.RepoBlob{{Repo: "r1", Blob: "b1"}, {Repo: "r1", Blob: "b2"}},
			Manifests: []replay.RepoManifest{{Repo: "r1", Manifest: "m1", Tags: []string{"t1"}}},
		},
		Steps: []replay.Step{
			{Client: 0, At: 0, End: 0.01, Op: replay.StepManifestGet, Repo: "r1", Tag: "t1", Status: 200, Bytes: 700, Requests: 1},
			{Client: 0, At: 0.02, End: 0.03, Op: replay.StepBlobGet, Repo: "r1", Blob: "b2", Status: 200, Bytes: 4096, Requests: 1},
			{Client: 0, At: 0.02, End: 0.03, Op: replay.StepBlobHead, Repo: "r1", Blob: "b3", Status: 404, Requests: 1},
			{Client: 0, At: 0.05, End: 0.06, Op: replay.StepManifestHead, Repo: "r1", Tag: "t2", Status: 200, Requests: 1},
		},
	}
	raw, err := json.Marshal(p)
	require.NoError(t, err)
	return string(raw)
}

func TestReplayRunsAPlanAsMeasuredCalls(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{Auth: registrytest.AuthHtpasswd})
	v := newVU(t)
	plan, _ := json.Marshal(tinyPlan(t))
	v.run(`const replay = registry.replay(` + string(plan) + `, { url: "` + reg.URL + `", username: "` + reg.Username +
		`", password: "` + reg.Password + `", tags: { target: "unit" } }, { speed: 2 });`)
	assert.Equal(t, int64(1), v.run(`replay.clients`).ToInteger())
	assert.Equal(t, int64(4), v.run(`replay.requests`).ToInteger())
	assert.InDelta(t, 0.15, v.run(`replay.duration`).ToFloat(), 1e-9, "the trace's length at speed 2")
	err := v.runErr(`replay.warmUp()`)
	assert.Contains(t, err.Error(), "call it in setup()")
	v.start()
	err = v.runErr(`registry.replay("{}", { url: "` + reg.URL + `" })`)
	assert.Contains(t, err.Error(), "replay: call it in the init context")

	v.run(`const warm = replay.warmUp();`)
	assert.Equal(t, int64(2), v.run(`warm.blobs`).ToInteger())
	assert.Equal(t, int64(1), v.run(`warm.manifests`).ToInteger())
	v.drain()
	res := v.run(`JSON.stringify(replay.client(0, warm.start))`).String()
	assert.JSONEq(t, `{"client":"c1","steps":4,"mismatches":1,"failed":0,"unmet":0}`, res)

	ops := map[string]int{}
	lags, mismatched := 0, map[string]int{}
	for _, s := range v.drain() {
		switch s.Metric.Name {
		case "http_reqs":
			op, _ := s.Tags.Get("registry_op")
			ops[op]++
			target, _ := s.Tags.Get("target")
			assert.Equal(t, "unit", target, "the options' tags")
		case "registry_replay_lag":
			lags++
			assert.GreaterOrEqual(t, s.Value, 0.0)
		case "registry_replay_mismatches":
			op, _ := s.Tags.Get("registry_op")
			mismatched[op]++
		}
	}
	// The first request's 401 challenge is a request too, answered by the
	// client's auth as the source's clients answered theirs.
	assert.Equal(t, map[string]int{"manifest_get": 2, "blob_get": 1, "blob_head": 1, "manifest_head": 1}, ops, "one http_reqs sample per request")
	assert.Equal(t, 4, lags, "one lag per step")
	assert.Equal(t, map[string]int{"manifest_head": 1}, mismatched)
}

func TestReplayRefusesABadPlanOrOption(t *testing.T) {
	t.Parallel()
	v := newVU(t)
	plan, _ := json.Marshal(tinyPlan(t))
	for code, want := range map[string]string{
		`registry.replay("{", { url: "http://127.0.0.1:1" })`:                                "replay: plan:",
		`registry.replay('{"version": 9}', { url: "http://127.0.0.1:1" })`:                   "version 9",
		`registry.replay(42, { url: "http://127.0.0.1:1" })`:                                 "want the plan as open(path) returns it",
		`registry.replay(` + string(plan) + `, {})`:                                          `"url" is required`,
		`registry.replay(` + string(plan) + `, { url: "http://127.0.0.1:1" }, { speed: 0 })`: `option "speed"`,
		`registry.replay(` + string(plan) + `, { url: "http://127.0.0.1:1" }, { pace: 1 })`:  `unknown option "pace"`,
		`registry.replay(` + string(plan) + `, { url: "http://127.0.0.1:1" }).client(0, 1)`:  "network calls are not allowed in the init context",
	} {
		err := v.runErr(code)
		assert.Contains(t, err.Error(), want, code)
	}
}
