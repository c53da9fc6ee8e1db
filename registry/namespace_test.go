package registry_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
	"github.com/xk6-registry/xk6-registry/registry"
	"github.com/xk6-registry/xk6-registry/registry/content"
)

// The ns query parameter goes on pulls only, as the registry receives
// them: manifest and blob GET and HEAD, never on pushes or their checks.
func TestNamespaceGoesOnPullsOnly(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{})
	proxy := registrytest.StartFaultProxy(t, reg.URL)
	c, err := registry.New(registry.Config{URL: proxy.URL, Namespace: "docker.io"})
	require.NoError(t, err)
	ctx := context.Background()
	img, err := content.Generate(content.GenerateOptions{Layers: 1, LayerSize: 4096})
	require.NoError(t, err)
	pushed, err := c.Push(ctx, "library/app:1", img, registry.PushOptions{UploadOptions: registry.UploadOptions{SkipExisting: true}})
	require.NoError(t, err)
	pushes := len(proxy.Requests())

	_, err = c.Pull(ctx, "library/app:1", registry.PullOptions{Verify: true})
	require.NoError(t, err)
	head, err := c.HeadManifest(ctx, "library/app@"+pushed.Digest)
	require.NoError(t, err)
	assert.Empty(t, head.Namespace, "distribution ignores ns: no OCI-Namespace")
	layer := describe(t, img.Layers[0]).Digest.String()
	_, err = c.HeadBlob(ctx, "library/app", layer)
	require.NoError(t, err)
	_, err = c.GetBlob(ctx, "library/app", layer, registry.GetBlobOptions{})
	require.NoError(t, err)

	seen := proxy.Requests()
	for _, r := range seen[:pushes] {
		assert.Empty(t, r.Query.Get("ns"), "a push's %s %s", r.Method, r.Path)
	}
	pulls := map[string]int{}
	for _, r := range seen[pushes:] {
		assert.Equal(t, "docker.io", r.Query.Get("ns"), "a pull's %s %s", r.Method, r.Path)
		kind := "blob"
		if strings.Contains(r.Path, "/manifests/") {
			kind = "manifest"
		}
		pulls[r.Method+" "+kind]++
	}
	assert.Equal(t, map[string]int{"GET manifest": 1, "GET blob": 3, "HEAD manifest": 1, "HEAD blob": 1}, pulls)
}

func TestNamespaceIsAHost(t *testing.T) {
	t.Parallel()
	for _, ns := range []string{"docker.io", "registry.example.com:5000", "127.0.0.1:5000"} {
		_, err := registry.New(registry.Config{URL: "http://127.0.0.1:1", Namespace: ns})
		assert.NoError(t, err, ns)
	}
	for _, ns := range []string{"https://docker.io", "docker.io/library", "user@docker.io", ":5000"} {
		_, err := registry.New(registry.Config{URL: "http://127.0.0.1:1", Namespace: ns})
		assert.ErrorContains(t, err, "want a registry host", ns)
	}
}
