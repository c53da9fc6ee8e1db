package registry_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/registry"
	"github.com/xk6-registry/xk6-registry/registry/content"
)

// Faults a real registry cannot be made to produce on demand are served by
// httptest here: a body that stalls, a closed port.

// stallingRegistry serves one manifest whose layer body sends a little and
// then waits until the client goes away; stalled is closed once it waits.
func stallingRegistry(t *testing.T) (srv *httptest.Server, stalled chan struct{}) {
	t.Helper()
	layer := []byte("0123456789abcdef")
	layerDigest := digest.FromBytes(layer)
	cfg := []byte(`{}`)
	manifest := []byte(`{"schemaVersion":2,"mediaType":"` + ocispec.MediaTypeImageManifest + `",` +
		`"config":{"mediaType":"` + ocispec.MediaTypeImageConfig + `","digest":"` + digest.FromBytes(cfg).String() + `","size":2},` +
		`"layers":[{"mediaType":"` + ocispec.MediaTypeImageLayer + `","digest":"` + layerDigest.String() + `","size":1000000}]}`)
	stalled = make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v2/stall/img/manifests/1", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", ocispec.MediaTypeImageManifest)
		_, _ = w.Write(manifest)
	})
	mux.HandleFunc("GET /v2/stall/img/blobs/"+digest.FromBytes(cfg).String(), func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write(cfg)
	})
	mux.HandleFunc("GET /v2/stall/img/blobs/"+layerDigest.String(), func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000000")
		_, _ = w.Write(layer)
		w.(http.Flusher).Flush()
		close(stalled)
		<-r.Context().Done()
	})
	srv = httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, stalled
}

func TestCancelStopsATransferInFlight(t *testing.T) {
	t.Parallel()
	srv, stalled := stallingRegistry(t)
	c, err := registry.New(registry.Config{URL: srv.URL})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-stalled
		cancel()
	}()
	res, err := c.Pull(ctx, "stall/img:1", registry.PullOptions{Verify: true})
	require.Error(t, err)
	assert.True(t, registry.HasCode(err, registry.CodeCanceled), "%v", err)
	assert.Equal(t, 1, res.Blobs, "the config came through before the stall")
}

func TestTimeoutBoundsARequestAndItsBody(t *testing.T) {
	t.Parallel()
	srv, _ := stallingRegistry(t)
	c, err := registry.New(registry.Config{URL: srv.URL, Timeout: 200 * time.Millisecond})
	require.NoError(t, err)
	_, err = c.Pull(context.Background(), "stall/img:1", registry.PullOptions{Verify: true})
	require.Error(t, err)
	assert.True(t, registry.HasCode(err, registry.CodeTimeout), "%v", err)
}

func TestConnectionRefused(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	c, err := registry.New(registry.Config{URL: "http://" + addr})
	require.NoError(t, err)
	_, err = c.Ping(context.Background())
	require.Error(t, err)
	assert.True(t, registry.HasCode(err, registry.CodeConnectionRefused), "%v", err)
	var re *registry.Error
	require.ErrorAs(t, err, &re)
	assert.Equal(t, registry.OpPing, re.Op)
}

func TestLocationsAreFollowedAsGiven(t *testing.T) {
	t.Parallel()
	// A registry that answers with relative Locations on another path, as
	// some do; the client must go where it is told, not rebuild the URL.
	var seen []string
	blob := []byte("relative")
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v2/rel/app/blobs/uploads/", func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Method+" "+r.URL.String())
		w.Header().Set("Location", "../../../../../elsewhere/session-1?_state=abc%3D")
		w.WriteHeader(http.StatusAccepted)
	})
	mux.HandleFunc("/elsewhere/", func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Method+" "+r.URL.String())
		switch r.Method {
		case http.MethodPatch:
			w.Header().Set("Location", "/elsewhere/session-2?_state=def")
			w.Header().Set("Range", "0-7")
			w.WriteHeader(http.StatusAccepted)
		case http.MethodPut:
			w.Header().Set("Location", "/v2/rel/app/blobs/"+r.URL.Query().Get("digest"))
			w.WriteHeader(http.StatusCreated)
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c, err := registry.New(registry.Config{URL: srv.URL})
	require.NoError(t, err)
	res, err := c.UploadBlob(context.Background(), "rel/app", content.Bytes(blob, ""), registry.UploadOptions{})
	require.NoError(t, err)
	d := digest.FromBytes(blob).String()
	assert.Equal(t, []string{
		"POST /v2/rel/app/blobs/uploads/",
		"PATCH /elsewhere/session-1?_state=abc%3D",
		"PUT /elsewhere/session-2?_state=def&digest=" + d[:6] + "%3A" + d[7:],
	}, seen)
	assert.Equal(t, srv.URL+"/v2/rel/app/blobs/"+d, res.Location)
}

// TestChunkedUploadResumesAfter416 serves a session that drops the second
// chunk once and answers it with 416, as a registry that lost a write does;
// the client must ask the session for its Range and resume from there.
func TestChunkedUploadResumesAfter416(t *testing.T) {
	t.Parallel()
	data := []byte(strings.Repeat("0123456789", 30)) // 300 bytes, chunks of 100
	var (
		mu       sync.Mutex
		held     []byte
		refused  bool
		requests []string
	)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v2/resume/app/blobs/uploads/", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Location", "/v2/resume/session/s")
		w.WriteHeader(http.StatusAccepted)
	})
	mux.HandleFunc("/v2/resume/session/s", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		requests = append(requests, r.Method+" "+r.Header.Get("Content-Range"))
		switch r.Method {
		case http.MethodPatch:
			body, _ := io.ReadAll(r.Body)
			start, _, _ := strings.Cut(r.Header.Get("Content-Range"), "-")
			if start != strconv.Itoa(len(held)) || (len(held) == 100 && !refused) {
				refused = true
				w.WriteHeader(http.StatusRequestedRangeNotSatisfiable)
				return
			}
			held = append(held, body...)
			w.Header().Set("Range", fmt.Sprintf("0-%d", len(held)-1))
			w.Header().Set("Location", "/v2/resume/session/s")
			w.WriteHeader(http.StatusAccepted)
		case http.MethodGet:
			w.Header().Set("Range", fmt.Sprintf("0-%d", len(held)-1))
			w.Header().Set("Location", "/v2/resume/session/s")
			w.WriteHeader(http.StatusNoContent)
		case http.MethodPut:
			if digest.FromBytes(held).String() != r.URL.Query().Get("digest") {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			w.Header().Set("Location", "/v2/resume/app/blobs/"+r.URL.Query().Get("digest"))
			w.WriteHeader(http.StatusCreated)
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c, err := registry.New(registry.Config{URL: srv.URL})
	require.NoError(t, err)
	res, err := c.UploadBlob(context.Background(), "resume/app", content.Bytes(data, ""),
		registry.UploadOptions{Mode: registry.UploadChunked, ChunkSize: 100})
	require.NoError(t, err)
	assert.Equal(t, http.StatusCreated, res.Status)
	assert.Equal(t, data, held, "the registry holds the blob whole, each byte once")
	assert.Equal(t, []string{"PATCH 0-99", "PATCH 100-199", "GET ", "PATCH 100-199", "PATCH 200-299", "PUT "}, requests)
}
