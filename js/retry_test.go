package js_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
)

// With retry, pulls and pushes ride out a registry that refuses every 4th
// request: every call succeeds, results and registry_retries count exactly
// the faults injected, and durations include the waits.
func TestRetriesAreCountedInResultsAndMetrics(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{Auth: registrytest.AuthToken})
	proxy := registrytest.StartFaultProxy(t, reg.URL)
	proxy.Add(registrytest.Rule{Method: http.MethodGet, Path: "/manifests/", Limit: 1, Fault: registrytest.Fault{Status: 429, RetryAfter: "1"}})
	proxy.Add(registrytest.Rule{Every: 4, Fault: registrytest.Fault{Status: 503}})
	v := newVU(t)
	v.run(`const client = new registry.Client({ url: "` + proxy.URL + `", username: "` + reg.Username +
		`", password: "` + reg.Password + `", retry: { attempts: 3, backoff: "5ms" } });`)
	v.start()
	start := time.Now()
	v.run(`
		const results = [];
		for (let i = 0; i < 4; i++) {
			const image = registry.generate({ layers: 2, layerSize: "64KiB" });
			results.push(client.push("retry/app:" + i, image, { upload: i % 2 ? "chunked" : "stream", chunkSize: "16KiB" }));
			results.push(client.pull("retry/app:" + i));
		}
		if (!results.every((r) => r.ok)) throw new Error(JSON.stringify(results.filter((r) => !r.ok)));
	`)
	retried := v.run(`results.reduce((n, r) => n + r.retries, 0)`).ToInteger()
	require.Positive(t, proxy.Injected())
	assert.Equal(t, int64(proxy.Injected()), retried, "results count one retry per fault")
	assert.GreaterOrEqual(t, time.Since(start), time.Second, "a Retry-After of 1 s was waited for")

	var counted float64
	reasons := map[string]bool{}
	for _, s := range v.drain() {
		if s.Metric.Name == "registry_retries" {
			counted += s.Value
			reason, _ := s.Tags.Get("reason")
			op, _ := s.Tags.Get("registry_op")
			reasons[op+" "+reason] = true
		}
	}
	assert.Equal(t, float64(proxy.Injected()), counted, "registry_retries counts one per fault")
	assert.True(t, reasons["manifest_get 429"], "%v", reasons)
}
