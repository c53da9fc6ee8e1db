package auth

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Credentials are what a client authenticates with.
type Credentials struct {
	// Username and Password are sent as Basic credentials, or to a token realm.
	Username, Password string
	// Token is a static bearer token, sent up front.
	Token string
}

// TokenFetcher asks a realm for a token granting scopes.
type TokenFetcher func(ctx context.Context, realm, service string, scopes []string) (token string, expiry time.Time, err error)

// TokenReuse says whether a token fetched for one request serves others.
type TokenReuse int

const (
	// Cached keeps each token per realm, service and scope set until it
	// expires: what registry clients do.
	Cached TokenReuse = iota
	// PerRequest fetches a token for every request that needs one, so the
	// token service gets the load a cache hides.
	PerRequest
)

// Authenticator decides the Authorization of each request: none, Basic, a
// static bearer token, or a token from the registry's realm. It learns the
// scheme from the first challenge and then sends credentials up front, so a
// load test pays for one challenge, not one per request.
type Authenticator struct {
	creds  Credentials
	fetch  TokenFetcher
	tokens *tokenCache
	reuse  TokenReuse

	mu      sync.Mutex
	scheme  string // "" until challenged, then "basic" or "bearer"
	realm   string
	service string
}

// New returns an Authenticator for creds that fetches tokens with fetch
// and reuses them as reuse says.
func New(creds Credentials, fetch TokenFetcher, reuse TokenReuse) *Authenticator {
	return &Authenticator{creds: creds, fetch: fetch, tokens: newTokenCache(fetch), reuse: reuse}
}

// HasCredentials tells whether there is a username or password to send.
func (a *Authenticator) HasCredentials() bool {
	return a.creds.Username != "" || a.creds.Password != ""
}

// BasicAuthorization is the Basic Authorization header value of the credentials.
func (a *Authenticator) BasicAuthorization() string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(a.creds.Username+":"+a.creds.Password))
}

// Authorize sets req's Authorization from what is known so far.
func (a *Authenticator) Authorize(ctx context.Context, req *http.Request, scopes []string) error {
	if a.creds.Token != "" {
		req.Header.Set("Authorization", "Bearer "+a.creds.Token)
		return nil
	}
	a.mu.Lock()
	scheme, realm, service := a.scheme, a.realm, a.service
	a.mu.Unlock()
	switch scheme {
	case "basic":
		req.SetBasicAuth(a.creds.Username, a.creds.Password)
	case "bearer":
		token, err := a.token(ctx, realm, service, scopes)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return nil
}

// token is a token for scopes: the cache's, or a fresh one per request.
func (a *Authenticator) token(ctx context.Context, realm, service string, scopes []string) (string, error) {
	if a.reuse == PerRequest {
		token, _, err := a.fetch(ctx, realm, service, normalizeScopes(scopes))
		return token, err
	}
	return a.tokens.get(ctx, realm, service, scopes, "")
}

// Realm is the token realm and service the registry's challenge named;
// ok is false until a bearer challenge was seen.
func (a *Authenticator) Realm() (realm, service string, ok bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.realm, a.service, a.scheme == "bearer"
}

// Learn reads the challenges of a 401 from the registry's own origin
// without answering them: the scheme, and a bearer challenge's realm and
// service, for what is sent next. It tells whether a bearer challenge was
// among them.
func (a *Authenticator) Learn(headers []string) bool {
	for _, c := range parseChallenges(headers) {
		if c.scheme == "bearer" && c.params["realm"] != "" {
			a.mu.Lock()
			a.scheme, a.realm, a.service = "bearer", c.params["realm"], c.params["service"]
			a.mu.Unlock()
			return true
		}
	}
	return false
}

// Challenged handles the challenges of a 401 from the registry's own origin
// and tells whether the request is worth one more attempt, and with which
// scopes: the request's, and what the challenge asked for besides. sent is
// the Authorization the refused request carried, "" if none. Only what was
// sent is known bad: refused Basic credentials are not sent again (they
// would be refused again, doubling every request), and a refused bearer
// token is replaced, unless a concurrent request already fetched a fresher
// one. Per request, no token is fetched here: the retry fetches its own.
// A 401 from any other origin must never reach here: its realm would get
// the credentials.
func (a *Authenticator) Challenged(ctx context.Context, headers []string, scopes []string, sent string) (bool, []string, error) {
	if a.creds.Token != "" {
		return false, scopes, nil
	}
	refused, _ := strings.CutPrefix(sent, "Bearer ")
	for _, c := range parseChallenges(headers) {
		switch c.scheme {
		case "bearer":
			realm, service := c.params["realm"], c.params["service"]
			if realm == "" {
				continue
			}
			a.mu.Lock()
			a.scheme, a.realm, a.service = "bearer", realm, service
			a.mu.Unlock()
			// The registry may ask for more than we knew to, e.g. a mount's source.
			all := scopes
			if s := c.params["scope"]; s != "" {
				all = append(append([]string(nil), scopes...), strings.Fields(s)...)
			}
			if a.reuse == PerRequest {
				return true, all, nil
			}
			if _, err := a.tokens.get(ctx, realm, service, all, refused); err != nil {
				return false, scopes, err
			}
			// Cache under the scopes callers will ask with, too.
			a.tokens.alias(realm, service, scopes, all)
			return true, all, nil
		case "basic":
			if !a.HasCredentials() || strings.HasPrefix(sent, "Basic ") {
				continue
			}
			a.mu.Lock()
			a.scheme = "basic"
			a.mu.Unlock()
			return true, scopes, nil
		}
	}
	return false, scopes, nil
}
