package js_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.k6.io/k6/v2/js/modules"
	"go.k6.io/k6/v2/js/modulestest"
	"go.k6.io/k6/v2/metrics"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
	"github.com/xk6-registry/xk6-registry/js"
)

// newVUOf is newVU with a module shared by every VU made with it, as k6
// shares one module between the VUs of a test run.
func newVUOf(t *testing.T, root modules.Module) *vu {
	t.Helper()
	rt := modulestest.NewRuntime(t)
	mi := root.NewModuleInstance(rt.VU)
	require.NoError(t, rt.VU.Runtime().Set("registry", mi.Exports().Default))
	return &vu{t: t, rt: rt, samples: make(chan metrics.SampleContainer, 100_000)}
}

// One VU's scrape takes the baseline and another's goes on from it: what
// the server did between them is counted once, as samples tagged with the
// client's registry_op.
func TestServerMetricsAreSharedByTheVUsOfARun(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{Metrics: true})
	root := js.New()
	setup, scraper := newVUOf(t, root), newVUOf(t, root)
	code := `const server = new registry.ServerMetrics({ url: "` + reg.MetricsURL + `", tags: { side: "server" } });
const client = new registry.Client({ url: "` + reg.URL + `" });`
	setup.run(code)
	scraper.run(code)
	setup.start()
	scraper.start()

	base := setup.run(`server.scrape()`).Export().(map[string]any)
	assert.Equal(t, true, base["ok"])
	assert.Equal(t, true, base["baseline"])
	assert.Positive(t, base["skipped"], "go_* and process_* are skipped")
	setup.drain()

	setup.run(`for (let i = 0; i < 3; i++) { if (!client.ping().ok) throw new Error("ping"); }`)
	// A HEAD of a missing blob on the same connection settles the pings' counts.
	setup.run(`client.headBlob("team/app", "sha256:` + zeros + `")`)
	res := scraper.run(`server.scrape()`).Export().(map[string]any)
	assert.Equal(t, true, res["ok"])
	assert.Equal(t, false, res["baseline"])

	pings, scrapes := 0.0, 0
	for _, s := range scraper.drain() {
		tags := s.Tags.Map()
		switch s.Metric.Name {
		case "registry_server_requests":
			assert.Equal(t, metrics.Counter, s.Metric.Type)
			assert.Equal(t, "server", tags["side"], "the object's tags")
			if tags["registry_op"] == "ping" {
				pings += s.Value
				assert.Equal(t, "base", tags["handler"])
				assert.Equal(t, "200", tags["status"])
			}
		case "registry_server_request_duration":
			assert.Equal(t, metrics.Time, s.Metric.Contains)
			assert.Less(t, s.Value, 10_000.0, "milliseconds, not seconds: %v", s.Value)
		case "http_reqs":
			assert.Equal(t, "server_metrics", tags["registry_op"], "the scrape is a request of its own")
			assert.Equal(t, reg.MetricsURL, tags["name"])
			scrapes++
		}
	}
	assert.Equal(t, 3.0, pings, "the three pings, counted by the server once")
	assert.Equal(t, 1, scrapes)
}

const zeros = "0000000000000000000000000000000000000000000000000000000000000000"

func TestServerMetricsFailuresAreValues(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{})
	v := newVU(t)
	v.start()
	res := v.run(`new registry.ServerMetrics({ url: "` + reg.URL + `/metrics" }).scrape()`).Export().(map[string]any)
	assert.Equal(t, false, res["ok"])
	assert.EqualValues(t, 404, res["status"])
	e := res["error"].(map[string]any)
	assert.Equal(t, "server_metrics", e["op"])
	assert.Equal(t, "NOT_FOUND", e["code"])

	for code, want := range map[string]string{
		`new registry.ServerMetrics()`:                                                `options with a url are required`,
		`new registry.ServerMetrics({ url: "http://x", inclde: "a" })`:                `unknown option "inclde"`,
		`new registry.ServerMetrics({ url: "http://x", include: "(" })`:               `"include" is no regular expression`,
		`new registry.ServerMetrics({ url: "http://x", maxSeries: 0 })`:               `"maxSeries" must be a whole number from 1`,
		`new registry.ServerMetrics({ url: "http://x", tags: { registry_op: "x" } })`: `tag "registry_op" is set by the extension itself`,
	} {
		assert.Contains(t, v.runErr(code).Error(), want, code)
	}
}
