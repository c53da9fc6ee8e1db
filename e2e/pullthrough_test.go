package e2e

import (
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
)

// examples/pull-through.js against distribution as a pull-through cache
// before another: the cache's own count of blob GETs matches the client's,
// and the closing note holds the stampede as the cache's metrics saw it.
//
// Not parallel: its k6 run moves 30 MiB through two registries, load the
// package's tests that end k6 mid-push on a clock of 3 s would feel.
func TestPullThroughSetsTheCachesCountsBesideTheClients(t *testing.T) {
	pair := registrytest.StartPullThrough(t)
	script, err := filepath.Abs("../examples/pull-through.js")
	require.NoError(t, err)
	summary := filepath.Join(t.TempDir(), "summary.json")
	const stampede = 6
	points, output := runK6(t, pair.Cache, script,
		"UPSTREAM_URL="+pair.Upstream.URL, "METRICS_URL="+pair.Cache.MetricsURL, "SUMMARY_JSON="+summary,
		"VUS=3", "DURATION=3s", "STAMPEDE=6", "STAMPEDE_SIZE=2MiB", "LAYER_SIZE=64KiB")

	var clientGets, serverGets float64
	server := map[string]bool{}
	for _, p := range points {
		if strings.HasPrefix(p.Metric, "registry_server_") {
			server[p.Metric] = true
		}
		switch {
		case p.Metric == "http_reqs" && p.Data.Tags["registry_op"] == "blob_get" && p.Data.Tags["registry"] == "cache":
			clientGets += p.Data.Value
		case p.Metric == "registry_server_requests" && p.Data.Tags["registry_op"] == "blob_get":
			assert.Equal(t, "blob", p.Data.Tags["handler"])
			assert.Equal(t, "get", p.Data.Tags["method"])
			serverGets += p.Data.Value
		}
	}
	for _, m := range []string{"registry_server_requests", "registry_server_request_duration", "registry_server_in_flight",
		"registry_server_storage_actions", "registry_server_proxy_misses", "registry_server_proxy_hits",
		"registry_server_proxy_pulled_bytes"} {
		assert.True(t, server[m], "no %s sample; saw %v", m, server)
	}
	require.Positive(t, clientGets)
	assert.LessOrEqual(t, math.Abs(serverGets-clientGets), 0.01*clientGets,
		"the server counted %v blob GETs, the client sent %v", serverGets, clientGets)

	var note struct {
		Stampede struct {
			Gets, OK, Size, ClientBytes, UpstreamFetches, UpstreamBytes float64
		}
		ClientGets, ServerGets, ColdBytes, Fetched float64
	}
	require.NoError(t, json.Unmarshal(read(t, summary), &note), output)
	s := note.Stampede
	assert.Equal(t, float64(stampede), s.Gets)
	assert.Equal(t, float64(stampede), s.OK)
	assert.Equal(t, float64(2<<20), s.Size)
	assert.Equal(t, s.Gets*s.Size, s.ClientBytes)
	// distribution v3.1.2 fetches a blob upstream once per concurrent miss;
	// how many overlapped is the machine's doing, so only the bounds hold.
	assert.GreaterOrEqual(t, s.UpstreamFetches, 1.0)
	assert.LessOrEqual(t, s.UpstreamFetches, s.Gets)
	assert.Equal(t, s.UpstreamFetches*s.Size, s.UpstreamBytes)
	// Cold pulls are one VU per image: each blob fetched once, as the client received it.
	assert.Equal(t, note.ColdBytes, note.Fetched)
	assert.Equal(t, clientGets, note.ClientGets)
	assert.Contains(t, output, "stampede: 6 concurrent GETs of one 2097152-byte blob")
	t.Logf("\n%s", output[strings.Index(output, "pull-through cache"):])
}
