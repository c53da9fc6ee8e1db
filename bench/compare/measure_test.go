package main

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func requireGNUTime(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(gnuTime); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s: %v (make tools installs it)", gnuTime, err)
		}
		t.Skipf("%s: %v (make tools installs it)", gnuTime, err)
	}
}

// A script's own CPU is nearly nothing: what it costs is its children's,
// which GNU time must count, as the memory sampler must see them.
func TestMeasureCountsTheChildrenOfAScript(t *testing.T) {
	requireGNUTime(t)
	u, err := measure(context.Background(), job{
		argv:    []string{"bash", "-c", "head -c 300000000 /dev/zero | sha256sum >/dev/null; exit 0"},
		dir:     t.TempDir(),
		timeout: time.Minute,
	})
	require.NoError(t, err)
	require.Greater(t, u.cpu(), 0.05, "hashing 300 MB is the children's CPU")
	require.Greater(t, u.maxRSS, int64(0))
	require.Greater(t, u.peakPSS, int64(0))
	require.GreaterOrEqual(t, u.wall, u.cpu()/2, "two cores at most")
}

func TestMeasureReportsAFailureWithItsOutput(t *testing.T) {
	requireGNUTime(t)
	_, err := measure(context.Background(), job{
		argv:    []string{"bash", "-c", "echo the registry said no >&2; exit 3"},
		dir:     t.TempDir(),
		timeout: time.Minute,
	})
	require.ErrorContains(t, err, "exit status 3")
	require.ErrorContains(t, err, "the registry said no")
}

func TestMeasureKillsTheWholeTreeAtItsTimeout(t *testing.T) {
	requireGNUTime(t)
	start := time.Now()
	_, err := measure(context.Background(), job{
		argv:    []string{"bash", "-c", "sleep 60 & wait"},
		dir:     t.TempDir(),
		timeout: time.Second,
	})
	require.ErrorContains(t, err, "killed after 1s")
	require.Less(t, time.Since(start), 30*time.Second, "the sleeping grandchild did not hold the row")
}

func TestParseTimeTakesTheLastLine(t *testing.T) {
	var u usage
	require.NoError(t, parseTime("Command exited with non-zero status 1\n1.50 0.75 0.25 20480\n", &u))
	require.Equal(t, usage{wall: 1.5, user: 0.75, sys: 0.25, maxRSS: 20480}, u)
	require.ErrorContains(t, parseTime("garbage\n", &u), `"garbage"`)
}
