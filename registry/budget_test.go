package registry_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
	"github.com/xk6-registry/xk6-registry/registry"
)

// A request is tried at most the policy's attempts in all, whichever loop
// sends it again: a blob GET cut short, resumed, and refused; a manifest
// GET likewise; a monolithic PUT started over in a new session. Counted
// where the requests arrive.
func TestOneAttemptBudgetPerRequest(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		path, method string
		cut          registrytest.Fault
		do           func(ctx context.Context, c *registry.Client) error
	}{
		"blob GET": {
			path: "/blobs/sha256:", method: http.MethodGet,
			cut: registrytest.Fault{CutResponse: 0.5, Reset: true},
			do: func(ctx context.Context, c *registry.Client) error {
				_, err := c.Pull(ctx, "budget/app:1", registry.PullOptions{Verify: true})
				return err
			},
		},
		"manifest GET": {
			path: "/manifests/", method: http.MethodGet,
			cut: registrytest.Fault{CutResponse: 0.5, Reset: true},
			do: func(ctx context.Context, c *registry.Client) error {
				_, err := c.Pull(ctx, "budget/app:1", registry.PullOptions{Verify: true})
				return err
			},
		},
		"monolithic PUT": {
			path: "/blobs/uploads/", method: http.MethodPut,
			cut: registrytest.Fault{CutRequest: 0.5},
			do: func(ctx context.Context, c *registry.Client) error {
				_, err := c.Push(ctx, "budget/other:1", testImage(t, 12, 300_000), registry.PushOptions{UploadOptions: registry.UploadOptions{Mode: registry.UploadMonolithic}})
				return err
			},
		},
	}
	for what, tc := range cases {
		t.Run(what, func(t *testing.T) {
			t.Parallel()
			reg := registrytest.Start(t, registrytest.Options{})
			proxy := registrytest.StartFaultProxy(t, reg.URL)
			c, _ := faultClient(t, registry.Config{URL: proxy.URL}, fastRetry())
			_, err := c.Push(context.Background(), "budget/app:1", testImage(t, 11, 300_000), registry.PushOptions{})
			require.NoError(t, err)
			// The first attempt is cut short, each one after refused.
			proxy.Add(registrytest.Rule{Method: tc.method, Path: tc.path, Limit: 1, Fault: tc.cut})
			proxy.Add(registrytest.Rule{Method: tc.method, Path: tc.path, Fault: registrytest.Fault{Status: http.StatusServiceUnavailable}})
			before := len(proxy.Requests())
			require.Error(t, tc.do(context.Background(), c))
			tried := 0
			for _, r := range proxy.Requests()[before:] {
				if r.Method == tc.method && strings.Contains(r.Path, tc.path) {
					tried++
				}
			}
			assert.Equal(t, fastRetry().Attempts, tried, "tries of one request in all")
			assertNoSessionLeft(t, reg)
		})
	}
}
