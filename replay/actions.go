package replay

import (
	"net/http"
	"strconv"
	"time"
)

// action is one step of the plan while it is made: the source's names
// still in it, the requests it stands for, and what it read and wrote.
type action struct {
	step   Step
	client string
	repo   string
	tag    string // a manifest request's tag
	ref    string // a manifest request's digest reference, or a referrers subject
	digest string // a blob's digest
	from   string // a mount's source repository
	start  time.Time
	end    time.Time
	// manifest is the source manifest the action reads or puts: a digest,
	// or a key of a manifest the planner makes up; "" for a failed read.
	manifest string
	// reads and writes are the objects it touched, for the warm-up and
	// for the dependencies between clients.
	reads, writes []object
	// deletedTags are the tags a manifest DELETE left without a manifest.
	deletedTags []string
	dropped     bool
}

// ok tells whether the action succeeded in the source; a mount answered
// 202 did not mount.
func (a *action) ok() bool {
	if a.step.Op == StepBlobMount {
		return a.step.Status == http.StatusCreated
	}
	return a.step.Status >= 200 && a.step.Status < 300
}

// uploadSession is an upload being read from the log: its POST, then its
// PATCHes, up to the PUT that closes it.
type uploadSession struct {
	a       *action
	patches int
	status  int  // GET requests of its status, which a replay does not send
	mount   bool // opened by a mount that failed
}

// actionReader turns requests into actions, joining each upload session's
// requests into one action, and counts what it cannot map.
type actionReader struct {
	actions    []*action
	unmapped   map[string]int
	challenges int
	byUUID     map[string]*uploadSession
	pending    map[[2]string][]*uploadSession // opened by a POST, no session request seen yet
}

func readActions(reqs []Request) ([]*action, map[string]int, int) {
	ar := &actionReader{unmapped: map[string]int{}, byUUID: map[string]*uploadSession{}, pending: map[[2]string][]*uploadSession{}}
	for i := range reqs {
		ar.add(&reqs[i])
	}
	for _, list := range ar.pending {
		for _, s := range list {
			ar.drop(s, "upload sessions never completed")
		}
	}
	for _, s := range ar.byUUID {
		ar.drop(s, "upload sessions never completed")
	}
	kept := ar.actions[:0]
	for _, a := range ar.actions {
		if !a.dropped {
			kept = append(kept, a)
		}
	}
	return kept, ar.unmapped, ar.challenges
}

func (ar *actionReader) drop(s *uploadSession, reason string) {
	s.a.dropped = true
	ar.unmapped[reason] += s.a.step.Requests + s.status
}

func (ar *actionReader) newAction(r *Request, op string) *action {
	a := &action{client: r.Client, repo: r.Route.Repo, start: r.Start, end: r.End(),
		step: Step{Op: op, Status: r.Status, Bytes: r.Written, Requests: 1}}
	ar.actions = append(ar.actions, a)
	return a
}

func (ar *actionReader) unmap(r *Request, what string) {
	ar.unmapped[r.Method+" "+what]++
}

func (ar *actionReader) add(r *Request) {
	rt := r.Route
	if rt.Kind == RouteUnknown {
		ar.unmap(r, "unrouted")
		return
	}
	if r.Status == http.StatusUnauthorized {
		// A challenge: the replay's client answers its own.
		ar.challenges++
		return
	}
	switch rt.Kind {
	case RouteBase:
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			ar.unmap(r, "/v2/")
			return
		}
		ar.newAction(r, StepPing)
	case RouteCatalog, RouteTags:
		if r.Method != http.MethodGet {
			ar.unmap(r, rt.Kind.String())
			return
		}
		op := StepCatalog
		if rt.Kind == RouteTags {
			op = StepTags
		}
		a := ar.newAction(r, op)
		a.step.N, _ = strconv.Atoi(r.Query.Get("n"))
		a.step.N = max(a.step.N, 0)
		a.step.Last = r.Query.Get("last")
	case RouteManifest:
		ops := map[string]string{http.MethodGet: StepManifestGet, http.MethodHead: StepManifestHead,
			http.MethodPut: StepManifestPut, http.MethodDelete: StepManifestDelete}
		op, ok := ops[r.Method]
		if !ok {
			ar.unmap(r, "manifest")
			return
		}
		a := ar.newAction(r, op)
		if rt.IsDigest() {
			a.ref = rt.Reference
		} else {
			a.tag = rt.Reference
		}
	case RouteBlob:
		ops := map[string]string{http.MethodGet: StepBlobGet, http.MethodHead: StepBlobHead, http.MethodDelete: StepBlobDelete}
		op, ok := ops[r.Method]
		if !ok {
			ar.unmap(r, "blob")
			return
		}
		a := ar.newAction(r, op)
		a.digest = rt.Digest
		if op == StepBlobGet && r.Status == http.StatusPartialContent {
			a.step.Range = r.Written
		}
	case RouteReferrers:
		if r.Method != http.MethodGet {
			ar.unmap(r, "referrers")
			return
		}
		a := ar.newAction(r, StepReferrers)
		a.ref = rt.Digest
	case RouteUploads:
		ar.startUpload(r)
	case RouteUpload:
		ar.continueUpload(r)
	}
}

// startUpload reads a POST to /blobs/uploads/: a mount, a whole blob in
// the POST, or a session opened.
func (ar *actionReader) startUpload(r *Request) {
	if r.Method != http.MethodPost {
		ar.unmap(r, "upload")
		return
	}
	mount, from, dgst := r.Query.Get("mount"), r.Query.Get("from"), r.Query.Get("digest")
	switch {
	case mount != "" && r.Status == http.StatusCreated:
		a := ar.newAction(r, StepBlobMount)
		a.digest, a.from = mount, from
	case dgst != "" && r.Status == http.StatusCreated:
		a := ar.newAction(r, StepUpload)
		a.digest, a.step.Mode = dgst, "post"
	case r.Status == http.StatusAccepted:
		// A mount that failed opens a session too: the client uploads into
		// it (as docker does), or cancels it (as registry.Client does).
		a := ar.newAction(r, StepUpload)
		s := &uploadSession{a: a, mount: mount != ""}
		if s.mount {
			a.digest, a.from = mount, from
		}
		key := [2]string{r.Client, r.Route.Repo}
		ar.pending[key] = append(ar.pending[key], s)
	default:
		ar.unmap(r, "upload start that failed")
	}
}

// pickSession picks which of a client's open sessions a request to a new
// one belongs to: the oldest, but a DELETE goes to a failed mount first
// (a client cancels those) and any other request to a session that was
// not a mount first (a client uploads into those), so a push that mounts
// and uploads at once keeps its requests apart.
func pickSession(open []*uploadSession, cancel bool) int {
	for k, s := range open {
		if s.mount == cancel {
			return k
		}
	}
	return 0
}

// continueUpload reads a request to an upload session. The POST's line
// does not name the session; its first request does, so a session is the
// oldest one its client opened in the repository and has not used yet.
func (ar *actionReader) continueUpload(r *Request) {
	s := ar.byUUID[r.Route.UUID]
	if s == nil {
		key := [2]string{r.Client, r.Route.Repo}
		if list := ar.pending[key]; len(list) > 0 {
			k := pickSession(list, r.Method == http.MethodDelete)
			s = list[k]
			ar.pending[key] = append(list[:k:k], list[k+1:]...)
			ar.byUUID[r.Route.UUID] = s
		}
	}
	if s == nil {
		ar.unmap(r, "upload request without its POST")
		return
	}
	switch r.Method {
	case http.MethodPatch:
		s.patches++
		s.a.step.Requests++
		s.a.end = r.End()
	case http.MethodGet:
		s.status++
	case http.MethodDelete:
		s.a.step.Requests++
		delete(ar.byUUID, r.Route.UUID)
		if s.mount && s.patches == 0 && s.status == 0 {
			// A mount that failed and was cancelled: MountBlob does both.
			s.a.step.Op = StepBlobMount
			s.a.end = r.End()
			return
		}
		ar.drop(s, "cancelled upload sessions")
	case http.MethodPut:
		delete(ar.byUUID, r.Route.UUID)
		a := s.a
		a.from = "" // a mount that failed: the replay uploads as the client did
		a.step.Requests++
		a.end = r.End()
		a.step.Status, a.step.Bytes = r.Status, r.Written
		a.digest = r.Query.Get("digest")
		switch s.patches {
		case 0:
			a.step.Mode = "monolithic"
		case 1:
			a.step.Mode = "stream"
		default:
			a.step.Mode, a.step.Chunks = "chunked", s.patches
		}
		if s.status > 0 {
			ar.unmapped["GET upload status"] += s.status
		}
		if a.digest == "" {
			ar.drop(s, "upload PUTs without a digest")
		}
	default:
		ar.unmap(r, "upload")
	}
}
