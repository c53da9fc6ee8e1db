package registrytest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGrants(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		scopes        []string
		authenticated bool
		want          []*resourceActions
	}{
		{"none", nil, true, []*resourceActions{}},
		{"push", []string{"repository:team/app:pull,push"}, true,
			[]*resourceActions{{"repository", "team/app", []string{"pull", "push"}}}},
		{"space separated and merged", []string{"repository:a:pull repository:b:push", "repository:a:delete"}, true,
			[]*resourceActions{{"repository", "a", []string{"pull", "delete"}}, {"repository", "b", []string{"push"}}}},
		{"catalog", []string{"registry:catalog:*"}, true,
			[]*resourceActions{{"registry", "catalog", []string{"*"}}}},
		{"name with a port", []string{"repository:localhost:5000/a:pull"}, true,
			[]*resourceActions{{"repository", "localhost:5000/a", []string{"pull"}}}},
		{"malformed", []string{"repository", "repository:a"}, true, []*resourceActions{}},
		{"anonymous pull only", []string{"repository:a:pull,push", "repository:b:push", "registry:catalog:*"}, false,
			[]*resourceActions{{"repository", "a", []string{"pull"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, grants(tt.scopes, tt.authenticated))
		})
	}
}

func TestTokensVerifyWithTheJWKSKey(t *testing.T) {
	t.Parallel()
	key, err := newSigningKey()
	require.NoError(t, err)
	token, err := key.sign(newClaims("iss", "sub", "aud", time.Minute, nil))
	require.NoError(t, err)

	var set struct {
		Keys []struct{ Kty, Crv, Kid, X, Y string }
	}
	raw, err := key.jwks()
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &set))
	require.Len(t, set.Keys, 1)
	jwk := set.Keys[0]
	assert.Equal(t, key.kid, jwk.Kid)
	x, err := decodeB64(jwk.X)
	require.NoError(t, err)
	y, err := decodeB64(jwk.Y)
	require.NoError(t, err)
	require.Len(t, x, 32)
	require.Len(t, y, 32)
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
	require.NoError(t, err)

	parts := strings.Split(token, ".")
	require.Len(t, parts, 3)
	sig, err := decodeB64(parts[2])
	require.NoError(t, err)
	require.Len(t, sig, 64, "JWS ES256 signatures are R||S, not ASN.1")
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	assert.True(t, ecdsa.Verify(pub, digest[:], r, s))
}

func TestExpiresInRoundsUpToWholeSeconds(t *testing.T) {
	t.Parallel()
	for ttl, want := range map[time.Duration]int{5 * time.Minute: 300, 1500 * time.Millisecond: 2, time.Millisecond: 1} {
		ti, err := newTokenIssuer("u", "p", ttl)
		require.NoError(t, err)
		t.Cleanup(func() { _ = ti.Close() })
		resp, err := http.Get(ti.Realm() + "?scope=repository:a:pull")
		require.NoError(t, err)
		var body struct {
			ExpiresIn int `json:"expires_in"`
		}
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
		require.NoError(t, resp.Body.Close())
		assert.Equal(t, want, body.ExpiresIn, "ttl %s", ttl)
	}
}

func TestChildEnvDropsRegistryOverrides(t *testing.T) {
	t.Parallel()
	got := childEnv([]string{"PATH=/bin", "REGISTRY_HTTP_ADDR=:5000", "REGISTRY_BIN=/x", "OTEL_TRACES_EXPORTER=otlp", "LISTEN_FDS=2"})
	assert.Equal(t, []string{"PATH=/bin", "OTEL_TRACES_EXPORTER=none", "OTEL_METRICS_EXPORTER=none", "OTEL_LOGS_EXPORTER=none"}, got)
}

func TestTailBufferKeepsTheEnd(t *testing.T) {
	t.Parallel()
	b := &tailBuffer{max: 5}
	_, _ = b.Write([]byte("abc"))
	_, _ = b.Write([]byte("defg"))
	assert.Equal(t, "cdefg", b.String())
}

func decodeB64(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }
