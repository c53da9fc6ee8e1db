package replay

import (
	"slices"
)

// warmUpSet is what existed before the trace, in source names: the blobs
// of each repository, and each repository's manifests with their tags.
type warmUpSet struct {
	blobs     map[[2]string]bool // repository, digest
	blobOrder [][2]string
	manifests map[[2]string]*warmManifest // repository, manifest key
	made      []*warmManifest             // in the order first seen
	order     []*warmManifest             // an index after its manifests
}

type warmManifest struct {
	repo, key string
	tags      []string
	byDigest  bool
	placed    bool
}

func newWarmUpSet() *warmUpSet {
	return &warmUpSet{blobs: map[[2]string]bool{}, manifests: map[[2]string]*warmManifest{}}
}

func (w *warmUpSet) addBlob(repo, d string) {
	k := [2]string{repo, d}
	if !w.blobs[k] {
		w.blobs[k] = true
		w.blobOrder = append(w.blobOrder, k)
	}
}

// rebuildState finds what existed before the trace: an object whose first
// event in it is a successful read. What the trace first wrote, the replay
// creates when the trace did; what it found missing, nobody creates. Then
// it adds what those need (a manifest's blobs and manifests) and what the
// trace's writes needed that it did not write itself.
func (p *planner) rebuildState() {
	w := newWarmUpSet()
	p.warm = w
	first := map[object]bool{}
	var lists []object
	var listed []string // repositories whose first tag list succeeded
	for _, a := range p.actions {
		for _, o := range a.reads {
			if _, seen := first[o]; !seen {
				first[o] = true
				if o.kind == 'l' {
					lists = append(lists, o)
					if a.ok() {
						listed = append(listed, o.repo)
					}
				}
				if a.ok() {
					p.existedBefore(o, a)
				}
			}
		}
		for _, o := range a.writes {
			if _, seen := first[o]; !seen {
				first[o] = true
			}
		}
	}
	// What the trace's successful writes needed and did not write first.
	written := map[object]bool{}
	for _, a := range p.actions {
		if a.ok() {
			switch a.step.Op {
			case StepManifestPut:
				p.needs(a.repo, a.manifest, written)
			case StepBlobMount:
				if o := (object{kind: 'b', repo: a.from, name: a.digest}); !written[o] {
					w.addBlob(a.from, a.digest)
				}
			}
			for _, o := range a.writes {
				written[o] = true
			}
		}
	}
	if p.storage != nil {
		p.listedTags(lists, first)
	}
	p.placeholders(listed)
	for i := 0; i < len(w.made); i++ {
		p.warmManifest(w.made[i])
	}
}

// existedBefore records an object a successful read found first.
func (p *planner) existedBefore(o object, a *action) {
	switch o.kind {
	case 'b':
		p.warm.addBlob(o.repo, o.name)
	case 'm':
		p.warm.manifest(o.repo, o.name).byDigest = true
	case 't':
		m := p.warm.manifest(o.repo, a.manifest)
		if !slices.Contains(m.tags, o.name) {
			m.tags = append(m.tags, o.name)
		}
	}
}

func (w *warmUpSet) manifest(repo, key string) *warmManifest {
	k := [2]string{repo, key}
	m := w.manifests[k]
	if m == nil {
		m = &warmManifest{repo: repo, key: key}
		w.manifests[k] = m
		w.made = append(w.made, m)
	}
	return m
}

// needs adds to the warm-up what a manifest PUT in the trace refers to and
// the trace did not write before it: it existed in the source.
func (p *planner) needs(repo, key string, written map[object]bool) {
	info := p.ids.manifests[key]
	if info == nil {
		return
	}
	for _, d := range p.blobsOf(info) {
		if !written[object{kind: 'b', repo: repo, name: d}] {
			p.warm.addBlob(repo, d)
		}
	}
	if info.stored != nil {
		for _, c := range info.stored.Manifests {
			if !written[object{kind: 'm', repo: repo, name: c.Digest}] {
				p.warm.manifest(repo, c.Digest).byDigest = true
				p.ids.info(c.Digest, nil)
			}
		}
	}
}

// listedTags adds, for each repository whose tag list the trace read, the
// tags the storage holds that the trace never touched: the source served
// them in its lists.
func (p *planner) listedTags(lists []object, first map[object]bool) {
	for _, o := range lists {
		for _, tag := range p.storage.Tags(o.repo) {
			if first[object{kind: 't', repo: o.repo, name: tag}] {
				continue
			}
			d, ok := p.storage.TagCurrent(o.repo, tag)
			if !ok || p.ids.storedManifest(d) == nil {
				continue
			}
			p.ids.info(d, nil)
			m := p.warm.manifest(o.repo, d)
			m.tags = append(m.tags, tag)
		}
	}
}

// placeholders gives a repository whose tags the trace listed before it
// put any a tag of its own, when nothing else of the warm-up tags it: the
// source listed tags there, so it existed, and without a tag the target
// would answer the list with 404. The log does not say which tags; a
// plan made with the storage lists them all.
func (p *planner) placeholders(repos []string) {
	tagged := map[string]bool{}
	for _, m := range p.warm.made {
		if len(m.tags) > 0 {
			tagged[m.repo] = true
		}
	}
	for _, repo := range repos {
		if tagged[repo] {
			continue
		}
		tagged[repo] = true
		key := "placeholder:" + repo
		p.ids.info(key, func() []string { return nil })
		m := p.warm.manifest(repo, key)
		m.tags = append(m.tags, unpadded+repo)
	}
}

// warmManifest places a warm-up manifest after its manifests, with its
// blobs in the warm-up.
func (p *planner) warmManifest(m *warmManifest) {
	if m.placed {
		return
	}
	m.placed = true
	info := p.ids.manifests[m.key]
	if info != nil {
		for _, d := range p.blobsOf(info) {
			p.warm.addBlob(m.repo, d)
		}
		if info.stored != nil {
			for _, c := range info.stored.Manifests {
				p.ids.info(c.Digest, nil)
				child := p.warm.manifest(m.repo, c.Digest)
				child.byDigest = true
				p.warmManifest(child)
			}
		}
	}
	p.warm.order = append(p.warm.order, m)
}

// blobsOf lists a manifest's blobs by source digest (a made-up config
// blob's key among them): config first.
func (p *planner) blobsOf(info *manifestInfo) []string {
	if info.stored != nil {
		return info.stored.blobDigests()
	}
	if len(info.blobs) == 0 {
		return []string{syntheticConfig(info.key)}
	}
	return info.blobs
}

// syntheticConfig keys the config blob of a made-up manifest that no blob
// of the trace could stand for.
func syntheticConfig(manifestKey string) string { return "config:" + manifestKey }
