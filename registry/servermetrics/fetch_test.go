package servermetrics_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
	"github.com/xk6-registry/xk6-registry/registry"
	"github.com/xk6-registry/xk6-registry/registry/content"
	"github.com/xk6-registry/xk6-registry/registry/servermetrics"
)

// sum adds the values of a metric's changes whose tags hold want.
func sum(res *servermetrics.Result, metric string, want map[string]string) float64 {
	total := 0.0
next:
	for _, c := range res.Changes {
		if c.Metric != metric {
			continue
		}
		for k, v := range want {
			if c.Tags[k] != v {
				continue next
			}
		}
		total += c.Value
	}
	return total
}

// The registry's own count of what the client sent, from a real
// distribution's debug server.
func TestAScrapeCountsWhatTheRegistryServed(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{Metrics: true})
	ctx := context.Background()
	c, err := registry.New(registry.Config{URL: reg.URL})
	require.NoError(t, err)
	img, err := content.Generate(content.GenerateOptions{Layers: 2, LayerSize: 64 << 10})
	require.NoError(t, err)

	s := servermetrics.New(servermetrics.Options{})
	base, status, err := s.Scrape(ctx, http.DefaultClient, reg.MetricsURL)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, status)
	assert.True(t, base.Baseline)
	assert.Positive(t, base.Skipped, "go_* and process_* are no rule's")

	_, err = c.Push(ctx, "team/app:1", img, registry.PushOptions{})
	require.NoError(t, err)
	const pulls = 3
	for range pulls {
		_, err := c.Pull(ctx, "team/app:1", registry.PullOptions{Verify: true})
		require.NoError(t, err)
	}
	// distribution counts a request once its handler has returned, which
	// may be after the client read the last byte; a server reads the next
	// request on a connection only then, so a ping on it settles the count.
	_, err = c.Ping(ctx)
	require.NoError(t, err)
	res, _, err := s.Scrape(ctx, http.DefaultClient, reg.MetricsURL)
	require.NoError(t, err)
	assert.False(t, res.Baseline)
	// Two layers and a config per pull; one manifest GET per pull.
	assert.Equal(t, float64(3*pulls), sum(res, "registry_server_requests", map[string]string{"registry_op": "blob_get"}))
	assert.Equal(t, float64(pulls), sum(res, "registry_server_requests", map[string]string{"registry_op": "manifest_get"}))
	assert.Equal(t, 1.0, sum(res, "registry_server_requests", map[string]string{"registry_op": "manifest_put", "status": "201"}))
	assert.Positive(t, sum(res, "registry_server_request_duration", map[string]string{"registry_op": "blob_get"}))
	assert.Positive(t, sum(res, "registry_server_storage_actions", map[string]string{"driver": "filesystem"}))
	assert.Positive(t, sum(res, "registry_server_response_bytes", map[string]string{"handler": "blob"}))
	assert.Positive(t, sum(res, "registry_server_storage_calls_per_request", nil))

	// Nothing since but the ping: nothing else to say but the gauges.
	res, _, err = s.Scrape(ctx, http.DefaultClient, reg.MetricsURL)
	require.NoError(t, err)
	for _, ch := range res.Changes {
		if ch.Tags["handler"] != "base" && ch.Metric != "registry_server_storage_calls_per_request" {
			assert.Equal(t, servermetrics.Gauge, ch.Kind, "%+v", ch)
		}
	}
}

func TestAScrapeFailureIsARegistryError(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{Metrics: true})
	ctx := context.Background()
	s := servermetrics.New(servermetrics.Options{})

	// The registry's API is no metrics endpoint.
	_, status, err := s.Scrape(ctx, http.DefaultClient, reg.URL+"/v2/?secret=1")
	var re *registry.Error
	require.ErrorAs(t, err, &re)
	assert.Equal(t, registry.OpServerMetrics, re.Op)
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, registry.CodeUnsupported, re.Code, "%v", err)
	assert.NotContains(t, err.Error(), "secret", "no query in messages")

	_, status, err = s.Scrape(ctx, http.DefaultClient, strings.Replace(reg.MetricsURL, "/metrics", "/nothing", 1))
	require.ErrorAs(t, err, &re)
	assert.Equal(t, http.StatusNotFound, status)
	assert.Equal(t, registry.CodeNotFound, re.Code)

	closed := registrytest.Start(t, registrytest.Options{Metrics: true})
	url := closed.MetricsURL
	require.NoError(t, closed.Close())
	_, _, err = s.Scrape(ctx, http.DefaultClient, url)
	require.ErrorAs(t, err, &re)
	assert.Equal(t, registry.CodeConnectionRefused, re.Code)
}
