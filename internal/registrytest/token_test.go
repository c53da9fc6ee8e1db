package registrytest_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
)

type tokenResponse struct {
	Token       string `json:"token"`
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in"`
	IssuedAt    string `json:"issued_at"`
}

// fetchToken asks the realm for scopes, with Basic credentials unless user is empty.
func fetchToken(t *testing.T, reg *registrytest.Registry, user, pass string, scopes ...string) (int, tokenResponse) {
	t.Helper()
	q := url.Values{"service": {reg.Tokens.Service()}, "scope": scopes}
	req, err := http.NewRequest(http.MethodGet, reg.Tokens.Realm()+"?"+q.Encode(), nil)
	require.NoError(t, err)
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	var body tokenResponse
	if resp.StatusCode == http.StatusOK {
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	}
	return resp.StatusCode, body
}

func bearerGet(t *testing.T, reg *registrytest.Registry, path, token string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, reg.URL+path, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	return resp.StatusCode
}

// jwtPart decodes one dot-separated part of a JWT into v.
func jwtPart(t *testing.T, token string, i int, v any) {
	t.Helper()
	parts := strings.Split(token, ".")
	require.Len(t, parts, 3)
	raw, err := base64.RawURLEncoding.DecodeString(parts[i])
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, v))
}

func TestTokenEndpoint(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{Auth: registrytest.AuthToken, TokenTTL: 90 * time.Second})
	start := reg.Tokens.Requests()

	status, tok := fetchToken(t, reg, reg.Username, reg.Password,
		"repository:team/app:pull,push", "registry:catalog:*")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, tok.Token, tok.AccessToken)
	assert.Equal(t, 90, tok.ExpiresIn)
	_, err := time.Parse(time.RFC3339, tok.IssuedAt)
	require.NoError(t, err)

	var header map[string]string
	jwtPart(t, tok.Token, 0, &header)
	assert.Equal(t, "ES256", header["alg"])
	assert.NotEmpty(t, header["kid"])
	var claims struct {
		Iss, Sub, Aud, Jti string
		Exp, Nbf, Iat      int64
		Access             []struct {
			Type, Name string
			Actions    []string
		}
	}
	jwtPart(t, tok.Token, 1, &claims)
	assert.Equal(t, reg.Username, claims.Sub)
	assert.Equal(t, reg.Tokens.Service(), claims.Aud)
	assert.Equal(t, int64(90), claims.Exp-claims.Iat)
	require.Len(t, claims.Access, 2)
	assert.Equal(t, "repository", claims.Access[0].Type)
	assert.Equal(t, "team/app", claims.Access[0].Name)
	assert.Equal(t, []string{"pull", "push"}, claims.Access[0].Actions)
	assert.Equal(t, "registry", claims.Access[1].Type)
	assert.Equal(t, "catalog", claims.Access[1].Name)

	// The registry takes the token for what it grants, and only that.
	assert.Equal(t, http.StatusOK, bearerGet(t, reg, "/v2/", tok.Token))
	assert.Equal(t, http.StatusOK, bearerGet(t, reg, "/v2/_catalog", tok.Token))
	assert.Equal(t, http.StatusNotFound, bearerGet(t, reg, "/v2/team/app/tags/list", tok.Token))
	assert.Equal(t, http.StatusUnauthorized, bearerGet(t, reg, "/v2/team/other/tags/list", tok.Token))
	assert.Equal(t, http.StatusUnauthorized, bearerGet(t, reg, "/v2/", tok.Token+"x"))

	status, anon := fetchToken(t, reg, "", "", "repository:team/app:pull,push", "registry:catalog:*")
	require.Equal(t, http.StatusOK, status)
	jwtPart(t, anon.Token, 1, &claims)
	assert.Empty(t, claims.Sub)
	require.Len(t, claims.Access, 1)
	assert.Equal(t, []string{"pull"}, claims.Access[0].Actions)
	assert.Equal(t, http.StatusUnauthorized, bearerGet(t, reg, "/v2/_catalog", anon.Token))

	status, _ = fetchToken(t, reg, reg.Username, "wrong", "repository:team/app:pull")
	assert.Equal(t, http.StatusUnauthorized, status)

	assert.Equal(t, 3, reg.Tokens.Requests()-start)
}
