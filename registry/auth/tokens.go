package auth

import (
	"context"
	"sort"
	"strings"
	"sync"
	"time"
)

// maxRefreshMargin is the longest a token is renewed before it expires, so
// a request does not leave with a token that dies on the way. Short-lived
// tokens get a tenth of their life instead: a 5 s token would otherwise be
// stale as soon as it arrived, and every request would fetch another.
const maxRefreshMargin = 5 * time.Second

// refreshMargin is how long before expiry a token of lifetime is renewed.
func refreshMargin(lifetime time.Duration) time.Duration {
	return min(maxRefreshMargin, lifetime/10)
}

// tokenCache holds bearer tokens per realm, service and scope set until
// they expire.
type tokenCache struct {
	fetch TokenFetcher

	mu      sync.Mutex
	entries map[string]*tokenEntry
}

// tokenEntry holds one cached token; its mutex makes concurrent requests
// for one scope set wait for a single fetch instead of each fetching.
type tokenEntry struct {
	mu    sync.Mutex
	token string
	renew time.Time // when to fetch a fresh one
}

func newTokenCache(fetch TokenFetcher) *tokenCache {
	return &tokenCache{fetch: fetch, entries: map[string]*tokenEntry{}}
}

// get returns a cached token for scopes, fetching one when none is fresh
// or when the cached one is refused, the token a registry just refused.
func (c *tokenCache) get(ctx context.Context, realm, service string, scopes []string, refused string) (string, error) {
	entry := c.entry(tokenKey(realm, service, scopes))
	entry.mu.Lock()
	defer entry.mu.Unlock()
	if entry.token != "" && entry.token != refused && time.Now().Before(entry.renew) {
		return entry.token, nil
	}
	asked := time.Now()
	token, expiry, err := c.fetch(ctx, realm, service, normalizeScopes(scopes))
	if err != nil {
		return "", err
	}
	entry.token, entry.renew = token, expiry.Add(-refreshMargin(expiry.Sub(asked)))
	return token, nil
}

// alias stores the token fetched for all under the key of scopes as well.
func (c *tokenCache) alias(realm, service string, scopes, all []string) {
	from, to := tokenKey(realm, service, all), tokenKey(realm, service, scopes)
	if from == to {
		return
	}
	src := c.entry(from)
	src.mu.Lock()
	token, renew := src.token, src.renew
	src.mu.Unlock()
	dst := c.entry(to)
	dst.mu.Lock()
	dst.token, dst.renew = token, renew
	dst.mu.Unlock()
}

func (c *tokenCache) entry(key string) *tokenEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok {
		e = &tokenEntry{}
		c.entries[key] = e
	}
	return e
}

func tokenKey(realm, service string, scopes []string) string {
	return realm + " " + service + " " + strings.Join(normalizeScopes(scopes), " ")
}

// normalizeScopes merges scopes into one canonical list: the actions of one
// resource joined and sorted, resources sorted. Registries write the same
// scope as "push,pull" or "pull,push"; one set of rights gets one cache key.
func normalizeScopes(scopes []string) []string {
	actions := map[string]map[string]bool{}
	for _, s := range scopes {
		for _, scope := range strings.Fields(s) {
			i := strings.LastIndexByte(scope, ':')
			if i <= 0 {
				continue
			}
			resource := scope[:i]
			if actions[resource] == nil {
				actions[resource] = map[string]bool{}
			}
			for _, a := range strings.Split(scope[i+1:], ",") {
				if a != "" {
					actions[resource][a] = true
				}
			}
		}
	}
	out := make([]string, 0, len(actions))
	for resource, set := range actions {
		list := make([]string, 0, len(set))
		for a := range set {
			list = append(list, a)
		}
		sort.Strings(list)
		out = append(out, resource+":"+strings.Join(list, ","))
	}
	sort.Strings(out)
	return out
}
