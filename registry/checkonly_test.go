package registry_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/registry"
)

// A call in a CheckOnly context refuses bad arguments as it always does,
// and with good ones stops before its first request: none is sent (the
// client's registry does not even exist).
func TestCheckOnlyStopsBeforeTheFirstRequest(t *testing.T) {
	t.Parallel()
	c, err := registry.New(registry.Config{URL: "http://127.0.0.1:1"})
	require.NoError(t, err)
	ctx := registry.CheckOnly(context.Background())
	img := testImage(t, 1, 2000)

	_, err = c.Pull(ctx, "team/app:1", registry.PullOptions{})
	assert.ErrorIs(t, err, registry.ErrChecked)
	_, err = c.Push(ctx, "team/app:1", img, registry.PushOptions{Concurrency: 2})
	assert.ErrorIs(t, err, registry.ErrChecked)
	_, err = c.UploadStatus(ctx, "http://127.0.0.1:1/v2/a/blobs/uploads/x")
	assert.ErrorIs(t, err, registry.ErrChecked)

	for what, err := range map[string]error{
		"reference": func() error { _, err := c.Pull(ctx, "Team/App:1", registry.PullOptions{}); return err }(),
		"platform":  func() error { _, err := c.Pull(ctx, "a/b:1", registry.PullOptions{Platform: "amd64"}); return err }(),
		"mode": func() error {
			_, err := c.Push(ctx, "a/b:1", img, registry.PushOptions{UploadOptions: registry.UploadOptions{Mode: "bulk"}})
			return err
		}(),
		"manifest": func() error {
			_, err := c.PutManifest(ctx, "a/b:1", []byte("[]"), registry.PutManifestOptions{})
			return err
		}(),
	} {
		require.Error(t, err, what)
		assert.False(t, errors.Is(err, registry.ErrChecked), "%s: %v", what, err)
	}
}
