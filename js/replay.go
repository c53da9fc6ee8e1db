package js

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sync"
	"time"

	"github.com/grafana/sobek"
	"go.k6.io/k6/v2/metrics"

	"github.com/xk6-registry/xk6-registry/registry"
	"github.com/xk6-registry/xk6-registry/replay"
)

// Metrics of a replay.
const (
	metricReplayLag        = "registry_replay_lag"
	metricReplayMismatches = "registry_replay_mismatches"
)

// replayMetrics are a replay's metrics: how late each step started, and
// the steps whose status differed from the source's, tagged registry_op.
type replayMetrics struct {
	lag, mismatches *metrics.Metric
}

// replayer is what registry.replay() returns: a plan, shared by every VU of
// the process, and the client options its calls go out with.
type replayer struct {
	mi      *ModuleInstance
	plan    *replay.Plan
	opts    *clientOptions
	speed   float64
	until   float64
	metrics replayMetrics
}

// plans holds each plan parsed, by the SHA-256 of its bytes: every VU's
// init opens the same file, and one copy of the plan serves them all.
var plans sync.Map

// runs holds each run of a plan in this process, so the clients its VUs
// replay wait on each other's steps.
var (
	runsMu sync.Mutex
	runs   = map[runKey]*replay.Run{}
)

type runKey struct {
	plan         *replay.Plan
	start        int64
	speed, until float64
}

// replay is registry.replay(plan, clientOptions, { speed, until }): plan
// is what open(path) or open(path, "b") returned, in the init context, so
// k6 archive bundles the file.
func (mi *ModuleInstance) replay(call sobek.FunctionCall) sobek.Value {
	rt := mi.vu.Runtime()
	initEnv := mi.vu.InitEnv()
	if initEnv == nil {
		throw(rt, fmt.Errorf("replay: call it in the init context, with what open(plan) returned"))
	}
	var raw []byte
	switch v := call.Argument(0).Export().(type) {
	case string:
		raw = []byte(v)
	case sobek.ArrayBuffer:
		raw = v.Bytes()
	case []byte:
		raw = v
	default:
		throw(rt, fmt.Errorf("replay: want the plan as open(path) returns it, got %s", describe(call.Argument(0))))
	}
	plan, err := parsedPlan(raw)
	if err != nil {
		throw(rt, fmt.Errorf("replay: %w", err))
	}
	opts, err := parseClientOptions(rt, call.Argument(1))
	if err != nil {
		throw(rt, fmt.Errorf("replay: %w", err))
	}
	r := &replayer{mi: mi, plan: plan, opts: opts, speed: 1}
	o := newOptionReader(rt, "replay", call.Argument(2), "speed", "until")
	for key, dst := range map[string]*float64{"speed": &r.speed, "until": &r.until} {
		if v := o.get(key); v != nil {
			n, ok := number(v)
			if !ok || n < 0 || (key == "speed" && n == 0) {
				o.fail(key, "a number above 0", v)
			}
			*dst = n
		}
	}
	if o.err != nil {
		throw(rt, o.err)
	}
	reg := initEnv.Registry
	if r.metrics.lag, err = reg.NewMetric(metricReplayLag, metrics.Trend, metrics.Time); err == nil {
		r.metrics.mismatches, err = reg.NewMetric(metricReplayMismatches, metrics.Counter)
	}
	if err != nil {
		throw(rt, fmt.Errorf("replay: registering metrics: %w", err))
	}
	obj := rt.NewObject()
	duration := plan.Duration / r.speed
	if r.until > 0 {
		duration = min(plan.Duration, r.until) / r.speed
	}
	for k, v := range map[string]any{
		"clients": len(plan.Clients), "requests": plan.Requests(), "steps": len(plan.Steps), "races": plan.Source.Races,
		"duration": duration, "warmUp": r.warmUp, "client": r.client,
	} {
		if err := obj.Set(k, v); err != nil {
			throw(rt, err)
		}
	}
	return obj
}

func parsedPlan(raw []byte) (*replay.Plan, error) {
	key := sha256.Sum256(raw)
	if p, ok := plans.Load(key); ok {
		return p.(*replay.Plan), nil
	}
	p, err := replay.ParsePlan(raw)
	if err != nil {
		return nil, err
	}
	actual, _ := plans.LoadOrStore(key, p)
	return actual.(*replay.Plan), nil
}

// newRegistryClient makes a registry client of cfg whose requests k6
// measures as a Client's, with the replay's options' tags.
func (r *replayer) newRegistryClient(cfg registry.Config) (*Client, *registry.Client, error) {
	c := &Client{mi: r.mi, tags: r.opts.tags}
	cfg.Transport = &measuringTransport{client: c}
	cfg.OnTransfer = c.onTransfer
	cfg.OnRetry = c.onRetry
	rc, err := registry.New(cfg)
	return c, rc, err
}

// warmUp makes on the target what existed before the trace; call it in
// setup(). It returns what it made and start, the time (ms since the
// epoch) the VUs' clients begin at.
func (r *replayer) warmUp() sobek.Value {
	rt := r.mi.vu.Runtime()
	if r.mi.vu.State() == nil {
		throw(rt, fmt.Errorf("replay.warmUp: network calls are not allowed in the init context; call it in setup()"))
	}
	c, rc, err := r.newRegistryClient(replay.WarmUpConfig(r.opts.config))
	if err != nil {
		throw(rt, fmt.Errorf("replay.warmUp: %w", err))
	}
	ctx, _ := c.callContext()
	res, err := replay.WarmUp(ctx, r.plan, rc)
	if err != nil {
		throw(rt, fmt.Errorf("replay.warmUp: %w", err))
	}
	// A second for the VUs to pick their clients before the first step.
	start := time.Now().Add(time.Second)
	return rt.ToValue(map[string]any{
		"blobs": res.Blobs, "skipped": res.Skipped, "bytes": res.Bytes, "manifests": res.Manifests,
		"start": start.UnixMilli(),
	})
}

// client replays source client i (0-based) of the plan from start, what
// warmUp returned; it returns when the client's last step has ended.
func (r *replayer) client(i int, start int64) sobek.Value {
	rt := r.mi.vu.Runtime()
	if r.mi.vu.State() == nil {
		throw(rt, fmt.Errorf("replay.client: network calls are not allowed in the init context; call it in default()"))
	}
	if i < 0 || i >= len(r.plan.Clients) {
		throw(rt, fmt.Errorf("replay.client: client %d is not one of the plan's %d (0 to %d)", i, len(r.plan.Clients), len(r.plan.Clients)-1))
	}
	if start <= 0 {
		throw(rt, fmt.Errorf("replay.client: start must be the time warmUp() returned, ms since the epoch; got %d", start))
	}
	run, err := r.run(start)
	if err != nil {
		throw(rt, fmt.Errorf("replay.client: %w", err))
	}
	c, rc, err := r.newRegistryClient(replay.ClientConfig(r.opts.config, i))
	if err != nil {
		throw(rt, fmt.Errorf("replay.client: %w", err))
	}
	ctx, _ := c.callContext()
	res, err := run.Client(ctx, i, rc, &replayObserver{c: c, m: r.metrics})
	if err != nil {
		throw(rt, fmt.Errorf("replay.client: %w", err))
	}
	return rt.ToValue(map[string]any{
		"client": r.plan.Clients[i].ID, "steps": res.Steps, "mismatches": res.Mismatches, "failed": res.Failed, "unmet": res.Unmet,
	})
}

// run is the process's run of the plan from start.
func (r *replayer) run(start int64) (*replay.Run, error) {
	runsMu.Lock()
	defer runsMu.Unlock()
	k := runKey{plan: r.plan, start: start, speed: r.speed, until: r.until}
	if run, ok := runs[k]; ok {
		return run, nil
	}
	run, err := replay.NewRun(r.plan, replay.RunOptions{Start: time.UnixMilli(start), Speed: r.speed, Until: r.until})
	if err != nil {
		return nil, err
	}
	runs[k] = run
	return run, nil
}

// replayObserver records each step's lag, and each status that differed
// from the source's, from the goroutine that ran the step.
type replayObserver struct {
	c *Client
	m replayMetrics
}

func (o *replayObserver) Started(ctx context.Context, s *replay.Step, lag time.Duration) {
	o.c.emit(ctx, o.m.lag, milliseconds(lag), tagOp, s.Op)
}

func (o *replayObserver) Finished(ctx context.Context, s *replay.Step, status int, _ error) {
	if status != s.Status {
		o.c.emit(ctx, o.m.mismatches, 1, tagOp, s.Op)
	}
}
