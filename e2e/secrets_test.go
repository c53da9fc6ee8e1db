package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
)

// The password comes from a k6 secret source, not the environment: the
// run succeeds with it, and it appears in no output, summary export or
// JSON output.
func TestCredentialsFromASecretSourceLeakNowhere(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{Auth: registrytest.AuthHtpasswd})
	dir := t.TempDir()
	secrets := filepath.Join(dir, "secrets.txt")
	require.NoError(t, os.WriteFile(secrets, []byte("registry_password="+reg.Password+"\n"), 0o600))
	script, err := filepath.Abs("../examples/secrets.js")
	require.NoError(t, err)
	summary, jsonOut := filepath.Join(dir, "summary.json"), filepath.Join(dir, "out.json")

	cmd := exec.Command(k6Binary(t), "run", "--no-color", "--secret-source=file="+secrets,
		"--summary-export", summary, "--out", "json="+jsonOut, script)
	cmd.Env = append(os.Environ(), "REGISTRY_URL="+reg.URL, "REGISTRY_USER="+reg.Username,
		"VUS=2", "DURATION=2s", "K6_NO_USAGE_REPORT=true")
	output, err := cmd.CombinedOutput()
	require.NoError(t, err, "the run failed, so the password did not arrive:\n%s", output)
	assert.Contains(t, string(output), "✓ pushed")

	for name, data := range map[string][]byte{"output": output, "summary export": read(t, summary), "JSON output": read(t, jsonOut)} {
		require.NotEmpty(t, data, name)
		assert.NotContains(t, string(data), reg.Password, "the password reached the %s", name)
	}
}

func read(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return data
}
