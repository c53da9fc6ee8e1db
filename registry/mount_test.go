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

// A mount the registry declines (202, with an upload session) goes on in
// that session, as docker, go-containerregistry and oras-go do: no DELETE
// of it, no second POST; and a mount that fails (a proxy's 503) falls back
// to an upload instead of failing the push.
func TestAMountThatDoesNotMountUploads(t *testing.T) {
	t.Parallel()
	for _, mode := range []registry.UploadMode{registry.UploadStream, registry.UploadChunked, registry.UploadMonolithic, registry.UploadPost} {
		t.Run(string(mode), func(t *testing.T) {
			t.Parallel()
			reg := registrytest.Start(t, registrytest.Options{})
			proxy := registrytest.StartFaultProxy(t, reg.URL)
			c, _ := faultClient(t, registry.Config{URL: proxy.URL}, nil)
			img := testImage(t, 7, 300_000, 200_000)
			opts := registry.PushOptions{UploadOptions: registry.UploadOptions{Mode: mode, ChunkSize: 100_000, MountFrom: "empty/repo"}}
			res, err := c.Push(context.Background(), "mounting/app:1", img, opts)
			require.NoError(t, err)
			assert.Equal(t, 3, res.Uploaded)
			assert.Zero(t, res.Mounted)
			var mounts, posts, deletes int
			for _, r := range proxy.Requests() {
				switch {
				case r.Method == http.MethodPost && strings.Contains(r.Path, "/blobs/uploads/"):
					posts++
				case r.Method == http.MethodDelete:
					deletes++
				}
			}
			mounts = 3 // one per blob, each answered 202
			assert.Equal(t, mounts, posts, "every blob's upload went on in the session its mount opened")
			assert.Zero(t, deletes, "a session was cancelled")
			assertNoSessionLeft(t, reg)
			ggcrValidate(t, reg, "mounting/app:1")
		})
	}
	t.Run("mount refused", func(t *testing.T) {
		t.Parallel()
		reg := registrytest.Start(t, registrytest.Options{})
		proxy := registrytest.StartFaultProxy(t, reg.URL)
		c, _ := faultClient(t, registry.Config{URL: proxy.URL}, nil)
		img := testImage(t, 8, 300_000)
		_, err := c.Push(context.Background(), "source/app:1", img, registry.PushOptions{})
		require.NoError(t, err)
		proxy.Add(registrytest.Rule{Method: http.MethodPost, Path: "/mounting/app/blobs/uploads/", Query: "mount=", Limit: 2, Fault: registrytest.Fault{Status: http.StatusServiceUnavailable}})
		res, err := c.Push(context.Background(), "mounting/app:1", img, registry.PushOptions{UploadOptions: registry.UploadOptions{MountFrom: "source/app"}})
		require.NoError(t, err, "a failed mount falls back to an upload")
		assert.Equal(t, 2, proxy.Injected())
		assert.Equal(t, 2, res.Uploaded, "the blobs whose mount failed were uploaded")
		assertNoSessionLeft(t, reg)
	})
}
