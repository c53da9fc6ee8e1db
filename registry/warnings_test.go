package registry_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
	"github.com/xk6-registry/xk6-registry/registry"
)

// warningCounts records what OnWarnings reports, by op.
type warningCounts struct {
	mu   sync.Mutex
	byOp map[string]int
}

func (w *warningCounts) add(_ context.Context, op string, n int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.byOp[op] += n
}

// No registry here sends Warning headers; the fault proxy adds them to
// what distribution answers.
func TestRegistryWarningsAreListedOnceAndCountedPerResponse(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{})
	proxy := registrytest.StartFaultProxy(t, reg.URL)
	proxy.Add(registrytest.Rule{Method: http.MethodGet, Path: "/manifests/", Fault: registrytest.Fault{Header: http.Header{
		"Warning": {`299 - "This image is deprecated and will be removed soon.", 299 - "Your auth token will expire in 30 seconds."`},
	}}})
	proxy.Add(registrytest.Rule{Method: http.MethodGet, Path: "/blobs/", Fault: registrytest.Fault{Header: http.Header{
		"Warning": {`299 - "This registry endpoint is deprecated and will be removed soon."`, `299 - "This image is deprecated and will be removed soon."`},
	}}})
	counts := &warningCounts{byOp: map[string]int{}}
	c, err := registry.New(registry.Config{URL: proxy.URL, OnWarnings: counts.add})
	require.NoError(t, err)
	img := testImage(t, 41, 1000, 2000)
	pushCtx, pushWarnings := registry.CollectWarnings(context.Background())
	_, err = c.Push(pushCtx, "warn/app:1", img, registry.PushOptions{})
	require.NoError(t, err)
	assert.Empty(t, pushWarnings(), "no warning on a push")
	assert.Empty(t, counts.byOp)

	ctx, warnings := registry.CollectWarnings(context.Background())
	_, err = c.Pull(ctx, "warn/app:1", registry.PullOptions{Verify: true, Concurrency: 1})
	require.NoError(t, err)
	// Each text once, in the order it came: the manifest's two, then the blobs' new one.
	assert.Equal(t, []string{
		"This image is deprecated and will be removed soon.",
		"Your auth token will expire in 30 seconds.",
		"This registry endpoint is deprecated and will be removed soon.",
	}, warnings())
	// Every warning of every response is counted: one manifest GET with two,
	// three blob GETs (config, two layers) with two each.
	assert.Equal(t, map[string]int{registry.OpManifestGet: 2, registry.OpBlobGet: 3 * 2}, counts.byOp)

	// A call without a list still counts.
	_, err = c.HeadBlob(context.Background(), "warn/app", registrytest.Descriptor(t, img.Layers[0]).Digest.String())
	require.NoError(t, err)
	_, err = c.GetBlob(context.Background(), "warn/app", registrytest.Descriptor(t, img.Layers[0]).Digest.String(), registry.GetBlobOptions{Verify: true})
	require.NoError(t, err)
	assert.Equal(t, 3*2+2, counts.byOp[registry.OpBlobGet])
	assert.Zero(t, counts.byOp[registry.OpBlobHead], "HEAD is not a GET: the rule adds nothing")
}

func TestAFloodOfWarningsIsBounded(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{})
	proxy := registrytest.StartFaultProxy(t, reg.URL)
	flood := make([]string, 0, 100)
	for i := range 100 {
		flood = append(flood, fmt.Sprintf(`299 - "warning %d %0*d"`, i, 2*registry.MaxWarningLength, 0))
	}
	proxy.Add(registrytest.Rule{Path: "/v2/", Fault: registrytest.Fault{Header: http.Header{"Warning": flood}}})
	counts := &warningCounts{byOp: map[string]int{}}
	c, err := registry.New(registry.Config{URL: proxy.URL, OnWarnings: counts.add})
	require.NoError(t, err)
	ctx, warnings := registry.CollectWarnings(context.Background())
	_, err = c.Ping(ctx)
	require.NoError(t, err)
	list := warnings()
	require.Len(t, list, registry.MaxWarnings)
	for i, w := range list {
		assert.LessOrEqual(t, len(w), registry.MaxWarningLength)
		assert.Contains(t, w, fmt.Sprintf("warning %d ", i))
	}
	assert.Equal(t, 100, counts.byOp[registry.OpPing], "every warning counted")
}
