package registry_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
	"github.com/xk6-registry/xk6-registry/registry"
)

var authModes = map[string]registrytest.AuthMode{
	"anonymous": registrytest.AuthNone,
	"htpasswd":  registrytest.AuthHtpasswd,
	"token":     registrytest.AuthToken,
}

// transfers records what OnTransfer reports.
type transfers struct {
	mu   sync.Mutex
	list []registry.Transfer
}

func (tr *transfers) add(_ context.Context, t registry.Transfer) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.list = append(tr.list, t)
}

func (tr *transfers) count(direction string) int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	n := 0
	for _, t := range tr.list {
		if t.Direction == direction && !t.Mounted && t.Err == nil {
			n++
		}
	}
	return n
}

func newClient(t *testing.T, reg *registrytest.Registry, tr *transfers) *registry.Client {
	t.Helper()
	cfg := registry.Config{URL: reg.URL, Username: reg.Username, Password: reg.Password}
	if tr != nil {
		cfg.OnTransfer = tr.add
	}
	c, err := registry.New(cfg)
	require.NoError(t, err)
	return c
}

func ggcrAuth(reg *registrytest.Registry) remote.Option {
	if reg.Username == "" {
		return remote.WithAuth(authn.Anonymous)
	}
	return remote.WithAuth(&authn.Basic{Username: reg.Username, Password: reg.Password})
}

// ggcrImage reads what a push left, with another client, and validates it
// down to every layer's bytes.
func ggcrValidate(t *testing.T, reg *registrytest.Registry, ref string) v1.Image {
	t.Helper()
	r, err := name.ParseReference(reg.Host+"/"+ref, name.Insecure)
	require.NoError(t, err)
	img, err := remote.Image(r, ggcrAuth(reg))
	require.NoError(t, err)
	require.NoError(t, registrytest.ValidateImage(img))
	return img
}

func TestPushPullEveryUploadModeAndAuth(t *testing.T) {
	t.Parallel()
	modes := []registry.UploadMode{registry.UploadMonolithic, registry.UploadStream, registry.UploadChunked, registry.UploadPost}
	for authName, auth := range authModes {
		t.Run(authName, func(t *testing.T) {
			t.Parallel()
			reg := registrytest.Start(t, registrytest.Options{Auth: auth})
			for i, mode := range modes {
				t.Run(string(mode), func(t *testing.T) {
					tr := &transfers{}
					c := newClient(t, reg, tr)
					ctx := context.Background()
					// Sizes around the chunk size: under, over, and not a multiple.
					img := testImage(t, uint64(i+1), 70_000, 200_001)
					ref := fmt.Sprintf("team/%s:%s", mode, authName)

					pushed, err := c.Push(ctx, ref, img, registry.PushOptions{
						UploadOptions: registry.UploadOptions{Mode: mode, ChunkSize: 64 << 10},
						Concurrency:   2,
					})
					require.NoError(t, err)
					assert.Equal(t, http.StatusCreated, pushed.Status)
					assert.Equal(t, 3, pushed.Uploaded)
					assert.Equal(t, imageBytes(t, img), pushed.Bytes)
					assert.Equal(t, 3, tr.count(registry.DirectionPush))

					pulled, err := c.Pull(ctx, ref, registry.PullOptions{Verify: true, Concurrency: 3})
					require.NoError(t, err)
					assert.Equal(t, pushed.Digest, pulled.Digest)
					assert.Equal(t, pushed.Bytes, pulled.Bytes)
					assert.Equal(t, 3, pulled.Blobs)
					assert.Equal(t, 3, tr.count(registry.DirectionPull))

					got := ggcrValidate(t, reg, ref)
					d, err := got.Digest()
					require.NoError(t, err)
					assert.Equal(t, pushed.Digest, d.String(), "another client sees the digest we pushed")
				})
			}
		})
	}
}

func TestPullWhatAnotherClientPushed(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{Auth: registrytest.AuthToken})
	img, err := random.Image(300_000, 3)
	require.NoError(t, err)
	r, err := name.ParseReference(reg.Host+"/other/client:1", name.Insecure)
	require.NoError(t, err)
	require.NoError(t, remote.Write(r, img, ggcrAuth(reg)))

	c := newClient(t, reg, nil)
	pulled, err := c.Pull(context.Background(), "other/client:1", registry.PullOptions{Verify: true})
	require.NoError(t, err)
	d, err := img.Digest()
	require.NoError(t, err)
	assert.Equal(t, d.String(), pulled.Digest)
	assert.Equal(t, 4, pulled.Blobs)
	layers, err := img.Layers()
	require.NoError(t, err)
	var want int64
	for _, l := range layers {
		n, err := l.Size()
		require.NoError(t, err)
		want += n
	}
	cfg, err := img.RawConfigFile()
	require.NoError(t, err)
	assert.Equal(t, want+int64(len(cfg)), pulled.Bytes)
}

func TestTokensAreCachedPerScope(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{Auth: registrytest.AuthToken})
	c := newClient(t, reg, nil)
	ctx := context.Background()
	img := testImage(t, 9, 1000, 2000)

	_, err := c.Push(ctx, "cache/app:1", img, registry.PushOptions{Concurrency: 3})
	require.NoError(t, err)
	afterPush := reg.Tokens.Requests()
	// One challenge, one token for the push scope, shared by concurrent uploads.
	assert.Equal(t, 1, afterPush)

	for range 3 {
		_, err = c.Pull(ctx, "cache/app:1", registry.PullOptions{Verify: true, Concurrency: 3})
		require.NoError(t, err)
	}
	// The pull scope needs its own token, fetched once, up front.
	assert.Equal(t, afterPush+1, reg.Tokens.Requests())
}

func TestBadCredentialsFailWithoutLeakingThem(t *testing.T) {
	t.Parallel()
	for _, auth := range []registrytest.AuthMode{registrytest.AuthHtpasswd, registrytest.AuthToken} {
		reg := registrytest.Start(t, registrytest.Options{Auth: auth})
		const secret = "wrong-Secret-4711"
		c, err := registry.New(registry.Config{URL: reg.URL, Username: reg.Username, Password: secret})
		require.NoError(t, err)
		status, err := c.Ping(context.Background())
		require.Error(t, err)
		assert.Equal(t, http.StatusUnauthorized, status|registry.StatusOf(err))
		assert.True(t, registry.HasCode(err, registry.CodeUnauthorized, "UNAUTHORIZED"), "%v", err)
		assert.NotContains(t, fmt.Sprintf("%v %+v", err, err), secret)
	}
}

func TestPullOfMissingManifestIsManifestUnknown(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{})
	c := newClient(t, reg, nil)
	res, err := c.Pull(context.Background(), "no/such:tag", registry.PullOptions{Verify: true})
	require.Error(t, err)
	assert.True(t, registry.HasCode(err, "MANIFEST_UNKNOWN"), "%v", err)
	assert.Equal(t, http.StatusNotFound, res.Status)
}

func TestSkipExistingAndMount(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{Auth: registrytest.AuthToken})
	c := newClient(t, reg, nil)
	ctx := context.Background()
	img := testImage(t, 3, 5000, 6000)
	_, err := c.Push(ctx, "base/img:1", img, registry.PushOptions{})
	require.NoError(t, err)

	again, err := c.Push(ctx, "base/img:2", img, registry.PushOptions{UploadOptions: registry.UploadOptions{SkipExisting: true}})
	require.NoError(t, err)
	assert.Equal(t, 3, again.Skipped)
	assert.Zero(t, again.Uploaded)
	assert.Zero(t, again.Bytes)

	mounted, err := c.Push(ctx, "derived/img:1", img, registry.PushOptions{UploadOptions: registry.UploadOptions{MountFrom: "base/img"}})
	require.NoError(t, err)
	assert.Equal(t, 3, mounted.Mounted)
	assert.Zero(t, mounted.Uploaded)
	ggcrValidate(t, reg, "derived/img:1")

	// A mount from a repository without the blob falls back to an upload,
	// and the session the registry opened for the fallback is not leaked.
	layer := img.Layers[0]
	up, err := c.UploadBlob(ctx, "fallback/img", layer, registry.UploadOptions{MountFrom: "empty/repo", Mode: registry.UploadChunked, ChunkSize: 1000})
	require.NoError(t, err)
	assert.False(t, up.Mounted)
	assert.Equal(t, describe(t, layer).Digest.String(), up.Digest)
	assert.Empty(t, openUploads(t, reg, "fallback/img"), "upload sessions left behind")
}

// openUploads lists the upload sessions the registry holds open for repo.
func openUploads(t *testing.T, reg *registrytest.Registry, repo string) []string {
	t.Helper()
	open, err := reg.OpenUploads(repo)
	require.NoError(t, err)
	return open
}

func TestCorruptedBlobFailsVerification(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{})
	c := newClient(t, reg, nil)
	ctx := context.Background()
	img := testImage(t, 4, 4096)
	_, err := c.Push(ctx, "corrupt/img:1", img, registry.PushOptions{})
	require.NoError(t, err)

	// Flip bytes of the stored layer, as a bad disk would; size unchanged.
	d := describe(t, img.Layers[0]).Digest
	path := reg.BlobDataPath(d)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	data[100] ^= 0xff
	require.NoError(t, os.WriteFile(path, data, 0o600))

	_, err = c.Pull(ctx, "corrupt/img:1", registry.PullOptions{Verify: true})
	require.Error(t, err)
	assert.True(t, registry.HasCode(err, registry.CodeDigestMismatch), "%v", err)

	res, err := c.Pull(ctx, "corrupt/img:1", registry.PullOptions{Verify: false})
	require.NoError(t, err, "without verify the bytes are only counted")
	assert.Equal(t, 2, res.Blobs)
}

func TestUploadPostModeWithEmptyAndLargeBlobs(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{})
	c := newClient(t, reg, nil)
	for _, size := range []int{0, 1, 3 << 20} {
		for _, mode := range []registry.UploadMode{registry.UploadPost, registry.UploadChunked, registry.UploadStream, registry.UploadMonolithic} {
			blob := testBlob(t, uint64(size), int64(size))
			res, err := c.UploadBlob(context.Background(), "sizes/blob", blob, registry.UploadOptions{Mode: mode, ChunkSize: 1 << 20})
			require.NoError(t, err, "%s of %d bytes", mode, size)
			assert.Equal(t, http.StatusCreated, res.Status)
			assert.True(t, strings.Contains(res.Location, describe(t, blob).Digest.String()), res.Location)
		}
	}
}

// recordingTransport notes the RequestInfo of every request sent.
type recordingTransport struct {
	mu    sync.Mutex
	infos []registry.RequestInfo
	urls  []string
}

func (rt *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	info := registry.RequestInfoFrom(req.Context())
	rt.mu.Lock()
	if info != nil {
		rt.infos = append(rt.infos, *info)
	} else {
		rt.infos = append(rt.infos, registry.RequestInfo{})
	}
	rt.urls = append(rt.urls, req.Method+" "+req.URL.String())
	rt.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

func TestEveryRequestCarriesItsOperationAndABoundedName(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{Auth: registrytest.AuthToken})
	rt := &recordingTransport{}
	c, err := registry.New(registry.Config{URL: reg.URL, Username: reg.Username, Password: reg.Password, Transport: rt})
	require.NoError(t, err)
	ctx := context.Background()
	img := testImage(t, 21, 3000)
	_, err = c.Push(ctx, "named/app:1", img, registry.PushOptions{UploadOptions: registry.UploadOptions{Mode: registry.UploadChunked, ChunkSize: 1000, SkipExisting: true}})
	require.NoError(t, err)
	_, err = c.Pull(ctx, "named/app:1", registry.PullOptions{Verify: true})
	require.NoError(t, err)

	ops := map[string]int{}
	for i, info := range rt.infos {
		require.NotEmpty(t, info.Op, "request %s has no RequestInfo", rt.urls[i])
		ops[info.Op]++
		for _, bad := range []string{"sha256:", "_state", "?"} {
			assert.NotContains(t, info.Name, bad, "name of %s", rt.urls[i])
		}
		if strings.Contains(info.Name, "/manifests/") {
			assert.True(t, strings.HasSuffix(info.Name, "/manifests/{reference}"), info.Name)
		}
	}
	assert.Equal(t, map[string]int{
		registry.OpToken:          2,     // push scope, then pull scope
		registry.OpBlobHead:       2 + 1, // the first one is challenged and sent again
		registry.OpUploadStart:    2,
		registry.OpUploadChunk:    chunks(t, img.Config, 1000) + chunks(t, img.Layers[0], 1000),
		registry.OpUploadComplete: 2,
		registry.OpManifestPut:    1,
		registry.OpManifestGet:    1,
		registry.OpBlobGet:        2,
	}, ops)
}

// imageBytes is the size of an image's config and layers.
func imageBytes(t testing.TB, img *registry.Image) int64 {
	n := describe(t, img.Config).Size
	for _, l := range img.Layers {
		n += describe(t, l).Size
	}
	return n
}

func chunks(t testing.TB, b registry.BlobSource, size int64) int {
	return int((describe(t, b).Size + size - 1) / size)
}

// vanishingBlob is content that can no longer be read, as a loaded file
// deleted during a test.
type vanishingBlob struct{ registry.BlobSource }

func (vanishingBlob) Open(context.Context) (io.ReadCloser, error) {
	return nil, os.ErrNotExist
}

func TestUnreadableContentIsNotBlamedOnTheRegistry(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{})
	c := newClient(t, reg, nil)
	for _, mode := range []registry.UploadMode{registry.UploadMonolithic, registry.UploadStream, registry.UploadChunked, registry.UploadPost} {
		_, err := c.UploadBlob(context.Background(), "gone/blob", vanishingBlob{testBlob(t, 1, 10)}, registry.UploadOptions{Mode: mode})
		require.Error(t, err, mode)
		assert.True(t, registry.HasCode(err, registry.CodeContentUnreadable), "%s: %v", mode, err)
	}
	assert.Empty(t, openUploads(t, reg, "gone/blob"), "sessions of failed uploads are cancelled")
}

func TestPullResolvesAnIndexToThePlatformAsked(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{Auth: registrytest.AuthToken})
	c := newClient(t, reg, nil)
	amd, err := random.Image(10_000, 1)
	require.NoError(t, err)
	arm, err := random.Image(30_000, 2)
	require.NoError(t, err)
	for _, indexType := range []types.MediaType{types.OCIImageIndex, types.DockerManifestList} {
		idx := mutate.IndexMediaType(mutate.AppendManifests(empty.Index,
			mutate.IndexAddendum{Add: amd, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
			mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}}},
		), indexType)
		ref := "multi/arch:" + strings.NewReplacer(".", "-", "/", "-", "+", "-").Replace(string(indexType))
		r, err := name.ParseReference(reg.Host+"/"+ref, name.Insecure)
		require.NoError(t, err)
		require.NoError(t, remote.WriteIndex(r, idx, ggcrAuth(reg)))
		idxDigest, err := idx.Digest()
		require.NoError(t, err)

		for platform, img := range map[string]v1.Image{"": amd, "linux/amd64": amd, "linux/arm64": arm, "linux/arm64/v8": arm} {
			res, err := c.Pull(context.Background(), ref, registry.PullOptions{Verify: true, Platform: platform})
			require.NoError(t, err, "%s %q", indexType, platform)
			assert.Equal(t, idxDigest.String(), res.Digest, "the digest asked for is the index's")
			assert.Equal(t, string(indexType), res.MediaType)
			assert.Equal(t, imageSize(t, img), res.Bytes, "%s %q pulled that platform's blobs", indexType, platform)
		}
		_, err = c.Pull(context.Background(), ref, registry.PullOptions{Platform: "windows/amd64"})
		assert.True(t, registry.HasCode(err, registry.CodePlatformNotFound), "%v", err)
		_, err = c.Pull(context.Background(), ref, registry.PullOptions{Platform: "linux/arm64/v7"})
		assert.True(t, registry.HasCode(err, registry.CodePlatformNotFound), "a variant given must match: %v", err)
	}
}

// imageSize is the bytes of an image's config and layers.
func imageSize(t *testing.T, img v1.Image) int64 {
	t.Helper()
	m, err := img.Manifest()
	require.NoError(t, err)
	n := m.Config.Size
	for _, l := range m.Layers {
		n += l.Size
	}
	return n
}
