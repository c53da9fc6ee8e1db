package servermetrics

import "github.com/xk6-registry/xk6-registry/registry"

// Kind is how a change is recorded.
type Kind int

// Kinds of change.
const (
	// Counter: what was added since the last scrape.
	Counter Kind = iota
	// Gauge: the value now.
	Gauge
	// Trend: the mean of what a histogram or summary observed since the
	// last scrape (its sum's increase over its count's).
	Trend
)

func (k Kind) String() string {
	switch k {
	case Counter:
		return "counter"
	case Gauge:
		return "gauge"
	case Trend:
		return "trend"
	}
	return "unknown"
}

// Unit is what a value measures.
type Unit int

// Units of values.
const (
	Number Unit = iota
	Seconds
	Bytes
)

// field is what of a series an output records.
type field int

const (
	fieldValue field = iota // a counter's increase or a gauge's value
	fieldCount              // a histogram's or summary's count, increased
	fieldSum                // its sum, increased
	fieldMean               // its sum's increase over its count's
)

// output is one metric a family is recorded as.
type output struct {
	metric string
	field  field
	unit   Unit
}

// rule maps one Prometheus family to metrics.
type rule struct {
	family string
	typ    Type // the family's type: of another, it is skipped
	// labels maps the labels kept to the tag each becomes; the others are
	// summed over, so tags stay as few as the registry's routes.
	labels  map[string]string
	outputs []output
	// op adds registry_op from the handler and method labels.
	op bool
	// allLabels keeps every label as a tag: a pass-through's.
	allLabels bool
}

// Shorter names for the types rules read.
const (
	counter   = CounterType
	gauge     = GaugeType
	histogram = HistogramType
)

// Prefix starts every metric name a scrape records.
const Prefix = "registry_server_"

// TagOp is the tag naming the client's operation a server series serves,
// the client's own registry_op, so the two can be set side by side.
const TagOp = "registry_op"

// distributionRules is distribution's debug server (v2.8 and v3): its
// http handlers, storage driver, proxy and blob descriptor cache.
var distributionRules = []rule{
	{family: "registry_http_requests_total", typ: counter, op: true,
		labels:  map[string]string{"handler": "handler", "method": "method", "code": "status"},
		outputs: []output{{metric: Prefix + "requests", field: fieldValue}}},
	{family: "registry_http_request_duration_seconds", typ: histogram, op: true,
		labels:  map[string]string{"handler": "handler", "method": "method"},
		outputs: []output{{metric: Prefix + "request_duration", field: fieldMean, unit: Seconds}}},
	{family: "registry_http_in_flight_requests", typ: gauge,
		labels:  map[string]string{"handler": "handler"},
		outputs: []output{{metric: Prefix + "in_flight", field: fieldValue}}},
	{family: "registry_http_request_size_bytes", typ: histogram,
		labels:  map[string]string{"handler": "handler"},
		outputs: []output{{metric: Prefix + "request_bytes", field: fieldSum, unit: Bytes}}},
	{family: "registry_http_response_size_bytes", typ: histogram,
		labels:  map[string]string{"handler": "handler"},
		outputs: []output{{metric: Prefix + "response_bytes", field: fieldSum, unit: Bytes}}},
	{family: "registry_storage_action_seconds", typ: histogram,
		labels: map[string]string{"action": "action", "driver": "driver"},
		outputs: []output{
			{metric: Prefix + "storage_actions", field: fieldCount},
			{metric: Prefix + "storage_duration", field: fieldMean, unit: Seconds},
		}},
	{family: "registry_proxy_requests_total", typ: counter, labels: map[string]string{"type": "type"},
		outputs: []output{{metric: Prefix + "proxy_requests", field: fieldValue}}},
	{family: "registry_proxy_hits_total", typ: counter, labels: map[string]string{"type": "type"},
		outputs: []output{{metric: Prefix + "proxy_hits", field: fieldValue}}},
	{family: "registry_proxy_misses_total", typ: counter, labels: map[string]string{"type": "type"},
		outputs: []output{{metric: Prefix + "proxy_misses", field: fieldValue}}},
	{family: "registry_proxy_pulled_bytes_total", typ: counter, labels: map[string]string{"type": "type"},
		outputs: []output{{metric: Prefix + "proxy_pulled_bytes", field: fieldValue, unit: Bytes}}},
	{family: "registry_proxy_pushed_bytes_total", typ: counter, labels: map[string]string{"type": "type"},
		outputs: []output{{metric: Prefix + "proxy_pushed_bytes", field: fieldValue, unit: Bytes}}},
	{family: "registry_storage_cache_requests_total", typ: counter,
		outputs: []output{{metric: Prefix + "storage_cache_requests", field: fieldValue}}},
	{family: "registry_storage_cache_hits_total", typ: counter,
		outputs: []output{{metric: Prefix + "storage_cache_hits", field: fieldValue}}},
	{family: "registry_storage_cache_errors_total", typ: counter,
		outputs: []output{{metric: Prefix + "storage_cache_errors", field: fieldValue}}},
}

// handlerOps names the client operation each of distribution's handlers
// serves, by handler and lowercase method. A mount is a POST to the
// uploads handler too: the server cannot tell it from upload_start.
var handlerOps = map[[2]string]string{
	{"base", "get"}:                 registry.OpPing,
	{"manifest", "get"}:             registry.OpManifestGet,
	{"manifest", "head"}:            registry.OpManifestHead,
	{"manifest", "put"}:             registry.OpManifestPut,
	{"manifest", "delete"}:          registry.OpManifestDelete,
	{"blob", "get"}:                 registry.OpBlobGet,
	{"blob", "head"}:                registry.OpBlobHead,
	{"blob", "delete"}:              registry.OpBlobDelete,
	{"blob_upload", "post"}:         registry.OpUploadStart,
	{"blob_upload_chunk", "patch"}:  registry.OpUploadChunk,
	{"blob_upload_chunk", "put"}:    registry.OpUploadComplete,
	{"blob_upload_chunk", "get"}:    registry.OpUploadStatus,
	{"blob_upload_chunk", "delete"}: registry.OpUploadCancel,
	{"tags", "get"}:                 registry.OpTags,
	{"catalog", "get"}:              registry.OpCatalog,
	{"referrers", "get"}:            registry.OpReferrers,
}

// rulesByFamily indexes distributionRules.
var rulesByFamily = func() map[string]*rule {
	m := make(map[string]*rule, len(distributionRules))
	for i := range distributionRules {
		m[distributionRules[i].family] = &distributionRules[i]
	}
	return m
}()
