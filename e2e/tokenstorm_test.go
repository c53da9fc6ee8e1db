package e2e

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
)

// examples/token-storm.js against distribution with token auth: every
// registry request its requests scenario made fetched one token, as the
// token server counted them against the registry's own access log, and k6
// measured every token request the server answered.
func TestTokenStormMakesOneTokenRequestPerRegistryRequest(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{Auth: registrytest.AuthToken, RequestLog: true})
	script, err := filepath.Abs("../examples/token-storm.js")
	require.NoError(t, err)
	const vus, starts = 2, 2
	points, output := runK6(t, reg, script, "SLO=off", "VUS=2", "STARTS=2", "DURATION=2s")

	var tokens, startTokens, requestTokens, sent, registryRequests, scriptCounted float64
	for _, p := range points {
		switch {
		case p.Metric == "http_reqs" && p.Data.Tags["registry_op"] == "token":
			tokens += p.Data.Value
			switch p.Data.Tags["scenario"] {
			case "starts":
				startTokens += p.Data.Value
			case "requests":
				requestTokens += p.Data.Value
			}
		case p.Metric == "http_reqs":
			sent += p.Data.Value
		case p.Metric == "registry_requests":
			scriptCounted += p.Data.Value
		}
	}
	require.Positive(t, startTokens, output)
	require.NoError(t, reg.WaitLogged(1+int(sent)), "the readiness probe and what k6 sent")
	logged, err := reg.LoggedStatuses()
	require.NoError(t, err)
	for _, n := range logged {
		registryRequests += float64(n)
	}
	require.Equal(t, 1+sent, registryRequests, "the registry logged every request k6 measured")
	// Each client's first request meets the challenge and carries no token:
	// setup's, each requests VU's, each starts VU's GET /v2/ for the realm;
	// and the readiness probe.
	assert.Equal(t, 1+1+vus+starts, logged[401], "%v", logged)
	served := registryRequests - float64(logged[401])
	assert.Equal(t, float64(reg.Tokens.Requests()), served+startTokens,
		"the token server answered one token per registry request served (%v) and one per client start (%v)", served, startTokens)
	assert.Equal(t, float64(reg.Tokens.Requests()), tokens, "k6 measured every token request as registry_op token")
	assert.Equal(t, scriptCounted, requestTokens, "the requests scenario: a token for each registry request the script made")
	assert.Contains(t, output, " registry requests: 1.00 per request")
	t.Logf("\n%s", output[strings.Index(output, "token storm"):])
}
