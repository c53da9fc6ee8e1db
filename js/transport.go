package js

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"sync"

	"go.k6.io/k6/v2/lib"
	"go.k6.io/k6/v2/lib/netext/httpext"
	"go.k6.io/k6/v2/metrics"

	"github.com/xk6-registry/xk6-registry/registry"
)

// measuringTransport sends registry requests through the VU's own k6
// transport (its dialer, TLS config, hosts, blacklists, local IPs and byte
// counters) and records each as k6's http module does: http_reqs,
// http_req_duration and its phases, http_req_failed, tagged with the
// request's registry_op and bounded name. A request is measured when its
// body is read to the end or closed, so the receiving phase is real.
type measuringTransport struct {
	client *Client
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
	tracer := &httpext.Tracer{}
	traced := req.WithContext(httptrace.WithClientTrace(req.Context(), tracer.Trace()))
	resp, err := state.Transport.RoundTrip(traced)
	m := &measurement{t: t, state: state, tracer: tracer, req: req, info: info}
	if err != nil {
		m.finish(0, "", err)
		return nil, err
	}
	resp.Body = &measuredBody{ReadCloser: resp.Body, m: m, resp: resp}
	return resp, nil
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

func (m *measurement) finish(status int, proto string, err error) {
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
		tm.SetSystemTagOrMetaIfEnabled(enabled, metrics.TagStatus, strconv.Itoa(status))
		if proto != "" {
			tm.SetSystemTagOrMetaIfEnabled(enabled, metrics.TagProto, proto)
		}
		if err != nil {
			// The error tag is the registry package's code: bounded, no URL.
			tm.SetSystemTagOrMetaIfEnabled(enabled, metrics.TagError, registry.TransportCode(m.t.client.mi.vu.Context(), err))
		} else if status >= 400 {
			tm.SetSystemTagOrMetaIfEnabled(enabled, metrics.TagErrorCode, strconv.Itoa(1000+status))
		}
		if enabled.Has(metrics.TagIP) && trail.ConnRemoteAddr != nil {
			if ip, _, err := net.SplitHostPort(trail.ConnRemoteAddr.String()); err == nil {
				tm.SetSystemTagOrMeta(metrics.TagIP, ip)
			}
		}
		expected := err == nil && m.info.ExpectedStatus(status)
		tm.SetSystemTagOrMetaIfEnabled(enabled, metrics.TagExpectedResponse, strconv.FormatBool(expected))

		trail.SaveSamples(m.state.BuiltinMetrics, &tm)
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
		b.m.finish(b.resp.StatusCode, b.resp.Proto, nil)
	} else if err != nil {
		b.m.finish(b.resp.StatusCode, b.resp.Proto, err)
	}
	return n, err
}

func (b *measuredBody) Close() error {
	err := b.ReadCloser.Close()
	b.m.finish(b.resp.StatusCode, b.resp.Proto, nil)
	return err
}
