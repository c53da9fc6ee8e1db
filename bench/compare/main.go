// Command compare runs every tool on the same workloads against one local
// distribution registry and prints one table: wall time, client CPU, peak
// memory, and ratios to curl doing the same work. `make bench-compare`
// installs what it needs and runs it from the module root.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
)

func main() {
	// A row of its own: the driver measures this process like any tool.
	if len(os.Args) > 1 && strings.HasPrefix(os.Args[1], "-") {
		var err error
		switch os.Args[1] {
		case hashFlag:
			if len(os.Args) != 4 {
				err = fmt.Errorf("%s BYTES CONCURRENCY", hashFlag)
			} else {
				err = hashRow(os.Args[2], os.Args[3])
			}
		case goPullFlag:
			err = goPullRow(os.Args[2:], os.Getenv)
		case generateFlag:
			err = generateRow(os.Args[2:])
		default:
			err = fmt.Errorf("unknown flag %s", os.Args[1])
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench-compare:", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-compare:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	cfg, err := loadConfig(os.Getenv)
	if err != nil {
		return err
	}
	bins, err := findBinaries(os.Getenv)
	if err != nil {
		return err
	}
	scripts, err := filepath.Abs("bench/compare")
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(scripts, "k6", "lib.js")); err != nil {
		return fmt.Errorf("run from the module root: %w", err)
	}
	work, err := os.MkdirTemp("", "bench-compare-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	s, cleanup, err := prepare(ctx, cfg, bins, scripts, work)
	defer cleanup()
	if err != nil {
		return err
	}

	rows := selected(plan(s), cfg)
	results := make([]result, 0, len(rows))
	for i, r := range rows {
		log("%d/%d %s: %s", i+1, len(rows), r.workload, r.tool)
		res := runRow(ctx, s, r, filepath.Join(work, "rows", r.slug(i)))
		if res.err != nil {
			log("  FAILED: %v", res.err)
		}
		results = append(results, res)
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}

	fmt.Printf("bench-compare, %s\n\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Printf("- machine: %s\n", machine())
	for _, v := range versions(bins) {
		fmt.Printf("- %s\n", v)
	}
	fmt.Printf("- %s\n\n", describe(cfg, s))
	writeTable(os.Stdout, results)
	fmt.Println()
	writeTargets(os.Stdout, results)
	for _, r := range results {
		if r.err != nil {
			return errors.New("some rows failed; see above")
		}
	}
	return nil
}

// prepare starts the registries (plain and TLS over the same storage),
// pushes the images the pull rows read, and writes the docker save tar.
func prepare(ctx context.Context, cfg config, bins binaries, scripts, work string) (setup, func(), error) {
	s := setup{cfg: cfg, scripts: scripts, k6: bins.k6, crane: bins.crane, pullRepo: "bench/pull", smallRepo: "bench/small"}
	var err error
	if s.self, err = os.Executable(); err != nil {
		return s, func() {}, err
	}
	var stops []func()
	cleanup := func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	storage := filepath.Join(work, "storage")
	if s.plain, err = registrytest.Launch(registrytest.Options{Storage: storage}); err != nil {
		return s, cleanup, fmt.Errorf("plain registry: %w", err)
	}
	stops = append(stops, func() { _ = s.plain.Close() })
	if s.tls, err = registrytest.Launch(registrytest.Options{Storage: storage, TLS: true}); err != nil {
		return s, cleanup, fmt.Errorf("TLS registry: %w", err)
	}
	stops = append(stops, func() { _ = s.tls.Close() })
	log("registries at %s and %s, storage in %s", s.plain.URL, s.tls.URL, storage)

	log("seeding %s:1 (%d x %s) and %s:1 (1 x 4 KiB)", s.pullRepo, cfg.pullLayers, mib(cfg.pullLayerSize), s.smallRepo)
	seed := job{argv: []string{bins.k6, "run", "--quiet", "--no-color", filepath.Join(scripts, "k6", "seed.js")},
		env: append(os.Environ(), "K6_NO_USAGE_REPORT=true", "REGISTRY_URL="+s.plain.URL, "PULL_REPO="+s.pullRepo,
			"SMALL_REPO="+s.smallRepo, "PULL_LAYERS="+strconv.Itoa(cfg.pullLayers),
			"PULL_LAYER_BYTES="+strconv.FormatInt(cfg.pullLayerSize, 10)),
		dir: filepath.Join(work, "seed"), timeout: cfg.rowTimeout}
	if err := os.MkdirAll(seed.dir, 0o750); err != nil {
		return s, cleanup, err
	}
	if _, err := measure(ctx, seed); err != nil {
		return s, cleanup, fmt.Errorf("seed: %w", err)
	}
	if s.pullBytes, err = imageBytes(ctx, s.plain.URL, s.pullRepo, "1"); err != nil {
		return s, cleanup, err
	}
	if s.smallBytes, err = imageBytes(ctx, s.plain.URL, s.smallRepo, "1"); err != nil {
		return s, cleanup, err
	}

	s.tarPath = filepath.Join(work, "app.tar")
	log("writing %s (%d x %s) and extracting it", s.tarPath, cfg.pushLayers, mib(cfg.pushLayerSize))
	if err := writeDockerSave(s.tarPath, cfg.pushLayers, cfg.pushLayerSize); err != nil {
		return s, cleanup, fmt.Errorf("docker save tar: %w", err)
	}
	s.layoutDir = filepath.Join(work, "app-layout")
	if err := extractTar(s.tarPath, s.layoutDir); err != nil {
		return s, cleanup, err
	}
	// curl writes fresh layers to files; in memory, so the disk is not what it measures.
	shm := "/dev/shm"
	if _, err := os.Stat(shm); err != nil {
		shm = work
	}
	if s.freshTmp, err = os.MkdirTemp(shm, "bench-compare-fresh-"); err != nil {
		return s, cleanup, err
	}
	stops = append(stops, func() { _ = os.RemoveAll(s.freshTmp) })
	s.tlsProtocol = tlsProtocols(ctx, bins, s.tls.URL, s.tls.Host, s.pullRepo)

	// nginx's files and sink, on tmpfs beside the fresh layers.
	nginxDir := filepath.Join(s.freshTmp, "nginx")
	log("nginx: %s:1 as files under %s, with an upload sink", s.pullRepo, nginxDir)
	var stopNginx func()
	s.nginx, stopNginx, err = startNginx(ctx, s, nginxDir)
	stops = append(stops, stopNginx)
	if err != nil {
		return s, cleanup, fmt.Errorf("nginx: %w", err)
	}
	s.nginxTLS2 = tlsProtocols(ctx, bins, s.nginx.tls2.URL, s.nginx.tls2.Host, s.pullRepo)
	return s, cleanup, nil
}

// runRow measures one row in its own directory and checks what it did.
func runRow(ctx context.Context, s setup, r row, dir string) result {
	res := result{row: r}
	if res.err = os.MkdirAll(dir, 0o750); res.err != nil {
		return res
	}
	// Dirty pages from the row before would be written back during this one.
	syncDisks()
	resultFile := filepath.Join(dir, "result.json")
	env := append(os.Environ(), "K6_NO_USAGE_REPORT=true", "BENCH_RESULT="+resultFile)
	env = append(env, r.env...)
	if r.before != nil {
		more, stop, err := r.before(ctx)
		defer stop()
		if err != nil {
			res.err = err
			return res
		}
		env = append(env, more...)
	}
	res.usage, res.err = measure(ctx, job{argv: r.argv, env: env, dir: dir, timeout: s.cfg.rowTimeout})
	if res.err != nil {
		return res
	}
	raw, err := os.ReadFile(resultFile) // #nosec G304 -- a result file the driver's k6 run wrote
	if errors.Is(err, os.ErrNotExist) && r.unit == perGB {
		return res // curl and crane bulk rows: their exit status says every blob came through
	}
	if err != nil {
		res.err = err
		return res
	}
	var figures struct {
		Requests      int64 `json:"requests"`
		HTTP2Requests int64 `json:"http2Requests"`
	}
	if err := json.Unmarshal(raw, &figures); err != nil {
		res.err = fmt.Errorf("%s: %w", resultFile, err)
		return res
	}
	res.requests, res.http2 = figures.Requests, figures.HTTP2Requests
	if res.http2 > 0 {
		res.tool += fmt.Sprintf(" (HTTP/2: %d of %d requests)", res.http2, res.requests)
	}
	return res
}

// describe states the workloads' sizes, for the table's header.
func describe(c config, s setup) string {
	return fmt.Sprintf("scale %s: pulls: %d of a %d x %s image (%s bytes with its config), %d at a time; "+
		"pushes: %d of %d x %s, %d at a time; small requests: %d VUs or curl loops for %s",
		c.scale, c.pulls, c.pullLayers, mib(c.pullLayerSize), strconv.FormatInt(s.pullBytes, 10), c.concurrency,
		c.pushes, c.pushLayers, mib(c.pushLayerSize), c.concurrency, c.smallVUs, c.smallDuration)
}

func mib(n int64) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d KiB", n>>10)
}

func log(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench-compare: "+format+"\n", args...)
}
