package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// config is the size of every workload, from the environment.
type config struct {
	scale         string
	concurrency   int           // pulls and pushes at once
	pulls         int           // per pull row
	pullLayers    int           // layers of the pulled image
	pullLayerSize int64         // bytes of each
	pushes        int           // per push row
	pushLayers    int           // layers of each pushed image
	pushLayerSize int64         // bytes of each
	smallVUs      int           // VUs (or curl loops) of the small-request rows
	smallDuration time.Duration // how long each small-request row runs
	rowTimeout    time.Duration // a row still running after this is killed
	only          *regexp.Regexp
}

// scales are the presets of BENCH_SCALE; single BENCH_* variables override them.
var scales = map[string]config{
	// Modest enough for a 2-core machine: 5.4 GB pulled and 2.1 GB pushed per row.
	"full": {concurrency: 4, pulls: 20, pullLayers: 4, pullLayerSize: 64 << 20,
		pushes: 8, pushLayers: 4, pushLayerSize: 64 << 20, smallVUs: 20, smallDuration: 10 * time.Second},
	// A check that every row works, in about a minute.
	"smoke": {concurrency: 4, pulls: 8, pullLayers: 4, pullLayerSize: 4 << 20,
		pushes: 4, pushLayers: 4, pushLayerSize: 4 << 20, smallVUs: 20, smallDuration: 2 * time.Second},
}

// loadConfig reads BENCH_SCALE (full or smoke) and the variables that
// override its figures; getenv is os.Getenv.
func loadConfig(getenv func(string) string) (config, error) {
	name := getenv("BENCH_SCALE")
	if name == "" {
		name = "full"
	}
	c, ok := scales[name]
	if !ok {
		return config{}, fmt.Errorf("BENCH_SCALE=%q: want full or smoke", name)
	}
	c.scale = name
	c.rowTimeout = 20 * time.Minute
	ints := []struct {
		name string
		dst  *int
	}{
		{"BENCH_CONCURRENCY", &c.concurrency}, {"BENCH_PULLS", &c.pulls}, {"BENCH_PULL_LAYERS", &c.pullLayers},
		{"BENCH_PUSHES", &c.pushes}, {"BENCH_PUSH_LAYERS", &c.pushLayers}, {"BENCH_SMALL_VUS", &c.smallVUs},
	}
	for _, v := range ints {
		if s := getenv(v.name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > 10000 {
				return config{}, fmt.Errorf("%s=%q: want a whole number from 1 to 10000", v.name, s)
			}
			*v.dst = n
		}
	}
	sizes := []struct {
		name string
		dst  *int64
	}{{"BENCH_PULL_LAYER_SIZE", &c.pullLayerSize}, {"BENCH_PUSH_LAYER_SIZE", &c.pushLayerSize}}
	for _, v := range sizes {
		if s := getenv(v.name); s != "" {
			n, err := parseSize(s)
			if err != nil {
				return config{}, fmt.Errorf("%s: %w", v.name, err)
			}
			*v.dst = n
		}
	}
	durations := []struct {
		name string
		dst  *time.Duration
	}{{"BENCH_SMALL_DURATION", &c.smallDuration}, {"BENCH_ROW_TIMEOUT", &c.rowTimeout}}
	for _, v := range durations {
		if s := getenv(v.name); s != "" {
			d, err := time.ParseDuration(s)
			if err != nil || d < time.Second || d > 2*time.Hour {
				return config{}, fmt.Errorf("%s=%q: want a duration from 1s to 2h, such as 10s", v.name, s)
			}
			*v.dst = d
		}
	}
	// curl's small-request loops count whole seconds.
	c.smallDuration = c.smallDuration.Round(time.Second)
	if s := getenv("BENCH_ONLY"); s != "" {
		re, err := regexp.Compile(s)
		if err != nil {
			return config{}, fmt.Errorf("BENCH_ONLY=%q: %w", s, err)
		}
		c.only = re
	}
	return c, nil
}

// parseSize reads a byte count: a number, or one with KiB, MiB or GiB. It
// must be a multiple of 512 of at least 4 KiB: a layer is a tar of one file.
func parseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		factor int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"", 1}}
	for _, u := range units {
		digits, ok := strings.CutSuffix(s, u.suffix)
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(digits, 10, 64)
		if err != nil || n < 1 || n > (64<<30)/u.factor {
			break
		}
		n *= u.factor
		if n < 4<<10 || n%512 != 0 {
			return 0, fmt.Errorf("%q: want a multiple of 512 bytes from 4KiB up", s)
		}
		return n, nil
	}
	return 0, fmt.Errorf("%q: want a size such as 64MiB, 512KiB or 1048576", s)
}
