package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
	"github.com/xk6-registry/xk6-registry/internal/replaytest"
	"github.com/xk6-registry/xk6-registry/replay"
)

// sourceTrace is a source registry after the workload: its storage, and
// its JSON and access logs cut to the trace (what the seed pushed is left
// out, so the trace begins with the registry full).
type sourceTrace struct {
	reg              *registrytest.Registry
	jsonLog, access  string
	requests         []replay.Request // the JSON log's, and the access log's the JSON log lacks
	clientAddresses  []string
	unroutedRequests int
}

func runSource(t *testing.T) *sourceTrace {
	t.Helper()
	reg := registrytest.Start(t, registrytest.Options{Auth: registrytest.AuthHtpasswd, RequestLog: true})
	ctx := context.Background()
	target := replaytest.Registry{URL: reg.URL, Username: reg.Username, Password: reg.Password}
	var counter replaytest.Counter
	require.NoError(t, replaytest.Seed(ctx, target, &counter))
	// The readiness probe's request is logged too.
	require.NoError(t, reg.WaitLogged(counter.N()+1))
	jsonAt, accessAt := fileSize(t, reg.RequestLog), fileSize(t, reg.AccessLog)
	_, err := replaytest.Run(ctx, target, &counter)
	require.NoError(t, err)
	// One request no route takes: only the access log has it.
	unrouted := &http.Client{Transport: &http.Transport{DialContext: (&net.Dialer{
		LocalAddr: &net.TCPAddr{IP: net.ParseIP(replaytest.ClientIP(5))}}).DialContext}}
	resp, err := unrouted.Get(reg.URL + "/v2-not-a-route")
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.NoError(t, reg.WaitLogged(counter.N()+2))

	dir := t.TempDir()
	s := &sourceTrace{reg: reg, jsonLog: filepath.Join(dir, "requests.log"), access: filepath.Join(dir, "access.log"), unroutedRequests: 1}
	cut(t, reg.RequestLog, jsonAt, s.jsonLog)
	cut(t, reg.AccessLog, accessAt, s.access)
	s.requests = readMerged(t, s.jsonLog, s.access)
	for i := range replaytest.Clients {
		s.clientAddresses = append(s.clientAddresses, replaytest.ClientIP(i))
	}
	return s
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	require.NoError(t, err)
	return st.Size()
}

// cut copies what was appended to a log after offset.
func cut(t *testing.T, path string, offset int64, out string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(out, raw[offset:], 0o600))
}

func readMerged(t *testing.T, jsonLog, accessLog string) []replay.Request {
	t.Helper()
	j, err := replay.ReadLogFile(jsonLog, replay.FormatJSON)
	require.NoError(t, err)
	logs := []*replay.Log{j}
	if accessLog != "" {
		a, err := replay.ReadLogFile(accessLog, replay.FormatCombined)
		require.NoError(t, err)
		logs = append(logs, a)
	}
	return replay.Merge(logs...)
}

// k6Replay runs examples/replay.js (or an archive of it) on plan against
// target and returns the requests k6 counted outside setup().
func k6Replay(t *testing.T, target *registrytest.Registry, script, planPath string, extra ...string) (int, string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out.json")
	args := append([]string{"run", "--no-color", "--quiet", "--out", "json=" + out}, extra...)
	cmd := command(append(os.Environ(), "K6_NO_USAGE_REPORT=true", "REGISTRY_URL="+target.URL, "PLAN="+planPath, "SPEED=1"),
		k6Binary(t), append(args, script)...)
	combined, err := cmd.CombinedOutput()
	require.NoError(t, err, "k6 run:\n%s", combined)
	raw, err := os.ReadFile(out)
	require.NoError(t, err)
	n := 0
	for _, line := range strings.Split(string(raw), "\n") {
		var p point
		if line == "" || json.Unmarshal([]byte(line), &p) != nil || p.Type != "Point" || p.Metric != "http_reqs" {
			continue
		}
		if p.Data.Tags["group"] != "::setup" {
			n++
		}
	}
	return n, string(combined)
}

// targetRequests waits until the target logged every request, the
// readiness probe's and every one k6 sent, setup's included, and reads them.
func targetRequests(t *testing.T, target *registrytest.Registry) []replay.Request {
	t.Helper()
	raw, err := os.ReadFile(target.AccessLog)
	require.NoError(t, err)
	require.NoError(t, target.WaitLogged(strings.Count(string(raw), "\n")))
	return readMerged(t, target.RequestLog, "")
}

func writePlan(t *testing.T, p *replay.Plan) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "plan.json")
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, p.Write(f))
	require.NoError(t, f.Close())
	return path
}

// The loop, from one source: a registry takes the six-client workload
// with its JSON and access logs on; the planner plans from the logs with
// its storage and without; fresh targets take the replays through k6 and
// the extension, two of them split in execution segments; compare holds
// the targets on counts, mix and bytes. Rates and lag depend on
// the machine's speed: they are logged, not asserted (make replay-demo
// prints them).
func TestReplay(t *testing.T) {
	t.Parallel()
	k6Binary(t)
	src := runSource(t)
	st, err := replay.OpenStorage(src.reg.Dir)
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	script, err := filepath.Abs("../examples/replay.js")
	require.NoError(t, err)
	formats := []replay.Format{replay.FormatJSON, replay.FormatCombined}
	withStorage, err := replay.Build(src.requests, replay.PlanOptions{Storage: st, Formats: formats})
	require.NoError(t, err)
	logOnly, err := replay.Build(src.requests, replay.PlanOptions{Formats: formats})
	require.NoError(t, err)

	for _, c := range []struct {
		name    string
		plan    *replay.Plan
		targets replay.Targets
	}{{"with storage", withStorage, replay.TargetsWithStorage}, {"log only", logOnly, replay.TargetsLogOnly}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			plan := c.plan
			assert.Positive(t, plan.Source.Challenges, "the access log's 401 challenges are left to the replay's auth")
			assert.Equal(t, src.unroutedRequests, plan.Source.Unmapped["GET unrouted"], "the unrouted request is counted, not replayed")
			assert.Equal(t, len(withoutUnmapped(src.requests)), plan.Requests(), "every other request has its step; unmapped: %v", plan.Source.Unmapped)
			if plan.Source.Storage {
				assert.Zero(t, plan.Source.EstimatedSizes, "the storage sizes every blob")
			}
			target := registrytest.Start(t, registrytest.Options{RequestLog: true})
			sent, output := k6Replay(t, target, script, writePlan(t, plan))
			assert.Equal(t, plan.Requests(), sent, "k6 counted one http_reqs sample per request of the plan")

			fid, err := replay.Compare(withoutUnmapped(src.requests), targetRequests(t, target), replay.CompareOptions{
				SourceStorage: src.reg.Dir, TargetStorage: target.Dir, Targets: c.targets})
			require.NoError(t, err)
			var report strings.Builder
			require.NoError(t, fid.Write(&report, c.targets))
			t.Logf("%s, k6 summary:\n%s\nfidelity:\n%s", c.name, output, report.String())
			held := c.targets
			held.Correlation = -1 // the machine's speed decides it: reported, not asserted
			held.Mismatches = -1
			fid.Failures = nil
			fid.Judge(held)
			assert.Empty(t, fid.Failures, "the %s targets", c.name)
			if plan.Source.Storage {
				assert.LessOrEqual(t, fid.Mismatches, plan.Source.Races, "only reads that raced a write in the source may answer otherwise")
			}
		})
	}
	t.Run("two segments add up to the source", func(t *testing.T) {
		t.Parallel()
		twoSegments(t, src, withStorage, script)
	})
	t.Run("the plan names nothing of the source", func(t *testing.T) {
		t.Parallel()
		for _, plan := range []*replay.Plan{withStorage, logOnly} {
			namesNothing(t, src, plan)
		}
	})
	t.Run("an IBM trace plans as its JSON log does", func(t *testing.T) {
		t.Parallel()
		ibmPlansAsJSON(t, src)
	})
}

// withoutUnmapped leaves out of a source what a replay does not send: 401
// challenges and unrouted requests.
func withoutUnmapped(reqs []replay.Request) []replay.Request {
	var out []replay.Request
	for _, r := range reqs {
		if r.Status != http.StatusUnauthorized && r.Route.Kind != replay.RouteUnknown {
			out = append(out, r)
		}
	}
	return out
}

// namesNothing: what leaves the production network names nothing of it:
// no repository, tag, digest of a source blob or manifest, user name or
// client address of the source is in the plan.
func namesNothing(t *testing.T, src *sourceTrace, plan *replay.Plan) {
	t.Helper()
	raw, err := json.Marshal(plan)
	require.NoError(t, err)
	text := string(raw)
	for _, repo := range replaytest.Repositories {
		assert.NotContains(t, text, `"`+repo+`"`, "repository %s", repo)
		assert.NotContains(t, text, repo+":", "repository %s", repo)
	}
	for _, tag := range replaytest.Tags {
		assert.NotContains(t, text, `"`+tag+`"`, "tag %s", tag)
	}
	digests := sourceDigests(t, src)
	require.NotEmpty(t, digests)
	for _, d := range digests {
		assert.NotContains(t, text, d, "digest %s", d)
	}
	assert.NotContains(t, text, src.reg.Username, "the user name")
	for _, addr := range append(src.clientAddresses, "127.0.0.1") {
		assert.NotContains(t, text, addr, "client address %s", addr)
	}
	users := 0
	for _, c := range plan.Clients {
		if c.User != "" {
			users++
		}
	}
	assert.Positive(t, users, "users are anonymised, not dropped")
}

var hexDigest = regexp.MustCompile(`[0-9a-f]{64}`)

// sourceDigests lists every digest the source's log and storage name.
func sourceDigests(t *testing.T, src *sourceTrace) []string {
	t.Helper()
	seen := map[string]bool{}
	raw, err := os.ReadFile(src.reg.RequestLog)
	require.NoError(t, err)
	for _, d := range hexDigest.FindAllString(string(raw), -1) {
		seen[d] = true
	}
	err = filepath.WalkDir(filepath.Join(src.reg.Dir, "docker/registry/v2/blobs/sha256"), func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() && hexDigest.MatchString(d.Name()) {
			seen[d.Name()] = true
		}
		return err
	})
	require.NoError(t, err)
	var out []string
	for d := range seen {
		out = append(out, d)
	}
	return out
}

// twoSegments does what the k6 operator does with a replay: archive the
// script with its plan, then run two segments of the archive at once
// against one target. Their requests add up to the source's, each once.
func twoSegments(t *testing.T, src *sourceTrace, plan *replay.Plan, script string) {
	t.Helper()
	k6 := k6Binary(t)
	planPath := writePlan(t, plan)
	archive := filepath.Join(t.TempDir(), "replay.tar")
	out, err := command(append(os.Environ(), "K6_NO_USAGE_REPORT=true"), k6, "archive", "--quiet", "-e", "PLAN="+planPath, "-O", archive, script).CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.NoError(t, os.Remove(planPath), "the archive holds the plan")

	target := registrytest.Start(t, registrytest.Options{RequestLog: true})
	segments := []string{"0:1/2", "1/2:1"}
	sent := make([]int, len(segments))
	var wg sync.WaitGroup
	for i, segment := range segments {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sent[i], _ = k6Replay(t, target, archive, planPath, "--execution-segment", segment, "--execution-segment-sequence", "0,1/2,1")
		}()
	}
	wg.Wait()
	for i, n := range sent {
		assert.Positive(t, n, "segment %s replayed nothing", segments[i])
	}
	assert.Equal(t, plan.Requests(), sent[0]+sent[1], "the segments' requests add up to the plan's")
	replayed := 0
	for _, r := range targetRequests(t, target) {
		if r.Agent == replay.UserAgent {
			replayed++
		}
	}
	assert.Equal(t, len(withoutUnmapped(src.requests)), replayed, "the target got the source's requests, each once")
}

// ibmPlansAsJSON writes the source's JSON log as an IBM trace (a JSON
// array of records with the older field names, seconds for durations, no
// users) and plans from it: the steps are those of the JSON log's plan.
func ibmPlansAsJSON(t *testing.T, src *sourceTrace) {
	t.Helper()
	reqs := readMerged(t, src.jsonLog, "")
	var records []map[string]any
	for _, r := range reqs {
		uri := r.Path
		if len(r.Query) > 0 {
			uri += "?" + r.Query.Encode()
		}
		records = append(records, map[string]any{
			"host": "registry", "id": fmt.Sprintf("%x", len(records)),
			"timestamp": r.End().UTC().Format(time.RFC3339Nano), "http.request.duration": r.Duration.Seconds(),
			"http.request.method": r.Method, "http.request.uri": strings.TrimPrefix(uri, "/"),
			"http.request.remoteaddr": r.Client, "http.request.useragent": "docker",
			"http.response.status": r.Status, "http.response.written": r.Written,
		})
	}
	path := filepath.Join(t.TempDir(), "trace.json")
	raw, err := json.Marshal(records)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, raw, 0o600))
	ibm, err := replay.ReadLogFile(path, replay.FormatIBM)
	require.NoError(t, err)
	require.Len(t, ibm.Requests, len(reqs))
	fromIBM, err := replay.Build(ibm.Requests, replay.PlanOptions{})
	require.NoError(t, err)
	fromJSON, err := replay.Build(reqs, replay.PlanOptions{})
	require.NoError(t, err)
	assert.Equal(t, fromJSON.Requests(), fromIBM.Requests())
	assert.Equal(t, len(fromJSON.Clients), len(fromIBM.Clients))
	assert.Equal(t, stepKinds(fromJSON), stepKinds(fromIBM), "the same calls, statuses and clients")
}

// stepKinds counts a plan's steps by client, op, status and requests.
func stepKinds(p *replay.Plan) map[string]int {
	out := map[string]int{}
	for _, s := range p.Steps {
		out[fmt.Sprintf("c%d %s %d x%d", s.Client, s.Op, s.Status, s.Requests)]++
	}
	return out
}
