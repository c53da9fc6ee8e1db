package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/replay"
)

// The command's three jobs on a synthetic log: synth writes it, plan plans
// it and says what it made, compare finds a log faithful to itself.
func TestSynthPlanCompare(t *testing.T) {
	dir := t.TempDir()
	log, plan := filepath.Join(dir, "registry.log"), filepath.Join(dir, "plan.json")
	var out, errs strings.Builder
	require.NoError(t, run([]string{"synth", "-clients", "10", "-duration", "3m", "-o", log}, &out, &errs))
	assert.Contains(t, errs.String(), "requests of 10 clients over 3m0s")

	errs.Reset()
	require.NoError(t, run([]string{"plan", "-log", log, "-o", plan}, &out, &errs))
	assert.Contains(t, errs.String(), "10 clients")
	assert.Contains(t, errs.String(), "sizes from the log")
	f, err := os.Open(plan)
	require.NoError(t, err)
	defer f.Close()
	p, err := replay.ReadPlan(f)
	require.NoError(t, err)
	assert.Len(t, p.Clients, 10)
	assert.NotEmpty(t, p.WarmUp.Blobs, "a synthetic registry is full before its trace")

	out.Reset()
	require.NoError(t, run([]string{"compare", "-source", log, "-target", log, "-targets", "log-only"}, &out, &errs))
	assert.Contains(t, out.String(), "verdict: faithful to the log-only targets")
	assert.Contains(t, out.String(), "status mismatches: 0")
}

func TestMistakesAreNamed(t *testing.T) {
	var out, errs strings.Builder
	dir := t.TempDir()
	for args, want := range map[string]string{
		"":                                "usage:",
		"replay":                          `unknown command "replay"`,
		"plan -o x":                       "plan needs -log FILE and -o PLAN",
		"plan -log /nonexistent.log -o x": "no such file",
		"plan -log x -format apache -o x": `log format "apache"`,
		"compare -source x":               "compare needs -source LOG and -target LOG",
		"compare -source x -target x -targets all": `-targets "all" is not storage or log-only`,
		"synth -clients 1 -o x":                    "at least 3 clients",
	} {
		err := run(strings.Fields(strings.ReplaceAll(args, " x", " "+filepath.Join(dir, "x"))), &out, &errs)
		if assert.Error(t, err, args) {
			assert.Contains(t, err.Error(), want, args)
		}
		assert.NoFileExists(t, filepath.Join(dir, "x"), "%s: a refused command writes nothing", args)
	}
}
