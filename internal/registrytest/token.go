package registrytest

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

const (
	tokenService = "xk6-registry-test" // #nosec G101 -- a token service name, not a credential
	tokenIssuer  = "registrytest"
)

// TokenIssuer is a token server for the registry's token auth: it answers
// GET /token with an ES256 JWT granting the asked scopes to the registry's
// user, and only pull to a caller without credentials.
type TokenIssuer struct {
	key                *signingKey
	username, password string
	ttl                time.Duration
	realm              string
	requests           atomic.Int64
	srv                *http.Server
}

// newTokenIssuer starts a token server on a loopback port; Close stops it.
func newTokenIssuer(username, password string, ttl time.Duration) (*TokenIssuer, error) {
	key, err := newSigningKey()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("token server listen: %w", err)
	}
	ti := &TokenIssuer{
		key:      key,
		username: username,
		password: password,
		ttl:      ttl,
		// go-containerregistry refuses a realm on a loopback IP literal, not on a name.
		realm: fmt.Sprintf("http://localhost:%d/token", ln.Addr().(*net.TCPAddr).Port),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /token", ti.serveToken)
	ti.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = ti.srv.Serve(ln) }()
	return ti, nil
}

// Close stops the token server.
func (ti *TokenIssuer) Close() error { return ti.srv.Close() }

// Realm is the token endpoint the registry's challenges name.
func (ti *TokenIssuer) Realm() string { return ti.realm }

// Service is the service (token audience) the registry expects.
func (ti *TokenIssuer) Service() string { return tokenService }

// Requests counts the token requests answered, refused ones included.
func (ti *TokenIssuer) Requests() int { return int(ti.requests.Load()) }

func (ti *TokenIssuer) serveToken(w http.ResponseWriter, r *http.Request) {
	ti.requests.Add(1)
	authenticated := false
	if r.Header.Get("Authorization") != "" {
		user, pass, ok := r.BasicAuth()
		if !ok || !ti.validCredentials(user, pass) {
			w.Header().Set("WWW-Authenticate", `Basic realm="registrytest"`)
			writeTokenError(w, http.StatusUnauthorized, "UNAUTHORIZED", "invalid username or password")
			return
		}
		authenticated = true
	}
	q := r.URL.Query()
	if s := q.Get("service"); s != "" && s != tokenService {
		writeTokenError(w, http.StatusBadRequest, "DENIED", fmt.Sprintf("unknown service %q", s))
		return
	}
	subject := ""
	if authenticated {
		subject = ti.username
	}
	token, err := ti.key.sign(newClaims(tokenIssuer, subject, tokenService, ti.ttl, grants(q["scope"], authenticated)))
	if err != nil {
		writeTokenError(w, http.StatusInternalServerError, "UNKNOWN", err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"token":        token,
		"access_token": token,
		// Whole seconds, at least one: 0 would read as "unspecified", that is 60s.
		"expires_in": max(1, int((ti.ttl+time.Second-1)/time.Second)),
		"issued_at":  time.Now().UTC().Format(time.RFC3339),
	})
}

func (ti *TokenIssuer) validCredentials(user, pass string) bool {
	u := subtle.ConstantTimeCompare([]byte(user), []byte(ti.username))
	p := subtle.ConstantTimeCompare([]byte(pass), []byte(ti.password))
	return u&p == 1
}

// grants turns scope parameters ("repository:team/app:pull,push", several per
// parameter when space-separated) into the token's access claim. An
// anonymous caller gets only pull on repositories.
func grants(scopes []string, authenticated bool) []*resourceActions {
	access := []*resourceActions{}
	for _, param := range scopes {
		for _, scope := range strings.Fields(param) {
			typ, rest, ok := strings.Cut(scope, ":")
			// The name may itself hold a colon (a host:port); actions come last.
			i := strings.LastIndex(rest, ":")
			if !ok || i < 0 {
				continue
			}
			name, actions := rest[:i], strings.Split(rest[i+1:], ",")
			if !authenticated {
				if typ != "repository" || !slices.Contains(actions, "pull") {
					continue
				}
				actions = []string{"pull"}
			}
			access = addGrant(access, typ, name, actions)
		}
	}
	return access
}

// addGrant merges actions into the entry for typ and name.
func addGrant(access []*resourceActions, typ, name string, actions []string) []*resourceActions {
	for _, ra := range access {
		if ra.Type == typ && ra.Name == name {
			for _, a := range actions {
				if !slices.Contains(ra.Actions, a) {
					ra.Actions = append(ra.Actions, a)
				}
			}
			return access
		}
	}
	return append(access, &resourceActions{Type: typ, Name: name, Actions: slices.Clone(actions)})
}

// writeTokenError answers in the registry's error format.
func writeTokenError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]string{{"code": code, "message": message}},
	})
}
