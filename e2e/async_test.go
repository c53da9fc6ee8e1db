package e2e

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
)

// A script written from the promise API only pushes and pulls several
// images at once per VU against a registry with token auth; k6 records
// every request with its op and the client's tags.
func TestPromisesFromK6WithTokenAuth(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{Auth: registrytest.AuthToken})
	script, err := filepath.Abs("testdata/async.js")
	require.NoError(t, err)
	points, output := runK6(t, reg, script, "REGISTRY_USER="+reg.Username)
	assert.Contains(t, output, "✓ pushed at once")
	ops := map[string]int{}
	for _, p := range points {
		if p.Metric != "http_reqs" {
			continue
		}
		ops[p.Data.Tags["registry_op"]]++
		assert.Equal(t, "async", p.Data.Tags["target"], "client tags on %v", p.Data.Tags)
	}
	for _, op := range []string{"token", "upload_start", "upload_chunk", "upload_complete", "manifest_put", "manifest_get", "blob_get"} {
		assert.Positive(t, ops[op], "no %s request recorded: %v", op, ops)
	}
}

// A test that ends while async pushes are in flight leaves no upload
// session: each is cancelled before k6 exits.
func TestATestEndingMidAsyncPushLeavesNoSession(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{})
	proxy := registrytest.StartFaultProxy(t, reg.URL)
	runBounded(t, &registrytest.Registry{URL: proxy.URL}, "testdata/end-mid-async-push.js", 90*time.Second)
	open, err := reg.AllOpenUploads()
	require.NoError(t, err)
	assert.Zero(t, open, "upload sessions left on the registry")
	started := 0
	for _, r := range proxy.Requests() {
		if r.Method == "POST" {
			started++
		}
	}
	assert.GreaterOrEqual(t, started, 3, "the three pushes had started; else the test proves nothing")
}
