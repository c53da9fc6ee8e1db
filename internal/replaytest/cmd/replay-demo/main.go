// Command replay-demo runs the replay loop and prints its figures: the
// six-client workload on a source registry with its request log on, its
// plans with and without the source's storage, each replayed by k6 on a
// fresh registry with the fidelity report, then the storage plan again at
// each speed of -speeds with the p95 of registry_replay_lag:
//
//	replay-demo [-speeds 1,2,4,8] [-k6 bin/k6] [-out DIR]
//
// The figures depend on the machine; make replay-demo runs it.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
	"github.com/xk6-registry/xk6-registry/internal/replaytest"
	"github.com/xk6-registry/xk6-registry/replay"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "replay-demo:", err)
		os.Exit(1)
	}
}

func run() error {
	speeds := flag.String("speeds", "1,2,4,8", "speeds to measure the lag at")
	k6 := flag.String("k6", "bin/k6", "k6 built with the extension")
	out := flag.String("out", "", "directory for the logs and plans; a temporary one when empty")
	flag.Parse()
	dir := *out
	var err error
	if dir == "" {
		dir, err = os.MkdirTemp("", "replay-demo-")
	} else {
		err = os.MkdirAll(dir, 0o750)
	}
	if err != nil {
		return err
	}
	fmt.Println("logs and plans in", dir)
	src, reqs, err := source(dir)
	if err != nil {
		return err
	}
	defer src.Close()
	st, err := replay.OpenStorage(src.Dir)
	if err != nil {
		return err
	}
	defer st.Close()
	formats := []replay.Format{replay.FormatJSON, replay.FormatCombined}
	plans := map[string]*replay.Plan{}
	for name, storage := range map[string]*replay.Storage{"storage": st, "log-only": nil} {
		if plans[name], err = replay.Build(reqs, replay.PlanOptions{Storage: storage, Formats: formats}); err != nil {
			return err
		}
	}
	source := withoutUnmapped(reqs)
	for _, name := range []string{"storage", "log-only"} {
		targets := replay.TargetsWithStorage
		if name == "log-only" {
			targets = replay.TargetsLogOnly
		}
		fmt.Printf("\n== plan %s: %d steps for %d requests, %d blob sizes estimated\n", name, len(plans[name].Steps), plans[name].Requests(), plans[name].Source.EstimatedSizes)
		fid, lag, err := replayOnce(*k6, dir, name, plans[name], source, src.Dir, 1, targets)
		if err != nil {
			return err
		}
		if err := fid.Write(os.Stdout, targets); err != nil {
			return err
		}
		fmt.Printf("registry_replay_lag p(95) at SPEED=1: %.1f ms\n", lag)
	}
	fmt.Println("\n== registry_replay_lag by SPEED (storage plan)")
	fmt.Println("speed  lag p(95)  correlation  mismatches  verdict")
	best := 0.0
	for _, s := range strings.Split(*speeds, ",") {
		speed, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return fmt.Errorf("-speeds: %w", err)
		}
		fid, lag, err := replayOnce(*k6, dir, fmt.Sprintf("speed-%g", speed), plans["storage"], source, src.Dir, speed, replay.TargetsWithStorage)
		if err != nil {
			return err
		}
		verdict := "faithful"
		if len(fid.Failures) > 0 {
			verdict = strings.Join(fid.Failures, "; ")
		}
		fmt.Printf("%5g  %6.1f ms  %11.3f  %10d  %s\n", speed, lag, fid.Correlation, fid.Mismatches, verdict)
		if lag < 50 && speed > best {
			best = speed
		}
	}
	fmt.Printf("highest speed measured with lag p(95) under 50 ms: %g\n", best)
	return nil
}

// source runs the workload on a registry with its logs on and returns the
// trace: the requests after the seed, the access log's merged in.
func source(dir string) (*registrytest.Registry, []replay.Request, error) {
	reg, err := registrytest.Launch(registrytest.Options{Auth: registrytest.AuthHtpasswd, RequestLog: true})
	if err != nil {
		return nil, nil, err
	}
	ctx := context.Background()
	target := replaytest.Registry{URL: reg.URL, Username: reg.Username, Password: reg.Password}
	var counter replaytest.Counter
	if err := replaytest.Seed(ctx, target, &counter); err != nil {
		return reg, nil, err
	}
	if err := reg.WaitLogged(counter.N() + 1); err != nil {
		return reg, nil, err
	}
	offsets := map[string]int64{}
	for _, p := range []string{reg.RequestLog, reg.AccessLog} {
		st, err := os.Stat(p)
		if err != nil {
			return reg, nil, err
		}
		offsets[p] = st.Size()
	}
	fmt.Println("source: running the six-client workload (about 15 s)")
	if _, err := replaytest.Run(ctx, target, &counter); err != nil {
		return reg, nil, err
	}
	if err := reg.WaitLogged(counter.N() + 1); err != nil {
		return reg, nil, err
	}
	var logs []*replay.Log
	for p, format := range map[string]replay.Format{reg.RequestLog: replay.FormatJSON, reg.AccessLog: replay.FormatCombined} {
		raw, err := os.ReadFile(p) // #nosec G304 -- the harness's own log
		if err != nil {
			return reg, nil, err
		}
		cut := filepath.Join(dir, "source-"+filepath.Base(p))
		if err := os.WriteFile(cut, raw[offsets[p]:], 0o600); err != nil {
			return reg, nil, err
		}
		lg, err := replay.ReadLogFile(cut, format)
		if err != nil {
			return reg, nil, err
		}
		logs = append(logs, lg)
	}
	return reg, replay.Merge(logs...), nil
}

func withoutUnmapped(reqs []replay.Request) []replay.Request {
	var out []replay.Request
	for _, r := range reqs {
		if r.Status != 401 && r.Route.Kind != replay.RouteUnknown {
			out = append(out, r)
		}
	}
	return out
}

// replayOnce replays a plan with k6 on a fresh registry and compares.
func replayOnce(k6, dir, name string, plan *replay.Plan, source []replay.Request, sourceStorage string, speed float64, targets replay.Targets) (*replay.Fidelity, float64, error) {
	planPath := filepath.Join(dir, "plan-"+name+".json")
	f, err := os.Create(planPath) // #nosec G304 -- a file of the demo's own directory
	if err != nil {
		return nil, 0, err
	}
	if err := errors.Join(plan.Write(f), f.Close()); err != nil {
		return nil, 0, err
	}
	target, err := registrytest.Launch(registrytest.Options{RequestLog: true})
	if err != nil {
		return nil, 0, err
	}
	defer target.Close()
	summary := filepath.Join(dir, "summary-"+name+".json")
	// #nosec G204 -- the k6 the make target built
	cmd := exec.Command(k6, "run", "--no-color", "--quiet", "--summary-export", summary,
		"-e", "PLAN="+planPath, "-e", "REGISTRY_URL="+target.URL, "-e", "SPEED="+strconv.FormatFloat(speed, 'g', -1, 64),
		"-e", fmt.Sprintf("MISMATCHES=%d", plan.Source.Races), "examples/replay.js")
	cmd.Env = append(os.Environ(), "K6_NO_USAGE_REPORT=true")
	output, err := cmd.CombinedOutput()
	if err != nil {
		return nil, 0, fmt.Errorf("k6 run %s: %w\n%s", name, err, output)
	}
	lag, err := lagP95(summary)
	if err != nil {
		return nil, 0, fmt.Errorf("%w\nk6 said:\n%s", err, output)
	}
	raw, err := os.ReadFile(target.AccessLog) // #nosec G304 -- the harness's own log
	if err != nil {
		return nil, 0, err
	}
	if err := target.WaitLogged(strings.Count(string(raw), "\n")); err != nil {
		return nil, 0, err
	}
	got, err := replay.ReadLogFile(target.RequestLog, replay.FormatJSON)
	if err != nil {
		return nil, 0, err
	}
	fid, err := replay.Compare(source, got.Requests, replay.CompareOptions{Speed: speed, SourceStorage: sourceStorage, TargetStorage: target.Dir, Targets: targets})
	return fid, lag, err
}

func lagP95(summary string) (float64, error) {
	raw, err := os.ReadFile(summary) // #nosec G304 -- the summary k6 wrote for us
	if err != nil {
		return 0, err
	}
	var s struct {
		Metrics map[string]map[string]any `json:"metrics"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return 0, fmt.Errorf("%s: %w", summary, err)
	}
	lag, ok := s.Metrics["registry_replay_lag"]["p(95)"].(float64)
	if !ok {
		return 0, fmt.Errorf("%s: no registry_replay_lag p(95)", summary)
	}
	return lag, nil
}
