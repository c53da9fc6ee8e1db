package js_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
)

func TestRegistryWarningsAreInResultsAndCounted(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{})
	proxy := registrytest.StartFaultProxy(t, reg.URL)
	proxy.Add(registrytest.Rule{Method: http.MethodGet, Path: "/blobs/", Fault: registrytest.Fault{Header: http.Header{
		"Warning": {`299 - "This image is deprecated and will be removed soon."`},
	}}})
	v := newVU(t)
	v.run(`const client = new registry.Client({ url: "` + proxy.URL + `", tags: { target: "unit" } });`)
	v.start()
	v.run(`
		const pushed = client.push("unit/warn:1", registry.generate({ layers: 2, layerSize: "8KiB" }));
		const pulled = client.pull("unit/warn:1");
		let later;
		client.asyncPull("unit/warn:1").then((r) => { later = r; });
	`)
	for _, check := range []string{
		`pushed.ok && Array.isArray(pushed.warnings) && pushed.warnings.length === 0`,
		`pulled.ok && JSON.stringify(pulled.warnings) === '["This image is deprecated and will be removed soon."]'`,
	} {
		assert.True(t, v.run(check).ToBoolean(), check)
	}
	counted := 0.0
	for _, s := range v.drain() {
		if s.Metric.Name != "registry_warnings" {
			continue
		}
		tags := s.Tags.Map()
		assert.Equal(t, "blob_get", tags["registry_op"])
		assert.Equal(t, "unit", tags["target"], "the client's tags")
		for k, val := range tags {
			assert.NotContains(t, k+"="+val, "deprecated", "a warning's text is never a tag")
		}
		counted += s.Value
	}
	assert.Equal(t, 3.0, counted, "one warning on each blob GET: config and two layers")
	require.NotNil(t, v.rt.EventLoop)
	require.NoError(t, v.rt.EventLoop.Start(func() error { return nil }))
	assert.True(t, v.run(`later.ok && later.warnings.length === 1`).ToBoolean(), "the async twin's result lists them too")
}
