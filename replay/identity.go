package replay

import (
	"net/http"
	"slices"
	"strconv"
	"time"
)

// manifestInfo is a source manifest as the planner knows it: read from the
// storage, or made up from the blobs its client touched around it.
type manifestInfo struct {
	key    string
	stored *StoredManifest
	// blobs are a made-up manifest's blobs, by source digest.
	blobs []string
	size  int64 // bytes the source served it as; 0 when unknown
}

// synthWindow is how long after reading a manifest a client's blob reads
// are taken as that manifest's layers, when no storage says what they are.
const synthWindow = 30 * time.Second

// identities resolves which manifest each manifest request was about.
type identities struct {
	storage   *Storage
	manifests map[string]*manifestInfo
	stored    map[string]*StoredManifest // storage reads, nil for a failed one
	// firstRead says of a blob in a repository whether its first event in
	// the trace was a successful read: only such blobs existed before it.
	firstRead map[[2]string]bool
	putTags   map[[2]string][]string // manifests PUT by tag in the trace, per repository and tag
	made      int
}

func newIdentities(st *Storage, actions []*action) *identities {
	id := &identities{storage: st, manifests: map[string]*manifestInfo{}, stored: map[string]*StoredManifest{},
		firstRead: map[[2]string]bool{}, putTags: map[[2]string][]string{}}
	for _, a := range actions {
		if a.digest == "" {
			continue
		}
		k := [2]string{a.repo, a.digest}
		if _, seen := id.firstRead[k]; !seen {
			id.firstRead[k] = (a.step.Op == StepBlobGet || a.step.Op == StepBlobHead) && a.ok()
		}
	}
	return id
}

// storedManifest reads a manifest from the storage, once.
func (id *identities) storedManifest(d string) *StoredManifest {
	if id.storage == nil || d == "" {
		return nil
	}
	if m, ok := id.stored[d]; ok {
		return m
	}
	m, err := id.storage.Manifest(d)
	if err != nil {
		m = nil
	}
	id.stored[d] = m
	return m
}

// info is the manifest of a key, made on first use: from the storage when
// it holds the digest, else made up from blobs.
func (id *identities) info(key string, blobs func() []string) *manifestInfo {
	if m, ok := id.manifests[key]; ok {
		return m
	}
	m := &manifestInfo{key: key}
	if m.stored = id.storedManifest(key); m.stored != nil {
		m.size = m.stored.Size
	} else if blobs != nil {
		m.blobs = blobs()
	}
	id.manifests[key] = m
	return m
}

// newKey is a key for a manifest the storage cannot name.
func (id *identities) newKey(kind string) string {
	id.made++
	return kind + ":" + strconv.Itoa(id.made)
}

// resolve sets each manifest action's manifest: first what each PUT put,
// then, along the trace, what each tag pointed to when it was read.
func (id *identities) resolve(actions []*action) {
	id.resolvePuts(actions)
	tags := map[[2]string]string{}
	for i, a := range actions {
		switch a.step.Op {
		case StepManifestPut:
			if a.ok() && a.tag != "" {
				tags[[2]string{a.repo, a.tag}] = a.manifest
			}
		case StepManifestGet, StepManifestHead:
			id.resolveRead(actions, i, tags)
		case StepManifestDelete:
			if a.tag != "" {
				delete(tags, [2]string{a.repo, a.tag})
				continue
			}
			a.manifest = a.ref
			if a.ok() && id.manifests[a.ref] == nil && id.storedManifest(a.ref) == nil {
				a.manifest = id.deletedByTag(actions, i, tags)
			}
			id.info(a.manifest, nil)
			if a.ok() {
				for k, v := range tags {
					if k[0] == a.repo && v == a.manifest {
						delete(tags, k)
						a.deletedTags = append(a.deletedTags, k[1])
					}
				}
				slices.Sort(a.deletedTags)
			}
		case StepReferrers:
			a.manifest = a.ref
			id.info(a.ref, nil)
		}
	}
}

// deletedByTag finds what a DELETE by a digest the planner never saw put
// deleted: the manifest of a tag of the repository that was found before
// and is missing at its next read. Without storage, a PUT by tag does not
// tell its digest; the reads after the delete do.
func (id *identities) deletedByTag(actions []*action, i int, tags map[[2]string]string) string {
	a := actions[i]
	var names []string
	for k := range tags {
		if k[0] == a.repo {
			names = append(names, k[1])
		}
	}
	slices.Sort(names)
	for _, tag := range names {
		for _, b := range actions[i+1:] {
			if b.repo == a.repo && b.tag == tag && (b.step.Op == StepManifestGet || b.step.Op == StepManifestHead || b.step.Op == StepManifestPut) {
				if b.step.Status == http.StatusNotFound {
					return tags[[2]string{a.repo, tag}]
				}
				break
			}
		}
	}
	return a.ref
}

// resolvePuts names what each manifest PUT put: the digest it was PUT by;
// else the storage's manifest of that tag whose blobs the client had just
// touched; else one made up from those blobs.
func (id *identities) resolvePuts(actions []*action) {
	recent := map[[2]string][]string{} // blobs each client touched in each repository since its last PUT
	for _, a := range actions {
		k := [2]string{a.client, a.repo}
		switch a.step.Op {
		case StepUpload, StepBlobMount, StepBlobHead, StepBlobGet:
			if a.ok() && !slices.Contains(recent[k], a.digest) {
				recent[k] = append(recent[k], a.digest)
			}
		case StepManifestPut:
			blobs := recent[k]
			if a.ok() {
				delete(recent, k)
			}
			switch {
			case a.ref != "":
				a.manifest = a.ref
			default:
				a.manifest = id.storedPut(a, blobs)
				if a.manifest == "" {
					a.manifest = id.newKey("put")
				}
				id.putTags[[2]string{a.repo, a.tag}] = append(id.putTags[[2]string{a.repo, a.tag}], a.manifest)
			}
			id.info(a.manifest, func() []string { return blobs })
		}
	}
}

// storedPut picks, among the manifests the storage says a tag pointed to,
// the one with most of the blobs the client touched before its PUT.
func (id *identities) storedPut(a *action, blobs []string) string {
	if id.storage == nil {
		return ""
	}
	candidates := id.storage.TagHistory(a.repo, a.tag)
	if len(candidates) == 0 {
		// A tag deleted since, with its manifest: the storage keeps the
		// manifest among the repository's revisions.
		candidates = id.storage.Revisions(a.repo)
	}
	current, _ := id.storage.TagCurrent(a.repo, a.tag)
	used := id.putTags[[2]string{a.repo, a.tag}]
	best, bestScore := "", -1
	for _, c := range candidates {
		m := id.storedManifest(c)
		if m == nil {
			continue
		}
		score := 0
		for _, d := range m.blobDigests() {
			if slices.Contains(blobs, d) {
				score += 4
			} else {
				score -= 4
			}
		}
		if !slices.Contains(used, c) {
			score += 2
		}
		if c == current {
			score++
		}
		if score > bestScore {
			best, bestScore = c, score
		}
	}
	return best
}

// resolveRead names the manifest a GET or HEAD read: by digest, that one;
// by tag, what the tag pointed to then, or, for a tag first seen in the
// trace, what it pointed to before it.
func (id *identities) resolveRead(actions []*action, i int, tags map[[2]string]string) {
	a := actions[i]
	following := func() []string { return id.blobsRead(actions, i) }
	if a.ref != "" {
		a.manifest = a.ref
		m := id.info(a.ref, following)
		id.learnSize(m, a)
		return
	}
	if !a.ok() {
		return
	}
	k := [2]string{a.repo, a.tag}
	key, ok := tags[k]
	if !ok {
		key = id.storedBefore(a)
		if key == "" {
			key = id.newKey("tag")
		}
		tags[k] = key
	}
	a.manifest = key
	id.learnSize(id.info(key, following), a)
}

// learnSize takes a made-up manifest's size from the first GET of it.
func (id *identities) learnSize(m *manifestInfo, a *action) {
	if m.stored == nil && m.size == 0 && a.step.Op == StepManifestGet && a.step.Status == http.StatusOK {
		m.size = a.step.Bytes
	}
}

// storedBefore is what the storage says a tag pointed to before the trace
// put anything under it: of the digests it pointed to, one the trace did
// not put, of the size the source served.
func (id *identities) storedBefore(a *action) string {
	if id.storage == nil {
		return ""
	}
	put := id.putTags[[2]string{a.repo, a.tag}]
	current, hasCurrent := id.storage.TagCurrent(a.repo, a.tag)
	var candidates []string
	for _, c := range id.storage.TagHistory(a.repo, a.tag) {
		if !slices.Contains(put, c) && id.storedManifest(c) != nil {
			candidates = append(candidates, c)
		}
	}
	if a.step.Op == StepManifestGet && a.step.Bytes > 0 {
		for _, c := range candidates {
			if id.storedManifest(c).Size == a.step.Bytes {
				return c
			}
		}
	}
	if hasCurrent && slices.Contains(candidates, current) {
		return current
	}
	if len(candidates) > 0 {
		return candidates[0]
	}
	if hasCurrent && id.storedManifest(current) != nil {
		return current
	}
	return ""
}

// blobsRead lists the blobs that existed before the trace which the client
// of action i read in its repository after it, up to its next manifest
// request there: the layers of a manifest no storage describes.
func (id *identities) blobsRead(actions []*action, i int) []string {
	a := actions[i]
	var out []string
	for _, b := range actions[i+1:] {
		if b.start.After(a.end.Add(synthWindow)) {
			break
		}
		if b.client != a.client || b.repo != a.repo {
			continue
		}
		if b.manifest != "" || b.step.Op == StepManifestGet || b.step.Op == StepManifestHead || b.step.Op == StepManifestPut {
			break
		}
		if (b.step.Op == StepBlobGet || b.step.Op == StepBlobHead) && b.ok() &&
			id.firstRead[[2]string{b.repo, b.digest}] && !slices.Contains(out, b.digest) {
			out = append(out, b.digest)
		}
	}
	return out
}

// blobDigests lists a stored manifest's config and layers.
func (m *StoredManifest) blobDigests() []string {
	var out []string
	if m.Config != nil {
		out = append(out, m.Config.Digest)
	}
	for _, l := range m.Layers {
		out = append(out, l.Digest)
	}
	return out
}
