package replay_test

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
	"github.com/xk6-registry/xk6-registry/internal/replaytest"
	"github.com/xk6-registry/xk6-registry/registry"
	"github.com/xk6-registry/xk6-registry/replay"
)

// source runs the workload against a registry with its request log on,
// and returns the registry and the trace: the requests after the seed.
func source(t *testing.T) (*registrytest.Registry, []replay.Request) {
	t.Helper()
	reg := registrytest.Start(t, registrytest.Options{Auth: registrytest.AuthHtpasswd, RequestLog: true})
	ctx := context.Background()
	target := replaytest.Registry{URL: reg.URL, Username: reg.Username, Password: reg.Password}
	var counter replaytest.Counter
	require.NoError(t, replaytest.Seed(ctx, target, &counter))
	require.NoError(t, reg.WaitLogged(counter.N()))
	seeded := readLog(t, reg.RequestLog, replay.FormatJSON)
	_, err := replaytest.Run(ctx, target, &counter)
	require.NoError(t, err)
	require.NoError(t, reg.WaitLogged(counter.N()))
	all := readLog(t, reg.RequestLog, replay.FormatJSON)
	require.Greater(t, len(all), len(seeded))
	return reg, trace(all, seeded)
}

// trace is all without the requests of seeded, which came first.
func trace(all, seeded []replay.Request) []replay.Request {
	last := seeded[len(seeded)-1].Start
	var out []replay.Request
	for _, r := range all {
		if r.Start.After(last) {
			out = append(out, r)
		}
	}
	return out
}

func readLog(t *testing.T, path string, format replay.Format) []replay.Request {
	t.Helper()
	lg, err := replay.ReadLogFile(path, format)
	require.NoError(t, err)
	return lg.Requests
}

type countingObserver struct {
	mu         sync.Mutex
	lags       []time.Duration
	mismatches int
}

func (o *countingObserver) Started(_ context.Context, _ *replay.Step, lag time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.lags = append(o.lags, lag)
}

func (o *countingObserver) Finished(_ context.Context, s *replay.Step, status int, _ error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if status != s.Status {
		o.mismatches++
	}
}

// replayInGo replays a plan on target with plain registry clients, as the
// k6 binding does with measured ones.
func replayInGo(t *testing.T, plan *replay.Plan, target *registrytest.Registry) *countingObserver {
	t.Helper()
	ctx := context.Background()
	base := registry.Config{URL: target.URL, Username: target.Username, Password: target.Password, Timeout: time.Minute}
	warm, err := registry.New(replay.WarmUpConfig(base))
	require.NoError(t, err)
	_, err = replay.WarmUp(ctx, plan, warm)
	require.NoError(t, err)
	run, err := replay.NewRun(plan, replay.RunOptions{Start: time.Now().Add(100 * time.Millisecond), Speed: 1})
	require.NoError(t, err)
	obs := &countingObserver{}
	var wg sync.WaitGroup
	for i := range plan.Clients {
		c, err := registry.New(replay.ClientConfig(base, i))
		require.NoError(t, err)
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := run.Client(ctx, i, c, obs)
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	return obs
}

// The loop without k6: a plan of the workload's log, made with the
// source's storage, replayed by plain registry clients on a fresh target,
// reproduces the source's requests: the same count, mix, blob bytes and
// bytes stored, and no status the source did not see but where a read
// raced a write.
func TestTheLoopInGo(t *testing.T) {
	t.Parallel()
	src, reqs := source(t)
	st, err := replay.OpenStorage(src.Dir)
	require.NoError(t, err)
	defer st.Close()
	plan, err := replay.Build(reqs, replay.PlanOptions{Storage: st})
	require.NoError(t, err)
	assert.Equal(t, len(reqs), plan.Requests(), "each request of the trace has a step; unmapped: %v", plan.Source.Unmapped)

	target := registrytest.Start(t, registrytest.Options{RequestLog: true})
	obs := replayInGo(t, plan, target)
	raw, err := os.ReadFile(target.AccessLog)
	require.NoError(t, err)
	require.NoError(t, target.WaitLogged(strings.Count(string(raw), "\n")))
	fid, err := replay.Compare(reqs, readLog(t, target.RequestLog, replay.FormatJSON), replay.CompareOptions{
		SourceStorage: src.Dir, TargetStorage: target.Dir})
	require.NoError(t, err)
	held := replay.TargetsWithStorage
	held.Correlation, held.Mismatches = -1, plan.Source.Races
	fid.Failures = nil
	fid.Judge(held)
	assert.Empty(t, fid.Failures)
	assert.LessOrEqual(t, obs.mismatches, plan.Source.Races, "steps whose status differed from the source's")
	assert.Len(t, obs.lags, len(plan.Steps), "every step started once")
}
