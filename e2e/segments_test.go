package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
	"github.com/xk6-registry/xk6-registry/registry"
)

// What the k6 operator does to a script, without Kubernetes: archive it,
// inspect its execution requirements, then run three instances at once,
// each on its execution segment, against one registry. The iterations add
// up to the unsplit plan, no two instances push the same tag or the same
// blob, and every pushed image pulls back.
func TestThreeSegmentsSplitTheWorkAsTheOperatorDoes(t *testing.T) {
	t.Parallel()
	const iterations = 30
	k6 := k6Binary(t)
	reg := registrytest.Start(t, registrytest.Options{Auth: registrytest.AuthToken})
	dir := t.TempDir()
	script, err := filepath.Abs("../examples/segments.js")
	require.NoError(t, err)
	env := append(os.Environ(), "REGISTRY_URL="+reg.URL, "REGISTRY_USER="+reg.Username,
		"REGISTRY_PASSWORD="+reg.Password, "K6_NO_USAGE_REPORT=true", "ITERATIONS=30", "VUS=3")

	archive := filepath.Join(dir, "archive.tar")
	out, err := command(env, k6, "archive", "--quiet", "-O", archive, script).CombinedOutput()
	require.NoError(t, err, "%s", out)
	out, err = command(env, k6, "inspect", "--execution-requirements", archive).CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), `"maxVUs": 3`, "the plan: %s", out)

	segments := []string{"0:1/3", "1/3:2/3", "2/3:1"}
	outputs := make([]string, len(segments))
	var wg sync.WaitGroup
	for i, segment := range segments {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := command(env, k6, "run", "--no-color", "--execution-segment", segment,
				"--execution-segment-sequence", "0,1/3,2/3,1", archive).CombinedOutput()
			assert.NoError(t, err, "segment %s:\n%s", segment, out)
			outputs[i] = string(out)
		}()
	}
	wg.Wait()

	done := 0
	for i, out := range outputs {
		n := completedIterations(t, out)
		assert.Positive(t, n, "segment %s ran nothing", segments[i])
		done += n
	}
	assert.Equal(t, iterations, done, "the segments' iterations add up to the unsplit plan")

	c, err := registry.New(registry.Config{URL: reg.URL, Username: reg.Username, Password: reg.Password})
	require.NoError(t, err)
	ctx := context.Background()
	tags, err := c.Tags(ctx, "segments/app", registry.ListOptions{All: true})
	require.NoError(t, err)
	assert.Len(t, tags.Items, iterations, "each iteration pushed its own tag")
	layers := map[string]string{}
	for _, tag := range tags.Items {
		m, err := c.GetManifest(ctx, "segments/app:"+tag, nil)
		require.NoError(t, err)
		var manifest struct{ Layers []struct{ Digest string } }
		require.NoError(t, json.Unmarshal(m.Body, &manifest))
		for _, l := range manifest.Layers {
			assert.NotContains(t, layers, l.Digest, "tags %s and %s share a generated blob", tag, layers[l.Digest])
			layers[l.Digest] = tag
		}
		_, err = c.Pull(ctx, "segments/app:"+tag, registry.PullOptions{Verify: true})
		assert.NoError(t, err, "tag %s does not pull back", tag)
	}
}

func command(env []string, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Env = env
	return cmd
}

// completedIterations reads "iterations....: N" from k6's summary.
func completedIterations(t *testing.T, summary string) int {
	t.Helper()
	for _, line := range strings.Split(summary, "\n") {
		fields := strings.Fields(line)
		if len(fields) >= 2 && strings.HasPrefix(fields[0], "iterations.") {
			var n int
			_, err := fmt.Sscan(fields[1], &n)
			require.NoError(t, err, line)
			return n
		}
	}
	t.Fatalf("no iterations in k6's summary:\n%s", summary)
	return 0
}
