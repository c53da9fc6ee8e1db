package registrytest

import (
	"errors"
	"testing"
)

// PullThrough is a pull-through cache (distribution v3.1.2 in proxy mode,
// its metrics on) in front of an upstream registry of its own.
type PullThrough struct {
	Cache    *Registry // serves pulls, refuses pushes; Cache.MetricsURL is set
	Upstream *Registry // where content is pushed
}

// StartPullThrough runs an anonymous upstream and a cache of it for the
// test, both stopped in t.Cleanup.
func StartPullThrough(t testing.TB) *PullThrough {
	t.Helper()
	upstream := Start(t, Options{})
	cache := Start(t, Options{Metrics: true, Upstream: upstream.URL})
	return &PullThrough{Cache: cache, Upstream: upstream}
}

// LaunchPullThrough is StartPullThrough outside a test: Close stops both.
func LaunchPullThrough() (*PullThrough, error) {
	upstream, err := Launch(Options{})
	if err != nil {
		return nil, err
	}
	cache, err := Launch(Options{Metrics: true, Upstream: upstream.URL})
	if err != nil {
		return nil, errors.Join(err, upstream.Close())
	}
	return &PullThrough{Cache: cache, Upstream: upstream}, nil
}

// Close stops the cache, then its upstream.
func (p *PullThrough) Close() error {
	return errors.Join(p.Cache.Close(), p.Upstream.Close())
}
