package registry_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
	"github.com/xk6-registry/xk6-registry/registry"
)

// loggedStatuses counts the requests of the registry's access log by status.
func loggedStatuses(t *testing.T, reg *registrytest.Registry) (total int, byStatus map[int]int) {
	t.Helper()
	byStatus, err := reg.LoggedStatuses()
	require.NoError(t, err)
	for _, n := range byStatus {
		total += n
	}
	return total, byStatus
}

func TestTokensPerRequestFetchOneTokenForEveryRegistryRequest(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{Auth: registrytest.AuthToken, RequestLog: true})
	sent := &countingTransport{host: reg.Host}
	c, err := registry.New(registry.Config{URL: reg.URL, Username: reg.Username, Password: reg.Password,
		Tokens: registry.TokensPerRequest, Transport: sent})
	require.NoError(t, err)
	ctx := context.Background()
	img := testImage(t, 31, 1000, 2000, 3000)
	// One blob at a time, so the first request alone meets the challenge.
	_, err = c.Push(ctx, "storm/app:1", img, registry.PushOptions{})
	require.NoError(t, err)
	for range 2 {
		_, err = c.Pull(ctx, "storm/app:1", registry.PullOptions{Verify: true, Concurrency: 3})
		require.NoError(t, err)
	}

	// The registry's access log holds the readiness probe and what the client sent.
	require.NoError(t, reg.WaitLogged(1+int(sent.n.Load())))
	total, byStatus := loggedStatuses(t, reg)
	require.Equal(t, 1+int(sent.n.Load()), total)
	// The 401s are the readiness probe's and the challenge of the push's
	// first request; every other request the registry served carried a
	// token fetched for it alone.
	assert.Equal(t, 2, byStatus[401], "challenges: %v", byStatus)
	assert.Equal(t, total-byStatus[401], reg.Tokens.Requests(), "token requests against the registry's %d requests %v", total, byStatus)
}

// countingTransport counts the requests sent to one host.
type countingTransport struct {
	host string
	n    atomic.Int64
}

func (ct *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host == ct.host {
		ct.n.Add(1)
	}
	return http.DefaultTransport.RoundTrip(req)
}

func TestTokensCachedByDefault(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{Auth: registrytest.AuthToken})
	for _, mode := range []registry.TokenMode{"", registry.TokensCached} {
		c, err := registry.New(registry.Config{URL: reg.URL, Username: reg.Username, Password: reg.Password, Tokens: mode})
		require.NoError(t, err)
		before := reg.Tokens.Requests()
		for range 3 {
			_, err := c.Ping(context.Background())
			require.NoError(t, err)
		}
		assert.Equal(t, before+1, reg.Tokens.Requests(), "tokens %q", mode)
	}
}

func TestTokenModeIsChecked(t *testing.T) {
	t.Parallel()
	_, err := registry.New(registry.Config{URL: "http://127.0.0.1:5000", Tokens: "fresh"})
	require.ErrorContains(t, err, `tokens "fresh" is not "cached" or "per-request"`)
	_, err = registry.New(registry.Config{URL: "http://127.0.0.1:5000", Tokens: registry.TokensPerRequest, Token: "static"})
	require.ErrorContains(t, err, "a static token is never fetched")
}

func TestTokenAsksTheRealmOncePerCall(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{Auth: registrytest.AuthToken, TokenTTL: 90 * time.Second, RequestLog: true})
	c, err := registry.New(registry.Config{URL: reg.URL, Username: reg.Username, Password: reg.Password})
	require.NoError(t, err)
	ctx := context.Background()
	for i := range 3 {
		res, err := c.Token(ctx, "storm/app", []string{"pull", "push"})
		require.NoError(t, err)
		assert.Equal(t, 200, res.Status)
		assert.Equal(t, 90*time.Second, res.ExpiresIn)
		assert.Equal(t, i+1, reg.Tokens.Requests(), "a token request per call, none cached")
	}
	// The realm came from one GET /v2/, its 401 unanswered (the other 401
	// is the readiness probe's).
	require.NoError(t, reg.WaitLogged(2))
	total, byStatus := loggedStatuses(t, reg)
	assert.Equal(t, 2, total)
	assert.Equal(t, 2, byStatus[401])

	// A token call's realm serves the client's requests too: the scheme is known.
	_, err = c.Ping(ctx)
	require.NoError(t, err)
	require.NoError(t, reg.WaitLogged(3))
	total, byStatus = loggedStatuses(t, reg)
	assert.Equal(t, 3, total)
	assert.Equal(t, 2, byStatus[401], "the ping sent its token up front")
	assert.Equal(t, 4, reg.Tokens.Requests(), "the ping's token is the cache's own")
}

func TestTokenOfARegistryWithoutATokenService(t *testing.T) {
	t.Parallel()
	for _, auth := range []registrytest.AuthMode{registrytest.AuthNone, registrytest.AuthHtpasswd} {
		reg := registrytest.Start(t, registrytest.Options{Auth: auth})
		c, err := registry.New(registry.Config{URL: reg.URL, Username: reg.Username, Password: reg.Password})
		require.NoError(t, err)
		_, err = c.Token(context.Background(), "storm/app", []string{"pull"})
		require.True(t, registry.HasCode(err, registry.CodeUnsupported), "%s: %v", auth, err)
		assert.ErrorContains(t, err, "the registry names no token realm", auth.String())
	}
}

func TestTokenArgumentsAreChecked(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		repo    string
		actions []string
		want    string
	}{
		{"Bad/Name", []string{"pull"}, "Bad/Name"},
		{"storm/app", nil, "name the actions"},
		{"storm/app", []string{"pull", "write"}, `action "write" is not one of pull, push, delete, *`},
	} {
		err := registry.CheckToken(tc.repo, tc.actions)
		assert.ErrorContains(t, err, tc.want)
	}
}
