package js

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/grafana/sobek"
	"go.k6.io/k6/v2/metrics"

	"github.com/xk6-registry/xk6-registry/registry"
	"github.com/xk6-registry/xk6-registry/registry/servermetrics"
)

// serverMetricsDefs are the k6 metrics of distribution's series, as
// package servermetrics names them; a pass-through family's metric is
// registered when it is first seen.
var serverMetricsDefs = []struct {
	name string
	typ  metrics.MetricType
	val  metrics.ValueType
}{
	{servermetrics.Prefix + "requests", metrics.Counter, metrics.Default},
	{servermetrics.Prefix + "request_duration", metrics.Trend, metrics.Time},
	{servermetrics.Prefix + "in_flight", metrics.Gauge, metrics.Default},
	{servermetrics.Prefix + "request_bytes", metrics.Counter, metrics.Data},
	{servermetrics.Prefix + "response_bytes", metrics.Counter, metrics.Data},
	{servermetrics.Prefix + "storage_actions", metrics.Counter, metrics.Default},
	{servermetrics.Prefix + "storage_duration", metrics.Trend, metrics.Time},
	{servermetrics.Prefix + "storage_calls_per_request", metrics.Trend, metrics.Default},
	{servermetrics.Prefix + "proxy_requests", metrics.Counter, metrics.Default},
	{servermetrics.Prefix + "proxy_hits", metrics.Counter, metrics.Default},
	{servermetrics.Prefix + "proxy_misses", metrics.Counter, metrics.Default},
	{servermetrics.Prefix + "proxy_pulled_bytes", metrics.Counter, metrics.Data},
	{servermetrics.Prefix + "proxy_pushed_bytes", metrics.Counter, metrics.Data},
	{servermetrics.Prefix + "storage_cache_requests", metrics.Counter, metrics.Default},
	{servermetrics.Prefix + "storage_cache_hits", metrics.Counter, metrics.Default},
	{servermetrics.Prefix + "storage_cache_errors", metrics.Counter, metrics.Default},
}

// registerServerMetrics registers the metrics of distribution's series,
// so thresholds on them resolve before the first scrape.
func registerServerMetrics(r *metrics.Registry) error {
	for _, def := range serverMetricsDefs {
		if _, err := r.NewMetric(def.name, def.typ, def.val); err != nil {
			return err
		}
	}
	return nil
}

// scraperStore holds one scraper per endpoint and options for every VU of
// the test run: setup() takes the baseline, a scenario's VU and teardown()
// go on from it, so every change is counted once.
type scraperStore struct {
	mu       sync.Mutex
	scrapers map[string]*servermetrics.Scraper
}

func (s *scraperStore) get(key string, opts servermetrics.Options) *servermetrics.Scraper {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.scrapers == nil {
		s.scrapers = map[string]*servermetrics.Scraper{}
	}
	sc := s.scrapers[key]
	if sc == nil {
		sc = servermetrics.New(opts)
		s.scrapers[key] = sc
	}
	return sc
}

// serverMetricsOptions are new registry.ServerMetrics({...}).
type serverMetricsOptions struct {
	url     string
	include string
	opts    servermetrics.Options
	timeout time.Duration
	tags    map[string]string
}

func parseServerMetricsOptions(rt *sobek.Runtime, v sobek.Value) (*serverMetricsOptions, error) {
	const call = "new ServerMetrics"
	if isMissing(v) {
		return nil, fmt.Errorf("%s: options with a url are required, e.g. { url: \"http://127.0.0.1:5001/metrics\" }", call)
	}
	r := newOptionReader(rt, call, v, "url", "include", "maxSeries", "timeout", "tags")
	o := &serverMetricsOptions{timeout: 10 * time.Second}
	r.string("url", &o.url)
	r.string("include", &o.include)
	r.int("maxSeries", 1, 100_000, &o.opts.MaxSeries)
	r.duration("timeout", &o.timeout)
	o.tags = r.stringMap("tags")
	if r.err != nil {
		return nil, r.err
	}
	if o.url == "" {
		return nil, fmt.Errorf("%s: option \"url\" is required, e.g. \"http://127.0.0.1:5001/metrics\"", call)
	}
	if _, ok := o.tags[servermetrics.TagOp]; ok {
		return nil, fmt.Errorf("%s: tag %q is set by the extension itself", call, servermetrics.TagOp)
	}
	if o.include != "" {
		re, err := regexp.Compile(o.include)
		if err != nil {
			return nil, fmt.Errorf("%s: option \"include\" is no regular expression: %w", call, err)
		}
		o.opts.Include = re
	}
	return o, nil
}

// newServerMetrics is the registry.ServerMetrics constructor: a reader of
// a registry's own metrics. Its one call, scrape(), records what changed
// on the server since the last scrape of the same url by any VU.
func (mi *ModuleInstance) newServerMetrics(call sobek.ConstructorCall) *sobek.Object {
	rt := mi.vu.Runtime()
	o, err := parseServerMetricsOptions(rt, call.Argument(0))
	if err != nil {
		throw(rt, err)
	}
	key := o.url + "\x00" + o.include + "\x00" + strconv.Itoa(o.opts.MaxSeries)
	sm := &serverMetrics{
		scraper: mi.root.scrapers.get(key, o.opts),
		url:     o.url,
		// The scrape's request is measured as the client's are, op server_metrics.
		recorder: &Client{mi: mi, tags: o.tags},
		timeout:  o.timeout,
	}
	sm.transport = &measuringTransport{client: sm.recorder}
	obj := rt.NewObject()
	if err := obj.Set("scrape", sm.scrape); err != nil {
		throw(rt, err)
	}
	return obj
}

type serverMetrics struct {
	scraper  *servermetrics.Scraper
	url      string
	recorder *Client
	// transport is kept: it holds the connection every scrape reuses.
	transport *measuringTransport
	timeout   time.Duration
}

// scrape GETs the metrics and records their changes as k6 samples.
func (sm *serverMetrics) scrape(sobek.FunctionCall) sobek.Value {
	c := sm.recorder
	return c.run("scrape", false, func(ctx context.Context) outcome {
		rctx := registry.WithRequestInfo(ctx, &registry.RequestInfo{Op: registry.OpServerMetrics, Name: servermetrics.Where(sm.url)})
		client := &http.Client{Transport: sm.transport, Timeout: sm.timeout}
		res, status, err := sm.scraper.Scrape(rctx, client, sm.url)
		if err != nil {
			return outcome{status: status, err: err}
		}
		changes := make([]map[string]any, 0, len(res.Changes))
		for _, ch := range res.Changes {
			value, ok := c.mi.recordChange(ctx, c, ch)
			if !ok {
				res.Dropped++
				continue
			}
			changes = append(changes, map[string]any{"metric": ch.Metric, "tags": ch.Tags, "value": value})
		}
		return outcome{status: status, fields: map[string]any{
			"baseline": res.Baseline, "families": res.Families, "changes": changes,
			"skipped": res.Skipped, "skippedNames": res.SkippedNames, "dropped": res.Dropped,
		}}
	})
}

// recordChange emits one change as a sample of its metric, registering a
// pass-through's on first sight, and returns the value recorded: seconds
// become k6's milliseconds. A pass-through whose name the script took for
// a metric of another type is not recorded: k6 keeps one type per name.
func (mi *ModuleInstance) recordChange(ctx context.Context, c *Client, ch servermetrics.Change) (float64, bool) {
	typ, val := metrics.Counter, metrics.Default
	switch ch.Kind {
	case servermetrics.Gauge:
		typ = metrics.Gauge
	case servermetrics.Trend:
		typ = metrics.Trend
	}
	value := ch.Value
	switch ch.Unit {
	case servermetrics.Seconds:
		val, value = metrics.Time, value*1000
	case servermetrics.Bytes:
		val = metrics.Data
	}
	m, err := mi.metricsRegistry.NewMetric(ch.Metric, typ, val)
	if err != nil {
		return value, false
	}
	extra := make([]string, 0, 2*len(ch.Tags))
	for k, v := range ch.Tags {
		extra = append(extra, k, v)
	}
	c.emit(ctx, m, value, extra...)
	return value, true
}
