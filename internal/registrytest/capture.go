package registrytest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// CaptureOrigin is a hostile origin that is not the registry. It records
// every header of every request it gets and answers each with a 401 that
// asks for credentials, Bearer with a token realm of its own and Basic, as
// a malicious upload front, storage redirect or Link target would; its
// realm hands out a token to whoever asks. A test points a client's
// requests at it (through a FaultProxy's Location, Link or Redirect) and
// checks what arrived: nothing the client holds for its registry may.
type CaptureOrigin struct {
	URL  string // http://127.0.0.1:PORT
	Host string // 127.0.0.1:PORT

	mu   sync.Mutex
	seen []Captured
}

// Captured is one request as it arrived.
type Captured struct {
	Method string
	Path   string
	Header http.Header
}

// CaptureToken is what the capture origin's realm grants: a client that
// sends it to its registry followed a foreign realm.
const CaptureToken = "token-of-the-capture-origin"

// StartCaptureOrigin runs a capture origin on loopback for the test.
func StartCaptureOrigin(t testing.TB) *CaptureOrigin {
	t.Helper()
	o := &CaptureOrigin{}
	srv := httptest.NewServer(http.HandlerFunc(o.serve))
	t.Cleanup(srv.Close)
	o.URL = srv.URL
	o.Host = strings.TrimPrefix(srv.URL, "http://")
	return o
}

// Realm is the token realm its challenges name.
func (o *CaptureOrigin) Realm() string { return o.URL + "/token" }

func (o *CaptureOrigin) serve(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	o.seen = append(o.seen, Captured{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone()})
	o.mu.Unlock()
	if r.URL.Path == "/token" {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"token":%q,"expires_in":300}`, CaptureToken)
		return
	}
	w.Header().Add("WWW-Authenticate", fmt.Sprintf(`Bearer realm=%q,service="capture",scope="repository:team/app:pull,push"`, o.Realm()))
	w.Header().Add("WWW-Authenticate", `Basic realm="capture"`)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusUnauthorized)
	fmt.Fprint(w, `{"errors":[{"code":"UNAUTHORIZED","message":"the capture origin asks for credentials"}]}`)
}

// Requests lists the requests received so far.
func (o *CaptureOrigin) Requests() []Captured {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]Captured(nil), o.seen...)
}

// TokenAsked tells whether anyone asked its realm for a token.
func (o *CaptureOrigin) TokenAsked() bool {
	for _, r := range o.Requests() {
		if r.Path == "/token" {
			return true
		}
	}
	return false
}

// Leaks lists, for every request received, each header outside allowed and
// each header value holding one of secrets: what a client must not have
// sent to an origin that is not its registry's.
func (o *CaptureOrigin) Leaks(allowed []string, secrets ...string) []string {
	var out []string
	for _, r := range o.Requests() {
		for name, values := range r.Header {
			if !containsFold(allowed, name) {
				out = append(out, fmt.Sprintf("%s %s carried %s", r.Method, r.Path, name))
			}
			for _, v := range values {
				for _, s := range secrets {
					if s != "" && strings.Contains(v, s) {
						out = append(out, fmt.Sprintf("%s %s carried a secret in %s", r.Method, r.Path, name))
					}
				}
			}
		}
	}
	return out
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
