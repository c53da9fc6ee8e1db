package registry

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A token is never refused for how a realm writes its lifetime.
func TestExpiresInIsReadAsRealmsWriteIt(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]time.Duration{
		`{"token":"t","expires_in":300}`:     300 * time.Second,
		`{"token":"t","expires_in":300.5}`:   300500 * time.Millisecond,
		`{"token":"t","expires_in":"300"}`:   300 * time.Second,
		`{"token":"t","expires_in":" 60 "}`:  60 * time.Second,
		`{"token":"t","expires_in":"soon"}`:  defaultTokenLifetime,
		`{"token":"t","expires_in":-5}`:      defaultTokenLifetime,
		`{"token":"t","expires_in":null}`:    defaultTokenLifetime,
		`{"token":"t","expires_in":[1]}`:     defaultTokenLifetime,
		`{"token":"t"}`:                      defaultTokenLifetime,
		`{"token":"t","expires_in":1e300}`:   maxTokenLifetime,
		`{"token":"t","expires_in":"1e999"}`: maxTokenLifetime,
	} {
		token, lifetime, err := parseTokenResponse([]byte(raw))
		require.NoError(t, err, raw)
		assert.Equal(t, "t", token)
		assert.Equal(t, want, lifetime, raw)
	}
}
