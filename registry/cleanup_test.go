package registry_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
	"github.com/xk6-registry/xk6-registry/registry"
)

// The clean-up of a failed upload keeps trying within its deadline, whatever
// the retry policy: a proxy's 504s, a 429 and a dropped connection do not
// leave the session open. A session that stays open is counted, and the
// failure says so.
func TestCleanUpKeepsTrying(t *testing.T) {
	t.Parallel()
	cases := map[string]registrytest.Fault{
		"504":     {Status: http.StatusGatewayTimeout},
		"429":     {Status: http.StatusTooManyRequests, RetryAfter: "0"},
		"hang-up": {CutRequest: 0.5},
	}
	for what, fault := range cases {
		t.Run(what, func(t *testing.T) {
			t.Parallel()
			reg := registrytest.Start(t, registrytest.Options{})
			proxy := registrytest.StartFaultProxy(t, reg.URL)
			proxy.Add(registrytest.Rule{Method: http.MethodPatch, Fault: registrytest.Fault{Status: http.StatusServiceUnavailable}})
			proxy.Add(registrytest.Rule{Method: http.MethodDelete, Limit: 2, Fault: fault})
			c, _ := faultClient(t, registry.Config{URL: proxy.URL}, nil)
			ctx, leftOpen := registry.CountLeftOpen(context.Background())
			_, err := c.Push(ctx, "cleanup/app:1", testImage(t, 9, 4000), registry.PushOptions{})
			assertFailure(t, err, registry.OpUploadChunk, "UNAVAILABLE", "injected")
			assert.NotContains(t, err.Error(), "could not be closed")
			assert.Equal(t, 3, proxy.Injected(), "the PATCH and two DELETEs were refused")
			assert.Zero(t, leftOpen())
			assertNoSessionLeft(t, reg)
		})
	}
	t.Run("refused until the deadline", func(t *testing.T) {
		t.Parallel()
		reg := registrytest.Start(t, registrytest.Options{})
		proxy := registrytest.StartFaultProxy(t, reg.URL)
		proxy.Add(registrytest.Rule{Method: http.MethodPatch, Fault: registrytest.Fault{Status: http.StatusServiceUnavailable}})
		proxy.Add(registrytest.Rule{Method: http.MethodDelete, Fault: registrytest.Fault{Status: http.StatusForbidden}})
		c, _ := faultClient(t, registry.Config{URL: proxy.URL}, nil)
		ctx, leftOpen := registry.CountLeftOpen(context.Background())
		_, err := c.Push(ctx, "cleanup/app:2", testImage(t, 10, 4000), registry.PushOptions{})
		assertFailure(t, err, registry.OpUploadChunk, "UNAVAILABLE", "its upload session could not be closed")
		assert.Equal(t, 1, leftOpen())
		open, err := reg.AllOpenUploads()
		require.NoError(t, err)
		assert.Equal(t, 1, open, "the registry holds the session the client reports")
	})
}
