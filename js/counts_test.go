package js_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.k6.io/k6/v2/metrics"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
)

// requestSamples splits the http_reqs and http_req_failed samples of a run.
func requestSamples(samples []metrics.Sample) (reqs, failed []map[string]string) {
	for _, s := range samples {
		switch s.Metric.Name {
		case "http_reqs":
			reqs = append(reqs, s.Tags.Map())
		case "http_req_failed":
			if s.Value == 1 {
				failed = append(failed, s.Tags.Map())
			}
		}
	}
	return reqs, failed
}

// One k6 sample for each request written to the network, none for a
// request never sent: when one blob of a push fails, the blobs still queued
// send nothing, and k6 records exactly the requests that arrived.
func TestAFailedPushRecordsExactlyTheRequestsThatArrived(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{})
	proxy := registrytest.StartFaultProxy(t, reg.URL)
	proxy.Add(registrytest.Rule{Method: http.MethodPatch, Fault: registrytest.Fault{Status: http.StatusServiceUnavailable}})
	v := newVU(t)
	v.run(`const client = new registry.Client({ url: "` + proxy.URL + `" });`)
	v.start()
	got := v.run(`
		const res = client.push("counts/app:1", registry.generate({ layers: 5, layerSize: "64KiB" }), { concurrency: 1 });
		[res.ok, res.error.op, res.error.code, res.uploaded, res.sessionsLeftOpen].join(" ")`).String()
	assert.Equal(t, "false upload_chunk UNAVAILABLE 0 0", got)

	reqs, failed := requestSamples(v.drain())
	arrived := proxy.Requests()
	require.NotEmpty(t, arrived)
	assert.Len(t, reqs, len(arrived), "k6 recorded %v; the registry's side saw %v", reqs, arrived)
	for i, r := range arrived {
		if i < len(reqs) {
			assert.Equal(t, r.Method, reqs[i]["method"], "request %d", i)
		}
	}
	for _, tags := range reqs {
		assert.NotEqual(t, "0", tags["status"], "a request without an answer was recorded: %v", tags)
	}
	require.Len(t, failed, 1, "the one refused PATCH is the one failure: %v", failed)
	assert.Equal(t, "upload_chunk", failed[0]["registry_op"])
	assert.Equal(t, "1503", failed[0]["error_code"])
	assertNoSessionLeft(t, reg)
}

// A push whose blobs move at once stops the others when one fails: what
// they had sent is recorded, as requests their call stopped, not as
// failures; what they had not sent is not recorded; no session is left.
func TestSiblingsStoppedByAFailureAreNotFailures(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{})
	proxy := registrytest.StartFaultProxy(t, reg.URL)
	proxy.Add(registrytest.Rule{Method: http.MethodPatch, Limit: 1, Fault: registrytest.Fault{Status: http.StatusServiceUnavailable}})
	v := newVU(t)
	v.run(`const client = new registry.Client({ url: "` + proxy.URL + `" });`)
	v.start()
	got := v.run(`
		const res = client.push("counts/app:2", registry.generate({ layers: 6, layerSize: "8MiB" }), { concurrency: 3 });
		[res.ok, res.error.op, res.error.code].join(" ")`).String()
	assert.Equal(t, "false upload_chunk UNAVAILABLE", got)

	reqs, failed := requestSamples(v.drain())
	require.Len(t, failed, 1, "only the refused PATCH failed: %v", failed)
	assert.Equal(t, "1503", failed[0]["error_code"])
	assert.LessOrEqual(t, len(reqs), len(proxy.Requests()), "k6 recorded requests that never arrived")
	stopped := 0
	for _, tags := range reqs {
		if tags["status"] == "0" {
			stopped++
			assert.Equal(t, "context canceled", tags["error"], "the call's own stop recorded as another failure: %v", tags)
		}
	}
	t.Logf("%d requests recorded, %d of them stopped by their call; %d arrived", len(reqs), stopped, len(proxy.Requests()))
	assertNoSessionLeft(t, reg)
}

func assertNoSessionLeft(t *testing.T, reg *registrytest.Registry) {
	t.Helper()
	n, err := reg.AllOpenUploads()
	require.NoError(t, err)
	assert.Zero(t, n, "upload sessions left on the registry")
}

// A registry that invents a new error code for every answer makes no new
// tag value: registry_error_code is OTHER for any code not in the known
// set, and error_code, on every sample, is k6's number. The full code stays
// in the result.
func TestTagValuesStayBoundedWhateverTheRegistrySends(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"errors":[{"code":"INVENTED_%d_%s","message":"m"}]}`, n.Add(1), strings.Repeat("X", 2048))
	}))
	t.Cleanup(srv.Close)
	v := newVU(t)
	v.run(`const client = new registry.Client({ url: "` + srv.URL + `" });`)
	v.start()
	got := v.run(`const codes = []; for (let i = 0; i < 50; i++) codes.push(client.ping().error.code); codes[49].slice(0, 12)`).String()
	assert.Equal(t, "INVENTED_50_", got, "the result keeps the code as sent")
	values := map[string]map[string]bool{}
	for _, s := range v.drain() {
		for _, tag := range []string{"registry_error_code", "error_code"} {
			if val, ok := s.Tags.Get(tag); ok {
				if values[tag] == nil {
					values[tag] = map[string]bool{}
				}
				values[tag][val] = true
			}
		}
	}
	assert.Equal(t, map[string]bool{"OTHER": true}, values["registry_error_code"])
	assert.Equal(t, map[string]bool{"1400": true}, values["error_code"], "k6's number, on http_reqs and registry_errors alike")
}
