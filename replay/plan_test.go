package replay

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// smallPlan is a valid plan: an index of one image, warmed up, and a
// client that reads them.
func smallPlan() *Plan {
	return &Plan{
		Version: PlanVersion, Seed: 42, Duration: 1,
		Clients: []Client{{ID: "c1"}},
		Blobs:   []Blob{{ID: "b1", Size: 100}, {ID: "b2", Size: 5000}},
		Manifests: []Manifest{
			{ID: "m1", MediaType: mediaTypeDockerManifest, Config: &Descriptor{ID: "b1"}, Layers: []Descriptor{{ID: "b2"}}, Size: 900},
			{ID: "m2", MediaType: mediaTypeOCIIndex, Manifests: []Descriptor{{ID: "m1", Platform: "linux/arm64/v8"}}, Size: 600},
			{ID: "m3", Absent: true},
		},
		WarmUp: Existing{
			Blobs:     []RepoBlob{{Repo: "r1", Blob: "b1"}, {Repo: "r1", Blob: "b2"}},
			Manifests: []RepoManifest{{Repo: "r1", Manifest: "m1", ByDigest: true}, {Repo: "r1", Manifest: "m2", Tags: []string{"t1"}}},
		},
		Steps: []Step{
			{Client: 0, At: 0, End: 0.1, Op: StepManifestGet, Repo: "r1", Tag: "t1", Status: 200, Requests: 1},
			{Client: 0, At: 0.2, End: 0.3, Op: StepBlobGet, Repo: "r1", Blob: "b2", Status: 206, Range: 10, Requests: 1},
			{Client: 0, At: 0.4, End: 0.5, Op: StepManifestHead, Repo: "r1", Manifest: "m3", Status: 404, Requests: 1, After: []int{1}},
		},
	}
}

func TestValidateNamesWhatIsWrong(t *testing.T) {
	require.NoError(t, smallPlan().Validate())
	for want, breakIt := range map[string]func(p *Plan){
		"version 2":                func(p *Plan) { p.Version = 2 },
		`layer "b9" is not a blob`: func(p *Plan) { p.Manifests[0].Layers[0].ID = "b9" },
		`manifest m2: "m1" is not a manifest listed before it`: func(p *Plan) { p.Manifests[0], p.Manifests[1] = p.Manifests[1], p.Manifests[0] },
		"step 1: client 3":                      func(p *Plan) { p.Steps[1].Client = 3 },
		`op "pull" is not one of`:               func(p *Plan) { p.Steps[0].Op = "pull" },
		"before the step before it":             func(p *Plan) { p.Steps[2].At = 0.1; p.Steps[2].End = 0.1 },
		"a step waits only for steps before it": func(p *Plan) { p.Steps[1].After = []int{2} },
		"needs a tag or a manifest":             func(p *Plan) { p.Steps[0].Manifest = "m1" },
		"needs a repository":                    func(p *Plan) { p.Steps[1].Repo = "R1" },
		`mode "fast"`:                           func(p *Plan) { p.Steps[1].Op, p.Steps[1].Mode = StepUpload, "fast" },
		`warm-up blob "b3"`:                     func(p *Plan) { p.WarmUp.Blobs[0].Blob = "b3" },
		`tag "-x" is not a tag`:                 func(p *Plan) { p.WarmUp.Manifests[1].Tags = []string{"-x"} },
		"stands for at least one request":       func(p *Plan) { p.Steps[0].Requests = 0 },
	} {
		p := smallPlan()
		breakIt(p)
		err := p.Validate()
		if assert.Error(t, err, want) {
			assert.Contains(t, err.Error(), want)
		}
	}
}

func TestReadPlanRefusesWhatItDoesNotKnow(t *testing.T) {
	raw, err := json.Marshal(smallPlan())
	require.NoError(t, err)
	p, err := ParsePlan(raw)
	require.NoError(t, err)
	assert.Len(t, p.Steps, 3)
	_, err = ParsePlan([]byte(strings.Replace(string(raw), `"seed"`, `"sede"`, 1)))
	assert.ErrorContains(t, err, `unknown field "sede"`)
	_, err = ParsePlan([]byte("{"))
	assert.ErrorContains(t, err, "plan:")
}

// Every machine that replays a plan makes the same manifests, of the size
// the source served, listing the same digests.
func TestManifestsAreTheSourcesSizeAndTheSameEverywhere(t *testing.T) {
	ctx := context.Background()
	raw, err := json.Marshal(smallPlan())
	require.NoError(t, err)
	one, err := ParsePlan(raw)
	require.NoError(t, err)
	other, err := ParsePlan(raw)
	require.NoError(t, err)
	for _, id := range []string{"m1", "m2", "m3"} {
		body, mediaType, d, err := one.made().manifest(ctx, id)
		require.NoError(t, err)
		body2, _, d2, err := other.made().manifest(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, d, d2, "%s: one plan, one digest", id)
		assert.Equal(t, body, body2)
		assert.Equal(t, digest.FromBytes(body), d)
		var parsed map[string]any
		require.NoError(t, json.Unmarshal(body, &parsed), "%s is JSON", id)
		if id == "m3" {
			continue
		}
		assert.Equal(t, mediaType, parsed["mediaType"])
	}
	body, _, _, err := one.made().manifest(ctx, "m1")
	require.NoError(t, err)
	assert.Len(t, body, 900, "padded to the source's size")
	var m builtImage
	require.NoError(t, json.Unmarshal(body, &m))
	assert.Equal(t, mediaTypeDockerConfig, m.Config.MediaType, "a docker manifest's config type")
	assert.Equal(t, int64(5000), m.Layers[0].Size)
	_, layer, err := one.made().blob(ctx, "b2")
	require.NoError(t, err)
	assert.Equal(t, layer.Digest.String(), m.Layers[0].Digest)

	index, _, _, err := one.made().manifest(ctx, "m2")
	require.NoError(t, err)
	assert.Len(t, index, 600)
	var idx builtIndex
	require.NoError(t, json.Unmarshal(index, &idx))
	assert.Equal(t, &builtPlatform{OS: "linux", Architecture: "arm64", Variant: "v8"}, idx.Manifests[0].Platform)
	assert.Equal(t, int64(900), idx.Manifests[0].Size)
}

func TestIdsArePaddedAndClientsComeBack(t *testing.T) {
	a := newAnonymiser()
	assert.Equal(t, "r1xxxxxx", a.repo("team/app"))
	assert.Equal(t, "r1xxxxxx", a.repo("team/app"), "stable")
	assert.Equal(t, "r2", a.repo("x"), "a short name gets the id as it is")
	assert.Equal(t, "t1xxxx", a.tag("latest"))
	assert.Equal(t, "u1", a.user("alice"))
	assert.Empty(t, a.user(""))
	for _, i := range []int{0, 1, 255, 256, 70000} {
		addr := ClientAddress(i)
		assert.True(t, strings.HasPrefix(addr, "127."), addr)
		back, ok := clientOfAddress(addr)
		assert.True(t, ok)
		assert.Equal(t, i, back)
	}
	_, ok := clientOfAddress("127.0.0.1")
	assert.False(t, ok, "an address the replay does not send")
}
