package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
)

// The extension's requests go through k6's counted connections whatever
// HTTP version it speaks: data_sent and data_received are exactly the
// bytes that crossed the network each way, counted below TLS by a proxy,
// for every upload mode, over HTTP/1.1 and HTTP/2, plain and TLS, for
// generated content and for a docker save's layers, which go by sendfile
// over plain http.
func TestDataSentIsWhatCrossedTheNetwork(t *testing.T) {
	t.Parallel()
	script, err := filepath.Abs("testdata/data-sent.js")
	require.NoError(t, err)
	// Layers of MiBs: the bytes past net/http's first buffer go by sendfile.
	tar := filepath.Join(t.TempDir(), "save.tar")
	writeLegacySave(t, tar)
	for _, tc := range []struct {
		name, version, proto string
		tls                  bool
	}{
		{"plain", "", "HTTP/1.1", false},
		{"tls default", "", "HTTP/2.0", true},
		{"tls 1.1", "1.1", "HTTP/1.1", true},
		{"tls 2", "2", "HTTP/2.0", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			reg := registrytest.Start(t, registrytest.Options{TLS: tc.tls})
			counter := registrytest.StartCountingProxy(t, reg.Host)
			scheme := "http://"
			if tc.tls {
				scheme = "https://"
			}
			out := filepath.Join(t.TempDir(), "out.json")
			cmd := exec.Command(k6Binary(t), "run", "--no-color", "--quiet", "--out", "json="+out, script)
			cmd.Env = append(os.Environ(), "K6_NO_USAGE_REPORT=true", "REGISTRY_URL="+scheme+counter.Host, "HTTP_VERSION="+tc.version,
				"TAR="+tar)
			combined, err := cmd.CombinedOutput()
			require.NoError(t, err, "%s", combined)
			sent, received, err := counter.Totals(10 * time.Second)
			require.NoError(t, err)

			var dataSent, dataReceived float64
			protos := map[string]int{}
			for _, p := range readPoints(t, out) {
				switch p.Metric {
				case "data_sent":
					dataSent += p.Data.Value
				case "data_received":
					dataReceived += p.Data.Value
				case "http_reqs":
					protos[p.Data.Tags["proto"]]++
				}
			}
			assert.Greater(t, sent, int64(8<<20), "the pushes crossed the proxy")
			assert.Equal(t, float64(sent), dataSent, "data_sent")
			assert.Equal(t, float64(received), dataReceived, "data_received")
			assert.Len(t, protos, 1, "one HTTP version: %v", protos)
			assert.Positive(t, protos[tc.proto], "spoke %s: %v", tc.proto, protos)
		})
	}
}
