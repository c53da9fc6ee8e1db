package report

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	dassets "github.com/grafana/xk6-dashboard-assets"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tool finds a program the Makefile installs: the path in env, else
// fallback. Without it the test is skipped on a developer's machine and
// fails in CI.
func tool(t *testing.T, env, fallback, how string) string {
	t.Helper()
	p := os.Getenv(env)
	if p == "" {
		p = fallback
	}
	if _, err := os.Stat(p); err == nil {
		abs, err := filepath.Abs(p)
		require.NoError(t, err)
		return abs
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("no %s at %s: %s", env, p, how)
	}
	t.Skipf("no %s at %s: %s", env, p, how)
	return ""
}

func read(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return data
}

// A chart of the report's Registry tab, and the legend labels of the series
// that must show a value above zero somewhere along the run.
type chartWant struct {
	title  string
	series []string
}

// A table of the Registry tab: rows (by their metric column) whose column
// must hold a value above zero, or exactly text when it is set.
type tableWant struct {
	caption string
	column  string
	rows    map[string]string
}

// The run of examples/report.js `make report` does: scripts/report.sh,
// against a fresh registry. The report is opened in headless Chromium,
// and every registry panel must be there with data from the run; the same
// data under k6's default layout must fail the same checks.
func TestReportShowsTheRegistrysMetrics(t *testing.T) {
	if testing.Short() {
		t.Skip("starts k6 and a browser: not in -short")
	}
	t.Parallel()
	chromium := tool(t, "CHROMIUM_BIN", "/usr/bin/chromium", "make tools installs Debian's")
	k6 := tool(t, "K6_BIN", "../../bin/k6", "make build makes it")
	// The registry the tests use, started by the command make report uses.
	withRegistry := tool(t, "WITH_REGISTRY_BIN", "../../bin/with-registry", "make bin/with-registry builds it")
	registryBin := tool(t, "REGISTRY_BIN", "../../bin/registry", "make tools installs it")
	dir := t.TempDir()
	report, summary := filepath.Join(dir, "report.html"), filepath.Join(dir, "summary.json")
	sh, err := filepath.Abs("../../scripts/report.sh")
	require.NoError(t, err)
	script, err := filepath.Abs("../../examples/report.js")
	require.NoError(t, err)

	// -metrics: the registry's debug server, for the Client and server section.
	cmd := exec.Command(withRegistry, "-metrics", "--", sh, script, report)
	cmd.Dir = dir // no .dashboard.json here: the layout is the one report.sh names
	cmd.Env = append(environWithout("REGISTRY_", "XK6_DASHBOARD_CONFIG", "K6_WEB_DASHBOARD"),
		"K6_BIN="+k6, "REGISTRY_BIN="+registryBin, "VUS=4", "DURATION=4s", "K6_NO_USAGE_REPORT=true", "K6_SUMMARY_EXPORT="+summary,
		"SLO=off") // the latency thresholds measure this shared machine, not the report
	output, err := cmd.CombinedOutput()
	require.NoError(t, err, "scripts/report.sh:\n%s", output)
	assert.Regexp(t, `web dashboard: http://127\.0\.0\.1:\d+`, string(output), "the dashboard's server listens on loopback only")

	// The report carries the checked-in layout.
	layout, err := os.ReadFile("../../report/dashboard.json")
	require.NoError(t, err)
	events := reportEvents(t, read(t, report))
	require.JSONEq(t, `"config"`, string(events[0]["event"]), "the first event is the layout")
	assert.JSONEq(t, string(layout), string(events[0]["data"]), "the report's layout is report/dashboard.json")

	errorsCounted := summaryCount(t, summary, "registry_errors")
	require.Positive(t, errorsCounted, "the run looked up a missing build cache: registry_errors counts it")
	charts, tables := registryPanels(errorsCounted)

	ctx := newBrowser(t, chromium)
	problems := checkReport(ctx, t, "file://"+report, charts, tables)
	assert.Empty(t, problems, "the report's registry panels")

	shot := os.Getenv("REPORT_SCREENSHOT")
	if shot == "" {
		shot = filepath.Join(t.TempDir(), "report.png")
	}
	// The cursor mid-run on the first registry chart: every chart's legend
	// then reads its values at that moment.
	var r rect
	var png []byte
	require.NoError(t, chromedp.Run(ctx, chromedp.Evaluate(call("aim", charts[0].title), &r)))
	require.NoError(t, chromedp.Run(ctx,
		chromedp.MouseEvent(input.MouseMoved, r.X+r.Width/2, r.Y+r.Height/2),
		chromedp.FullScreenshot(&png, 100)))
	require.NoError(t, os.WriteFile(shot, png, 0o644)) // for a human to look at
	t.Logf("screenshot of the report: %s", shot)

	// The same run's data laid out by k6's default config has none of it.
	events[0]["data"] = dassets.Config()
	control := filepath.Join(dir, "default-layout.html")
	require.NoError(t, os.WriteFile(control, withEvents(t, read(t, report), events), 0o600))
	missing := checkReport(ctx, t, "file://"+control, charts, tables)
	assert.Len(t, missing, len(charts)+len(tables), "k6's default layout shows no registry panel: %v", missing)
}

// registryPanels is what the run of examples/report.js must show: pulls,
// pushes, throughput both ways, its build cache misses by code, the
// requests of both by registry_op, and beside the client's durations the
// registry's own, with its storage calls.
func registryPanels(errorsCounted int) ([]chartWant, []tableWant) {
	trend := []string{"avg", "p90", "p95", "p99"}
	charts := []chartWant{
		{"Pull duration", trend},
		{"Push duration", trend},
		{"Blob upload duration", trend},
		{"Blob throughput, push", []string{"avg", "med", "p90", "p95"}},
		{"Blob throughput, pull", []string{"avg", "med", "p90", "p95"}},
		{"Errors by registry_error_code", []string{"registry_errors{registry_error_code:MANIFEST_UNKNOWN}"}},
		{"Errors by registry_op", []string{"registry_errors{registry_op:manifest_get}"}},
		{"Failed requests by registry_op", []string{"http_req_failed{registry_op:manifest_get}"}},
	}
	ops := []string{"manifest_get", "blob_get", "upload_start", "upload_chunk", "upload_complete", "manifest_put"}
	rates := chartWant{title: "Request rate by registry_op"}
	durations := tableWant{caption: "Request duration by registry_op", column: "avg", rows: map[string]string{}}
	for _, op := range ops {
		charts = append(charts, chartWant{op + " duration", trend})
		rates.series = append(rates.series, "http_reqs{registry_op:"+op+"}")
		durations.rows["http_req_duration{registry_op:"+op+"}"] = ""
	}
	charts = append(charts, rates)
	for _, op := range []string{"manifest_get", "blob_get", "upload_complete", "manifest_put"} {
		charts = append(charts, chartWant{op + ": client and server", []string{"client", "server"}})
	}
	served := chartWant{title: "Server requests by registry_op"}
	sides := tableWant{caption: "Client and server duration by registry_op", column: "avg", rows: map[string]string{}}
	for _, op := range ops {
		served.series = append(served.series, "registry_server_requests{registry_op:"+op+"}")
		sides.rows["http_req_duration{registry_op:"+op+"}"] = ""
		sides.rows["registry_server_request_duration{registry_op:"+op+"}"] = ""
	}
	charts = append(charts, served,
		chartWant{"Storage calls per API call", []string{"avg", "max"}},
		chartWant{"Storage calls by action", []string{
			"registry_server_storage_actions{action:GetContent}", "registry_server_storage_actions{action:PutContent}",
			"registry_server_storage_actions{action:Stat}",
		}},
	)

	// The dashboard writes counts below 1000 as they are, 1234 as 1.2k.
	count := ""
	if errorsCounted < 1000 {
		count = strconv.Itoa(errorsCounted)
	}
	tables := []tableWant{
		{caption: "Registry trends", column: "avg", rows: map[string]string{
			"registry_pull_duration": "", "registry_push_duration": "", "registry_upload_duration": "",
			"registry_blob_throughput{direction:push}": "", "registry_blob_throughput{direction:pull}": "",
		}},
		{caption: "Errors and retries", column: "count", rows: map[string]string{
			"registry_errors": count, "registry_errors{registry_error_code:MANIFEST_UNKNOWN}": count,
			"registry_errors{registry_op:manifest_get}": count,
		}},
		durations,
		sides,
	}
	return charts, tables
}

// newBrowser starts headless Chromium with nothing of its own to fetch:
// this machine's network is closed and loopback is all a test may use.
func newBrowser(t *testing.T, chromium string) context.Context {
	t.Helper()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	})
	require.NoError(t, chromedp.Run(ctx, chromedp.EmulateViewport(1400, 1000)), "starting %s", chromium)
	return ctx
}

// pageHelpers find a panel of the Registry tab by its title and read it.
const pageHelpers = `window.__report = {
  chart(title) {
    const tab = document.getElementById("registry");
    const h = tab && [...tab.querySelectorAll("h4")].find((e) => e.textContent.trim() === title);
    return h ? h.parentElement : null;
  },
  describe(title) {
    const box = this.chart(title);
    if (!box) return null;
    return {
      noData: [...box.querySelectorAll("p")].some((p) => p.textContent.trim() === "no data"),
      labels: [...box.querySelectorAll(".u-legend .u-series .u-label")].map((e) => e.textContent.trim()),
    };
  },
  aim(title) {
    const over = this.chart(title).querySelector(".u-over");
    over.scrollIntoView({ block: "center" });
    const r = over.getBoundingClientRect();
    return { x: r.left, y: r.top, width: r.width, height: r.height };
  },
  legend(title) {
    return [...this.chart(title).querySelectorAll(".u-legend .u-series")].map((row) => [
      row.querySelector(".u-label").textContent.trim(),
      row.querySelector(".u-value").textContent.trim(),
    ]);
  },
  table(caption) {
    const tab = document.getElementById("registry");
    const c = tab && [...tab.querySelectorAll("caption")].find((e) => e.textContent.trim() === caption);
    if (!c) return null;
    const rows = [...c.closest("table").querySelectorAll("tr")];
    return rows.map((tr) => [...tr.children].map((cell) => cell.textContent.trim()));
  },
};
true`

type chartInfo struct {
	NoData bool     `json:"noData"`
	Labels []string `json:"labels"`
}

type rect struct {
	X, Y, Width, Height float64
}

// checkReport loads a report and says what is wrong with each panel.
func checkReport(ctx context.Context, t *testing.T, url string, charts []chartWant, tables []tableWant) []string {
	t.Helper()
	// The page renders every panel at once when its data is decoded; each
	// chart then builds its uPlot. Wait for all of them.
	var ok bool
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Navigate(url),
		chromedp.WaitVisible("main h2", chromedp.ByQuery),
		chromedp.Poll(`[...document.querySelectorAll("h4")].every((h) => h.parentElement.querySelector(".u-over"))`,
			&ok, chromedp.WithPollingTimeout(30*time.Second)),
		chromedp.Evaluate(pageHelpers, &ok),
	), "loading %s", url)

	var problems []string
	for _, want := range charts {
		if p := checkChart(ctx, t, want); p != "" {
			problems = append(problems, p)
		}
	}
	for _, want := range tables {
		if p := checkTable(ctx, t, want); p != "" {
			problems = append(problems, p)
		}
	}
	return problems
}

// checkChart moves the mouse across the chart, as a reader does, and
// collects what its legend says at each point: every wanted series must
// show a number above zero somewhere.
func checkChart(ctx context.Context, t *testing.T, want chartWant) string {
	t.Helper()
	var info *chartInfo
	require.NoError(t, chromedp.Run(ctx, chromedp.Evaluate(call("describe", want.title), &info)))
	switch {
	case info == nil:
		return fmt.Sprintf("chart %q is not in the report's Registry tab", want.title)
	case info.NoData:
		return fmt.Sprintf("chart %q says no data", want.title)
	}
	for _, s := range want.series {
		if !contains(info.Labels, s) {
			return fmt.Sprintf("chart %q has no series %q; its legend: %v", want.title, s, info.Labels)
		}
	}

	seen := map[string][]string{}
	positive := map[string]bool{}
	done := func() bool {
		for _, s := range want.series {
			if !positive[s] {
				return false
			}
		}
		return true
	}
	const steps = 24
	deadline := time.Now().Add(10 * time.Second)
	for !done() && time.Now().Before(deadline) {
		var r rect
		require.NoError(t, chromedp.Run(ctx, chromedp.Evaluate(call("aim", want.title), &r)))
		for i := 1; i < steps && !done(); i++ {
			var legend [][2]string
			require.NoError(t, chromedp.Run(ctx,
				chromedp.MouseEvent(input.MouseMoved, r.X+r.Width*float64(i)/steps, r.Y+r.Height/2),
				chromedp.Evaluate(call("legend", want.title), &legend)))
			if len(legend) == 0 {
				return fmt.Sprintf("chart %q has no legend", want.title)
			}
			for _, row := range legend[1:] { // the first row is the time
				label, value := row[0], row[1]
				seen[label] = append(seen[label], value)
				if above0(value) {
					positive[label] = true
				}
			}
		}
	}
	for _, s := range want.series {
		if !positive[s] {
			return fmt.Sprintf("chart %q: series %q shows no value above 0 along the run; its legend read %v", want.title, s, seen[s])
		}
	}
	return ""
}

func checkTable(ctx context.Context, t *testing.T, want tableWant) string {
	t.Helper()
	var cells [][]string
	require.NoError(t, chromedp.Run(ctx, chromedp.Evaluate(call("table", want.caption), &cells)))
	if len(cells) == 0 {
		return fmt.Sprintf("table %q is not in the report's Registry tab", want.caption)
	}
	col := -1
	for i, h := range cells[0] {
		if h == want.column {
			col = i
		}
	}
	if col < 0 {
		return fmt.Sprintf("table %q has no column %q: %v", want.caption, want.column, cells[0])
	}
	rows := map[string]string{}
	for _, row := range cells[1:] {
		if len(row) > col {
			rows[row[0]] = row[col]
		}
	}
	for name, exact := range want.rows {
		got, ok := rows[name]
		switch {
		case !ok:
			return fmt.Sprintf("table %q has no row %q: %v", want.caption, name, cells)
		case exact != "" && got != exact:
			return fmt.Sprintf("table %q: %s %s is %q; k6 counted %s", want.caption, name, want.column, got, exact)
		case !above0(got):
			return fmt.Sprintf("table %q: %s %s is %q, not above 0", want.caption, name, want.column, got)
		}
	}
	return ""
}

// environWithout is this process's environment less the variables named
// by these prefixes.
func environWithout(prefixes ...string) []string {
	var env []string
next:
	for _, kv := range os.Environ() {
		for _, p := range prefixes {
			if strings.HasPrefix(kv, p) {
				continue next
			}
		}
		env = append(env, kv)
	}
	return env
}

func call(fn, arg string) string {
	quoted, _ := json.Marshal(arg)
	return fmt.Sprintf("window.__report.%s(%s)", fn, quoted)
}

// A legend or table value as the dashboard formats it: "52.4ms", "1.2s",
// "25.3m/s", "2.4%", "29"; "--" where a series has no point, "0/s" for none.
var leadingNumber = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?`)

func above0(value string) bool {
	n, err := strconv.ParseFloat(leadingNumber.FindString(value), 64)
	return err == nil && n > 0
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// The report keeps the dashboard's events, gzipped and base64-encoded, in
// one script element: the layout (config) first, then the run's samples.
const dataTag = `<script id="data" type="application/json; charset=utf-8; gzip; base64">`

func dataBounds(t *testing.T, html []byte) (start, end int) {
	t.Helper()
	start = bytes.Index(html, []byte(dataTag))
	require.GreaterOrEqual(t, start, 0, "the report has no data element")
	start += len(dataTag)
	end = bytes.Index(html[start:], []byte("</script>"))
	require.GreaterOrEqual(t, end, 0)
	return start, start + end
}

func reportEvents(t *testing.T, html []byte) []map[string]json.RawMessage {
	t.Helper()
	start, end := dataBounds(t, html)
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(html[start:end])))
	require.NoError(t, err)
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	require.NoError(t, err)
	lines, err := io.ReadAll(zr)
	require.NoError(t, err)
	var events []map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(lines))
	for dec.More() {
		var e map[string]json.RawMessage
		require.NoError(t, dec.Decode(&e))
		events = append(events, e)
	}
	require.NotEmpty(t, events)
	return events
}

func withEvents(t *testing.T, html []byte, events []map[string]json.RawMessage) []byte {
	t.Helper()
	var lines bytes.Buffer
	zw := gzip.NewWriter(&lines)
	enc := json.NewEncoder(zw)
	for _, e := range events {
		require.NoError(t, enc.Encode(e))
	}
	require.NoError(t, zw.Close())
	start, end := dataBounds(t, html)
	out := append([]byte{}, html[:start]...)
	out = append(out, base64.StdEncoding.EncodeToString(lines.Bytes())...)
	return append(out, html[end:]...)
}

// summaryCount is a counter's count in k6's summary export.
func summaryCount(t *testing.T, path, metric string) int {
	t.Helper()
	var s struct {
		Metrics map[string]map[string]any `json:"metrics"`
	}
	require.NoError(t, json.Unmarshal(read(t, path), &s))
	n, ok := s.Metrics[metric]["count"].(float64)
	require.True(t, ok, "no count of %s in the summary export", metric)
	return int(n)
}
