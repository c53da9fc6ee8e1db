package js_test

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.k6.io/k6/v2/lib"
	"go.k6.io/k6/v2/metrics"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
)

// startTrusting moves the VU to its running state with a transport as k6
// makes one, trusting certPEM, HTTP/2 when offered.
func (v *vu) startTrusting(certPEM []byte) {
	pool := x509.NewCertPool()
	require.True(v.t, pool.AppendCertsFromPEM(certPEM))
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, ForceAttemptHTTP2: true}
	v.t.Cleanup(tr.CloseIdleConnections)
	registry := v.rt.VU.InitEnvField.Registry
	v.rt.MoveToVUContext(&lib.State{
		Options:        lib.Options{SystemTags: &metrics.DefaultSystemTagSet},
		BuiltinMetrics: v.rt.BuiltinMetrics,
		Transport:      tr,
		Samples:        v.samples,
		Tags:           lib.NewVUStateTags(registry.RootTagSet().With("scenario", "test")),
		BufferPool:     lib.NewBufferPool(),
	})
}

// Behind nginx with TLS and HTTP/2, whose client_max_body_size (its
// default, 1 MiB) refuses a monolithic PUT: the push fails on the 413, the
// blobs still moving stop, and k6 records exactly the requests nginx saw;
// no upload session is left on the registry, though the POSTs the failure
// overtook had opened theirs.
func TestAFailedPushBehindNginxRecordsWhatArrived(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{})
	ng := registrytest.StartNginx(t, registrytest.NginxOptions{TLS: true, HTTP2: true, Upstream: reg.URL,
		MaxBodySize: 1 << 20, RequestBuffering: true})
	v := newVU(t)
	v.run(`const client = new registry.Client({ url: "` + ng.URL + `" });`)
	v.startTrusting(ng.CertPEM)
	for run := range 3 {
		got := v.run(fmt.Sprintf(`
			const res%d = client.push("nginx/app:%d", registry.generate({ layers: 4, layerSize: "2MiB" }), { upload: "monolithic", concurrency: 3 });
			[res%d.ok, res%d.error.op, res%d.status, res%d.sessionsLeftOpen].join(" ")`, run, run, run, run, run, run)).String()
		assert.Equal(t, "false upload_complete 413 0", got, "run %d", run)
	}
	reqs, failed := requestSamples(v.drain())
	arrived, err := ng.Requests()
	require.NoError(t, err)
	assertSameRequests(t, arrived, reqs)
	for _, f := range failed {
		assert.Equal(t, "upload_complete", f["registry_op"], "only the refused PUTs are failures: %v", f)
		assert.Equal(t, "1413", f["error_code"])
		assert.Equal(t, "HTTP/2.0", f["proto"])
	}
	assert.NotEmpty(t, failed)
	assertNoSessionLeft(t, reg)
}

// assertSameRequests checks that k6 recorded the requests nginx answered,
// one sample each: the same methods and statuses. A request its call
// stopped after sending it has no status in k6, and nginx answered it as
// it went on (499 when it saw the client leave, 201 when the registry had
// answered first): it matches any answer to a request of its method.
func assertSameRequests(t *testing.T, arrived []registrytest.NginxRequest, reqs []map[string]string) {
	t.Helper()
	unmatched := map[string]int{}
	for _, r := range arrived {
		unmatched[fmt.Sprintf("%s %d", r.Method, r.Status)]++
	}
	stopped := map[string]int{}
	for _, tags := range reqs {
		if tags["status"] == "0" && tags["error"] == "context canceled" {
			stopped[tags["method"]]++
			continue
		}
		key := tags["method"] + " " + tags["status"]
		if unmatched[key] == 0 {
			t.Errorf("k6 recorded %s, which nginx did not answer", key)
			continue
		}
		unmatched[key]--
	}
	left := map[string]int{}
	for key, n := range unmatched {
		method, _, _ := strings.Cut(key, " ")
		left[method] += n
	}
	for method, n := range left {
		if n == 0 {
			delete(left, method)
		}
	}
	assert.Equal(t, stopped, left, "the requests nginx answered that k6 did not record with their status, by method")
	assert.Len(t, reqs, len(arrived), "one sample per request nginx saw")
}
