package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func TestConfigScalesAndOverrides(t *testing.T) {
	c, err := loadConfig(env(map[string]string{}))
	require.NoError(t, err)
	require.Equal(t, "full", c.scale)
	require.Equal(t, 20, c.pulls)
	require.EqualValues(t, 64<<20, c.pullLayerSize)

	c, err = loadConfig(env(map[string]string{
		"BENCH_SCALE": "smoke", "BENCH_PULLS": "3", "BENCH_PUSH_LAYER_SIZE": "512KiB", "BENCH_SMALL_DURATION": "3s",
	}))
	require.NoError(t, err)
	require.Equal(t, "smoke", c.scale)
	require.Equal(t, 3, c.pulls)
	require.EqualValues(t, 512<<10, c.pushLayerSize)
	require.Equal(t, 3*time.Second, c.smallDuration)
}

func TestConfigNamesWhatIsWrong(t *testing.T) {
	for name, value := range map[string]string{
		"BENCH_SCALE":           "huge",
		"BENCH_PULLS":           "0",
		"BENCH_CONCURRENCY":     "four",
		"BENCH_PULL_LAYER_SIZE": "1000",
		"BENCH_PUSH_LAYER_SIZE": "2KiB",
		"BENCH_SMALL_DURATION":  "10",
		"BENCH_ONLY":            "(",
	} {
		_, err := loadConfig(env(map[string]string{name: value}))
		require.ErrorContains(t, err, name, "%s=%s", name, value)
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"4KiB": 4 << 10, "64MiB": 64 << 20, "1GiB": 1 << 30, "8192": 8192} {
		got, err := parseSize(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
}
