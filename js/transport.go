package js

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.k6.io/k6/v2/lib"
	"go.k6.io/k6/v2/lib/netext"
	"go.k6.io/k6/v2/lib/netext/httpext"
	"go.k6.io/k6/v2/metrics"

	"github.com/xk6-registry/xk6-registry/registry"
)

// measuringTransport sends registry requests through the VU's own k6
// network stack (its dialer, TLS config, hosts, blacklists, local IPs and
// byte counters) and records each as k6's http module does: http_reqs,
// http_req_duration and its phases, http_req_failed, with k6's system tags
// and the request's registry_op and bounded name. A request is measured
// when its body is read to the end or closed, so the receiving phase is
// real. A request the call itself stopped before writing it is not a
// request, and is not recorded.
type measuringTransport struct {
	client *Client
	vu     vuTransports
}

func (t *measuringTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	state := t.client.mi.vu.State()
	if state == nil {
		// Calls are refused in the init context before they get here.
		return nil, errors.New("no VU state: registry requests need a running VU")
	}
	info := registry.RequestInfoFrom(req.Context())
	if info == nil {
		info = &registry.RequestInfo{Op: "other", Name: req.URL.Scheme + "://" + req.URL.Host}
	}
	debug := t.client.debugger(state, info)
	debug.request(req)

	tracer := &httpext.Tracer{}
	var wrote atomic.Bool
	ctx := httptrace.WithClientTrace(req.Context(), tracer.Trace())
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteHeaders: func() { wrote.Store(true) }})
	resp, err := t.vu.of(state).RoundTrip(req.WithContext(ctx))
	m := &measurement{t: t, state: state, tracer: tracer, req: req, info: info}
	if err != nil {
		if info.CallEnded() && !wrote.Load() {
			// Stopped by its own call before it was sent: nothing went out.
			_ = tracer.Done()
			return nil, err
		}
		m.finish(nil, err)
		return nil, err
	}
	resp = debug.response(resp)
	resp.Body = &measuredBody{ReadCloser: resp.Body, m: m, resp: resp}
	return resp, nil
}

// vuTransports is the client's own transport for each VU state it runs
// in: a copy of k6's, so k6's dialer (hosts, blacklists, local IPs, the
// data_sent and data_received counters) and TLS settings apply, with what
// a registry client needs that k6/http does not: Expect: 100-continue
// honoured, and buffers that move blob bytes in large writes.
type vuTransports struct {
	httpVersion string // the client's http option: "", "1.1" or "2"

	mu        sync.Mutex
	from      http.RoundTripper // the k6 transport own was made from
	own       http.RoundTripper
	iteration int64 // of the last request, for noVUConnectionReuse
}

// expectContinueTimeout is how long a request that sent Expect:
// 100-continue waits for the registry's go-ahead before sending its body
// anyway, as Go's default transport does.
const expectContinueTimeout = time.Second

// transferBufferSize is the size of the buffers a connection reads and
// writes through; net/http's 4 KiB default costs a system call per 4 KiB
// of a blob.
const transferBufferSize = 128 << 10

func (v *vuTransports) of(state *lib.State) http.RoundTripper {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.from != state.Transport {
		v.from, v.own = state.Transport, state.Transport
		if k6Transport, ok := state.Transport.(*http.Transport); ok {
			own := k6Transport.Clone()
			own.ExpectContinueTimeout = expectContinueTimeout
			own.WriteBufferSize, own.ReadBufferSize = transferBufferSize, transferBufferSize
			if own.DialContext != nil {
				own.DialContext = withBodyConns(own.DialContext)
			}
			if v.httpVersion != "" {
				// HTTP/2 only by ALPN, over TLS: registries do not speak h2c.
				p := new(http.Protocols)
				p.SetHTTP1(true)
				p.SetHTTP2(v.httpVersion == httpVersion2)
				own.Protocols, own.ForceAttemptHTTP2 = p, false
				own.TLSNextProto = nil
				if own.TLSClientConfig != nil && v.httpVersion == httpVersion11 {
					// k6's TLS config offers h2 by ALPN once its transport has
					// spoken it; a registry that takes the offer would get
					// HTTP/1.1 in an HTTP/2 connection.
					own.TLSClientConfig.NextProtos = slices.DeleteFunc(slices.Clone(own.TLSClientConfig.NextProtos),
						func(p string) bool { return p == "h2" })
				}
			}
			v.own = own
		}
		v.iteration = state.Iteration
	}
	// k6 closes its idle connections after each iteration when told not to
	// reuse them across iterations; so does this copy.
	if state.Options.NoVUConnectionReuse.Bool && v.iteration != state.Iteration {
		if own, ok := v.own.(*http.Transport); ok && v.own != v.from {
			own.CloseIdleConnections()
		}
		v.iteration = state.Iteration
	}
	return v.own
}

// measurement is one request waiting for its body to end.
type measurement struct {
	once   sync.Once
	t      *measuringTransport
	state  *lib.State
	tracer *httpext.Tracer
	req    *http.Request
	info   *registry.RequestInfo
}

// finish records the request: resp is nil when none came; err is the
// failure to get the response or to read its body, as k6/http records it.
func (m *measurement) finish(resp *http.Response, err error) {
	m.once.Do(func() {
		trail := m.tracer.Done()
		// The tags the call started with: an async call's request may finish
		// after the script moved on to another group.
		tm := m.t.client.callTags(m.req.Context(), tagOp, m.info.Op)
		enabled := m.state.Options.SystemTags
		// name and url carry the bounded name, never the raw URL with
		// digests, upload ids and _state.
		tm.SetSystemTagOrMetaIfEnabled(enabled, metrics.TagName, m.info.Name)
		tm.SetSystemTagOrMetaIfEnabled(enabled, metrics.TagURL, m.info.Name)
		tm.SetSystemTagOrMetaIfEnabled(enabled, metrics.TagMethod, m.req.Method)
		status := 0
		if err != nil {
			// As k6/http: a body that broke off is a request without a status.
			code, msg := k6Failure(err)
			if m.info.CallEnded() {
				// net/http reports the cause its call ended with, another
				// request's failure: this one was only stopped, as k6/http
				// tags a request whose context ended.
				code, msg = k6CodeGeneric, context.Canceled.Error()
			}
			tm.SetSystemTagOrMetaIfEnabled(enabled, metrics.TagError, msg)
			tm.SetSystemTagOrMetaIfEnabled(enabled, metrics.TagErrorCode, strconv.Itoa(code))
			tm.SetSystemTagOrMetaIfEnabled(enabled, metrics.TagStatus, "0")
		} else {
			status = resp.StatusCode
			tm.SetSystemTagOrMetaIfEnabled(enabled, metrics.TagStatus, strconv.Itoa(status))
			if status >= 400 {
				tm.SetSystemTagOrMetaIfEnabled(enabled, metrics.TagErrorCode, strconv.Itoa(k6StatusCode(status)))
			}
			tm.SetSystemTagOrMetaIfEnabled(enabled, metrics.TagProto, resp.Proto)
			if resp.TLS != nil {
				tlsInfo, ocsp := netext.ParseTLSConnState(resp.TLS)
				tm.SetSystemTagOrMetaIfEnabled(enabled, metrics.TagTLSVersion, tlsInfo.Version)
				tm.SetSystemTagOrMetaIfEnabled(enabled, metrics.TagOCSPStatus, ocsp.Status)
			}
		}
		if enabled.Has(metrics.TagIP) && trail.ConnRemoteAddr != nil {
			if ip, _, err := net.SplitHostPort(trail.ConnRemoteAddr.String()); err == nil {
				tm.SetSystemTagOrMeta(metrics.TagIP, ip)
			}
		}
		expected := err == nil && m.info.ExpectedStatus(status)
		tm.SetSystemTagOrMetaIfEnabled(enabled, metrics.TagExpectedResponse, strconv.FormatBool(expected))

		trail.SaveSamples(m.state.BuiltinMetrics, &tm)
		// A request its own call stopped (it failed elsewhere, or the test
		// ended) did not fail: it is in http_reqs, not in http_req_failed.
		if err == nil || !m.info.CallEnded() {
			failed := 0.0
			if !expected {
				failed = 1
			}
			trail.Samples = append(trail.Samples, metrics.Sample{
				TimeSeries: metrics.TimeSeries{Metric: m.state.BuiltinMetrics.HTTPReqFailed, Tags: tm.Tags},
				Time:       trail.EndTime,
				Metadata:   tm.Metadata,
				Value:      failed,
			})
		}
		metrics.PushIfNotDone(m.t.client.mi.vu.Context(), m.state.Samples, trail)
	})
}

// measuredBody finishes its measurement at EOF, on a read error, or on
// Close, whichever comes first.
type measuredBody struct {
	io.ReadCloser
	m    *measurement
	resp *http.Response
}

func (b *measuredBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if errors.Is(err, io.EOF) {
		b.m.finish(b.resp, nil)
	} else if err != nil {
		b.m.finish(b.resp, err)
	}
	return n, err
}

func (b *measuredBody) Close() error {
	err := b.ReadCloser.Close()
	b.m.finish(b.resp, nil)
	return err
}
