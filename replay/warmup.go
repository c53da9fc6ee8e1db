package replay

import (
	"context"
	"fmt"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/xk6-registry/xk6-registry/registry"
)

// WarmUpResult tells what a warm-up made.
type WarmUpResult struct {
	Blobs     int   // blobs uploaded
	Skipped   int   // blobs the target had already
	Bytes     int64 // bytes uploaded
	Manifests int   // manifests put, once per tag
}

// WarmUpConcurrency is how many warm-up blobs go up at once.
const WarmUpConcurrency = 8

// WarmUp makes on the target what existed before the trace: its blobs,
// then its manifests, an index after its manifests. A blob the target has
// is skipped, so warming up twice (two instances of a split replay) makes
// it once.
func WarmUp(ctx context.Context, p *Plan, c *registry.Client) (WarmUpResult, error) {
	m := p.made()
	var res WarmUpResult
	var uploaded, skipped atomic.Int64
	var bytes atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(WarmUpConcurrency)
	for _, w := range p.WarmUp.Blobs {
		g.Go(func() error {
			src, _, err := m.blob(gctx, w.Blob)
			if err != nil {
				return err
			}
			up, err := c.UploadBlob(gctx, w.Repo, src, registry.UploadOptions{SkipExisting: true})
			if err != nil {
				return fmt.Errorf("warm-up: blob %s in %s: %w", w.Blob, w.Repo, err)
			}
			if up.Skipped {
				skipped.Add(1)
			} else {
				uploaded.Add(1)
				bytes.Add(up.Size)
			}
			return nil
		})
	}
	err := g.Wait()
	res.Blobs, res.Skipped, res.Bytes = int(uploaded.Load()), int(skipped.Load()), bytes.Load()
	if err != nil {
		return res, err
	}
	for _, w := range p.WarmUp.Manifests {
		body, mediaType, d, err := m.manifest(ctx, w.Manifest)
		if err != nil {
			return res, err
		}
		refs := []string{}
		if w.ByDigest || len(w.Tags) == 0 {
			refs = append(refs, w.Repo+"@"+d.String())
		}
		for _, t := range w.Tags {
			refs = append(refs, w.Repo+":"+t)
		}
		for _, ref := range refs {
			if _, err := c.PutManifest(ctx, ref, body, registry.PutManifestOptions{MediaType: mediaType}); err != nil {
				return res, fmt.Errorf("warm-up: manifest %s as %s: %w", w.Manifest, ref, err)
			}
			res.Manifests++
		}
	}
	return res, nil
}
