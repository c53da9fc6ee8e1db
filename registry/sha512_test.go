package registry_test

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
	"github.com/xk6-registry/xk6-registry/registry"
	"github.com/xk6-registry/xk6-registry/registry/content"
)

func sha512Image(t *testing.T) *registry.Image {
	t.Helper()
	img, err := content.Generate(content.GenerateOptions{Layers: 2, LayerSize: 150 << 10, Digest: digest.SHA512})
	require.NoError(t, err)
	return img
}

func TestSHA512PushAndPullRoundTrip(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{})
	proxy := registrytest.StartFaultProxy(t, reg.URL)
	c, err := registry.New(registry.Config{URL: proxy.URL})
	require.NoError(t, err)
	ctx := context.Background()
	for _, mode := range []registry.UploadMode{registry.UploadMonolithic, registry.UploadStream, registry.UploadChunked, registry.UploadPost} {
		img := sha512Image(t)
		repo := "sha512/" + string(mode)
		pushed, err := c.Push(ctx, repo+":1", img, registry.PushOptions{UploadOptions: registry.UploadOptions{Mode: mode, ChunkSize: 64 << 10}})
		require.NoError(t, err, mode)
		assert.Equal(t, 3, pushed.Uploaded, mode)
		pulled, err := c.Pull(ctx, repo+":1", registry.PullOptions{Verify: true})
		require.NoError(t, err, mode)
		assert.Equal(t, pushed.Bytes, pulled.Bytes, mode)
		assert.True(t, strings.HasPrefix(pulled.Digest, "sha256:"), "the manifest is named by sha256, as the registry names it")

		manifest, err := c.GetManifest(ctx, repo+":1", nil)
		require.NoError(t, err)
		for _, b := range append([]registry.BlobSource{img.Config}, img.Layers...) {
			desc := registrytest.Descriptor(t, b)
			data := registrytest.ReadBlob(t, b)
			require.Equal(t, digest.SHA512, desc.Digest.Algorithm(), mode)
			require.Equal(t, digest.SHA512.FromBytes(data), desc.Digest, "the descriptor is the bytes' sha512")
			assert.Contains(t, string(manifest.Body), desc.Digest.String(), "the manifest names the blob by its sha512")
			// distribution keeps the bytes under their sha256 and links the sha512 to it.
			stored, err := reg.LinkedBlob(repo, desc.Digest)
			require.NoError(t, err, "%s: no link for %s", mode, desc.Digest)
			assert.Equal(t, digest.FromBytes(data), stored)
			onDisk, err := os.ReadFile(reg.BlobDataPath(stored))
			require.NoError(t, err)
			assert.Equal(t, data, onDisk, "bit-exact in the registry's storage")
		}
	}
	posts, puts := 0, 0
	for _, r := range proxy.Requests() {
		if !strings.Contains(r.Path, "/blobs/uploads/") {
			continue
		}
		switch r.Method {
		case http.MethodPost:
			posts++
			assert.Equal(t, "sha512", r.Query.Get("digest-algorithm"), "POST %s?%s", r.Path, r.Query.Encode())
		case http.MethodPut:
			puts++
			assert.True(t, strings.HasPrefix(r.Query.Get("digest"), "sha512:"), "PUT ?digest=%s", r.Query.Get("digest"))
		}
	}
	assert.Equal(t, 4*3, posts, "a POST per blob per mode")
	assert.GreaterOrEqual(t, puts, 3*3, "a PUT per blob, but where the post upload's POST stored it")
	assertNoSessionLeft(t, reg)
}

func TestSHA512PullIsVerified(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{})
	proxy := registrytest.StartFaultProxy(t, reg.URL)
	c, err := registry.New(registry.Config{URL: proxy.URL})
	require.NoError(t, err)
	ctx := context.Background()
	img := sha512Image(t)
	_, err = c.Push(ctx, "sha512/corrupt:1", img, registry.PushOptions{})
	require.NoError(t, err)
	layer := registrytest.Descriptor(t, img.Layers[1]).Digest
	proxy.Add(registrytest.Rule{Method: http.MethodGet, Path: "/blobs/" + layer.String(), Fault: registrytest.Fault{Corrupt: true}})
	_, err = c.Pull(ctx, "sha512/corrupt:1", registry.PullOptions{Verify: true})
	assertFailure(t, err, registry.OpBlobGet, registry.CodeDigestMismatch, "does not hash to its digest")
	assert.Equal(t, 1, proxy.Injected())
}

func TestARefusedDigestAlgorithmIsUnsupported(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{})
	proxy := registrytest.StartFaultProxy(t, reg.URL)
	// As a registry that takes sha256 alone answers (spec end-4c: 400).
	proxy.Add(registrytest.Rule{Method: http.MethodPost, Query: "digest-algorithm=sha512", Fault: registrytest.Fault{Status: http.StatusBadRequest}})
	proxy.Add(registrytest.Rule{Method: http.MethodHead, Path: "/blobs/sha512:", Fault: registrytest.Fault{Status: http.StatusBadRequest}})
	c, err := registry.New(registry.Config{URL: proxy.URL})
	require.NoError(t, err)
	ctx := context.Background()
	blob, err := content.Random(content.RandomOptions{Size: 4096, Digest: digest.SHA512})
	require.NoError(t, err)
	for _, mode := range []registry.UploadMode{registry.UploadMonolithic, registry.UploadStream, registry.UploadChunked} {
		_, err = c.UploadBlob(ctx, "sha512/refused", blob, registry.UploadOptions{Mode: mode})
		assertFailure(t, err, registry.OpUploadStart, registry.CodeUnsupported,
			"the registry refused digest-algorithm=sha512 (400 UNKNOWN: injected by the fault proxy): it does not take sha512 blobs; push them with sha256")
	}
	_, err = c.HeadBlob(ctx, "sha512/refused", registrytest.Descriptor(t, blob).Digest.String())
	assertFailure(t, err, registry.OpBlobHead, registry.CodeUnsupported, "the registry refused the sha512 digest in a blob URL")

	// sha256 blobs go on as ever; a 400 of theirs is what it is.
	plain, err := content.Random(content.RandomOptions{Size: 4096})
	require.NoError(t, err)
	_, err = c.UploadBlob(ctx, "sha512/refused", plain, registry.UploadOptions{})
	require.NoError(t, err)
	assert.Equal(t, 4, proxy.Injected())
	assertNoSessionLeft(t, reg)
}

func TestARefusedSHA512DigestSaysWhatElseItMayMean(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{})
	proxy := registrytest.StartFaultProxy(t, reg.URL)
	proxy.Add(registrytest.Rule{Method: http.MethodPut, Query: "digest=sha512", Fault: registrytest.Fault{Status: http.StatusBadRequest}})
	c, err := registry.New(registry.Config{URL: proxy.URL})
	require.NoError(t, err)
	blob, err := content.Random(content.RandomOptions{Size: 4096, Digest: digest.SHA512})
	require.NoError(t, err)
	_, err = c.UploadBlob(context.Background(), "sha512/put", blob, registry.UploadOptions{})
	assertFailure(t, err, registry.OpUploadComplete, registry.CodeUnknown,
		"the digest is sha512: a registry that takes sha256 digests alone refuses it so too")
	assertNoSessionLeft(t, reg)
}
