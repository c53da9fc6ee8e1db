package registrytest_test

import (
	"io"
	"net/http"
	"regexp"
	"strconv"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
)

func metricsText(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(body)
}

func TestMetricsServeTheRegistrysOwnCounts(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{Metrics: true})
	assert.Regexp(t, `^http://127\.0\.0\.1:\d+/metrics$`, reg.MetricsURL)
	// Readiness polled GET /v2/ too: the count is one up from before.
	pings := func() int {
		m := regexp.MustCompile(`(?m)^registry_http_requests_total\{code="200",handler="base",method="get"\} (\d+)$`).
			FindStringSubmatch(metricsText(t, reg.MetricsURL))
		require.NotNil(t, m, "no count of GET /v2/")
		n, err := strconv.Atoi(m[1])
		require.NoError(t, err)
		return n
	}
	before := pings()
	assert.Equal(t, http.StatusOK, getV2(t, reg, "", "").StatusCode)
	assert.Equal(t, before+1, pings())

	plain := registrytest.Start(t, registrytest.Options{})
	assert.Empty(t, plain.MetricsURL, "no debug server unless asked")
}

func TestPullThroughServesTheUpstreamAndRefusesPushes(t *testing.T) {
	t.Parallel()
	pair := registrytest.StartPullThrough(t)
	img, err := push(t, pair.Upstream, "team/app:1", authn.Anonymous)
	require.NoError(t, err)
	want, err := img.Digest()
	require.NoError(t, err)

	got, err := pull(t, pair.Cache, "team/app:1", authn.Anonymous)
	require.NoError(t, err)
	assert.Equal(t, want, got)
	// The cache fetched the manifest and the two layers pulled from its upstream.
	body := metricsText(t, pair.Cache.MetricsURL)
	assert.Regexp(t, `(?m)^registry_proxy_misses_total\{type="manifest"\} 1$`, body)
	assert.Regexp(t, `(?m)^registry_proxy_misses_total\{type="blob"\} 2$`, body)
	assert.Regexp(t, `(?m)^registry_proxy_pulled_bytes_total\{type="blob"\} [1-9]`, body)

	_, err = push(t, pair.Cache, "team/app:2", authn.Anonymous)
	requireStatus(t, err, http.StatusMethodNotAllowed)
}
