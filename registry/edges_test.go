package registry_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
	"github.com/xk6-registry/xk6-registry/registry"
)

// A media type to accept that would break the request is the script's
// mistake, refused before anything is sent, not a network failure.
func TestAnAcceptThatBreaksTheRequestIsRefused(t *testing.T) {
	t.Parallel()
	c, err := registry.New(registry.Config{URL: "http://127.0.0.1:1"})
	require.NoError(t, err)
	for _, accept := range []string{"a\r\nX: 1", "", "not a type"} {
		_, err := c.GetManifest(context.Background(), "team/app:1", []string{accept})
		require.Error(t, err, "%q", accept)
		var re *registry.Error
		assert.False(t, errors.As(err, &re), "%q: %v is a registry failure", accept, err)
		assert.Contains(t, err.Error(), `option "accept"`)
	}
}

// A layer of 2^63-1 bytes, as a manifest may claim, is compared without
// overflow: the pull reads what comes and says how much it was.
func TestAHugeBlobSizeIsComparedWithoutOverflow(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{})
	seed, err := registry.New(registry.Config{URL: reg.URL})
	require.NoError(t, err)
	img := testImage(t, 17, 4096)
	_, err = seed.Push(context.Background(), "huge/app:1", img, registry.PushOptions{})
	require.NoError(t, err)
	got, err := seed.GetManifest(context.Background(), "huge/app:1", nil)
	require.NoError(t, err)
	layer := registrytest.Descriptor(t, img.Layers[0])
	claimed := strings.Replace(string(got.Body), fmt.Sprintf(`"size":%d`, layer.Size), fmt.Sprintf(`"size":%d`, int64(math.MaxInt64)), 1)
	require.NotEqual(t, string(got.Body), claimed)
	proxy := registrytest.StartFaultProxy(t, reg.URL)
	proxy.Add(registrytest.Rule{Method: http.MethodGet, Path: "/manifests/", Fault: registrytest.Fault{Body: []byte(claimed), ContentType: got.MediaType}})
	c, err := registry.New(registry.Config{URL: proxy.URL})
	require.NoError(t, err)
	_, err = c.Pull(context.Background(), "huge/app:1", registry.PullOptions{Verify: true})
	assertFailure(t, err, registry.OpBlobGet, registry.CodeSizeMismatch, fmt.Sprintf("got %d bytes or more, want %d", layer.Size, int64(math.MaxInt64)))
}

// A script's 10 MiB repository name is not echoed into a 20 MiB message.
func TestAHugeNameIsNotEchoedWhole(t *testing.T) {
	t.Parallel()
	c, err := registry.New(registry.Config{URL: "http://127.0.0.1:1"})
	require.NoError(t, err)
	name := strings.Repeat("a", 10<<20)
	for _, call := range []func() error{
		func() error { _, err := c.Pull(context.Background(), name+":1", registry.PullOptions{}); return err },
		func() error {
			_, err := c.Pull(context.Background(), "A"+name+":1", registry.PullOptions{})
			return err
		},
		func() error { _, err := c.HeadBlob(context.Background(), name, "sha256:"+name); return err },
		func() error { _, err := c.Tags(context.Background(), name, registry.ListOptions{}); return err },
	} {
		err := call()
		require.Error(t, err)
		assert.Less(t, len(err.Error()), 1024, "%.200s", err)
		assert.Contains(t, err.Error(), "bytes)", "the message says how long the name was")
	}
}
