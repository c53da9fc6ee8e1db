package registry_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
	"github.com/xk6-registry/xk6-registry/registry"
)

// otherHost stands for a host that is not the registry: it answers 404 and
// remembers whether any request brought credentials or the user's headers.
type otherHost struct {
	*httptest.Server
	mu          sync.Mutex
	requests    int
	credentials int
}

func newOtherHost(t *testing.T) *otherHost {
	h := &otherHost{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.requests++
		if r.Header.Get("Authorization") != "" || r.Header.Get("X-Api-Key") != "" {
			h.credentials++
		}
		h.mu.Unlock()
		http.NotFound(w, r)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *otherHost) counts() (requests, credentials int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.requests, h.credentials
}

// A URL a script passes to cancelUpload or uploadStatus may be anywhere;
// the registry's Basic credentials, its tokens, a static token and the
// user's headers go to the registry only.
func TestSessionCallsToAnotherHostCarryNoCredentials(t *testing.T) {
	t.Parallel()
	for _, mode := range []registrytest.AuthMode{registrytest.AuthHtpasswd, registrytest.AuthToken} {
		reg := registrytest.Start(t, registrytest.Options{Auth: mode})
		other := newOtherHost(t)
		for _, cfg := range []registry.Config{
			{URL: reg.URL, Username: reg.Username, Password: reg.Password, Headers: http.Header{"X-Api-Key": {"k"}}},
			{URL: reg.URL, Token: "static-token"},
		} {
			c, err := registry.New(cfg)
			require.NoError(t, err)
			ctx := context.Background()
			// Learn the scheme first, so credentials would be sent up front.
			_, _ = c.Ping(ctx)
			elsewhere := other.URL + "/v2/team/app/blobs/uploads/0123-upload?_state=x"
			_, err = c.CancelUpload(ctx, elsewhere)
			require.Error(t, err)
			_, err = c.UploadStatus(ctx, elsewhere)
			require.Error(t, err)
		}
		requests, credentials := other.counts()
		assert.Equal(t, 4, requests, "%s: the other host was asked", mode)
		assert.Zero(t, credentials, "%s: credentials reached another host", mode)
	}
}

func TestAnHTTPSRegistryWithAnHTTPRealmGetsNoCredentials(t *testing.T) {
	t.Parallel()
	// registrytest's token service is on http; this registry is on https.
	reg := registrytest.Start(t, registrytest.Options{TLS: true, Auth: registrytest.AuthToken})
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(reg.CertPEM))
	transport := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	c, err := registry.New(registry.Config{URL: reg.URL, Username: reg.Username, Password: reg.Password, Transport: transport})
	require.NoError(t, err)
	_, err = c.Ping(context.Background())
	require.Error(t, err)
	assert.True(t, registry.HasCode(err, registry.CodeInvalidResponse), "%v", err)
	assert.Contains(t, err.Error(), "refusing to send credentials")
	assert.Zero(t, reg.Tokens.Requests(), "the realm was asked over http")
}

func TestHeadersThatBreakEveryRequestAreRefusedUpFront(t *testing.T) {
	t.Parallel()
	for _, h := range []http.Header{
		{"X-Bad Name": {"v"}},
		{"X-Split": {"a\r\nInjected: yes"}},
		{"X-Nul": {"a\x00b"}},
	} {
		_, err := registry.New(registry.Config{URL: "http://127.0.0.1:1", Headers: h})
		require.Error(t, err, "%v", h)
		assert.Contains(t, err.Error(), "header")
		assert.NotContains(t, err.Error(), "Injected")
	}
}
