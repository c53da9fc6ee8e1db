package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTableComparesEachRowWithItsWorkloadsCurl(t *testing.T) {
	results := []result{
		{row: row{workload: "pull", tool: "curl", baseline: true, unit: perGB, bytes: 2e9}, usage: usage{wall: 4, user: 3, sys: 1}},
		{row: row{workload: "pull", tool: "xk6-registry", unit: perGB, bytes: 2e9}, usage: usage{wall: 2, user: 0.5, sys: 0.5}},
		{row: row{workload: "head", tool: "curl -I", baseline: true, unit: perKRequest}, err: errors.New("exit status 1\nmore")},
		{row: row{workload: "head", tool: "xk6-registry", unit: perKRequest}, requests: 4000, usage: usage{wall: 2, user: 1}},
	}
	var out strings.Builder
	writeTable(&out, results)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 6)
	cells := func(line string) []string {
		var out []string
		for _, c := range strings.Split(strings.Trim(line, "|"), "|") {
			out = append(out, strings.TrimSpace(c))
		}
		return out
	}
	curl, ext, failed, noBase := cells(lines[2]), cells(lines[3]), cells(lines[4]), cells(lines[5])
	require.Equal(t, []string{"2.000 s/GB", "1.00", "1.00"}, []string{curl[5], curl[8], curl[9]})
	require.Equal(t, []string{"2.00 GB, 1000 MB/s", "0.500 s/GB", "0.25", "0.50"}, []string{ext[2], ext[5], ext[8], ext[9]})
	require.Equal(t, "FAILED: exit status 1", failed[2])
	require.Equal(t, []string{"4000 req, 2000/s", "0.250 s/1k req", "-", "-"}, []string{noBase[2], noBase[5], noBase[8], noBase[9]})
}

func TestTargetsAreRatiosOfTheRunsRows(t *testing.T) {
	gb := func(workload, tool string, cpu float64) result {
		return result{row: row{workload: workload, tool: tool, unit: perGB, bytes: 1e9}, usage: usage{wall: 1, user: cpu}}
	}
	results := []result{
		gb("push tar, stream", "curl", 1), gb("push tar, stream", "xk6-registry", 0.5), gb("push tar, stream", "crane push", 2),
		gb("push fresh, stream", "xk6-registry", 0.6),
		gb("pull, no verify", "curl -o /dev/null", 1), gb("sha256 of the pulled bytes", "sha256 alone (Go crypto/sha256, in memory)", 0.5),
		gb("pull, verify", "xk6-registry", 1.8),
	}
	var out strings.Builder
	writeTargets(&out, results)
	got := out.String()
	require.Contains(t, got, "| fresh push / tarball push, stream (xk6-registry) | 1.20 | 2.2 | yes |")
	require.Contains(t, got, "| tarball push, stream: xk6-registry / curl | 0.50 | 0.7 | yes |")
	require.Contains(t, got, "| tarball push, stream: xk6-registry / crane push | 0.25 | 0.5 | yes |")
	require.Contains(t, got, "| pull, verify: xk6-registry / (curl, no verify + sha256 alone) | 1.20 | 1.1 | NO |")
	require.NotContains(t, got, "monolithic", "a target whose rows did not run is left out")
}
