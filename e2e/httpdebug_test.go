package e2e

import (
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
)

// --http-debug prints the extension's requests and responses as it prints
// k6/http's, and nothing that must not be printed: no password, token or
// client header value, and no blob body, in either mode.
func TestHTTPDebugShowsTheExtensionsRequests(t *testing.T) {
	t.Parallel()
	script, err := filepath.Abs("testdata/http-debug.js")
	require.NoError(t, err)
	const apiKey = "api-key-that-must-not-be-printed"
	for _, auth := range []registrytest.AuthMode{registrytest.AuthHtpasswd, registrytest.AuthToken} {
		for _, mode := range []string{"--http-debug", "--http-debug=full"} {
			reg := registrytest.Start(t, registrytest.Options{Auth: auth})
			cmd := exec.Command(k6Binary(t), "run", "--no-color", mode, script)
			cmd.Env = append(os.Environ(), "K6_NO_USAGE_REPORT=true", "REGISTRY_URL="+reg.URL,
				"REGISTRY_USER="+reg.Username, "REGISTRY_PASSWORD="+reg.Password, "API_KEY="+apiKey)
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "%s", out)
			log := string(out)
			what := auth.String() + " " + mode
			requests := strings.Count(log, "Request:")
			assert.Greater(t, requests, 8, "%s: the push and pull's requests are printed", what)
			assert.Equal(t, requests, strings.Count(log, "Response:"), what)
			for _, op := range []string{"upload_start", "upload_complete", "manifest_put", "manifest_get", "blob_get"} {
				assert.Contains(t, log, "registry_op="+op, "%s: no %s printed", what, op)
			}
			basic := base64.StdEncoding.EncodeToString([]byte(reg.Username + ":" + reg.Password))
			for secret, name := range map[string]string{reg.Password: "password", basic: "Basic credentials", apiKey: "client header", "eyJ": "a token"} {
				assert.NotContains(t, log, secret, "%s: %s printed", what, name)
			}
			assert.Contains(t, log, "Authorization: ", what)
			assert.Contains(t, log, "Content-Length: 65536", "%s: a blob upload's headers are printed", what)
			assert.NotContains(t, log, "with nil Body", what)
			assert.Contains(t, log, "[body of", "%s: blob bodies are named, not printed", what)
			if mode == "--http-debug=full" {
				assert.Contains(t, log, `schemaVersion`, "%s: manifests are printed in full", what)
			} else {
				assert.NotContains(t, log, `schemaVersion`, what)
			}
			assert.NotContains(t, log, "xk6-registry/body/", "%s: a blob's tar headers were printed", what)
		}
	}
}
