package auth

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRefreshMarginIsATenthOfAShortLifeAndAtMostFiveSeconds(t *testing.T) {
	t.Parallel()
	assert.Equal(t, 500*time.Millisecond, refreshMargin(5*time.Second))
	assert.Equal(t, 100*time.Millisecond, refreshMargin(time.Second))
	assert.Equal(t, 5*time.Second, refreshMargin(5*time.Minute))
}

// A token that lives 5 s is reused, not fetched again for every request.
func TestShortLivedTokensAreReused(t *testing.T) {
	t.Parallel()
	fetches := 0
	cache := newTokenCache(func(context.Context, string, string, []string) (string, time.Time, error) {
		fetches++
		return "t", time.Now().Add(5 * time.Second), nil
	})
	for range 100 {
		token, err := cache.get(context.Background(), "realm", "svc", []string{PullScope("a/b")}, "")
		require.NoError(t, err)
		require.Equal(t, "t", token)
	}
	assert.Equal(t, 1, fetches)
	_, err := cache.get(context.Background(), "realm", "svc", []string{PullScope("a/b")}, "t")
	require.NoError(t, err)
	assert.Equal(t, 2, fetches, "a refused token is fetched again")
}
