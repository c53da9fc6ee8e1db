package registry

import (
	"context"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// authenticator decides the Authorization of each request: none, Basic, a
// static bearer token, or a token from the registry's realm, cached per
// realm, service and scope set until it expires. It learns the scheme from
// the first challenge and then sends credentials up front, so a load test
// pays for one challenge, not one per request.
type authenticator struct {
	username, password string
	staticToken        string
	fetch              tokenFetcher

	mu      sync.Mutex
	scheme  string // "" until challenged, then "basic" or "bearer"
	realm   string
	service string
	tokens  map[string]*tokenEntry
}

// tokenFetcher asks a realm for a token granting scopes.
type tokenFetcher func(ctx context.Context, realm, service string, scopes []string) (token string, expiry time.Time, err error)

// tokenEntry holds one cached token; its mutex makes concurrent requests
// for one scope set wait for a single fetch instead of each fetching.
type tokenEntry struct {
	mu     sync.Mutex
	token  string
	expiry time.Time
}

// tokenRefreshMargin renews a token this long before it expires, so a
// request does not leave with a token that dies on the way.
const tokenRefreshMargin = 5 * time.Second

func newAuthenticator(username, password, staticToken string, fetch tokenFetcher) *authenticator {
	return &authenticator{
		username: username, password: password, staticToken: staticToken,
		fetch:  fetch,
		tokens: map[string]*tokenEntry{},
	}
}

func (a *authenticator) hasCredentials() bool { return a.username != "" || a.password != "" }

// authorize sets req's Authorization from what is known so far.
func (a *authenticator) authorize(ctx context.Context, req *http.Request, scopes []string) error {
	if a.staticToken != "" {
		req.Header.Set("Authorization", "Bearer "+a.staticToken)
		return nil
	}
	a.mu.Lock()
	scheme, realm, service := a.scheme, a.realm, a.service
	a.mu.Unlock()
	switch scheme {
	case "basic":
		req.SetBasicAuth(a.username, a.password)
	case "bearer":
		token, err := a.token(ctx, realm, service, scopes, "")
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return nil
}

// challenged handles a 401's challenges and tells whether the request is
// worth one more attempt. sent is the bearer token the refused request
// carried, "" if none: only that token is known bad, and a fresher one that
// a concurrent request fetched meanwhile is reused instead of fetching again.
func (a *authenticator) challenged(ctx context.Context, headers []string, scopes []string, sent string) (bool, error) {
	if a.staticToken != "" {
		return false, nil
	}
	for _, c := range parseChallenges(headers) {
		switch c.scheme {
		case "bearer":
			realm := c.params["realm"]
			if realm == "" {
				continue
			}
			a.mu.Lock()
			a.scheme, a.realm, a.service = "bearer", realm, c.params["service"]
			a.mu.Unlock()
			// The registry may ask for more than we knew to, e.g. a mount's source.
			all := scopes
			if s := c.params["scope"]; s != "" {
				all = append(append([]string(nil), scopes...), strings.Fields(s)...)
			}
			if _, err := a.token(ctx, realm, c.params["service"], all, sent); err != nil {
				return false, err
			}
			if tokenKey(realm, c.params["service"], all) != tokenKey(realm, c.params["service"], scopes) {
				// Cache under the scopes callers will ask with, too.
				a.alias(realm, c.params["service"], scopes, all)
			}
			return true, nil
		case "basic":
			if !a.hasCredentials() {
				continue
			}
			a.mu.Lock()
			a.scheme = "basic"
			a.mu.Unlock()
			return true, nil
		}
	}
	return false, nil
}

// token returns a cached token for scopes, fetching one when none is fresh
// or when the cached one is refused, the token a registry just refused.
func (a *authenticator) token(ctx context.Context, realm, service string, scopes []string, refused string) (string, error) {
	entry := a.entry(tokenKey(realm, service, scopes))
	entry.mu.Lock()
	defer entry.mu.Unlock()
	if entry.token != "" && entry.token != refused && time.Until(entry.expiry) > tokenRefreshMargin {
		return entry.token, nil
	}
	token, expiry, err := a.fetch(ctx, realm, service, normalizeScopes(scopes))
	if err != nil {
		return "", err
	}
	entry.token, entry.expiry = token, expiry
	return token, nil
}

// alias stores the token fetched for all under the key of scopes.
func (a *authenticator) alias(realm, service string, scopes, all []string) {
	src := a.entry(tokenKey(realm, service, all))
	src.mu.Lock()
	token, expiry := src.token, src.expiry
	src.mu.Unlock()
	dst := a.entry(tokenKey(realm, service, scopes))
	dst.mu.Lock()
	dst.token, dst.expiry = token, expiry
	dst.mu.Unlock()
}

func (a *authenticator) entry(key string) *tokenEntry {
	a.mu.Lock()
	defer a.mu.Unlock()
	e, ok := a.tokens[key]
	if !ok {
		e = &tokenEntry{}
		a.tokens[key] = e
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

// Scopes of the token flow (distribution token auth spec).
func pullScope(repo string) string   { return "repository:" + repo + ":pull" }
func pushScope(repo string) string   { return "repository:" + repo + ":pull,push" }
func deleteScope(repo string) string { return "repository:" + repo + ":delete" }

// catalogScope lets a token list the registry's repositories.
const catalogScope = "registry:catalog:*"
