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

// The extension's requests carry k6's system tags with k6/http's meanings:
// for one request to the same URL each way, every tag but the name and url
// (the extension's are bounded names) and its own registry_op is the same,
// status, proto, error_code, error, tls_version and expected_response
// among them, for an answer, a 404, TLS, a refused connection, a timeout
// and a reset.
func TestTheExtensionsTagsMeanWhatK6sDo(t *testing.T) {
	t.Parallel()
	plain := registrytest.Start(t, registrytest.Options{})
	secure := registrytest.Start(t, registrytest.Options{TLS: true})
	stall := registrytest.StartFaultProxy(t, plain.URL)
	stall.Add(registrytest.Rule{Path: "/v2/", Fault: registrytest.Fault{Stall: 5 * time.Second}})
	reset := registrytest.StartFaultProxy(t, plain.URL)
	reset.Add(registrytest.Rule{Path: "/v2/", Fault: registrytest.Fault{CutResponse: 0.5, Reset: true}})

	script, err := filepath.Abs("testdata/k6tags.js")
	require.NoError(t, err)
	out := filepath.Join(t.TempDir(), "out.json")
	cmd := exec.Command(k6Binary(t), "run", "--no-color", "--quiet", "--out", "json="+out, script)
	cmd.Env = append(os.Environ(), "K6_NO_USAGE_REPORT=true",
		"PLAIN_URL="+plain.URL, "TLS_URL="+secure.URL, "REFUSED_URL=http://127.0.0.1:1",
		"STALL_URL="+stall.URL, "RESET_URL="+reset.URL)
	combined, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", combined)

	k6http, extension := map[string]map[string]string{}, map[string]map[string]string{}
	for _, p := range readPoints(t, out) {
		if p.Metric != "http_reqs" {
			continue
		}
		tags := p.Data.Tags
		group := tags["group"]
		if _, ours := tags["registry_op"]; ours {
			extension[group] = tags
		} else {
			k6http[group] = tags
		}
	}
	require.Len(t, k6http, 6, "%s", combined)
	for group, want := range k6http {
		got := extension[group]
		require.NotNil(t, got, "no extension request in %s", group)
		for _, tags := range []map[string]string{want, got} {
			delete(tags, "name")
			delete(tags, "url")
			delete(tags, "registry_op")
		}
		assert.Equal(t, want, got, "group %s", group)
		t.Logf("%s: %v", group, want)
	}
	assert.Equal(t, "1212", k6http["::refused"]["error_code"], "the case is what it says")
	assert.Equal(t, "1050", k6http["::timeout"]["error_code"])
	assert.Equal(t, "1220", k6http["::reset"]["error_code"])
	assert.Equal(t, "1404", k6http["::not found"]["error_code"])
	assert.NotEmpty(t, k6http["::tls"]["tls_version"])
}
