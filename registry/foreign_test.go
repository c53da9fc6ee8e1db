package registry_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
	"github.com/xk6-registry/xk6-registry/registry"
)

// What a client carries for its registry, and what of it may reach an
// origin that is not the registry's: the headers a request needs there.
const (
	apiKey      = "api-key-of-the-client"
	cookieValue = "session=cookie-of-the-client"
)

var foreignAllowed = []string{"User-Agent", "Accept", "Accept-Encoding", "Range",
	"Content-Type", "Content-Length", "Content-Range", "Expect"}

// foreignClient is one kind of client, with everything it can carry.
type foreignClient struct {
	name    string
	cfg     registry.Config
	secrets []string // what must reach no other origin
}

// foreignClients are a Basic client, a token-flow client and a static-token
// client, each with headers and a cookie of its own, against registries
// with the matching auth.
func foreignClients(t *testing.T) []struct {
	reg    *registrytest.Registry
	client foreignClient
} {
	headers := http.Header{"X-Api-Key": {apiKey}, "Cookie": {cookieValue}}
	basic := registrytest.Start(t, registrytest.Options{Auth: registrytest.AuthHtpasswd})
	token := registrytest.Start(t, registrytest.Options{Auth: registrytest.AuthToken})
	static := registrytest.Start(t, registrytest.Options{Auth: registrytest.AuthToken})
	staticToken := fetchToken(t, static, "repository:foreign/a:pull,push", "repository:foreign/b:pull,push",
		"repository:foreign/c:pull,push")
	secrets := func(reg *registrytest.Registry, extra ...string) []string {
		return append([]string{reg.Password, apiKey, "cookie-of-the-client"}, extra...)
	}
	return []struct {
		reg    *registrytest.Registry
		client foreignClient
	}{
		{basic, foreignClient{"basic", registry.Config{URL: basic.URL, Username: basic.Username, Password: basic.Password, Headers: headers}, secrets(basic)}},
		{token, foreignClient{"token", registry.Config{URL: token.URL, Username: token.Username, Password: token.Password, Headers: headers}, secrets(token)}},
		{static, foreignClient{"static token", registry.Config{URL: static.URL, Token: staticToken, Headers: headers}, secrets(static, staticToken)}},
	}
}

// fetchToken asks reg's token service for a token granting scopes.
func fetchToken(t *testing.T, reg *registrytest.Registry, scopes ...string) string {
	t.Helper()
	q := url.Values{"service": {reg.Tokens.Service()}, "scope": scopes}
	req, err := http.NewRequest(http.MethodGet, reg.Tokens.Realm()+"?"+q.Encode(), nil)
	require.NoError(t, err)
	req.SetBasicAuth(reg.Username, reg.Password)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var body struct{ Token string }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	require.NotEmpty(t, body.Token)
	return body.Token
}

// Any origin but the registry's that answers 401 gets nothing the client
// holds: no Basic, no token, none of its headers, no cookie; its realm is
// never asked; and the client's realm stays the registry's, so the next
// call to another repository works. Each way a registry can send a client
// elsewhere: an upload Location, absolute or scheme-relative, a tags Link,
// a blob redirect.
func TestAForeignChallengeIsAFailureAndGetsNothing(t *testing.T) {
	t.Parallel()
	img := func(seed uint64) *registry.Image { return testImage(t, seed, 3000, 2000) }
	cases := map[string]struct {
		rule func(capture string) registrytest.Rule
		// do makes the call that meets the capture origin.
		do func(ctx context.Context, c *registry.Client) error
		op string
	}{
		"upload Location": {
			rule: func(capture string) registrytest.Rule {
				return registrytest.Rule{Method: http.MethodPost, Path: "/foreign/a/blobs/uploads/", Fault: registrytest.Fault{Location: capture}}
			},
			do: func(ctx context.Context, c *registry.Client) error {
				_, err := c.Push(ctx, "foreign/a:1", img(1), registry.PushOptions{})
				return err
			},
			op: registry.OpUploadChunk,
		},
		"scheme-relative upload Location": {
			rule: func(capture string) registrytest.Rule {
				return registrytest.Rule{Method: http.MethodPost, Path: "/foreign/a/blobs/uploads/", Fault: registrytest.Fault{Location: capture, SchemeRelative: true}}
			},
			do: func(ctx context.Context, c *registry.Client) error {
				_, err := c.Push(ctx, "foreign/a:1", img(2), registry.PushOptions{UploadOptions: registry.UploadOptions{Mode: registry.UploadMonolithic}})
				return err
			},
			op: registry.OpUploadComplete,
		},
		"tags Link": {
			rule: func(capture string) registrytest.Rule {
				return registrytest.Rule{Method: http.MethodGet, Path: "/foreign/a/tags/list", Fault: registrytest.Fault{Link: capture}}
			},
			do: func(ctx context.Context, c *registry.Client) error {
				for _, tag := range []string{"1", "2"} {
					if _, err := c.Push(ctx, "foreign/a:"+tag, img(3), registry.PushOptions{}); err != nil {
						return err
					}
				}
				_, err := c.Tags(ctx, "foreign/a", registry.ListOptions{N: 1, All: true})
				return err
			},
			op: registry.OpTags,
		},
		"blob redirect": {
			rule: func(capture string) registrytest.Rule {
				return registrytest.Rule{Method: http.MethodGet, Path: "/foreign/a/blobs/sha256:", Fault: registrytest.Fault{Redirect: capture}}
			},
			do: func(ctx context.Context, c *registry.Client) error {
				if _, err := c.Push(ctx, "foreign/a:1", img(4), registry.PushOptions{}); err != nil {
					return err
				}
				_, err := c.Pull(ctx, "foreign/a:1", registry.PullOptions{Verify: true})
				return err
			},
			op: registry.OpBlobGet,
		},
	}
	for what, tc := range cases {
		t.Run(what, func(t *testing.T) {
			t.Parallel()
			for _, kind := range foreignClients(t) {
				capture := registrytest.StartCaptureOrigin(t)
				proxy := registrytest.StartFaultProxy(t, kind.reg.URL)
				proxy.Add(tc.rule(capture.URL))
				cfg := kind.client.cfg
				cfg.URL = proxy.URL
				c, err := registry.New(cfg)
				require.NoError(t, err)
				ctx := context.Background()
				tokensBefore := 0
				if kind.reg.Tokens != nil {
					tokensBefore = kind.reg.Tokens.Requests()
				}

				err = tc.do(ctx, c)
				assertFailure(t, err, tc.op, registry.CodeForeignChallenge, capture.URL)
				assert.Equal(t, http.StatusUnauthorized, registry.StatusOf(err))
				assert.NotEmpty(t, capture.Requests(), "%s: the capture origin was not reached; the case proves nothing", kind.client.name)
				assert.Empty(t, capture.Leaks(foreignAllowed, kind.client.secrets...), "%s", kind.client.name)
				assert.False(t, capture.TokenAsked(), "%s: the foreign realm was asked for a token", kind.client.name)

				// The client's realm and credentials are still the registry's.
				_, err = c.Push(ctx, "foreign/b:1", img(5), registry.PushOptions{})
				require.NoError(t, err, kind.client.name)
				_, err = c.Pull(ctx, "foreign/b:1", registry.PullOptions{Verify: true})
				require.NoError(t, err, kind.client.name)
				if kind.client.name == "token" {
					assert.Greater(t, kind.reg.Tokens.Requests(), tokensBefore, "the registry's own realm was asked")
				}
				assert.False(t, capture.TokenAsked(), kind.client.name)
			}
		})
	}
}

// A redirect to the same host on another port is another origin: net/http
// would carry the client's headers there, a Cookie among them, and a
// Referer naming the registry's URL.
func TestARedirectCarriesOnlyWhatItNeeds(t *testing.T) {
	t.Parallel()
	for _, kind := range foreignClients(t) {
		capture := registrytest.StartCaptureOrigin(t)
		require.Equal(t, strings.Split(capture.Host, ":")[0], strings.Split(kind.reg.Host, ":")[0], "same host name, another port")
		proxy := registrytest.StartFaultProxy(t, kind.reg.URL)
		proxy.Add(registrytest.Rule{Method: http.MethodGet, Path: "/blobs/sha256:", Fault: registrytest.Fault{Redirect: capture.URL}})
		cfg := kind.client.cfg
		cfg.URL = proxy.URL
		c, err := registry.New(cfg)
		require.NoError(t, err)
		img := testImage(t, 6, 3000)
		_, err = c.Push(context.Background(), "foreign/c:1", img, registry.PushOptions{})
		require.NoError(t, err)
		desc := registrytest.Descriptor(t, img.Layers[0])
		_, err = c.GetBlob(context.Background(), "foreign/c", desc.Digest.String(), registry.GetBlobOptions{Range: &[2]int64{0, 9}})
		assertFailure(t, err, registry.OpBlobGet, registry.CodeForeignChallenge, capture.URL)
		got := capture.Requests()
		require.Len(t, got, 1, kind.client.name)
		assert.Equal(t, "bytes=0-9", got[0].Header.Get("Range"), "the redirect keeps the Range it needs")
		assert.Empty(t, got[0].Header.Get("Referer"), kind.client.name)
		assert.Empty(t, capture.Leaks(foreignAllowed, kind.client.secrets...), kind.client.name)
	}
}
