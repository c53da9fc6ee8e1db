package js

import (
	"context"
	"time"

	"go.k6.io/k6/v2/metrics"
)

// Metric names, as thresholds and outputs see them.
const (
	metricPullDuration   = "registry_pull_duration"
	metricPushDuration   = "registry_push_duration"
	metricUploadDuration = "registry_upload_duration"
	metricBlobThroughput = "registry_blob_throughput"
	metricErrors         = "registry_errors"
	metricRetries        = "registry_retries"
)

// metricWarnings counts the registry's Warning headers, per registry_op;
// their texts are in the call's result, never in a tag.
const metricWarnings = "registry_warnings"

// Tags this extension adds to samples.
const (
	tagOp = "registry_op"
	// tagRegistryErrorCode is the failure's code as the registry sent it, or
	// the extension's own, bounded by registry.BoundedCode. error_code keeps
	// k6's meaning, k6's numeric code, wherever it is set.
	tagRegistryErrorCode = "registry_error_code"
	tagDirection         = "direction"
	tagReason            = "reason"
	tagSizeClass         = "size_class"
)

// extensionTags are the tags a client's own tags may not set.
var extensionTags = []string{tagOp, tagRegistryErrorCode, tagDirection, tagReason, tagSizeClass,
	metrics.TagErrorCode.String()}

// registryMetrics are the extension's custom metrics. k6's registry returns
// the existing metric when a name is registered again, so every VU's
// instance shares them.
type registryMetrics struct {
	pullDuration   *metrics.Metric
	pushDuration   *metrics.Metric
	uploadDuration *metrics.Metric
	blobThroughput *metrics.Metric
	errors         *metrics.Metric
	retries        *metrics.Metric
	warnings       *metrics.Metric
}

func registerMetrics(r *metrics.Registry) (*registryMetrics, error) {
	m := &registryMetrics{}
	var err error
	for _, def := range []struct {
		dst  **metrics.Metric
		name string
		typ  metrics.MetricType
		val  []metrics.ValueType
	}{
		{&m.pullDuration, metricPullDuration, metrics.Trend, []metrics.ValueType{metrics.Time}},
		{&m.pushDuration, metricPushDuration, metrics.Trend, []metrics.ValueType{metrics.Time}},
		{&m.uploadDuration, metricUploadDuration, metrics.Trend, []metrics.ValueType{metrics.Time}},
		// Bytes per second: k6 has no value type for a rate of bytes.
		{&m.blobThroughput, metricBlobThroughput, metrics.Trend, nil},
		{&m.errors, metricErrors, metrics.Counter, nil},
		{&m.retries, metricRetries, metrics.Counter, nil},
		{&m.warnings, metricWarnings, metrics.Counter, nil},
	} {
		if *def.dst, err = r.NewMetric(def.name, def.typ, def.val...); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// withTags adds the client's tags, then extra pairs, to a sample's tags.
func withTags(tm metrics.TagsAndMeta, clientTags map[string]string, extra ...string) metrics.TagsAndMeta {
	for k, v := range clientTags {
		tm.SetTag(k, v)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		tm.SetTag(extra[i], extra[i+1])
	}
	return tm
}

// emit pushes one sample of m with the call's tags and extra pairs, unless
// the test is over. It may run on any goroutine.
func (c *Client) emit(ctx context.Context, m *metrics.Metric, value float64, extra ...string) {
	state := c.mi.vu.State()
	if state == nil {
		return
	}
	tm := c.callTags(ctx, extra...)
	metrics.PushIfNotDone(ctx, state.Samples, metrics.Sample{
		TimeSeries: metrics.TimeSeries{Metric: m, Tags: tm.Tags},
		Time:       time.Now(),
		Metadata:   tm.Metadata,
		Value:      value,
	})
}

// sizeClass is a blob's size in four bounded classes, so tiny configs do
// not drown the throughput of large layers in one trend.
func sizeClass(bytes int64) string {
	switch {
	case bytes < 1<<20:
		return "<1MiB"
	case bytes < 16<<20:
		return "1-16MiB"
	case bytes <= 128<<20:
		return "16-128MiB"
	}
	return ">128MiB"
}
