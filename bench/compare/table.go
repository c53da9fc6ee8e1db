package main

import (
	"fmt"
	"io"
	"strings"
)

// result is a row as measured.
type result struct {
	row
	usage
	requests int64 // counted by the tool (k6 scripts, curl small-request loops)
	http2    int64 // of them, over HTTP/2 (k6 scripts)
	err      error
}

// units is the row's work in its unit: GB (10^9 bytes) or thousands of requests.
func (r result) units() float64 {
	if r.unit == perGB {
		return float64(r.bytes) / 1e9
	}
	return float64(r.requests) / 1000
}

func (r result) cpuPerUnit() float64  { return r.cpu() / r.units() }
func (r result) timePerUnit() float64 { return r.wall / r.units() }

var tableHeader = []string{"workload", "tool", "work", "wall s", "CPU s", "CPU per unit",
	"peak RSS MiB", "tree PSS MiB", "CPU vs curl", "time vs curl"}

// writeTable prints results as a Markdown table, each compared with its
// workload's curl row.
func writeTable(w io.Writer, results []result) {
	baselines := map[string]result{}
	for _, r := range results {
		if r.baseline && r.err == nil {
			baselines[r.workload] = r
		}
	}
	cells := [][]string{tableHeader}
	for _, r := range results {
		cells = append(cells, cellsOf(r, baselines))
	}
	widths := make([]int, len(tableHeader))
	for _, line := range cells {
		for i, c := range line {
			widths[i] = max(widths[i], len(c))
		}
	}
	for n, line := range cells {
		writeLine(w, line, widths)
		if n == 0 {
			rule := make([]string, len(widths))
			for i, wd := range widths {
				rule[i] = strings.Repeat("-", wd)
			}
			writeLine(w, rule, widths)
		}
	}
}

func writeLine(w io.Writer, line []string, widths []int) {
	var b strings.Builder
	for i, c := range line {
		fmt.Fprintf(&b, "| %-*s ", widths[i], c)
	}
	fmt.Fprintln(w, b.String()+"|")
}

func cellsOf(r result, baselines map[string]result) []string {
	if r.err != nil {
		msg, _, _ := strings.Cut(r.err.Error(), "\n")
		if len(msg) > 80 {
			msg = msg[:80] + "..."
		}
		return []string{r.workload, r.tool, "FAILED: " + msg, "", "", "", "", "", "", ""}
	}
	if r.units() == 0 {
		return []string{r.workload, r.tool, "FAILED: no requests counted", "", "", "", "", "", "", ""}
	}
	var work, perUnit string
	if r.unit == perGB {
		work = fmt.Sprintf("%.2f GB, %.0f MB/s", r.units(), r.units()*1000/r.wall)
		perUnit = fmt.Sprintf("%.3f s/GB", r.cpuPerUnit())
	} else {
		work = fmt.Sprintf("%d req, %.0f/s", r.requests, float64(r.requests)/r.wall)
		perUnit = fmt.Sprintf("%.3f s/1k req", r.cpuPerUnit())
	}
	cpuRatio, timeRatio := "-", "-"
	if base, ok := baselines[r.workload]; ok && base.units() > 0 {
		cpuRatio = fmt.Sprintf("%.2f", r.cpuPerUnit()/base.cpuPerUnit())
		timeRatio = fmt.Sprintf("%.2f", r.timePerUnit()/base.timePerUnit())
	}
	return []string{r.workload, r.tool, work,
		fmt.Sprintf("%.2f", r.wall), fmt.Sprintf("%.2f", r.cpu()), perUnit,
		fmt.Sprintf("%.0f", float64(r.maxRSS)/1024), fmt.Sprintf("%.0f", float64(r.peakPSS)/1024),
		cpuRatio, timeRatio}
}

// A target is a ratio of two rows' CPU per unit that should stay under a
// limit: the performance goals of generated and loaded pushes, pulls and
// small requests against the tools they replace.
type target struct {
	what  string
	num   []rowKey // summed
	den   []rowKey // summed
	limit float64
}

type rowKey struct{ workload, tool string }

var targets = []target{
	{"fresh push / tarball push, stream (xk6-registry)", keys("push fresh, stream", "xk6-registry"), keys("push tar, stream", "xk6-registry"), 2.2},
	{"fresh push / tarball push, monolithic (xk6-registry)", keys("push fresh, monolithic", "xk6-registry"), keys("push tar, monolithic", "xk6-registry"), 2.2},
	{"tarball push, stream: xk6-registry / curl", keys("push tar, stream", "xk6-registry"), keys("push tar, stream", "curl"), 0.7},
	{"tarball push, monolithic: xk6-registry / curl", keys("push tar, monolithic", "xk6-registry"), keys("push tar, monolithic", "curl"), 0.7},
	{"tarball push, stream: xk6-registry / crane push", keys("push tar, stream", "xk6-registry"), keys("push tar, stream", "crane push"), 0.5},
	{"pull, no verify: xk6-registry / k6/http", keys("pull, no verify", "xk6-registry"), keys("pull, no verify", "k6/http"), 1.1},
	{"pull, no verify: xk6-registry / curl", keys("pull, no verify", "xk6-registry"), keys("pull, no verify", "curl -o /dev/null"), 1.1},
	{"pull, verify: xk6-registry / (curl, no verify + sha256 alone)", keys("pull, verify", "xk6-registry"),
		append(keys("pull, no verify", "curl -o /dev/null"), keys("sha256 of the pulled bytes", "sha256 alone")...), 1.1},
	{"HEAD manifest: xk6-registry / k6/http", keys("HEAD manifest", "xk6-registry"), keys("HEAD manifest", "k6/http"), 1.1},
	{"GET manifest: xk6-registry / k6/http", keys("GET manifest", "xk6-registry"), keys("GET manifest", "k6/http"), 1.0},
	{"pull 4 KiB image: xk6-registry / k6/http + k6/crypto", keys("pull 4 KiB image, verify", "xk6-registry"), keys("pull 4 KiB image, verify", "k6/http + k6/crypto"), 1.1},
}

func init() {
	// Against the plain Go client, reading 128 KiB (and hashing).
	for _, w := range []string{"", "nginx: "} {
		for _, p := range []string{"", " over TLS HTTP/1.1", " over TLS HTTP/2"} {
			if w == "" && p != "" {
				continue // the registry's TLS rows have no Go yardstick
			}
			pull := w + "pull" + p
			targets = append(targets,
				target{pull + ", no verify: xk6-registry / Go net/http", keys(pull+", no verify", "xk6-registry"), keys(pull+", no verify", goTool), 1.15},
				target{pull + ", verify: xk6-registry / Go net/http + sha256", keys(pull+", verify", "xk6-registry"), keys(pull+", verify", goVerifyTool), 1.05})
		}
	}
	targets = append(targets,
		target{"nginx: push tar, stream: xk6-registry / crane push", keys("nginx: push tar, stream", "xk6-registry"), keys("nginx: push tar, stream", "crane push"), 1.4},
		target{"nginx: push tar over TLS HTTP/1.1, stream: xk6-registry / crane push", keys("nginx: push tar over TLS HTTP/1.1, stream", "xk6-registry"),
			keys("nginx: push tar over TLS HTTP/1.1, stream", "crane push"), 1.2},
		target{"nginx: push fresh, stream: xk6-registry / (generate alone + iperf3 send)", keys("nginx: push fresh, stream", "xk6-registry"),
			append(keys("generate, in memory", "registry.generate"), keys("loopback TCP, send", "iperf3")...), 1.2},
	)
}

func keys(workload, tool string) []rowKey { return []rowKey{{workload, tool}} }

// writeTargets prints each target's ratio from this run, and whether it
// holds; a target whose rows did not all run is left out.
func writeTargets(w io.Writer, results []result) {
	perUnit := func(k rowKey) (float64, bool) {
		for _, r := range results {
			if r.workload == k.workload && strings.HasPrefix(r.tool, k.tool) && r.err == nil && r.units() > 0 {
				return r.cpuPerUnit(), true
			}
		}
		return 0, false
	}
	sum := func(ks []rowKey) (float64, bool) {
		total := 0.0
		for _, k := range ks {
			v, ok := perUnit(k)
			if !ok {
				return 0, false
			}
			total += v
		}
		return total, true
	}
	fmt.Fprintln(w, "| target: client CPU per unit, same run | ratio | limit | holds |")
	fmt.Fprintln(w, "| --- | --- | --- | --- |")
	for _, t := range targets {
		num, okNum := sum(t.num)
		den, okDen := sum(t.den)
		if !okNum || !okDen || den == 0 {
			continue
		}
		ratio := num / den
		holds := "yes"
		if ratio > t.limit {
			holds = "NO"
		}
		fmt.Fprintf(w, "| %s | %.2f | %g | %s |\n", t.what, ratio, t.limit, holds)
	}
}
