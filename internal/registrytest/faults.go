package registrytest

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// FaultProxy stands between a client and a registry (or its token realm)
// on its own loopback port and, by the rules a test sets, answers some
// requests with a fault a real registry cannot be made to produce on cue:
// a refusal, a body cut short or corrupted, a stall, a Location or a
// redirect to another host. Everything else it forwards as it came.
type FaultProxy struct {
	URL  string // http://127.0.0.1:PORT, to give the client instead of the target's
	Host string // 127.0.0.1:PORT

	target *url.URL
	srv    *httptest.Server
	client *http.Client
	// Upstream, when set, prepares each forwarded request: an upload
	// front that authenticates to the registry itself sets credentials here.
	Upstream func(*http.Request)

	mu       sync.Mutex
	rules    []*Rule
	requests []Seen
	injected int
	stop     chan struct{}
}

// Rule picks requests and the fault they get.
type Rule struct {
	Method string // "" for any
	Path   string // a part of the path, e.g. "/blobs/uploads/"; "" for any
	Query  string // a part of the query, e.g. "mount="; "" for any
	// Match, when set, must hold too: a test's own predicate, e.g. on a
	// request's headers.
	Match func(*http.Request) bool
	Every int // fault every Every-th request that matches; 0 or 1: each
	Limit int // at most Limit faults; 0: no limit
	Fault Fault

	matched, injected int
}

// Fault is what a picked request gets. Status answers it without
// forwarding; the others forward it and spoil the answer, or the request.
type Fault struct {
	Status     int    // answer this status with an OCI error body
	RetryAfter string // with Status: the Retry-After header, "" for none
	// CutResponse sends this share (0 to 1) of the response body and then
	// ends the connection: with Reset, abruptly (RST); without, cleanly,
	// the body truncated under its Content-Length.
	CutResponse float64
	Reset       bool
	// CutRequest reads this share of the request body and ends the
	// connection without forwarding or answering: an upload cut mid-body.
	CutRequest float64
	Stall      time.Duration // hold the response body this long (bounded by the test)
	Corrupt    bool          // flip one byte in the middle of the response body
	// Body answers 200 with these bytes as ContentType (e.g. an invalid manifest).
	Body        []byte
	ContentType string
	// Location rewrites the answer's Location to this origin
	// (scheme://host:port), scheme-relative (//host:port/...) with
	// SchemeRelative; Redirect answers 307 to it; Link rewrites the
	// answer's Link to it.
	Location       string
	SchemeRelative bool
	Redirect       string
	Link           string
	// Realm rewrites the realm of the answer's WWW-Authenticate to this URL,
	// so a test can put a proxy in front of the token service.
	Realm string
	// Header is added to the forwarded answer, e.g. a header the registry
	// does not send.
	Header http.Header
	// Before runs before the request is answered, e.g. to kill the registry.
	Before func()
}

// Seen is one request the proxy received.
type Seen struct {
	Method, Path  string
	Query         url.Values // the URL's query, as parsed
	Authorization bool       // it carried an Authorization header
	Faulted       bool
}

// StartFaultProxy runs a proxy in front of target for the test.
func StartFaultProxy(t testing.TB, target string) *FaultProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &FaultProxy{
		target: u,
		client: &http.Client{
			Transport:     &http.Transport{DisableCompression: true},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		stop: make(chan struct{}),
	}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	p.URL = p.srv.URL
	p.Host = strings.TrimPrefix(p.srv.URL, "http://")
	t.Cleanup(func() {
		close(p.stop)
		p.srv.CloseClientConnections()
		p.srv.Close()
	})
	return p
}

// Add sets a rule; rules are tried in order, the first match that is not
// spent (see Rule.Limit) decides.
func (p *FaultProxy) Add(r Rule) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = append(p.rules, &r)
}

// Injected counts the faults injected so far.
func (p *FaultProxy) Injected() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.injected
}

// Requests lists the requests received so far.
func (p *FaultProxy) Requests() []Seen {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Seen(nil), p.requests...)
}

// pick finds the fault for r, if any, and records r.
func (p *FaultProxy) pick(r *http.Request) *Fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	seen := Seen{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Authorization: r.Header.Get("Authorization") != ""}
	var fault *Fault
	for _, rule := range p.rules {
		if (rule.Method != "" && rule.Method != r.Method) || !strings.Contains(r.URL.Path, rule.Path) ||
			!strings.Contains(r.URL.RawQuery, rule.Query) || (rule.Match != nil && !rule.Match(r)) {
			continue
		}
		if rule.Limit > 0 && rule.injected >= rule.Limit {
			// Spent: as if it were not there, so a later rule may take over.
			continue
		}
		rule.matched++
		if rule.matched%max(rule.Every, 1) != 0 {
			break
		}
		rule.injected++
		p.injected++
		fault = &rule.Fault
		seen.Faulted = true
		break
	}
	p.requests = append(p.requests, seen)
	return fault
}

func (p *FaultProxy) serve(w http.ResponseWriter, r *http.Request) {
	f := p.pick(r)
	if f != nil && f.Before != nil {
		f.Before()
	}
	switch {
	case f == nil:
	case f.Status != 0:
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(f.Status)
		fmt.Fprintf(w, `{"errors":[{"code":%q,"message":"injected by the fault proxy"}]}`, faultCode(f.Status))
		return
	case f.Redirect != "":
		http.Redirect(w, r, f.Redirect+r.URL.RequestURI(), http.StatusTemporaryRedirect)
		return
	case f.Body != nil:
		w.Header().Set("Content-Type", f.ContentType)
		_, _ = w.Write(f.Body)
		return
	case f.CutRequest > 0:
		_, _ = io.CopyN(io.Discard, r.Body, int64(float64(r.ContentLength)*f.CutRequest))
		p.hangUp(w, true)
		return
	}
	resp, err := p.forward(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	if f != nil && f.Realm != "" {
		if c := resp.Header.Get("WWW-Authenticate"); c != "" {
			w.Header().Set("WWW-Authenticate", realmRegexp.ReplaceAllString(c, `realm="`+f.Realm+`"`))
		}
	}
	if f != nil && f.Location != "" {
		if loc, err := url.Parse(resp.Header.Get("Location")); err == nil && resp.Header.Get("Location") != "" {
			origin, _ := url.Parse(f.Location)
			loc.Scheme, loc.Host = origin.Scheme, origin.Host
			rewritten := loc.String()
			if f.SchemeRelative {
				rewritten = strings.TrimPrefix(rewritten, loc.Scheme+":")
			}
			w.Header().Set("Location", rewritten)
		}
	}
	if f != nil {
		for k, vs := range f.Header {
			w.Header()[k] = vs
		}
	}
	if f != nil && f.Link != "" {
		if link := resp.Header.Get("Link"); link != "" {
			// distribution writes the next page's path alone: <path?query>; rel="next"
			w.Header().Set("Link", "<"+f.Link+strings.TrimPrefix(link, "<"))
		}
	}
	w.WriteHeader(resp.StatusCode)
	if f == nil || r.Method == http.MethodHead {
		_, _ = io.Copy(w, resp.Body)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	switch {
	case f.Corrupt && len(body) > 0:
		body[len(body)/2] ^= 0xff
	case f.Stall > 0:
		w.(http.Flusher).Flush()
		select {
		case <-time.After(f.Stall):
		case <-r.Context().Done():
			return
		case <-p.stop:
			return
		}
	case f.CutResponse > 0:
		_, _ = w.Write(body[:int(float64(len(body))*f.CutResponse)])
		w.(http.Flusher).Flush()
		p.hangUp(w, f.Reset)
		return
	}
	_, _ = w.Write(body)
}

// forward sends r on to the target, as it came.
func (p *FaultProxy) forward(r *http.Request) (*http.Response, error) {
	u := *r.URL
	u.Scheme, u.Host = p.target.Scheme, p.target.Host
	out, err := http.NewRequestWithContext(r.Context(), r.Method, u.String(), r.Body)
	if err != nil {
		return nil, err
	}
	out.Header = r.Header.Clone()
	out.ContentLength = r.ContentLength
	// The registry builds absolute Locations from Host: they must lead back here.
	out.Host = r.Host
	if p.Upstream != nil {
		p.Upstream(out)
	}
	return p.client.Do(out)
}

// hangUp ends the connection, with reset by RST. A caller that wrote part
// of an answer flushes it first; one that wrote nothing leaves no answer.
func (p *FaultProxy) hangUp(w http.ResponseWriter, reset bool) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	if tcp, ok := conn.(*net.TCPConn); ok && reset {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}

var realmRegexp = regexp.MustCompile(`realm="[^"]*"`)

// faultCode is the OCI error code a registry sends with status.
func faultCode(status int) string {
	switch status {
	case http.StatusTooManyRequests:
		return "TOOMANYREQUESTS"
	case http.StatusServiceUnavailable, http.StatusBadGateway, http.StatusGatewayTimeout:
		return "UNAVAILABLE"
	}
	return "UNKNOWN"
}
