package servermetrics_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/registry/servermetrics"
)

// exposition is distribution's /metrics in miniature, as v3.1.2 writes it.
func exposition(blobGets, blobGetSeconds float64, inFlight int, extra string) string {
	return fmt.Sprintf(`# HELP registry_http_requests_total Total number of HTTP requests made.
# TYPE registry_http_requests_total counter
registry_http_requests_total{code="200",handler="blob",method="get"} %g
registry_http_requests_total{code="404",handler="blob",method="get"} 1
registry_http_requests_total{code="200",handler="base",method="get"} 3
# TYPE registry_http_request_duration_seconds histogram
registry_http_request_duration_seconds_bucket{handler="blob",method="get",le="0.005"} %g
registry_http_request_duration_seconds_bucket{handler="blob",method="get",le="+Inf"} %g
registry_http_request_duration_seconds_sum{handler="blob",method="get"} %g
registry_http_request_duration_seconds_count{handler="blob",method="get"} %g
# TYPE registry_http_in_flight_requests gauge
registry_http_in_flight_requests{handler="blob"} %d
# TYPE registry_storage_action_seconds histogram
registry_storage_action_seconds_sum{action="GetContent",driver="filesystem"} 0.5
registry_storage_action_seconds_count{action="GetContent",driver="filesystem"} 5
# TYPE go_goroutines gauge
go_goroutines 42
%s`, blobGets, blobGets+1, blobGets+1, blobGetSeconds, blobGets+1, inFlight, extra)
}

func update(t *testing.T, s *servermetrics.Scraper, text string) *servermetrics.Result {
	t.Helper()
	res, err := s.Update(strings.NewReader(text))
	require.NoError(t, err)
	return res
}

// find returns the change of metric with exactly tags, or fails.
func find(t *testing.T, res *servermetrics.Result, metric string, tags map[string]string) servermetrics.Change {
	t.Helper()
	for _, c := range res.Changes {
		if c.Metric == metric && assert.ObjectsAreEqual(tags, c.Tags) {
			return c
		}
	}
	t.Fatalf("no change of %s%v in %+v", metric, tags, res.Changes)
	return servermetrics.Change{}
}

func TestTheFirstScrapeIsTheBaseline(t *testing.T) {
	t.Parallel()
	s := servermetrics.New(servermetrics.Options{})
	res := update(t, s, exposition(10, 1, 2, ""))
	assert.True(t, res.Baseline)
	// Only gauges: a counter's count so far happened before the test.
	require.Len(t, res.Changes, 1, "%+v", res.Changes)
	assert.Equal(t, servermetrics.Change{Metric: "registry_server_in_flight", Kind: servermetrics.Gauge,
		Tags: map[string]string{"handler": "blob"}, Value: 2}, res.Changes[0])
	assert.Equal(t, 5, res.Families)
	assert.Equal(t, 1, res.Skipped)
	assert.Equal(t, []string{"go_goroutines"}, res.SkippedNames, "unknown series are skipped, by name")
}

func TestChangesAreWhatMovedSinceTheLastScrape(t *testing.T) {
	t.Parallel()
	s := servermetrics.New(servermetrics.Options{})
	update(t, s, exposition(10, 1, 2, ""))
	res := update(t, s, exposition(15, 1.5, 0, ""))
	assert.False(t, res.Baseline)

	blobGet := map[string]string{"handler": "blob", "method": "get", "status": "200", "registry_op": "blob_get"}
	assert.Equal(t, servermetrics.Change{Metric: "registry_server_requests", Kind: servermetrics.Counter,
		Tags: blobGet, Value: 5}, find(t, res, "registry_server_requests", blobGet))
	// Five more requests took 0.5s more: 0.1s each.
	d := find(t, res, "registry_server_request_duration", map[string]string{"handler": "blob", "method": "get", "registry_op": "blob_get"})
	assert.Equal(t, servermetrics.Trend, d.Kind)
	assert.Equal(t, servermetrics.Seconds, d.Unit)
	assert.InDelta(t, 0.1, d.Value, 1e-9)
	assert.Equal(t, 0.0, find(t, res, "registry_server_in_flight", map[string]string{"handler": "blob"}).Value)
	// No storage call since: none per request.
	assert.Equal(t, 0.0, find(t, res, "registry_server_storage_calls_per_request", map[string]string{}).Value)
	// Counters that did not move, and the storage histogram, say nothing.
	for _, c := range res.Changes {
		assert.NotEqual(t, "registry_server_storage_actions", c.Metric)
		if c.Metric == "registry_server_requests" {
			assert.Equal(t, "200", c.Tags["status"], "the 404 and base counts did not move: %+v", c)
		}
	}
}

func TestANewSeriesCountsFromZeroAndAResetFromZeroAgain(t *testing.T) {
	t.Parallel()
	s := servermetrics.New(servermetrics.Options{})
	update(t, s, exposition(10, 1, 0, ""))
	put := "registry_http_requests_total{code=\"201\",handler=\"manifest\",method=\"put\"} 4\n"
	res := update(t, s, exposition(10, 1, 0, put))
	assert.Equal(t, 4.0, find(t, res, "registry_server_requests",
		map[string]string{"handler": "manifest", "method": "put", "status": "201", "registry_op": "manifest_put"}).Value)

	// The registry restarted: every count went down, and counts from zero.
	res = update(t, s, exposition(2, 0.2, 0, ""))
	blobGet := map[string]string{"handler": "blob", "method": "get", "status": "200", "registry_op": "blob_get"}
	assert.Equal(t, 2.0, find(t, res, "registry_server_requests", blobGet).Value)
	assert.InDelta(t, 0.2/3, find(t, res, "registry_server_request_duration",
		map[string]string{"handler": "blob", "method": "get", "registry_op": "blob_get"}).Value, 1e-9)
}

func TestDroppedLabelsAreSummedOver(t *testing.T) {
	t.Parallel()
	s := servermetrics.New(servermetrics.Options{})
	two := func(a, b int) string {
		return fmt.Sprintf(`# TYPE registry_proxy_misses_total counter
registry_proxy_misses_total{type="blob",instance="a"} %d
registry_proxy_misses_total{type="blob",instance="b"} %d
`, a, b)
	}
	update(t, s, two(1, 1))
	res := update(t, s, two(4, 3))
	require.Len(t, res.Changes, 1)
	assert.Equal(t, servermetrics.Change{Metric: "registry_server_proxy_misses", Kind: servermetrics.Counter,
		Tags: map[string]string{"type": "blob"}, Value: 5}, res.Changes[0])
}

func TestTagSetsAreCappedPerMetric(t *testing.T) {
	t.Parallel()
	s := servermetrics.New(servermetrics.Options{Include: regexp.MustCompile(`^zot_`), MaxSeries: 3})
	repos := func(n, value int) string {
		var b strings.Builder
		b.WriteString("# TYPE zot_repo_downloads_total counter\n")
		for i := range n {
			fmt.Fprintf(&b, "zot_repo_downloads_total{repo=\"r%d\"} %d\n", i, value)
		}
		return b.String()
	}
	update(t, s, repos(2, 0))
	res := update(t, s, repos(5, 1))
	assert.Len(t, res.Changes, 3, "the first 3 tag sets: %+v", res.Changes)
	assert.Equal(t, 2, res.Dropped)
	// The admitted ones stay admitted; the others stay out.
	res = update(t, s, repos(5, 2))
	assert.Len(t, res.Changes, 3)
	assert.Equal(t, 2, res.Dropped)
	for _, c := range res.Changes {
		assert.Contains(t, []string{"r0", "r1", "r2"}, c.Tags["repo"])
	}
}

func TestIncludedFamiliesPassThroughUnderTheirOwnNames(t *testing.T) {
	t.Parallel()
	s := servermetrics.New(servermetrics.Options{Include: regexp.MustCompile(`^(zot_|go_goroutines$|job:)`)})
	text := func(n int) string {
		return fmt.Sprintf(`# TYPE zot_storage_lock_latency_seconds summary
zot_storage_lock_latency_seconds_sum{storageName="local",lockType="RW"} %d
zot_storage_lock_latency_seconds_count{storageName="local",lockType="RW"} %d
# TYPE go_goroutines gauge
go_goroutines %d
# TYPE job:requests:rate5m gauge
job:requests:rate5m 7
# TYPE zot_info gauge
zot_info{commit="abc"} NaN
`, n, n*4, n)
	}
	update(t, s, text(1))
	res := update(t, s, text(2))
	assert.Equal(t, 4.0, find(t, res, "registry_server_zot_storage_lock_latency_seconds_count",
		map[string]string{"storageName": "local", "lockType": "RW"}).Value)
	lock := find(t, res, "registry_server_zot_storage_lock_latency_seconds", map[string]string{"storageName": "local", "lockType": "RW"})
	assert.Equal(t, servermetrics.Trend, lock.Kind)
	assert.Equal(t, servermetrics.Number, lock.Unit, "a pass-through's unit is not guessed from its name")
	assert.InDelta(t, 0.25, lock.Value, 1e-9)
	assert.Equal(t, 2.0, find(t, res, "registry_server_go_goroutines", map[string]string{}).Value)
	assert.Equal(t, 7.0, find(t, res, "registry_server_job_requests_rate5m", map[string]string{}).Value, "k6 takes no colons")
	for _, c := range res.Changes {
		assert.NotEqual(t, "registry_server_zot_info", c.Metric, "NaN is not a value")
	}
}

func TestAFamilyOfAnotherTypeThanItsRuleIsSkipped(t *testing.T) {
	t.Parallel()
	s := servermetrics.New(servermetrics.Options{})
	res := update(t, s, "# TYPE registry_http_requests_total gauge\nregistry_http_requests_total{handler=\"blob\"} 3\n")
	assert.Empty(t, res.Changes)
	assert.Equal(t, []string{"registry_http_requests_total"}, res.SkippedNames)
}

func TestMalformedMetricsChangeNothing(t *testing.T) {
	t.Parallel()
	s := servermetrics.New(servermetrics.Options{})
	update(t, s, exposition(10, 1, 0, ""))
	for name, text := range map[string]string{
		"no value":       "registry_http_requests_total{code=\"200\"}\n",
		"type twice":     "# TYPE a counter\n# TYPE a gauge\na 1\n",
		"bad label":      "registry_http_requests_total{code=200} 1\n",
		"json":           `{"registry_http_requests_total": 1}`,
		"value not a nr": "a one\n",
		"utf-8 name":     "{\"a.b\"} 1\n",
		"label twice":    "a{x=\"1\",x=\"2\"} 1\n",
		"bad escape":     "a{x=\"\\t\"} 1\n",
		"no _sum":        "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n",
		"bucket no le":   "# TYPE h histogram\nh_bucket 1\nh_sum 1\nh_count 1\n",
		"series twice":   "a{x=\"1\"} 1\na{x=\"1\"} 2\n",
		"bad timestamp":  "a 1 soon\n",
	} {
		_, err := s.Update(strings.NewReader(text))
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), "not the Prometheus text format: ", name)
	}
	res := update(t, s, exposition(11, 1.1, 0, ""))
	assert.False(t, res.Baseline)
	assert.Equal(t, 1.0, find(t, res, "registry_server_requests",
		map[string]string{"handler": "blob", "method": "get", "status": "200", "registry_op": "blob_get"}).Value,
		"the scrape before the bad ones is the one compared with")
}

func TestAnExpositionOverTheLimitIsRefused(t *testing.T) {
	t.Parallel()
	s := servermetrics.New(servermetrics.Options{})
	_, err := s.Update(strings.NewReader("# " + strings.Repeat("x", servermetrics.MaxBody) + "\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "larger than")
}
