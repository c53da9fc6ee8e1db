package replay

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xk6-registry/xk6-registry/registry"
)

// depGrace is how long past its own scheduled end a step waits for a step
// of a client this process does not replay (another instance of a split
// replay has it) before it goes on without: across machines only the clock
// keeps order.
const depGrace = time.Second

// Observer hears of each step of a replay, from the goroutine that runs it.
type Observer interface {
	// Started: the step's call begins, lag after its scheduled time.
	Started(ctx context.Context, s *Step, lag time.Duration)
	// Finished: the call ended with status (0 when no response came) and
	// err, nil when the call succeeded.
	Finished(ctx context.Context, s *Step, status int, err error)
}

// Run is one replay of a plan in one process: its clock, and the steps
// done so far, which the clients it replays wait on.
type Run struct {
	plan   *Plan
	m      *materials
	start  time.Time
	speed  float64
	until  float64
	byC    [][]int         // each client's steps, in order
	done   []chan struct{} // closed when the step is done; only for steps some step waits for
	local  []atomic.Bool   // clients this process replays
	unmetN atomic.Int64
}

// RunOptions tune a run.
type RunOptions struct {
	// Start is the replay's time zero: step at offset t goes at
	// Start + t/Speed. Every client of one run shares it.
	Start time.Time
	// Speed divides the offsets; 0 means 1.
	Speed float64
	// Until, when above 0, replays only the steps that started in the
	// first Until seconds of the trace.
	Until float64
}

// NewRun prepares a run of the plan.
func NewRun(p *Plan, opts RunOptions) (*Run, error) {
	if opts.Speed == 0 {
		opts.Speed = 1
	}
	if math.IsNaN(opts.Speed) || opts.Speed <= 0 || math.IsInf(opts.Speed, 0) {
		return nil, fmt.Errorf("speed %v must be above 0", opts.Speed)
	}
	if math.IsNaN(opts.Until) || opts.Until < 0 {
		return nil, fmt.Errorf("until %v must be 0 (all) or a number of seconds", opts.Until)
	}
	if opts.Start.IsZero() {
		return nil, errors.New("a run needs its start time")
	}
	r := &Run{plan: p, m: p.made(), start: opts.Start, speed: opts.Speed, until: opts.Until,
		byC: make([][]int, len(p.Clients)), done: make([]chan struct{}, len(p.Steps)), local: make([]atomic.Bool, len(p.Clients))}
	for i := range p.Steps {
		s := &p.Steps[i]
		r.byC[s.Client] = append(r.byC[s.Client], i)
		for _, a := range s.After {
			if r.done[a] == nil {
				r.done[a] = make(chan struct{})
			}
		}
	}
	return r, nil
}

// due is when a step is scheduled.
func (r *Run) due(at float64) time.Time {
	return r.start.Add(time.Duration(at / r.speed * float64(time.Second)))
}

// ClientResult sums up one client's replay.
type ClientResult struct {
	Steps      int // steps run
	Mismatches int // steps whose status differed from the source's
	Failed     int // steps that got no response, or could not be made
	// Unmet counts waits for a step of another instance's client that
	// gave up at its grace time.
	Unmet int
}

// Client replays one client's steps through c: each at its offset divided
// by the speed, after the steps of the same client that had ended before
// it started in the source, and after the steps of other clients it waits
// for. It returns when every step has ended, or ctx has.
func (r *Run) Client(ctx context.Context, client int, c *registry.Client, obs Observer) (ClientResult, error) {
	if client < 0 || client >= len(r.byC) {
		return ClientResult{}, fmt.Errorf("client %d: the plan has clients 0 to %d", client, len(r.byC)-1)
	}
	r.local[client].Store(true)
	type launched struct {
		end  float64
		done chan struct{}
	}
	var (
		res      ClientResult
		mu       sync.Mutex
		wg       sync.WaitGroup
		inflight []launched
	)
steps:
	for _, i := range r.byC[client] {
		s := &r.plan.Steps[i]
		if r.until > 0 && s.At >= r.until {
			break
		}
		due := r.due(s.At)
		if !sleepUntil(ctx, due) {
			break // the test is over: what ran is the result
		}
		// Keep the client's own order: what had ended before this step
		// started, in the source, ends before it here too.
		kept := inflight[:0]
		for _, l := range inflight {
			if l.end <= s.At {
				select {
				case <-l.done:
				case <-ctx.Done():
					break steps
				}
				continue
			}
			select {
			case <-l.done:
			default:
				kept = append(kept, l)
			}
		}
		inflight = kept
		done := make(chan struct{})
		inflight = append(inflight, launched{end: s.End, done: done})
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(done)
			if r.done[i] != nil {
				defer close(r.done[i])
			}
			unmet := r.waitFor(ctx, s)
			if ctx.Err() != nil {
				return
			}
			obs.Started(ctx, s, time.Since(due))
			st, err := r.m.execute(ctx, c, s)
			obs.Finished(ctx, s, st, err)
			mu.Lock()
			defer mu.Unlock()
			res.Steps++
			res.Unmet += unmet
			if st != s.Status {
				res.Mismatches++
			}
			if st == 0 {
				res.Failed++
			}
		}()
	}
	// Every step launched ends before the result is read.
	wg.Wait()
	return res, nil
}

// waitFor waits for the steps of other clients a step waits for, and
// returns how many it gave up on.
func (r *Run) waitFor(ctx context.Context, s *Step) int {
	unmet := 0
	for _, a := range s.After {
		dep := &r.plan.Steps[a]
		if r.local[dep.Client].Load() {
			select {
			case <-r.done[a]:
			case <-ctx.Done():
				return unmet
			}
			continue
		}
		grace := time.NewTimer(time.Until(r.due(dep.End).Add(depGrace)))
		select {
		case <-r.done[a]:
		case <-ctx.Done():
		case <-grace.C:
			// Another instance has the client, or this one's VU has not
			// begun it yet; then it is local now, and worth the wait.
			if r.local[dep.Client].Load() {
				select {
				case <-r.done[a]:
				case <-ctx.Done():
				}
			} else {
				unmet++
				r.unmetN.Add(1)
			}
		}
		grace.Stop()
	}
	return unmet
}

// sleepUntil waits until t, and tells whether ctx is still going then.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// Clients is how many clients the plan has.
func (r *Run) Clients() int { return len(r.byC) }
