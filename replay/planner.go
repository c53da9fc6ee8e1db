package replay

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/xk6-registry/xk6-registry/registry/content"
)

// PlanOptions tune Build.
type PlanOptions struct {
	// Storage is the source registry's storage; nil plans from the log
	// alone, estimating what it does not say.
	Storage *Storage
	// Seed seeds the plan's blobs; 0 takes a fresh one.
	Seed uint64
	// Formats name the logs the requests came from, for the plan's record.
	Formats []Format
}

// planner makes a plan of a log's requests.
type planner struct {
	storage *Storage
	actions []*action
	ids     *identities
	warm    *warmUpSet
	// uploader is the client that uploaded each blob, by digest.
	uploader map[string]string
}

// Build makes the plan of a log's requests, given in order of their start
// (as ReadLog and Merge return them).
func Build(reqs []Request, opts PlanOptions) (*Plan, error) {
	if len(reqs) == 0 {
		return nil, errors.New("the log holds no requests: is it distribution's log with log.formatter: json and level info?")
	}
	actions, unmapped, challenges := readActions(reqs)
	if len(actions) == 0 {
		return nil, fmt.Errorf("none of the log's %d requests maps to a registry call: %s", len(reqs), describeCounts(unmapped))
	}
	t0 := reqs[0].Start
	clients := clientIndexes(reqs)
	for _, a := range actions {
		a.step.Client = clients[a.client]
		a.step.At = seconds(a.start.Sub(t0))
		a.step.End = max(seconds(a.end.Sub(t0)), a.step.At)
	}
	sort.SliceStable(actions, func(i, j int) bool { return actions[i].step.At < actions[j].step.At })
	p := &planner{storage: opts.Storage, actions: actions, uploader: map[string]string{}}
	for _, a := range actions {
		if a.step.Op == StepUpload && a.ok() {
			p.uploader[a.digest] = a.client
		}
	}
	p.ids = newIdentities(opts.Storage, actions)
	p.ids.resolve(actions)
	for _, a := range actions {
		a.touch()
	}
	p.rebuildState()
	linkClients(actions)
	plan := p.emit(reqs, clients)
	plan.Source.Races = countRaces(actions)
	plan.Seed = opts.Seed
	if plan.Seed == 0 {
		plan.Seed = content.FreshSeed()
	}
	plan.Source.Formats = opts.Formats
	plan.Source.Unmapped = unmapped
	plan.Source.Challenges = challenges
	if err := plan.Validate(); err != nil {
		return nil, fmt.Errorf("the planner made a plan it cannot replay (a bug): %w", err)
	}
	return plan, nil
}

func seconds(d time.Duration) float64 { return d.Seconds() }

// emitter turns source names into the plan's ids, listing each blob and
// manifest once, in the order first named.
type emitter struct {
	p         *planner
	anon      *anonymiser
	plan      *Plan
	blobs     []string // source digests, in id order
	blobSeen  map[string]bool
	manSeen   map[string]bool
	manifests []string // in an order that lists an index after its manifests
}

func (p *planner) emit(reqs []Request, clients map[string]int) *Plan {
	e := &emitter{p: p, anon: newAnonymiser(), plan: &Plan{Version: PlanVersion}, blobSeen: map[string]bool{}, manSeen: map[string]bool{}}
	plan := e.plan
	plan.Clients = make([]Client, len(clients))
	for i := range plan.Clients {
		plan.Clients[i].ID = fmt.Sprintf("c%d", i+1)
	}
	for i := range reqs {
		if c, ok := clients[reqs[i].Client]; ok && plan.Clients[c].User == "" && reqs[i].User != "" {
			plan.Clients[c].User = e.anon.user(reqs[i].User)
		}
	}
	for _, a := range p.actions {
		plan.Steps = append(plan.Steps, e.step(a))
		plan.Duration = max(plan.Duration, a.step.End)
		plan.Source.Requests += a.step.Requests
	}
	for _, k := range p.warm.blobOrder {
		plan.WarmUp.Blobs = append(plan.WarmUp.Blobs, RepoBlob{Repo: e.anon.repo(k[0]), Blob: e.blob(k[1])})
	}
	for _, m := range p.warm.order {
		rm := RepoManifest{Repo: e.anon.repo(m.repo), Manifest: e.manifest(m.key), ByDigest: m.byDigest}
		for _, t := range m.tags {
			rm.Tags = append(rm.Tags, e.anon.tag(t))
		}
		plan.WarmUp.Manifests = append(plan.WarmUp.Manifests, rm)
	}
	e.describeManifests()
	e.describeBlobs()
	plan.Source.Storage = p.storage != nil
	return plan
}

func (e *emitter) step(a *action) Step {
	s := a.step
	if a.repo != "" {
		s.Repo = e.anon.repo(a.repo)
	}
	if a.tag != "" {
		s.Tag = e.anon.tag(a.tag)
	}
	if a.manifest != "" && a.tag == "" || s.Op == StepManifestPut {
		s.Manifest = e.manifest(a.manifest)
	}
	if a.digest != "" {
		s.Blob = e.blob(a.digest)
	}
	if a.from != "" {
		s.From = e.anon.repo(a.from)
	}
	switch {
	case s.Last == "":
	case s.Op == StepTags:
		s.Last = e.anon.tag(s.Last)
	default:
		s.Last = e.anon.repo(s.Last)
	}
	return s
}

func (e *emitter) blob(d string) string {
	if !e.blobSeen[d] {
		e.blobSeen[d] = true
		e.blobs = append(e.blobs, d)
	}
	return e.anon.blob(d)
}

// manifest names a manifest, and the blobs and manifests it lists first.
func (e *emitter) manifest(key string) string {
	if !e.manSeen[key] {
		e.manSeen[key] = true
		info := e.p.ids.info(key, nil)
		if info.stored != nil {
			for _, c := range info.stored.Manifests {
				e.manifest(c.Digest)
			}
		}
		e.manifests = append(e.manifests, key)
	}
	return e.anon.manifest(key)
}

// describeManifests lists the plan's manifests. One no successful write
// made and the warm-up does not make is absent: only asked for.
func (e *emitter) describeManifests() {
	made := e.madeManifests()
	sizes := e.p.sizeBlobs(e.allBlobs())
	for _, key := range e.manifests {
		info := e.p.ids.manifests[key]
		mf := Manifest{ID: e.anon.manifest(key)}
		switch {
		case !made[key]:
			mf.Absent = true
		case info.stored != nil:
			st := info.stored
			mf.MediaType, mf.Size = st.MediaType, st.Size
			if st.Config != nil {
				mf.Config = &Descriptor{ID: e.blob(st.Config.Digest), MediaType: st.Config.MediaType}
			}
			for _, l := range st.Layers {
				mf.Layers = append(mf.Layers, Descriptor{ID: e.blob(l.Digest), MediaType: l.MediaType})
			}
			for _, c := range st.Manifests {
				mf.Manifests = append(mf.Manifests, Descriptor{ID: e.anon.manifest(c.Digest), Platform: c.Platform})
			}
		default:
			blobs := e.p.blobsOf(info)
			// The smallest blob stands for the config: configs are small.
			config := 0
			for i, d := range blobs {
				if sizes.size[d] < sizes.size[blobs[config]] {
					config = i
				}
			}
			mf.Config = &Descriptor{ID: e.blob(blobs[config])}
			for i, d := range blobs {
				if i != config {
					mf.Layers = append(mf.Layers, Descriptor{ID: e.blob(d)})
				}
			}
			mf.Size = info.size
		}
		e.plan.Manifests = append(e.plan.Manifests, mf)
	}
}

// madeManifests are the manifests the replay puts: in the warm-up, by a
// successful PUT, or listed by an index it puts.
func (e *emitter) madeManifests() map[string]bool {
	made := map[string]bool{}
	var mark func(key string)
	mark = func(key string) {
		if made[key] {
			return
		}
		made[key] = true
		if info := e.p.ids.manifests[key]; info != nil && info.stored != nil {
			for _, c := range info.stored.Manifests {
				mark(c.Digest)
			}
		}
	}
	for _, m := range e.p.warm.order {
		mark(m.key)
	}
	for _, a := range e.p.actions {
		if a.step.Op == StepManifestPut && a.ok() {
			mark(a.manifest)
		}
	}
	return made
}

// allBlobs lists every blob the plan may name: those named so far and
// those of every manifest.
func (e *emitter) allBlobs() []string {
	out := append([]string(nil), e.blobs...)
	for _, key := range e.manifests {
		out = append(out, e.p.blobsOf(e.p.ids.manifests[key])...)
	}
	return out
}

// describeBlobs lists the plan's blobs with their sizes. One that nothing
// uploads, mounts, warms up or lists is absent: only asked for.
func (e *emitter) describeBlobs() {
	sizes := e.p.sizeBlobs(e.blobs)
	made := map[string]bool{}
	for _, k := range e.p.warm.blobOrder {
		made[k[1]] = true
	}
	for _, a := range e.p.actions {
		if (a.step.Op == StepUpload || a.step.Op == StepBlobMount) && a.ok() {
			made[a.digest] = true
		}
	}
	for i, key := range e.manifests {
		if !e.plan.Manifests[i].Absent {
			for _, d := range e.p.blobsOf(e.p.ids.manifests[key]) {
				made[d] = true
			}
		}
	}
	for _, d := range e.blobs {
		b := Blob{ID: e.anon.blob(d), Size: sizes.size[d], Estimated: sizes.estimated[d], Absent: !made[d]}
		if b.Absent {
			b.Size, b.Estimated = 0, false
		}
		if b.Estimated {
			e.plan.Source.EstimatedSizes++
		}
		e.plan.Blobs = append(e.plan.Blobs, b)
	}
}

// DescribeUnmapped lists a plan's unmapped counts, largest first.
func DescribeUnmapped(counts map[string]int) []string {
	return countLines(counts)
}

// describeCounts prints counts by reason, largest first.
func describeCounts(counts map[string]int) string {
	parts := countLines(counts)
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, ", ")
}

func countLines(counts map[string]int) []string {
	type kv struct {
		k string
		v int
	}
	var list []kv
	for k, v := range counts {
		list = append(list, kv{k, v})
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].v != list[j].v {
			return list[i].v > list[j].v
		}
		return list[i].k < list[j].k
	})
	var parts []string
	for _, e := range list {
		parts = append(parts, fmt.Sprintf("%s: %d", e.k, e.v))
	}
	return parts
}
