package registrytest_test

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
)

// trusting is a client that trusts one server certificate, speaking
// HTTP/2 when the server offers it.
func trusting(t *testing.T, certPEM []byte) *http.Client {
	t.Helper()
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(certPEM))
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, ForceAttemptHTTP2: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

func send(t *testing.T, c *http.Client, method, url string, body string) *http.Response {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	require.NoError(t, err)
	resp, err := c.Do(req)
	require.NoError(t, err)
	_, err = io.Copy(io.Discard, resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	return resp
}

// TestNginxServesFilesAndSinksUploads serves a blob from a static root over
// TLS and HTTP/2, and walks an upload through the sink: each answer is a
// registry's, and the access log shows every body arrived whole.
func TestNginxServesFilesAndSinksUploads(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	blob := filepath.Join(root, "v2", "team", "app", "blobs", "sha256:abc")
	require.NoError(t, os.MkdirAll(filepath.Dir(blob), 0o750))
	require.NoError(t, os.WriteFile(blob, []byte("layer bytes"), 0o600))
	n := registrytest.StartNginx(t, registrytest.NginxOptions{TLS: true, HTTP2: true, Root: root, Sink: true})
	c := trusting(t, n.CertPEM)

	resp := send(t, c, http.MethodGet, n.URL+"/v2/team/app/blobs/sha256:abc", "")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, 2, resp.ProtoMajor)
	assert.Equal(t, int64(len("layer bytes")), resp.ContentLength)
	assert.Equal(t, http.StatusNotFound, send(t, c, http.MethodGet, n.URL+"/v2/team/app/blobs/sha256:def", "").StatusCode)

	body := strings.Repeat("x", 3<<20) // larger than nginx keeps in memory
	start := send(t, c, http.MethodPost, n.URL+"/v2/team/app/blobs/uploads/", "")
	require.Equal(t, http.StatusAccepted, start.StatusCode)
	session := start.Header.Get("Location")
	require.Regexp(t, `^/v2/team/app/blobs/uploads/[0-9a-f]{32}$`, session)
	assert.Equal(t, strings.TrimPrefix(session, "/v2/team/app/blobs/uploads/"), start.Header.Get("Docker-Upload-UUID"))
	patched := send(t, c, http.MethodPatch, n.URL+session, body)
	require.Equal(t, http.StatusAccepted, patched.StatusCode)
	assert.Equal(t, session, patched.Header.Get("Location"))
	done := send(t, c, http.MethodPut, n.URL+session+"?digest=sha256%3Aabc", body)
	require.Equal(t, http.StatusCreated, done.StatusCode)
	assert.Equal(t, "/v2/team/app/blobs/sha256%3Aabc", done.Header.Get("Location"))
	put := send(t, c, http.MethodPut, n.URL+"/v2/team/app/manifests/1", `{"schemaVersion":2}`)
	require.Equal(t, http.StatusCreated, put.StatusCode)
	assert.Equal(t, "/v2/team/app/manifests/1", put.Header.Get("Location"))

	reqs, err := n.Requests()
	require.NoError(t, err)
	var uploaded []int64
	require.Len(t, reqs, 6)
	for _, r := range reqs {
		assert.Equal(t, "HTTP/2.0", r.Protocol, r.URI)
		if r.Method == http.MethodPatch || r.Method == http.MethodPut {
			uploaded = append(uploaded, r.BodySize)
			assert.GreaterOrEqual(t, r.Received, r.BodySize, "nginx read the whole body of %s %s", r.Method, r.URI)
		}
	}
	assert.Equal(t, []int64{int64(len(body)), int64(len(body)), int64(len(`{"schemaVersion":2}`))}, uploaded)
}

// TestNginxProxiesARegistry puts nginx in front of a registry: the
// registry answers through it, and a body over MaxBodySize gets nginx's 413.
func TestNginxProxiesARegistry(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{})
	n := registrytest.StartNginx(t, registrytest.NginxOptions{TLS: true, Upstream: reg.URL, MaxBodySize: 1 << 20})
	c := trusting(t, n.CertPEM)

	resp := send(t, c, http.MethodGet, n.URL+"/v2/", "")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, 1, resp.ProtoMajor, "no HTTP/2 unless asked")
	assert.Equal(t, "registry/2.0", resp.Header.Get("Docker-Distribution-Api-Version"), "the registry answered")

	start := send(t, c, http.MethodPost, n.URL+"/v2/team/app/blobs/uploads/", "")
	require.Equal(t, http.StatusAccepted, start.StatusCode)
	loc := start.Header.Get("Location")
	assert.True(t, strings.HasPrefix(loc, n.URL+"/v2/team/app/blobs/uploads/"), "the registry's Location names the proxy: %s", loc)
	assert.Equal(t, http.StatusRequestEntityTooLarge, send(t, c, http.MethodPatch, loc, strings.Repeat("x", 2<<20)).StatusCode)
	small := send(t, c, http.MethodPatch, loc, "small")
	assert.Equal(t, http.StatusAccepted, small.StatusCode)
	// The session's state moved on with the PATCH.
	assert.Equal(t, http.StatusNoContent, send(t, c, http.MethodDelete, small.Header.Get("Location"), "").StatusCode)
}

func TestNginxRefusesWhatItCannotServe(t *testing.T) {
	t.Parallel()
	for name, opts := range map[string]registrytest.NginxOptions{
		"HTTP2 needs TLS":      {HTTP2: true, Sink: true},
		"set Root, Sink":       {},
		"Root and Sink go":     {Upstream: "http://127.0.0.1:1", Sink: true},
		"absolute path":        {Root: "relative"},
		"MaxBodySize -1 is ne": {Sink: true, MaxBodySize: -1},
	} {
		_, err := registrytest.LaunchNginx(opts)
		assert.ErrorContains(t, err, strings.TrimSpace(name), name)
	}
}
