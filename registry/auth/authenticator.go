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

// Authenticator decides the Authorization of each request: none, Basic, a
// static bearer token, or a token from the registry's realm. It learns the
// scheme from the first challenge and then sends credentials up front, so a
// load test pays for one challenge, not one per request.
type Authenticator struct {
	creds  Credentials
	fetch  TokenFetcher
	tokens *tokenCache

	mu      sync.Mutex
	scheme  string // "" until challenged, then "basic" or "bearer"
	realm   string
	service string
}

// New returns an Authenticator for creds that fetches tokens with fetch.
func New(creds Credentials, fetch TokenFetcher) *Authenticator {
	return &Authenticator{creds: creds, fetch: fetch, tokens: newTokenCache(fetch)}
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
		token, err := a.tokens.get(ctx, realm, service, scopes, "")
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return nil
}

// Challenged handles the challenges of a 401 from the registry's own origin
// and tells whether the request is worth one more attempt. sent is the
// Authorization the refused request carried, "" if none. Only what was sent
// is known bad: refused Basic credentials are not sent again (they would be
// refused again, doubling every request), and a refused bearer token is
// replaced, unless a concurrent request already fetched a fresher one.
// A 401 from any other origin must never reach here: its realm would get
// the credentials.
func (a *Authenticator) Challenged(ctx context.Context, headers []string, scopes []string, sent string) (bool, error) {
	if a.creds.Token != "" {
		return false, nil
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
			if _, err := a.tokens.get(ctx, realm, service, all, refused); err != nil {
				return false, err
			}
			// Cache under the scopes callers will ask with, too.
			a.tokens.alias(realm, service, scopes, all)
			return true, nil
		case "basic":
			if !a.HasCredentials() || strings.HasPrefix(sent, "Basic ") {
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
