package registry_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
	"github.com/xk6-registry/xk6-registry/registry"
)

// sessionRecorder notes every upload session URL the client is sent to.
type sessionRecorder struct {
	mu       sync.Mutex
	sessions map[string]bool
}

func (s *sessionRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if strings.Contains(req.URL.Path, "/blobs/uploads/") && !strings.HasSuffix(req.URL.Path, "/blobs/uploads/") {
		u := *req.URL
		u.RawQuery = ""
		s.mu.Lock()
		s.sessions[u.String()] = true
		s.mu.Unlock()
	}
	return http.DefaultTransport.RoundTrip(req)
}

// assertNoOpenSessions asks the registry about every session the client
// touched: each must be gone (404 BLOB_UPLOAD_UNKNOWN).
func assertNoOpenSessions(t *testing.T, c *registry.Client, rec *sessionRecorder) {
	t.Helper()
	rec.mu.Lock()
	sessions := make([]string, 0, len(rec.sessions))
	for s := range rec.sessions {
		sessions = append(sessions, s)
	}
	rec.mu.Unlock() // the questions below go through rec too
	require.NotEmpty(t, sessions, "the test opened no session; it proves nothing")
	for _, s := range sessions {
		res, err := c.UploadStatus(context.Background(), s)
		require.Error(t, err, "session %s is still open (holds %d bytes)", s, res.Offset)
		assert.True(t, registry.HasCode(err, "BLOB_UPLOAD_UNKNOWN"), "%s: %v", s, err)
	}
}

func TestMountFallbackLeaksNoSession(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{Auth: registrytest.AuthToken})
	rec := &sessionRecorder{sessions: map[string]bool{}}
	c, err := registry.New(registry.Config{URL: reg.URL, Username: reg.Username, Password: reg.Password, Transport: rec})
	require.NoError(t, err)
	blob := testBlob(t, 77, 5000)
	res, err := c.MountBlob(context.Background(), "leak/mount", describe(t, blob).Digest.String(), "leak/empty")
	require.NoError(t, err)
	assert.False(t, res.Mounted)
	assert.Equal(t, http.StatusAccepted, res.Status)
	assertNoOpenSessions(t, c, rec)
}

// cancellingBlob cancels the push's context once half its bytes are read,
// as a test that ends mid-upload does.
type cancellingBlob struct {
	registry.BlobSource
	cancel context.CancelFunc
}

func (b cancellingBlob) Open(ctx context.Context) (io.ReadCloser, error) {
	rc, err := b.BlobSource.Open(ctx)
	if err != nil {
		return nil, err
	}
	desc, err := b.Descriptor(ctx)
	if err != nil {
		return nil, err
	}
	half := desc.Size / 2
	return struct {
		io.Reader
		io.Closer
	}{io.MultiReader(
		io.LimitReader(rc, half),
		readFunc(func(p []byte) (int, error) { b.cancel(); return 0, ctx.Err() }),
	), rc}, nil
}

type readFunc func([]byte) (int, error)

func (f readFunc) Read(p []byte) (int, error) { return f(p) }

func TestCancelledPushLeaksNoSession(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{})
	for _, mode := range []registry.UploadMode{registry.UploadStream, registry.UploadChunked, registry.UploadMonolithic} {
		rec := &sessionRecorder{sessions: map[string]bool{}}
		c, err := registry.New(registry.Config{URL: reg.URL, Transport: rec})
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(context.Background())
		img := testImage(t, 5, 100)
		img.Layers[0] = cancellingBlob{BlobSource: testBlob(t, 6, 200_000), cancel: cancel}
		_, err = c.Push(ctx, "leak/push:"+string(mode), img, registry.PushOptions{UploadOptions: registry.UploadOptions{Mode: mode, ChunkSize: 64 << 10}})
		require.Error(t, err, mode)
		assert.True(t, registry.HasCode(err, registry.CodeCanceled, registry.CodeContentUnreadable, registry.CodeConnectionReset, registry.CodeNetwork), "%s: %v", mode, err)
		assertNoOpenSessions(t, c, rec)
	}
}
