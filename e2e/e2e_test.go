// Package e2e runs k6, built with this extension, on scripts written from
// the public API, against real registries, and checks what k6 recorded.
package e2e

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
)

// k6Binary finds the k6 that `make build` made. Without it the test is
// skipped on a developer's machine and fails in CI; under -short it is skipped.
func k6Binary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("starts k6: not in -short")
	}
	if p := os.Getenv("K6_BIN"); p != "" {
		return p
	}
	_, file, _, _ := runtime.Caller(0)
	p := filepath.Join(filepath.Dir(file), "..", "bin", "k6")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("no k6 at %s: run make build first", p)
	}
	t.Skipf("no k6 at %s: run make build first", p)
	return ""
}

// point is one line of k6's JSON output that holds a sample.
type point struct {
	Type   string `json:"type"`
	Metric string `json:"metric"`
	Data   struct {
		Value float64           `json:"value"`
		Tags  map[string]string `json:"tags"`
	} `json:"data"`
}

func runK6(t *testing.T, reg *registrytest.Registry, script string, env ...string) (points []point, output string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out.json")
	cmd := exec.Command(k6Binary(t), "run", "--no-color", "--out", "json="+out, script)
	cmd.Env = append(os.Environ(),
		"REGISTRY_URL="+reg.URL, "REGISTRY_USER="+reg.Username, "REGISTRY_PASSWORD="+reg.Password,
		"K6_NO_USAGE_REPORT=true")
	cmd.Env = append(cmd.Env, env...)
	combined, err := cmd.CombinedOutput()
	require.NoError(t, err, "k6 run %s:\n%s", script, combined)

	raw, err := os.ReadFile(out)
	require.NoError(t, err)
	if reg.Password != "" {
		assert.NotContains(t, string(raw), reg.Password, "a credential reached k6's output")
		assert.NotContains(t, string(combined), reg.Password, "a credential reached k6's summary")
	}
	points = readPoints(t, out)
	return points, string(combined)
}

// readPoints reads the samples of a k6 JSON output file.
func readPoints(t *testing.T, path string) (points []point) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var p point
		require.NoError(t, json.Unmarshal(sc.Bytes(), &p))
		if p.Type == "Point" {
			points = append(points, p)
		}
	}
	require.NoError(t, sc.Err())
	return points
}

func TestEveryUploadModeFromK6(t *testing.T) {
	t.Parallel()
	script, err := filepath.Abs("testdata/every-mode.js")
	require.NoError(t, err)
	modes := map[string]registrytest.AuthMode{
		"anonymous": registrytest.AuthNone,
		"htpasswd":  registrytest.AuthHtpasswd,
		"token":     registrytest.AuthToken,
	}
	for authName, auth := range modes {
		t.Run(authName, func(t *testing.T) {
			t.Parallel()
			reg := registrytest.Start(t, registrytest.Options{Auth: auth})
			points, output := runK6(t, reg, script)

			ops := map[string]bool{}
			metrics := map[string]bool{}
			for _, p := range points {
				metrics[p.Metric] = true
				if !strings.HasPrefix(p.Metric, "http_req") && !strings.HasPrefix(p.Metric, "registry_") {
					continue
				}
				assert.Equal(t, "e2e", p.Data.Tags["target"], "client tags on %s", p.Metric)
				if p.Metric != "http_reqs" {
					continue
				}
				op := p.Data.Tags["registry_op"]
				require.NotEmpty(t, op, "http_reqs sample without registry_op: %v", p.Data.Tags)
				ops[op] = true
				n := p.Data.Tags["name"]
				for _, bad := range []string{"sha256:", "_state", "?"} {
					assert.NotContains(t, n, bad, "name tag of %s has unbounded cardinality", op)
				}
			}
			for _, m := range []string{"registry_pull_duration", "registry_push_duration", "registry_upload_duration",
				"registry_blob_throughput", "registry_errors", "http_reqs", "http_req_duration", "http_req_failed"} {
				assert.True(t, metrics[m], "metric %s was not emitted\n%s", m, output)
			}
			want := []string{"ping", "manifest_get", "manifest_put", "blob_get", "blob_head", "upload_start", "upload_chunk", "upload_complete"}
			if auth == registrytest.AuthToken {
				want = append(want, "token")
			}
			for _, op := range want {
				assert.True(t, ops[op], "no request with registry_op %q; saw %v", op, ops)
			}

			// Another client validates what k6 pushed, down to the bytes.
			auth := remote.WithAuth(authn.Anonymous)
			if reg.Username != "" {
				auth = remote.WithAuth(&authn.Basic{Username: reg.Username, Password: reg.Password})
			}
			for _, mode := range []string{"monolithic", "stream", "chunked", "post"} {
				ref, err := name.ParseReference(reg.Host+"/e2e/"+mode+":1", name.Insecure)
				require.NoError(t, err)
				img, err := remote.Image(ref, auth)
				require.NoError(t, err, mode)
				assert.NoError(t, registrytest.ValidateImage(img), mode)
			}
		})
	}
}

func TestEveryPrimitiveFromK6WithTokenAuth(t *testing.T) {
	t.Parallel()
	script, err := filepath.Abs("testdata/primitives.js")
	require.NoError(t, err)
	reg := registrytest.Start(t, registrytest.Options{Auth: registrytest.AuthToken})
	points, output := runK6(t, reg, script)
	ops := map[string]bool{}
	for _, p := range points {
		if p.Metric == "http_reqs" {
			ops[p.Data.Tags["registry_op"]] = true
		}
	}
	for _, op := range []string{"manifest_get", "manifest_head", "manifest_put", "manifest_delete", "blob_get", "blob_head",
		"blob_delete", "blob_mount", "tags", "catalog", "referrers", "upload_cancel", "token"} {
		assert.True(t, ops[op], "no request with registry_op %q; saw %v\n%s", op, ops, output)
	}
}

func TestRequestsGoThroughK6sNetworkStack(t *testing.T) {
	t.Parallel()
	script, err := filepath.Abs("testdata/network.js")
	require.NoError(t, err)
	reg := registrytest.Start(t, registrytest.Options{})
	points, _ := runK6(t, reg, script)
	sent := 0.0
	for _, p := range points {
		if p.Metric == "data_sent" {
			sent += p.Data.Value
		}
	}
	assert.Greater(t, sent, 4096.0, "data_sent counts the extension's bytes")
	runK6(t, reg, script, "BLOCK=1")
}

func TestTLSFollowsK6sOptions(t *testing.T) {
	t.Parallel()
	script, err := filepath.Abs("testdata/tls.js")
	require.NoError(t, err)
	reg := registrytest.Start(t, registrytest.Options{TLS: true})
	require.True(t, strings.HasPrefix(reg.URL, "https://"))
	runK6(t, reg, script, "SKIP_VERIFY=1")
	runK6(t, reg, script, "SKIP_VERIFY=0")
}
