package registry_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
	"github.com/xk6-registry/xk6-registry/registry"
)

// trustingTransport trusts one server certificate and waits for a
// 100 Continue as k6's VU transport does in the binding.
func trustingTransport(t *testing.T, certPEM []byte, http2 bool) *http.Transport {
	t.Helper()
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(certPEM))
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		ForceAttemptHTTP2: http2, ExpectContinueTimeout: time.Second}
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

// Post uploads behind nginx as it is configured by default (it reads a
// request's whole body before passing it on), with TLS, over HTTP/2 and
// HTTP/1.1: distribution answers a POST that carries a blob with 202 and
// leaves the body unread, and nginx, still sending it, may answer the
// client 502 and leave a session behind. The client learns that from its
// first post upload and sends no more bodies in POSTs, so 10 pushes of two
// 256 MiB layers, two at once, all pass and leave nothing open.
func TestPostUploadsBehindNginx(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 10 GiB through nginx")
	}
	t.Parallel()
	for _, h2 := range []bool{true, false} {
		t.Run(fmt.Sprintf("http2=%v", h2), func(t *testing.T) {
			t.Parallel()
			reg := registrytest.Start(t, registrytest.Options{})
			ng := registrytest.StartNginx(t, registrytest.NginxOptions{TLS: true, HTTP2: true, Upstream: reg.URL, RequestBuffering: true})
			c, err := registry.New(registry.Config{URL: ng.URL, Transport: trustingTransport(t, ng.CertPEM, h2), Timeout: 2 * time.Minute})
			require.NoError(t, err)
			passed := 0
			for run := range 10 {
				img := testImage(t, uint64(1000+run), 256<<20, 256<<20)
				_, err := c.Push(context.Background(), fmt.Sprintf("post/app:%d", run), img,
					registry.PushOptions{Concurrency: 2, UploadOptions: registry.UploadOptions{Mode: registry.UploadPost}})
				if assert.NoError(t, err, "run %d", run) {
					passed++
				}
			}
			assert.Equal(t, 10, passed)
			reqs, err := ng.Requests()
			require.NoError(t, err)
			var bodies []int64
			for _, r := range reqs {
				if r.Method == http.MethodPost && strings.Contains(r.URI, "/blobs/uploads/") && r.BodySize > 0 {
					bodies = append(bodies, r.BodySize)
				}
			}
			assert.Len(t, bodies, 1, "one POST, the first, carried its blob; the registry left it unread")
			assertNoSessionLeft(t, reg)
		})
	}
}

// A proxy that cuts a request mid-body makes one failure, whichever way
// the cut reaches net/http (an EOF, or the connection closed under a body
// still being written): always CONNECTION_RESET.
func TestACutBehindHAProxyHasOneCode(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{})
	hp := registrytest.StartHAProxy(t, registrytest.HAProxyOptions{Upstream: reg.URL,
		Rules: []string{"http-request reject if { method PATCH }"}})
	c, err := registry.New(registry.Config{URL: hp.URL})
	require.NoError(t, err)
	codes := map[string]int{}
	for run := range 20 {
		_, err := c.Push(context.Background(), "cut/app:1", testImage(t, uint64(2000+run), 4<<20), registry.PushOptions{})
		var re *registry.Error
		require.ErrorAs(t, err, &re)
		codes[re.Op+" "+re.Code]++
	}
	assert.Equal(t, map[string]int{"upload_chunk CONNECTION_RESET": 20}, codes)
	assertNoSessionLeft(t, reg)
}

// Post uploads behind haproxy, which passes Expect: 100-continue on: the
// registry's 202 comes before the body is sent, and no connection is left
// in a state that breaks the next request.
func TestPostUploadsBehindHAProxy(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{})
	hp := registrytest.StartHAProxy(t, registrytest.HAProxyOptions{Upstream: reg.URL})
	c, err := registry.New(registry.Config{URL: hp.URL, Transport: &http.Transport{ExpectContinueTimeout: time.Second}})
	require.NoError(t, err)
	for run := range 10 {
		img := testImage(t, uint64(3000+run), 32<<20, 32<<20)
		_, err := c.Push(context.Background(), fmt.Sprintf("post/app:%d", run), img,
			registry.PushOptions{Concurrency: 2, UploadOptions: registry.UploadOptions{Mode: registry.UploadPost}})
		require.NoError(t, err, "run %d", run)
		_, err = c.Pull(context.Background(), fmt.Sprintf("post/app:%d", run), registry.PullOptions{Verify: true})
		require.NoError(t, err, "the request after run %d", run)
	}
	assertNoSessionLeft(t, reg)
}
