package e2e

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
)

// runBounded runs k6 on script against reg and fails the test if k6 does
// not end by itself within limit.
func runBounded(t *testing.T, reg *registrytest.Registry, script string, limit time.Duration) string {
	t.Helper()
	path, err := filepath.Abs(script)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, k6Binary(t), "run", "--no-color", "--summary-mode=disabled", path)
	cmd.Env = append(os.Environ(), "REGISTRY_URL="+reg.URL, "K6_NO_USAGE_REPORT=true")
	out, err := cmd.CombinedOutput()
	require.False(t, errors.Is(ctx.Err(), context.DeadlineExceeded), "k6 did not end by itself within %s:\n%s", limit, out)
	require.NoError(t, err, "%s", out)
	return string(out)
}

// A 4000 TiB blob whose digest a 3 s test asks for: the digest pass follows
// the VU's context, so k6 ends with the test.
func TestAHugeDigestStopsWithTheTest(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{})
	runBounded(t, reg, "testdata/huge-digest.js", 15*time.Second)
}

// A test that ends in the middle of 1 GiB pushes, in every upload mode,
// leaves no upload session on the registry: each is cancelled before the
// iteration returns.
func TestATestEndingMidPushLeavesNoSession(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{})
	// The proxy only watches: which sessions were opened, and how.
	proxy := registrytest.StartFaultProxy(t, reg.URL)
	runBounded(t, &registrytest.Registry{URL: proxy.URL}, "testdata/end-mid-push.js", 90*time.Second)
	open, err := reg.AllOpenUploads()
	require.NoError(t, err)
	assert.Zero(t, open, "upload sessions left on the registry")
	var started, cancelled int
	for _, r := range proxy.Requests() {
		switch r.Method {
		case "POST":
			started++
		case "DELETE":
			cancelled++
		}
	}
	assert.GreaterOrEqual(t, started, 3, "a push per mode had started; else the test proves nothing")
	assert.Positive(t, cancelled, "no session was cancelled at the test's end")
}
