// Package replaytest drives a source registry with a mixed workload of six
// clients, as the replay's tests need: pushes (stream, chunked, post, with
// mounts), pulls of images and of an index, a client that polls a tag
// another client pushes, tag and catalog listing, ranged reads, misses and
// a delete. Each client comes from its own loopback address, so the
// registry's log tells them apart as it would tell machines apart.
package replaytest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xk6-registry/xk6-registry/registry"
	"github.com/xk6-registry/xk6-registry/registry/content"
)

// Registry is where the workload goes.
type Registry struct {
	URL, Username, Password string
}

// Names the workload uses; a test greps a plan for them.
var (
	Repositories = []string{"base/os", "base/runtime", "team/app", "team/svc"}
	Tags         = []string{"3.19", "1.2", "old", "latest", "build-1", "build-2", "build-3", "build-4", "v1", "v2", "v3", "v4", "missing-tag"}
)

// ClientIP is the loopback address client i (0 to 5) sends from.
func ClientIP(i int) string { return fmt.Sprintf("127.0.0.%d", 11+i) }

// Clients is how many clients the workload runs.
const Clients = 6

// Counter counts the responses a workload's clients received, 401
// challenges included: what the registry's access log will hold.
type Counter struct{ n atomic.Int64 }

// N is the responses counted.
func (c *Counter) N() int { return int(c.n.Load()) }

type countingTransport struct {
	next    http.RoundTripper
	counter *Counter
}

func (t *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err == nil {
		t.counter.n.Add(1)
	}
	return resp, err
}

// client is a registry client that sends from a loopback address of its own.
func client(reg Registry, i int, counter *Counter) (*registry.Client, error) {
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ClientIP(i))}, Timeout: 5 * time.Second}
	var transport http.RoundTripper = &http.Transport{DialContext: dialer.DialContext, MaxIdleConnsPerHost: 8}
	if counter != nil {
		transport = &countingTransport{next: transport, counter: counter}
	}
	return registry.New(registry.Config{URL: reg.URL, Username: reg.Username, Password: reg.Password,
		Transport: transport, UserAgent: fmt.Sprintf("replaytest/%d", i), Timeout: 30 * time.Second})
}

func seed(n uint64) *uint64 { return &n }

// Seed pushes what exists before the trace: an image, an index of two
// platforms and an old tag nobody reads but the lister lists.
func Seed(ctx context.Context, reg Registry, counter *Counter) error {
	c, err := client(reg, 0, counter)
	if err != nil {
		return err
	}
	base, err := content.Generate(content.GenerateOptions{Layers: 3, LayerSize: 256 << 10, Seed: seed(1)})
	if err != nil {
		return err
	}
	runtime, err := content.Generate(content.GenerateOptions{Layers: 2, LayerSize: 128 << 10, Seed: seed(2),
		Platforms: []string{"linux/amd64", "linux/arm64"}, Format: content.FormatDocker})
	if err != nil {
		return err
	}
	old, err := content.Generate(content.GenerateOptions{Layers: 1, LayerSize: 16 << 10, Seed: seed(3)})
	if err != nil {
		return err
	}
	for ref, img := range map[string]*registry.Image{"base/os:3.19": base, "base/runtime:1.2": runtime, "team/app:old": old} {
		if _, err := c.Push(ctx, ref, img, registry.PushOptions{Concurrency: 2}); err != nil {
			return fmt.Errorf("seed %s: %w", ref, err)
		}
	}
	return nil
}

// Summary counts what the workload did.
type Summary struct {
	Pushes, Pulls, Polls, Lists int
}

// Run runs the six clients at once; it takes about 15 seconds.
func Run(ctx context.Context, reg Registry, counter *Counter) (Summary, error) {
	var (
		mu   sync.Mutex
		sum  Summary
		errs []error
		wg   sync.WaitGroup
	)
	count := func(f func(*Summary)) {
		mu.Lock()
		defer mu.Unlock()
		f(&sum)
	}
	clients := []func(context.Context, *registry.Client, func(func(*Summary))) error{
		builder, ciPusher, puller, poller, lister, prober,
	}
	for i, run := range clients {
		c, err := client(reg, i, counter)
		if err != nil {
			return sum, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := run(ctx, c, count); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("client %d: %w", i, err))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return sum, errors.Join(errs...)
}

// every runs f n times, period apart, from start.
func every(ctx context.Context, n int, period time.Duration, f func(i int) error) error {
	t := time.NewTicker(period)
	defer t.Stop()
	for i := range n {
		if err := f(i); err != nil {
			return err
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func baseImage() (*registry.Image, error) {
	return content.Generate(content.GenerateOptions{Layers: 3, LayerSize: 256 << 10, Seed: seed(1)})
}

// builder pushes four builds on base/os, mounting its layers, and moves
// team/app:latest to each.
func builder(ctx context.Context, c *registry.Client, count func(func(*Summary))) error {
	base, err := baseImage()
	if err != nil {
		return err
	}
	if err := sleep(ctx, 2*time.Second); err != nil {
		return err
	}
	return every(ctx, 4, 3*time.Second, func(i int) error {
		img, err := content.Generate(content.GenerateOptions{Layers: 2, LayerSize: 384 << 10, Seed: seed(100 + uint64(i)), Base: base}) // #nosec G115 -- i counts up from 0
		if err != nil {
			return err
		}
		opts := registry.PushOptions{Concurrency: 3, UploadOptions: registry.UploadOptions{SkipExisting: true, MountFrom: "base/os"}}
		if _, err := c.Push(ctx, fmt.Sprintf("team/app:build-%d", i+1), img, opts); err != nil {
			return err
		}
		if _, err := c.Push(ctx, "team/app:latest", img, registry.PushOptions{UploadOptions: registry.UploadOptions{SkipExisting: true}}); err != nil {
			return err
		}
		count(func(s *Summary) { s.Pushes += 2 })
		return nil
	})
}

// ciPusher pushes team/svc in chunks, then in one POST, and deletes v1.
func ciPusher(ctx context.Context, c *registry.Client, count func(func(*Summary))) error {
	var first string
	err := every(ctx, 4, 3*time.Second, func(i int) error {
		img, err := content.Generate(content.GenerateOptions{Layers: 2, LayerSize: 200 << 10, Seed: seed(200 + uint64(i)), Format: content.FormatDocker}) // #nosec G115 -- i counts up from 0
		if err != nil {
			return err
		}
		mode := registry.UploadChunked
		if i == 3 {
			mode = registry.UploadPost
		}
		res, err := c.Push(ctx, fmt.Sprintf("team/svc:v%d", i+1), img, registry.PushOptions{UploadOptions: registry.UploadOptions{Mode: mode, ChunkSize: 64 << 10}})
		if err != nil {
			return err
		}
		if i == 0 {
			first = res.Digest
		}
		count(func(s *Summary) { s.Pushes++ })
		return nil
	})
	if err != nil {
		return err
	}
	_, err = c.DeleteManifest(ctx, "team/svc@"+first)
	return err
}

// puller pulls base/os every second and the index's amd64 image every third.
func puller(ctx context.Context, c *registry.Client, count func(func(*Summary))) error {
	return every(ctx, 14, time.Second, func(i int) error {
		if _, err := c.Pull(ctx, "base/os:3.19", registry.PullOptions{Concurrency: 3}); err != nil {
			return err
		}
		if i%3 == 0 {
			if _, err := c.Pull(ctx, "base/runtime:1.2", registry.PullOptions{Concurrency: 2}); err != nil {
				return err
			}
		}
		count(func(s *Summary) { s.Pulls++ })
		return nil
	})
}

// poller watches team/app:latest, which the builder moves, and pulls each
// new digest: its reads follow another client's writes.
func poller(ctx context.Context, c *registry.Client, count func(func(*Summary))) error {
	seen := ""
	return every(ctx, 28, 500*time.Millisecond, func(int) error {
		res, err := c.HeadManifest(ctx, "team/app:latest")
		count(func(s *Summary) { s.Polls++ })
		if registry.StatusOf(err) == http.StatusNotFound {
			return nil
		}
		if err != nil {
			return err
		}
		if res.Digest != seen {
			seen = res.Digest
			if _, err := c.Pull(ctx, "team/app@"+res.Digest, registry.PullOptions{Concurrency: 2}); err != nil {
				return err
			}
		}
		return nil
	})
}

// lister lists team/app's tags (whole, then paged), the catalog, and asks
// for a tag and a blob that are not there; it deploys the newest team/svc
// it sees, as a CD job pulls what CI pushed.
func lister(ctx context.Context, c *registry.Client, count func(func(*Summary))) error {
	deployed := ""
	return every(ctx, 8, 2*time.Second, func(i int) error {
		if svc, err := c.Tags(ctx, "team/svc", registry.ListOptions{}); err == nil && len(svc.Items) > 0 {
			newest := svc.Items[len(svc.Items)-1]
			if newest != deployed {
				deployed = newest
				if _, err := c.Pull(ctx, "team/svc:"+newest, registry.PullOptions{Concurrency: 2}); err != nil {
					return err
				}
			}
		} else if registry.StatusOf(err) != http.StatusNotFound {
			return fmt.Errorf("team/svc tags: %w", err)
		}
		if _, err := c.Tags(ctx, "team/app", registry.ListOptions{}); err != nil {
			return err
		}
		if _, err := c.Tags(ctx, "team/app", registry.ListOptions{N: 2, Last: "build-1"}); err != nil {
			return err
		}
		if i%3 == 0 {
			if _, err := c.Catalog(ctx, registry.ListOptions{}); err != nil {
				return err
			}
		}
		if _, err := c.GetManifest(ctx, "team/app:missing-tag", nil); registry.StatusOf(err) != http.StatusNotFound {
			return fmt.Errorf("a missing tag: %w", err)
		}
		if _, err := c.HeadBlob(ctx, "team/app", "sha256:"+fmt.Sprintf("%064x", i+1)); registry.StatusOf(err) != http.StatusNotFound {
			return fmt.Errorf("a missing blob: %w", err)
		}
		count(func(s *Summary) { s.Lists++ })
		return nil
	})
}

// prober reads the first 4 KiB of base/os's first layer, checks it with
// HEAD, pings, and watches team/svc:v1, which the CI pusher makes then
// deletes.
func prober(ctx context.Context, c *registry.Client, count func(func(*Summary))) error {
	base, err := baseImage()
	if err != nil {
		return err
	}
	layer, err := base.Layers[0].Descriptor(ctx)
	if err != nil {
		return err
	}
	return every(ctx, 10, 1500*time.Millisecond, func(int) error {
		if _, err := c.GetBlob(ctx, "base/os", layer.Digest.String(), registry.GetBlobOptions{Range: &[2]int64{0, 4095}}); err != nil {
			return err
		}
		if _, err := c.HeadBlob(ctx, "base/os", layer.Digest.String()); err != nil {
			return err
		}
		if _, err := c.Ping(ctx); err != nil {
			return err
		}
		if _, err := c.GetManifest(ctx, "team/svc:v1", nil); err != nil && registry.StatusOf(err) != http.StatusNotFound {
			return err
		}
		count(func(s *Summary) { s.Polls++ })
		return nil
	})
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
