package registrytest_test

import (
	"bytes"
	"net/http"
	"os"
	"testing"

	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
)

func TestStorageShowsSessionsAndBlobs(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{})
	open, err := reg.OpenUploads("store/app")
	require.NoError(t, err)
	assert.Empty(t, open)

	// A session opened and left.
	resp, err := http.Post(reg.URL+"/v2/store/app/blobs/uploads/", "", nil)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	open, err = reg.OpenUploads("store/app")
	require.NoError(t, err)
	assert.Len(t, open, 1)
	all, err := reg.AllOpenUploads()
	require.NoError(t, err)
	assert.Equal(t, 1, all)

	// A blob uploaded whole.
	data := []byte("stored bytes")
	d := digest.FromBytes(data)
	resp, err = http.Post(reg.URL+"/v2/store/app/blobs/uploads/?digest="+d.String(), "application/octet-stream", bytes.NewReader(data))
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	if resp.StatusCode == http.StatusAccepted { // distribution v3 wants the PUT
		req, err := http.NewRequest(http.MethodPut, resp.Header.Get("Location")+"&digest="+d.String(), bytes.NewReader(data))
		require.NoError(t, err)
		resp, err = http.DefaultClient.Do(req)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
	}
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	stored, err := os.ReadFile(reg.BlobDataPath(d))
	require.NoError(t, err)
	assert.Equal(t, data, stored)
}

func TestLaunchRunsARegistryOutsideATest(t *testing.T) {
	t.Parallel()
	registrytest.Binary(t) // skip or fail as every test does without one
	reg, err := registrytest.Launch(registrytest.Options{Auth: registrytest.AuthToken})
	require.NoError(t, err)
	resp, err := http.Get(reg.URL + "/v2/")
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "token auth challenges")
	require.NoError(t, reg.Close())
	_, err = os.Stat(reg.Dir)
	assert.True(t, os.IsNotExist(err), "Close removes what Launch made")
	_, err = http.Get(reg.URL + "/v2/")
	assert.Error(t, err, "nothing listens after Close")
}
