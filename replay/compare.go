package replay

import (
	"fmt"
	"io/fs"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// UserAgent is the User-Agent of a replay's requests; WarmUpUserAgent that
// of its warm-up, which compare leaves out of the target's log.
const (
	UserAgent       = "xk6-registry replay (k6)"
	WarmUpUserAgent = "xk6-registry replay warm-up (k6)"
)

// Targets are the bounds of a faithful replay.
type Targets struct {
	Name string
	// CountDiff bounds |target requests - source requests| / source requests.
	CountDiff float64
	// Mix bounds the share of requests whose method, route and status
	// class differ (see Fidelity.Mix).
	Mix float64
	// BlobBytes and StoredBytes bound the relative difference of blob
	// bytes served and bytes stored; below 0, not checked.
	BlobBytes, StoredBytes float64
	// Correlation is the least correlation of the requests per second;
	// below 0, not checked.
	Correlation float64
	// Mismatches bounds the status mismatches; below 0, not checked.
	Mismatches int
}

// The targets: a plan made with the source's storage, and one made
// from the log alone.
var (
	TargetsWithStorage = Targets{Name: "storage", CountDiff: 0, Mix: 0.01, BlobBytes: 0.01, StoredBytes: 0.01, Correlation: 0.95, Mismatches: 0}
	TargetsLogOnly     = Targets{Name: "log-only", CountDiff: 0.02, Mix: 0.03, BlobBytes: -1, StoredBytes: 0.10, Correlation: -1, Mismatches: -1}
)

// MixKey is a request's class in the mix: method, route and status class.
type MixKey struct {
	Method, Route, Status string
}

// MixRow is one class's counts and response bytes on each side.
type MixRow struct {
	MixKey
	Source, Target           int
	SourceBytes, TargetBytes int64
}

// ClientGaps is one client's requests and mean gap between their starts.
type ClientGaps struct {
	Client                 string
	Source, Target         int
	SourceGap, TargetGap   float64 // seconds; the target's times the speed
	SourceMean, TargetMean float64
}

// Fidelity is how a replay's log compares with its source's.
type Fidelity struct {
	Source, Target int // requests
	// WarmUp counts the target's warm-up requests, and Others those of
	// clients other than the replay's: both are left out.
	WarmUp, Others int
	Rows           []MixRow
	// Mix is half the sum over classes of |source - target| counts, over
	// the larger side's requests: the share of requests in another class.
	Mix                              float64
	SourceBlobBytes, TargetBlobBytes int64
	// Stored bytes are the sizes of the blobs each storage holds; -1 when
	// its storage was not given.
	SourceStored, TargetStored int64
	// Rates are requests per second, from each side's first request; the
	// target's seconds are the trace's, its times multiplied by the speed.
	SourceRate, TargetRate []int
	Correlation            float64
	Clients                []ClientGaps
	// Mismatches counts source requests whose status the target's
	// requests of that client, method and route lack.
	Mismatches int
	Failures   []string // the targets missed, as sentences
}

// CompareOptions tune Compare.
type CompareOptions struct {
	Speed                        float64 // the replay's speed; 0 means 1
	SourceStorage, TargetStorage string  // storage roots, for bytes stored; "" leaves them out
	Targets                      Targets
}

// Compare compares a replay's log (target) with the log it replayed
// (source), both in order of their start.
func Compare(source, target []Request, opts CompareOptions) (*Fidelity, error) {
	if opts.Speed == 0 {
		opts.Speed = 1
	}
	f := &Fidelity{SourceStored: -1, TargetStored: -1}
	// The replay's requests are its clients'; the warm-up's and any other
	// client's (a readiness probe, a person's curl) are left out.
	mine := slices.ContainsFunc(target, func(r Request) bool { return r.Agent == UserAgent })
	var replayed []Request
	for _, r := range target {
		switch {
		case strings.HasPrefix(r.Agent, WarmUpUserAgent):
			f.WarmUp++
		case mine && r.Agent != UserAgent:
			f.Others++
		default:
			replayed = append(replayed, r)
		}
	}
	if len(source) == 0 || len(replayed) == 0 {
		return nil, fmt.Errorf("nothing to compare: the source has %d requests, the target %d besides its warm-up", len(source), len(replayed))
	}
	f.Source, f.Target = len(source), len(replayed)
	f.mix(source, replayed)
	f.SourceRate = perSecond(source, 1)
	f.TargetRate = perSecond(replayed, opts.Speed)
	f.Correlation = correlation(f.SourceRate, f.TargetRate)
	f.clients(source, replayed, opts.Speed)
	var err error
	if opts.SourceStorage != "" {
		if f.SourceStored, err = storedBytes(opts.SourceStorage); err != nil {
			return nil, err
		}
	}
	if opts.TargetStorage != "" {
		if f.TargetStored, err = storedBytes(opts.TargetStorage); err != nil {
			return nil, err
		}
	}
	f.Judge(opts.Targets)
	return f, nil
}

func mixKey(r *Request) MixKey {
	return MixKey{Method: r.Method, Route: r.Route.Kind.String(), Status: fmt.Sprintf("%dxx", r.Status/100)}
}

func isBlobBytes(r *Request) bool {
	return r.Method == http.MethodGet && r.Route.Kind == RouteBlob && r.Status >= 200 && r.Status < 300
}

func (f *Fidelity) mix(source, target []Request) {
	rows := map[MixKey]*MixRow{}
	row := func(k MixKey) *MixRow {
		if rows[k] == nil {
			rows[k] = &MixRow{MixKey: k}
		}
		return rows[k]
	}
	for i := range source {
		r := row(mixKey(&source[i]))
		r.Source++
		r.SourceBytes += source[i].Written
		if isBlobBytes(&source[i]) {
			f.SourceBlobBytes += source[i].Written
		}
	}
	for i := range target {
		r := row(mixKey(&target[i]))
		r.Target++
		r.TargetBytes += target[i].Written
		if isBlobBytes(&target[i]) {
			f.TargetBlobBytes += target[i].Written
		}
	}
	diff := 0
	for _, r := range rows {
		f.Rows = append(f.Rows, *r)
		diff += abs(r.Source - r.Target)
	}
	sort.Slice(f.Rows, func(i, j int) bool {
		a, b := f.Rows[i], f.Rows[j]
		if a.Route != b.Route {
			return a.Route < b.Route
		}
		if a.Method != b.Method {
			return a.Method < b.Method
		}
		return a.Status < b.Status
	})
	f.Mix = float64(diff) / 2 / float64(max(len(source), len(target)))
}

// perSecond counts requests by the second they started in, from the first.
func perSecond(reqs []Request, speed float64) []int {
	t0 := reqs[0].Start
	var out []int
	for i := range reqs {
		s := int(reqs[i].Start.Sub(t0).Seconds() * speed)
		for len(out) <= s {
			out = append(out, 0)
		}
		out[s]++
	}
	return out
}

// correlation is Pearson's, of two series padded with zeros to one length.
func correlation(a, b []int) float64 {
	n := max(len(a), len(b))
	at := func(s []int, i int) float64 {
		if i < len(s) {
			return float64(s[i])
		}
		return 0
	}
	var ma, mb float64
	for i := range n {
		ma += at(a, i)
		mb += at(b, i)
	}
	ma, mb = ma/float64(n), mb/float64(n)
	var cov, va, vb float64
	for i := range n {
		da, db := at(a, i)-ma, at(b, i)-mb
		cov += da * db
		va += da * da
		vb += db * db
	}
	if va == 0 || vb == 0 {
		if va == vb {
			return 1 // both flat: the same shape
		}
		return 0
	}
	return cov / math.Sqrt(va*vb)
}

// clients matches the two sides' clients (the source's in order of first
// sight, the target's by the address the replay sent for each) and pairs
// their requests to count status mismatches.
func (f *Fidelity) clients(source, target []Request, speed float64) {
	srcIdx := clientIndexes(source)
	names := make([]string, len(srcIdx))
	for _, i := range srcIdx {
		names[i] = fmt.Sprintf("c%d", i+1)
	}
	bySource := make([][]*Request, len(srcIdx))
	for i := range source {
		if c, ok := srcIdx[source[i].Client]; ok {
			bySource[c] = append(bySource[c], &source[i])
		}
	}
	// The replay names each client by the address it sends; a target that
	// was not replayed (a log against itself, another tool's) is matched by
	// order of first sight, as the source is.
	clientOf := func(r *Request) (int, bool) { return clientOfAddress(r.Client) }
	if !slices.ContainsFunc(target, func(r Request) bool { _, ok := clientOfAddress(r.Client); return ok }) {
		dstIdx := clientIndexes(target)
		clientOf = func(r *Request) (int, bool) { c, ok := dstIdx[r.Client]; return c, ok }
	}
	byTarget := make([][]*Request, len(srcIdx))
	for i := range target {
		if c, ok := clientOf(&target[i]); ok && c < len(byTarget) {
			byTarget[c] = append(byTarget[c], &target[i])
		}
	}
	for c := range bySource {
		g := ClientGaps{Client: names[c], Source: len(bySource[c]), Target: len(byTarget[c])}
		g.SourceGap = meanGap(bySource[c], 1)
		g.TargetGap = meanGap(byTarget[c], speed)
		f.Clients = append(f.Clients, g)
		f.Mismatches += mismatches(bySource[c], byTarget[c])
	}
	sort.SliceStable(f.Clients, func(i, j int) bool { return f.Clients[i].Source > f.Clients[j].Source })
}

func meanGap(reqs []*Request, speed float64) float64 {
	if len(reqs) < 2 {
		return 0
	}
	return reqs[len(reqs)-1].Start.Sub(reqs[0].Start).Seconds() * speed / float64(len(reqs)-1)
}

// mismatches counts a client's requests of each method and route whose
// status the other side's requests of that method and route lack: order
// aside, since requests a client had in flight together may start in
// either order.
func mismatches(source, target []*Request) int {
	type key struct {
		method string
		route  RouteKind
		status int
	}
	counts := map[key]int{}
	for _, r := range source {
		counts[key{r.Method, r.Route.Kind, r.Status}]++
	}
	for _, r := range target {
		counts[key{r.Method, r.Route.Kind, r.Status}]--
	}
	n := 0
	for _, c := range counts {
		n += max(c, 0)
	}
	return n
}

// storedBytes sums the sizes of the blobs (manifests among them) a
// filesystem storage root holds.
func storedBytes(root string) (int64, error) {
	dir := filepath.Join(root, filepath.FromSlash(storagePrefix), "blobs")
	var total int64
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && d.Name() == "data" {
			info, err := d.Info()
			if err != nil {
				return err
			}
			total += info.Size()
		}
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		return 0, fmt.Errorf("storage %s: %w", root, err)
	}
	return total, nil
}

func relDiff(source, target int64) float64 {
	if source == 0 {
		if target == 0 {
			return 0
		}
		return math.Inf(1)
	}
	return float64(target-source) / float64(source)
}

// Judge adds to Failures the targets the replay missed.
func (f *Fidelity) Judge(t Targets) {
	miss := func(format string, args ...any) { f.Failures = append(f.Failures, fmt.Sprintf(format, args...)) }
	if d := relDiff(int64(f.Source), int64(f.Target)); math.Abs(d) > t.CountDiff+1e-12 {
		miss("request count %d against %d (%+.1f%%, at most %.0f%%)", f.Target, f.Source, 100*d, 100*t.CountDiff)
	}
	if f.Mix > t.Mix+1e-12 {
		miss("mix differs in %.1f%% of requests (at most %.0f%%)", 100*f.Mix, 100*t.Mix)
	}
	if d := relDiff(f.SourceBlobBytes, f.TargetBlobBytes); t.BlobBytes >= 0 && math.Abs(d) > t.BlobBytes {
		miss("blob bytes served %+.1f%% (at most %.0f%%)", 100*d, 100*t.BlobBytes)
	}
	if f.SourceStored >= 0 && f.TargetStored >= 0 && t.StoredBytes >= 0 {
		if d := relDiff(f.SourceStored, f.TargetStored); math.Abs(d) > t.StoredBytes {
			miss("bytes stored %+.1f%% (at most %.0f%%)", 100*d, 100*t.StoredBytes)
		}
	}
	if t.Correlation >= 0 && f.Correlation < t.Correlation {
		miss("requests per second correlate at %.3f (at least %.2f)", f.Correlation, t.Correlation)
	}
	if t.Mismatches >= 0 && f.Mismatches > t.Mismatches {
		miss("%d status mismatches (at most %d)", f.Mismatches, t.Mismatches)
	}
}

// Verdict is the report's last line.
func (f *Fidelity) Verdict(t Targets) string {
	stored := "n/a"
	if f.SourceStored >= 0 && f.TargetStored >= 0 {
		stored = fmt.Sprintf("%+.1f%%", 100*relDiff(f.SourceStored, f.TargetStored))
	}
	facts := fmt.Sprintf("requests %d/%d, mix %.1f%%, blob bytes %+.1f%%, stored %s, rate r=%.3f, %d status mismatches",
		f.Target, f.Source, 100*f.Mix, 100*relDiff(f.SourceBlobBytes, f.TargetBlobBytes), stored, f.Correlation, f.Mismatches)
	if len(f.Failures) == 0 {
		return fmt.Sprintf("verdict: faithful to the %s targets (%s)", t.Name, facts)
	}
	return fmt.Sprintf("verdict: DIVERGES from the %s targets: %s (%s)", t.Name, strings.Join(f.Failures, "; "), facts)
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
