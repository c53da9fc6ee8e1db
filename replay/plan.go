package replay

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/xk6-registry/xk6-registry/registry"
)

// PlanVersion is the version of the plan format this package writes and
// reads; docs/replay.md describes it.
const PlanVersion = 1

// Plan is a log turned into what a replay does, with every name of the
// source replaced by a stable id: repositories r1, r2..., tags t1...,
// blobs b1..., manifests m1..., users u1..., clients c1.... Ids of
// repositories and tags are padded to the source name's length, so lists
// of tags and repositories serve as many bytes as the source's did.
type Plan struct {
	Version int `json:"version"`
	// Seed makes the generated blobs: one plan, the same bytes and
	// digests on every machine that replays it.
	Seed      uint64     `json:"seed"`
	Source    Source     `json:"source"`
	Duration  float64    `json:"duration"` // seconds, from the first request's start to the last one's end
	Clients   []Client   `json:"clients"`
	Blobs     []Blob     `json:"blobs"`
	Manifests []Manifest `json:"manifests"`
	WarmUp    Existing   `json:"warmUp"`
	Steps     []Step     `json:"steps"`

	materials *materials // blobs and manifest bodies, made once per process
}

// Source says what the plan was made from.
type Source struct {
	Formats  []Format `json:"formats"`
	Storage  bool     `json:"storage"`  // sizes and manifests came from the source's storage
	Requests int      `json:"requests"` // requests of the log the steps reproduce
	// Unmapped counts the requests the plan leaves out, by reason.
	Unmapped map[string]int `json:"unmapped,omitempty"`
	// Challenges counts 401 answers the access log shows: the replay's own
	// auth answers its challenges.
	Challenges int `json:"challenges,omitempty"`
	// Races counts reads that overlapped another client's write of what
	// they read: the replay may settle those the other way, so they bound
	// the status mismatches to expect.
	Races int `json:"races"`
	// EstimatedSizes counts the blobs whose size nothing in the log or the
	// storage gave; each is marked estimated.
	EstimatedSizes int `json:"estimatedSizes,omitempty"`
}

// Client is one source client: an address, anonymised.
type Client struct {
	ID   string `json:"id"`
	User string `json:"user,omitempty"`
}

// Blob is a blob the replay generates: size bytes of seeded content.
type Blob struct {
	ID        string `json:"id"`
	Size      int64  `json:"size"`
	Estimated bool   `json:"estimated,omitempty"` // the size is a guess
	Absent    bool   `json:"absent,omitempty"`    // never existed: only asked for
}

// Manifest is a manifest the replay builds: an image manifest (config and
// layers) or an index (manifests), of the source's media type, padded to
// the source's size.
type Manifest struct {
	ID        string       `json:"id"`
	MediaType string       `json:"mediaType,omitempty"`
	Config    *Descriptor  `json:"config,omitempty"`
	Layers    []Descriptor `json:"layers,omitempty"`
	Manifests []Descriptor `json:"manifests,omitempty"`
	Size      int64        `json:"size,omitempty"` // pad to this many bytes; 0: as built
	Absent    bool         `json:"absent,omitempty"`
}

// Descriptor points from a manifest to a blob or, in an index, a manifest.
type Descriptor struct {
	ID        string `json:"id"`
	MediaType string `json:"mediaType,omitempty"`
	Platform  string `json:"platform,omitempty"`
}

// Existing is what existed before the trace: the warm-up makes it.
type Existing struct {
	Blobs []RepoBlob `json:"blobs"`
	// Manifests in the order they go: an index after its manifests.
	Manifests []RepoManifest `json:"manifests"`
}

// RepoBlob is a blob in a repository.
type RepoBlob struct {
	Repo string `json:"repo"`
	Blob string `json:"blob"`
}

// RepoManifest is a manifest in a repository, under tags or by digest.
type RepoManifest struct {
	Repo     string   `json:"repo"`
	Manifest string   `json:"manifest"`
	Tags     []string `json:"tags,omitempty"`
	ByDigest bool     `json:"byDigest,omitempty"`
}

// Operations of steps: the registry_op of the call that makes them.
const (
	StepPing           = registry.OpPing
	StepManifestGet    = registry.OpManifestGet
	StepManifestHead   = registry.OpManifestHead
	StepManifestPut    = registry.OpManifestPut
	StepManifestDelete = registry.OpManifestDelete
	StepBlobGet        = registry.OpBlobGet
	StepBlobHead       = registry.OpBlobHead
	StepBlobDelete     = registry.OpBlobDelete
	StepBlobMount      = registry.OpBlobMount
	StepUpload         = registry.OpUploadLayer // POST, PATCHes, PUT: one upload session
	StepTags           = registry.OpTags
	StepCatalog        = registry.OpCatalog
	StepReferrers      = registry.OpReferrers
)

var stepOps = []string{StepPing, StepManifestGet, StepManifestHead, StepManifestPut, StepManifestDelete,
	StepBlobGet, StepBlobHead, StepBlobDelete, StepBlobMount, StepUpload, StepTags, StepCatalog, StepReferrers}

// Step is one registry call of the replay, standing for one request of the
// log or, for an upload, the requests of its session.
type Step struct {
	Client int     `json:"client"` // index in Clients
	At     float64 `json:"at"`     // seconds from the trace's start
	End    float64 `json:"end"`    // when it ended in the source
	Op     string  `json:"op"`
	Repo   string  `json:"repo,omitempty"`
	// Tag or Manifest names a manifest; Manifest also names what a PUT
	// puts, and the subject of referrers.
	Tag      string `json:"tag,omitempty"`
	Manifest string `json:"manifest,omitempty"`
	Blob     string `json:"blob,omitempty"`
	From     string `json:"from,omitempty"`   // a mount's source repository
	Mode     string `json:"mode,omitempty"`   // an upload's: monolithic, stream, chunked, post
	Chunks   int    `json:"chunks,omitempty"` // a chunked upload's PATCHes
	Range    int64  `json:"range,omitempty"`  // a 206 blob GET: the bytes it served, from the start
	N        int    `json:"n,omitempty"`      // a list's page size
	Last     string `json:"last,omitempty"`   // a list's last entry before the page
	Status   int    `json:"status"`           // the source's status (the last request's)
	Bytes    int64  `json:"bytes"`            // response bytes in the source
	Requests int    `json:"requests"`         // requests of the source it stands for
	// After lists steps of other clients this one waits for: in the source
	// it read what they wrote, or they wrote what it had found missing.
	After []int `json:"after,omitempty"`
}

// ReadPlan reads and checks a plan.
func ReadPlan(r io.Reader) (*Plan, error) {
	var p Plan
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

// ParsePlan reads and checks a plan held in memory.
func ParsePlan(raw []byte) (*Plan, error) { return ReadPlan(bytes.NewReader(raw)) }

// Write writes the plan as JSON.
func (p *Plan) Write(w io.Writer) error {
	enc := json.NewEncoder(w)
	return enc.Encode(p)
}

// Validate checks that every step and warm-up entry names what exists, so
// a replay never fails half way on a broken plan.
func (p *Plan) Validate() error {
	if p.Version != PlanVersion {
		return fmt.Errorf("plan: version %d; this replayer reads version %d (make the plan again with this version's cmd/replay)", p.Version, PlanVersion)
	}
	if math.IsNaN(p.Duration) || p.Duration < 0 {
		return fmt.Errorf("plan: duration %v is not a number of seconds", p.Duration)
	}
	blobs := map[string]bool{}
	for i, b := range p.Blobs {
		if b.ID == "" || blobs[b.ID] || b.Size < 0 {
			return fmt.Errorf("plan: blob %d (%q): an empty or repeated id, or a negative size", i, b.ID)
		}
		blobs[b.ID] = true
	}
	manifests := map[string]int{}
	for i, m := range p.Manifests {
		if m.ID == "" || manifests[m.ID] != 0 {
			return fmt.Errorf("plan: manifest %d (%q): an empty or repeated id", i, m.ID)
		}
		manifests[m.ID] = i + 1
		if m.Absent {
			continue
		}
		if m.Config != nil && !blobs[m.Config.ID] {
			return fmt.Errorf("plan: manifest %s: config %q is not a blob of the plan", m.ID, m.Config.ID)
		}
		for _, l := range m.Layers {
			if !blobs[l.ID] {
				return fmt.Errorf("plan: manifest %s: layer %q is not a blob of the plan", m.ID, l.ID)
			}
		}
		for _, c := range m.Manifests {
			// An index lists manifests before it, so building one never loops.
			if j := manifests[c.ID]; j == 0 || j > i {
				return fmt.Errorf("plan: manifest %s: %q is not a manifest listed before it", m.ID, c.ID)
			}
		}
	}
	for _, w := range p.WarmUp.Blobs {
		if registry.ValidateRepository(w.Repo) != nil || !blobs[w.Blob] {
			return fmt.Errorf("plan: warm-up blob %q in %q: not a blob of the plan or not a repository name", w.Blob, w.Repo)
		}
	}
	for _, w := range p.WarmUp.Manifests {
		if registry.ValidateRepository(w.Repo) != nil || manifests[w.Manifest] == 0 {
			return fmt.Errorf("plan: warm-up manifest %q in %q: not a manifest of the plan or not a repository name", w.Manifest, w.Repo)
		}
		for _, t := range w.Tags {
			if !tagRegexp.MatchString(t) {
				return fmt.Errorf("plan: warm-up manifest %s: tag %q is not a tag", w.Manifest, t)
			}
		}
	}
	for i := range p.Steps {
		if err := p.validateStep(i, blobs, manifests); err != nil {
			return fmt.Errorf("plan: step %d: %w", i, err)
		}
	}
	return nil
}

func (p *Plan) validateStep(i int, blobs map[string]bool, manifests map[string]int) error {
	s := &p.Steps[i]
	switch {
	case s.Client < 0 || s.Client >= len(p.Clients):
		return fmt.Errorf("client %d is not one of the %d clients", s.Client, len(p.Clients))
	case !slices.Contains(stepOps, s.Op):
		return fmt.Errorf("op %q is not one of %v", s.Op, stepOps)
	case math.IsNaN(s.At) || s.At < 0 || s.End < s.At:
		return fmt.Errorf("at %v and end %v are not a span of seconds", s.At, s.End)
	case i > 0 && s.At < p.Steps[i-1].At:
		return fmt.Errorf("at %v is before the step before it: steps go in order of their start", s.At)
	case s.Requests < 1:
		return fmt.Errorf("requests %d: a step stands for at least one request", s.Requests)
	case s.Range < 0 || s.N < 0 || s.Chunks < 0:
		return fmt.Errorf("range, n and chunks cannot be negative")
	}
	for _, a := range s.After {
		if a < 0 || a >= i {
			return fmt.Errorf("after %d: a step waits only for steps before it", a)
		}
	}
	needs := func(cond bool, what string) error {
		if !cond {
			return fmt.Errorf("op %s needs %s", s.Op, what)
		}
		return nil
	}
	if s.Op != StepPing && s.Op != StepCatalog {
		if err := needs(registry.ValidateRepository(s.Repo) == nil, "a repository"); err != nil {
			return err
		}
	}
	switch s.Op {
	case StepManifestGet, StepManifestHead:
		return needs((s.Tag != "" && tagRegexp.MatchString(s.Tag)) != (manifests[s.Manifest] != 0), "a tag or a manifest")
	case StepManifestPut:
		return needs(manifests[s.Manifest] != 0 && (s.Tag == "" || tagRegexp.MatchString(s.Tag)), "the manifest it puts")
	case StepManifestDelete, StepReferrers:
		return needs(manifests[s.Manifest] != 0, "a manifest")
	case StepBlobGet, StepBlobHead, StepBlobDelete:
		return needs(blobs[s.Blob], "a blob")
	case StepBlobMount:
		return needs(blobs[s.Blob] && registry.ValidateRepository(s.From) == nil, "a blob and the repository it is mounted from")
	case StepUpload:
		if err := needs(blobs[s.Blob], "a blob"); err != nil {
			return err
		}
		switch registry.UploadMode(s.Mode) {
		case registry.UploadMonolithic, registry.UploadStream, registry.UploadPost:
		case registry.UploadChunked:
			return needs(s.Chunks > 0, "chunks")
		default:
			return fmt.Errorf("mode %q is not monolithic, stream, chunked or post", s.Mode)
		}
		if s.From != "" {
			return needs(registry.ValidateRepository(s.From) == nil, "a repository to mount from")
		}
	}
	return nil
}

// Requests counts the source requests the steps stand for.
func (p *Plan) Requests() int {
	n := 0
	for _, s := range p.Steps {
		n += s.Requests
	}
	return n
}
