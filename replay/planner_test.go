package replay

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)

// logLine is one request as distribution's JSON log has it, at ms into
// the trace, taking dur ms.
type logLine struct {
	ms, dur float64
	method  string
	uri     string
	status  int
	written int64
	addr    string
}

func jsonLog(lines ...logLine) string {
	var b strings.Builder
	for _, l := range lines {
		start := t0.Add(time.Duration(l.ms * float64(time.Millisecond)))
		d := time.Duration(l.dur * float64(time.Millisecond))
		raw, _ := json.Marshal(map[string]any{
			"msg": "response completed", "http.request.method": l.method, "http.request.uri": l.uri,
			"http.request.remoteaddr": l.addr + ":5000", "http.response.status": l.status, "http.response.written": l.written,
			"http.response.duration": d.String(), "time": start.Add(d).Format(time.RFC3339Nano), "auth.user.name": "alice",
		})
		b.Write(raw)
		b.WriteByte('\n')
	}
	return b.String()
}

func planOf(t *testing.T, lines ...logLine) *Plan {
	t.Helper()
	lg, err := ReadLog(strings.NewReader(jsonLog(lines...)), "test.log", FormatJSON)
	require.NoError(t, err)
	p, err := Build(lg.Requests, PlanOptions{Seed: 7})
	require.NoError(t, err)
	return p
}

func digestN(n int) string { return fmt.Sprintf("sha256:%064x", n) }

// An object whose first event is a successful read existed before the
// trace: the warm-up makes it. One the trace first wrote, the replay
// writes when the trace did; one that was 404, nobody makes.
func TestStateIsRebuiltFromFirstEvents(t *testing.T) {
	a, b := "10.0.0.1", "10.0.0.2"
	p := planOf(t,
		logLine{0, 5, "GET", "/v2/team/app/manifests/1.0", 200, 700, a},
		logLine{6, 5, "GET", "/v2/team/app/blobs/" + digestN(1), 200, 1000, a},
		logLine{6, 5, "GET", "/v2/team/app/blobs/" + digestN(2), 200, 2000, a},
		logLine{20, 5, "GET", "/v2/team/app/blobs/" + digestN(9), 404, 150, a},
		logLine{30, 5, "HEAD", "/v2/team/app/blobs/" + digestN(3), 404, 0, b},
		logLine{40, 5, "POST", "/v2/team/app/blobs/uploads/", 202, 0, b},
		logLine{46, 20, "PATCH", "/v2/team/app/blobs/uploads/u1?_state=s", 202, 0, b},
		logLine{67, 5, "PUT", "/v2/team/app/blobs/uploads/u1?_state=s&digest=" + digestN(3), 201, 0, b},
		logLine{80, 5, "PUT", "/v2/team/app/manifests/2.0", 201, 0, b},
		logLine{90, 5, "GET", "/v2/team/app/blobs/" + digestN(3), 200, 3000, a},
	)
	assert.Equal(t, 8, len(p.Steps), "the upload's three requests are one step")
	assert.Equal(t, 10, p.Requests())
	require.Len(t, p.WarmUp.Manifests, 1)
	warm := p.WarmUp.Manifests[0]
	assert.Equal(t, []string{"t1x"}, warm.Tags, "the tag read first, padded to the source's length")
	assert.Equal(t, "r1xxxxxx", warm.Repo)
	var warmBlobs []string
	for _, w := range p.WarmUp.Blobs {
		warmBlobs = append(warmBlobs, w.Blob)
	}
	blobs := map[string]Blob{}
	for _, bl := range p.Blobs {
		blobs[bl.ID] = bl
	}
	upload := p.Steps[5]
	assert.Equal(t, StepUpload, upload.Op)
	assert.Equal(t, "stream", upload.Mode)
	assert.Equal(t, 3, upload.Requests)
	assert.NotContains(t, warmBlobs, upload.Blob, "what the trace uploaded is not warmed up")
	assert.Equal(t, int64(3000), blobs[upload.Blob].Size, "its size from the GET that fetched it whole")
	missing := p.Steps[3]
	assert.Equal(t, 404, missing.Status)
	assert.NotContains(t, warmBlobs, missing.Blob, "a 404 is never created")
	assert.True(t, blobs[missing.Blob].Absent)
	for _, s := range p.Steps[1:3] {
		assert.Contains(t, warmBlobs, s.Blob, "a blob read first existed")
	}
	// The made-up manifest of the tag lists the blobs its client read after
	// it, and is padded to the size the source served.
	var warmManifest Manifest
	for _, m := range p.Manifests {
		if m.ID == warm.Manifest {
			warmManifest = m
		}
	}
	assert.Equal(t, int64(700), warmManifest.Size)
	assert.Len(t, append(warmManifest.Layers, *warmManifest.Config), 2)
	assert.Zero(t, p.Source.EstimatedSizes, "every size came from a whole GET")
}

// A read that, in the source, followed another client's write waits for
// it; a write waits for the read of another client that found the object
// missing just before; a read that overlapped the write is a race.
func TestReadsWaitForTheWritesTheySaw(t *testing.T) {
	writer, reader, racer := "10.0.0.1", "10.0.0.2", "10.0.0.3"
	p := planOf(t,
		logLine{0, 5, "HEAD", "/v2/app/manifests/latest", 404, 0, reader},
		logLine{10, 50, "PUT", "/v2/app/manifests/latest", 201, 0, writer},
		logLine{30, 5, "HEAD", "/v2/app/manifests/latest", 404, 0, racer},
		logLine{70, 5, "HEAD", "/v2/app/manifests/latest", 200, 0, reader},
		logLine{80, 5, "GET", "/v2/app/tags/list", 200, 40, racer},
	)
	require.Len(t, p.Steps, 5)
	assert.Equal(t, []int{0}, p.Steps[1].After, "the PUT waits for the 404 before it")
	assert.Empty(t, p.Steps[2].After, "the overlapping read waits for nothing")
	assert.Equal(t, []int{1}, p.Steps[3].After, "the read after the PUT waits for it")
	assert.Equal(t, []int{1}, p.Steps[4].After, "so does the tag list")
	assert.Equal(t, 1, p.Source.Races)
}

// Upload sessions become one step each, by the requests they sent.
func TestUploadSessionsBecomeSteps(t *testing.T) {
	c := "10.0.0.1"
	d1, d2, d3 := digestN(1), digestN(2), digestN(3)
	p := planOf(t,
		logLine{0, 5, "POST", "/v2/app/blobs/uploads/", 202, 0, c},
		logLine{6, 5, "PATCH", "/v2/app/blobs/uploads/u1", 202, 0, c},
		logLine{12, 5, "PATCH", "/v2/app/blobs/uploads/u1", 202, 0, c},
		logLine{18, 5, "PUT", "/v2/app/blobs/uploads/u1?digest=" + d1, 201, 0, c},
		logLine{30, 5, "POST", "/v2/app/blobs/uploads/?digest=" + d2, 201, 0, c},
		logLine{40, 5, "POST", "/v2/app/blobs/uploads/?mount=" + d1 + "&from=other", 202, 0, c},
		logLine{46, 5, "DELETE", "/v2/app/blobs/uploads/u2", 204, 0, c},
		logLine{50, 5, "POST", "/v2/app/blobs/uploads/", 202, 0, c},
		logLine{56, 5, "PUT", "/v2/app/blobs/uploads/u3?digest=" + d3, 201, 0, c},
		logLine{60, 5, "POST", "/v2/app/blobs/uploads/", 202, 0, c},
		logLine{66, 5, "DELETE", "/v2/app/blobs/uploads/u4", 204, 0, c},
		logLine{70, 5, "POST", "/v2/app/blobs/uploads/", 202, 0, c},
		logLine{80, 5, "OPTIONS", "/v2/app/blobs/" + d1, 200, 0, c},
		logLine{90, 5, "GET", "/v3/", 404, 19, c},
	)
	var got []string
	for _, s := range p.Steps {
		got = append(got, fmt.Sprintf("%s %s %d x%d", s.Op, s.Mode, s.Chunks, s.Requests))
	}
	assert.Equal(t, []string{
		"upload_layer chunked 2 x4", "upload_layer post 0 x1", "blob_mount  0 x2", "upload_layer monolithic 0 x2",
	}, got)
	assert.Equal(t, map[string]int{"cancelled upload sessions": 2, "upload sessions never completed": 1, "OPTIONS blob": 1, "GET unrouted": 1}, p.Source.Unmapped)
	assert.Equal(t, "r2xxx", p.Steps[2].From, "the mount's source repository, anonymised")
}

func TestAnEmptyOrUnmappableLogIsRefused(t *testing.T) {
	_, err := Build(nil, PlanOptions{})
	assert.ErrorContains(t, err, "no requests")
	lg, err := ReadLog(strings.NewReader(jsonLog(logLine{0, 1, "GET", "/metrics", 404, 0, "10.0.0.1"})), "x", FormatJSON)
	require.NoError(t, err)
	_, err = Build(lg.Requests, PlanOptions{})
	assert.ErrorContains(t, err, "GET unrouted: 1")
}

// A push that mounts and uploads at once: the DELETE that cancels a failed
// mount goes to the mount, the PATCH to the upload, whichever came first.
func TestAFailedMountAndAnUploadAtOnceStayApart(t *testing.T) {
	c := "10.0.0.1"
	p := planOf(t,
		logLine{0, 5, "POST", "/v2/app/blobs/uploads/", 202, 0, c},
		logLine{1, 5, "POST", "/v2/app/blobs/uploads/?mount=" + digestN(1) + "&from=base", 202, 0, c},
		logLine{7, 5, "DELETE", "/v2/app/blobs/uploads/mount-session", 204, 0, c},
		logLine{8, 5, "PATCH", "/v2/app/blobs/uploads/upload-session", 202, 0, c},
		logLine{14, 5, "PUT", "/v2/app/blobs/uploads/upload-session?digest=" + digestN(2), 201, 0, c},
	)
	require.Len(t, p.Steps, 2, "unmapped: %v", p.Source.Unmapped)
	assert.Equal(t, StepUpload, p.Steps[0].Op)
	assert.Equal(t, 3, p.Steps[0].Requests)
	assert.Equal(t, StepBlobMount, p.Steps[1].Op)
	assert.Equal(t, 2, p.Steps[1].Requests)
	assert.Empty(t, p.Source.Unmapped)
}
