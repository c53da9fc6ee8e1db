package registry

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// defaultTokenLifetime is what the token auth spec says to assume when a
// realm gives no expires_in.
const defaultTokenLifetime = 60 * time.Second

// maxTokenBody bounds a token response.
const maxTokenBody = 1 << 20

// fetchToken asks a token realm for a bearer token granting scopes, with
// the client's credentials when it has them. It goes through the client's
// transport as any registry call, so it is measured as registry_op "token".
func (c *Client) fetchToken(ctx context.Context, realm, service string, scopes []string) (string, time.Time, error) {
	u, err := url.Parse(realm)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", time.Time{}, &Error{Op: OpToken, Code: CodeInvalidResponse,
			Message: fmt.Sprintf("the registry's token realm %q is not an http(s) URL", realm)}
	}
	if c.base.Scheme == "https" && u.Scheme != "https" {
		// The credentials would cross the network in clear text.
		return "", time.Time{}, &Error{Op: OpToken, Code: CodeInvalidResponse,
			Message: fmt.Sprintf("the registry is on https but its token realm %q is not; refusing to send credentials there", realm)}
	}
	rt := tokenRoute(u, service, scopes)
	r := &request{op: OpToken, method: http.MethodGet, route: rt, noAuth: true, header: http.Header{}}
	if c.auth.HasCredentials() {
		r.header.Set("Authorization", c.auth.BasicAuthorization())
	}
	start := time.Now()
	resp, err := c.send(ctx, r)
	if err != nil {
		return "", time.Time{}, err
	}
	defer closeBody(resp)
	if err := expect(resp, OpToken, http.StatusOK); err != nil {
		return "", time.Time{}, err
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenBody))
	if err != nil {
		return "", time.Time{}, bodyError(ctx, OpToken, rt.where(), err)
	}
	token, lifetime, err := parseTokenResponse(raw)
	if err != nil {
		return "", time.Time{}, &Error{Op: OpToken, Status: resp.StatusCode, Code: CodeInvalidResponse, Message: err.Error()}
	}
	// Count from when we asked: issued_at comes from another clock.
	return token, start.Add(lifetime), nil
}

// maxTokenLifetime bounds what a realm's expires_in is believed: a day is
// longer than any test, and far from overflowing a time.Duration.
const maxTokenLifetime = 24 * time.Hour

// parseTokenResponse reads a token realm's answer: the token (token, or
// access_token as OAuth2 names it) and how long it lives.
func parseTokenResponse(raw []byte) (string, time.Duration, error) {
	var body struct {
		Token       string          `json:"token"`
		AccessToken string          `json:"access_token"`
		ExpiresIn   json.RawMessage `json:"expires_in"`
	}
	if !json.Valid(raw) {
		return "", 0, errors.New("token response is not JSON")
	}
	if json.Unmarshal(raw, &body) != nil {
		return "", 0, errors.New("token response is not an object with a string token")
	}
	token := cmp.Or(body.Token, body.AccessToken)
	if token == "" {
		return "", 0, errors.New("token response has neither token nor access_token")
	}
	return token, tokenLifetime(body.ExpiresIn), nil
}

// tokenLifetime reads expires_in: seconds, as the spec's integer, or as the
// fractions and numeric strings realms also send; anything else, or none,
// is the spec's default. A token is never refused for how its life is written.
func tokenLifetime(raw json.RawMessage) time.Duration {
	var seconds float64
	if json.Unmarshal(raw, &seconds) != nil {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return defaultTokenLifetime
		}
		var err error
		// Out of range is ±Inf, which the bound below takes care of.
		if seconds, err = strconv.ParseFloat(strings.TrimSpace(s), 64); err != nil && !errors.Is(err, strconv.ErrRange) {
			return defaultTokenLifetime
		}
	}
	if !(seconds > 0) { // NaN too
		return defaultTokenLifetime
	}
	return time.Duration(min(seconds, maxTokenLifetime.Seconds()) * float64(time.Second))
}

// TokenResult is what a token request brought. It never holds the token:
// a credential stays in the client.
type TokenResult struct {
	Status int
	// ExpiresIn is the token's lifetime as the realm gave it (expires_in,
	// or the spec's 60 s default).
	ExpiresIn time.Duration
}

// tokenActions are the actions of a repository scope (token auth spec).
var tokenActions = []string{"pull", "push", "delete", "*"}

// Token asks the registry's token realm for one fresh token granting
// actions on repo, as a client starting a pull or a push does; it keeps
// none, so every call is one token request (registry_op token). The realm
// is the one the registry's challenge names, as the client's auth finds it:
// learned from a GET /v2/ (registry_op ping) when no request has met a
// challenge yet.
func (c *Client) Token(ctx context.Context, repo string, actions []string) (*TokenResult, error) {
	res := &TokenResult{}
	scope, err := tokenArgs(repo, actions)
	if err != nil {
		return res, err
	}
	realm, service, status, err := c.tokenRealm(ctx)
	if err != nil {
		res.Status = status
		return res, err
	}
	asked := time.Now()
	_, expiry, err := c.fetchToken(ctx, realm, service, []string{scope})
	if err != nil {
		res.Status = StatusOf(err)
		return res, err
	}
	res.Status, res.ExpiresIn = http.StatusOK, expiry.Sub(asked).Round(time.Millisecond)
	return res, nil
}

// tokenArgs checks Token's arguments and makes the scope they ask for.
func tokenArgs(repo string, actions []string) (string, error) {
	if err := ValidateRepository(repo); err != nil {
		return "", err
	}
	if len(actions) == 0 {
		return "", fmt.Errorf("token for %s: name the actions, e.g. [\"pull\"] or [\"pull\", \"push\"]", repo)
	}
	for _, a := range actions {
		if !slices.Contains(tokenActions, a) {
			return "", fmt.Errorf("token for %s: action %s is not one of %s", repo, echo(a), strings.Join(tokenActions, ", "))
		}
	}
	return "repository:" + repo + ":" + strings.Join(actions, ","), nil
}

// tokenRealm is the realm and service of the registry's bearer challenge,
// asking GET /v2/ for it when none is known yet. A registry that challenges
// with no bearer realm has no token service to ask.
func (c *Client) tokenRealm(ctx context.Context) (realm, service string, status int, err error) {
	if realm, service, ok := c.auth.Realm(); ok {
		return realm, service, 0, nil
	}
	resp, err := c.send(ctx, &request{op: OpPing, method: http.MethodGet, route: c.pingRoute(),
		challengeOnly: true, expected: []int{http.StatusUnauthorized}})
	if err != nil {
		return "", "", 0, err
	}
	defer closeBody(resp)
	if resp.StatusCode == http.StatusUnauthorized && c.auth.Learn(resp.Header.Values("WWW-Authenticate")) {
		realm, service, _ := c.auth.Realm()
		return realm, service, resp.StatusCode, nil
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusUnauthorized {
		return "", "", resp.StatusCode, expect(resp, OpPing, http.StatusOK)
	}
	return "", "", resp.StatusCode, &Error{Op: OpToken, Status: resp.StatusCode, Code: CodeUnsupported,
		Message: fmt.Sprintf("the registry names no token realm: GET /v2/ answered %d without a bearer challenge", resp.StatusCode)}
}
