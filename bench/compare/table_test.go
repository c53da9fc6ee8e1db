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
