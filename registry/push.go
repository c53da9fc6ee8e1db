package registry

import (
	"context"
	"fmt"
	"sync"

	"github.com/opencontainers/go-digest"
	"golang.org/x/sync/errgroup"
)

// Push uploads img's blobs into ref's repository and puts its manifest at
// ref. The result is never nil; on error it holds what was done.
func (c *Client) Push(ctx context.Context, ref string, img *Image, opts PushOptions) (*PushResult, error) {
	res := &PushResult{Ref: ref}
	r, err := ParseReference(ref)
	if err != nil {
		return res, err
	}
	if img == nil || len(img.Manifest) == 0 || img.Config == nil {
		return res, fmt.Errorf("push %s: the image has no manifest or config", ref)
	}
	for i, l := range img.Layers {
		if l == nil {
			return res, fmt.Errorf("push %s: layer %d of the image is missing", ref, i)
		}
	}
	if opts.Concurrency < 0 {
		return res, fmt.Errorf("push %s: concurrency %d is negative", ref, opts.Concurrency)
	}
	if err := opts.validate(); err != nil {
		return res, err
	}
	manifestDigest := digest.FromBytes(img.Manifest)
	if r.Digest != "" && r.Digest != manifestDigest {
		return res, fmt.Errorf("push %s: the image's manifest digest is %s", ref, manifestDigest)
	}
	scopes := uploadScopes(r.Repository, opts.MountFrom)

	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(opts.Concurrency, 1))
	for _, blob := range uniqueBlobs(img) {
		g.Go(func() error {
			up, err := c.uploadBlob(gctx, r.Repository, blob, opts.UploadOptions, scopes)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				res.Status = statusOf(err)
			case up.Skipped:
				res.Skipped++
			case up.Mounted:
				res.Mounted++
			default:
				res.Uploaded++
				res.Bytes += up.Size
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return res, err
	}

	status, announced, err := c.putManifest(ctx, r.Repository, r.Identifier(), img.MediaType, img.Manifest, scopes)
	res.Status = status
	if err != nil {
		return res, err
	}
	res.Digest = manifestDigest.String()
	if announced != "" && announced != res.Digest {
		return res, &Error{Op: OpManifestPut, Status: status, Code: CodeDigestMismatch,
			Message: fmt.Sprintf("registry stored the manifest as %s, want %s", announced, res.Digest)}
	}
	return res, nil
}

// uniqueBlobs lists an image's config and layers, each digest once: an
// image may repeat a layer, and a registry needs it once.
func uniqueBlobs(img *Image) []BlobSource {
	seen := map[digest.Digest]bool{}
	var out []BlobSource
	for _, b := range append([]BlobSource{img.Config}, img.Layers...) {
		d := b.Descriptor().Digest
		if !seen[d] {
			seen[d] = true
			out = append(out, b)
		}
	}
	return out
}
