package registry

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"

	"github.com/xk6-registry/xk6-registry/registry/auth"
)

// CodePlatformNotFound says an index has no manifest for the platform asked.
const CodePlatformNotFound = "PLATFORM_NOT_FOUND"

// PlatformAll pulls every manifest of an index.
const PlatformAll = "all"

// MaxConcurrency bounds the blobs one pull or push moves at once.
const MaxConcurrency = 64

// PullOptions tune a pull. The JSON names are the options' names in
// scripts, and in the errors that refuse them.
type PullOptions struct {
	// Verify checks every body against its digest; on by default in package js.
	Verify bool `json:"verify"`
	// Concurrency is how many blobs are fetched at once; default 1.
	Concurrency int `json:"concurrency"`
	// Platform picks the manifest of an index, "os/arch[/variant]", or
	// PlatformAll; default linux/amd64.
	Platform string `json:"platform"`
}

// Validate checks the options, naming what is wrong.
func (o PullOptions) Validate() error {
	if o.Concurrency < 0 || o.Concurrency > MaxConcurrency {
		return fmt.Errorf(`option "concurrency" must be from 1 to %d; got %d`, MaxConcurrency, o.Concurrency)
	}
	_, err := o.platform()
	return err
}

// platform is the platform asked for; nil for PlatformAll.
func (o PullOptions) platform() (*ocispec.Platform, error) {
	switch o.Platform {
	case PlatformAll:
		return nil, nil
	}
	p, err := ParsePlatform(cmp.Or(o.Platform, DefaultPlatform))
	return &p, err
}

// PullResult is the outcome of a pull; on error it holds what was done.
type PullResult struct {
	Status    int // last HTTP status
	Ref       string
	Digest    string // digest of the manifest asked for (the index, for a list)
	MediaType string
	Bytes     int64 // blob bytes received (config and layers)
	Blobs     int   // blobs fetched
}

// Pull fetches ref's manifest, resolving an index to opts.Platform, then
// its config and layers, streaming each body through its digest check and
// discarding it. The result is never nil; on error it holds what was done.
func (c *Client) Pull(ctx context.Context, ref string, opts PullOptions) (*PullResult, error) {
	res := &PullResult{Ref: ref}
	r, err := ParseReference(ref)
	if err != nil {
		return res, err
	}
	if err := opts.Validate(); err != nil {
		return res, err
	}
	scopes := []string{auth.PullScope(r.Repository)}
	manifests, err := c.resolveImages(ctx, ref, r, opts, scopes, res)
	if err != nil {
		return res, err
	}
	blobs, err := uniqueImageBlobs(ref, manifests)
	if err != nil {
		return res, err
	}
	return res, c.fetchBlobs(ctx, r.Repository, blobs, opts, scopes, res)
}

// resolveImages fetches the manifest ref names and, for an index, the
// image manifests of the platform asked, or of every platform.
func (c *Client) resolveImages(ctx context.Context, ref string, r Reference, opts PullOptions, scopes []string, res *PullResult) ([]*fetchedManifest, error) {
	m, err := c.fetchManifest(ctx, r.Repository, r.Identifier(), nil, scopes)
	if err != nil {
		res.Status = StatusOf(err)
		return nil, err
	}
	res.Status, res.Digest, res.MediaType = m.Status, m.Digest.String(), m.MediaType
	if !m.isIndex() {
		return []*fetchedManifest{m}, nil
	}
	var index ocispec.Index
	if err := json.Unmarshal(m.Body, &index); err != nil {
		return nil, invalidManifest(ref, err)
	}
	chosen := index.Manifests
	platform, _ := opts.platform() // checked by Validate
	if platform != nil {
		desc, ok := MatchPlatform(index.Manifests, *platform)
		if !ok {
			return nil, &Error{Op: OpManifestGet, Status: m.Status, Code: CodePlatformNotFound,
				Message: fmt.Sprintf("%s has no manifest for %s", ref, cmp.Or(opts.Platform, DefaultPlatform))}
		}
		chosen = []ocispec.Descriptor{desc}
	}
	images := make([]*fetchedManifest, 0, len(chosen))
	for _, desc := range chosen {
		child, err := c.fetchManifest(ctx, r.Repository, desc.Digest.String(), nil, scopes)
		if err != nil {
			res.Status = StatusOf(err)
			return nil, err
		}
		images = append(images, child)
	}
	return images, nil
}

// uniqueImageBlobs lists the config and layers of image manifests, each
// digest once: images of one index share blobs, and a pull fetches each once.
func uniqueImageBlobs(ref string, manifests []*fetchedManifest) ([]ocispec.Descriptor, error) {
	var blobs []ocispec.Descriptor
	seen := map[digest.Digest]bool{}
	for _, m := range manifests {
		descs, err := imageBlobs(ref, m)
		if err != nil {
			return nil, err
		}
		for _, d := range descs {
			if !seen[d.Digest] {
				seen[d.Digest] = true
				blobs = append(blobs, d)
			}
		}
	}
	return blobs, nil
}

// fetchBlobs fetches blobs, opts.Concurrency at once, counting into res.
func (c *Client) fetchBlobs(ctx context.Context, repo string, blobs []ocispec.Descriptor, opts PullOptions, scopes []string, res *PullResult) error {
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(opts.Concurrency, 1))
	for _, desc := range blobs {
		g.Go(func() error {
			n, status, err := c.fetchBlob(gctx, repo, desc.Digest, blobFetch{size: desc.Size, verify: opts.Verify}, scopes)
			mu.Lock()
			defer mu.Unlock()
			res.Bytes += n
			if err != nil {
				res.Status = status
				return err
			}
			res.Blobs++
			return nil
		})
	}
	return g.Wait()
}

// imageBlobs lists the config and layers of an image manifest, leaving out
// foreign layers that registries do not serve.
func imageBlobs(ref string, m *fetchedManifest) ([]ocispec.Descriptor, error) {
	if isSchema1(m.MediaType) {
		return nil, &Error{Op: OpManifestGet, Status: m.Status, Code: CodeUnsupported,
			Message: fmt.Sprintf("%s is a docker schema 1 manifest, which is not supported", ref)}
	}
	// Docker's schema 2 manifest has the OCI manifest's shape.
	var manifest ocispec.Manifest
	if err := json.Unmarshal(m.Body, &manifest); err != nil {
		return nil, invalidManifest(ref, err)
	}
	if manifest.Config.Digest == "" {
		return nil, invalidManifest(ref, fmt.Errorf("no config descriptor"))
	}
	var out []ocispec.Descriptor
	for _, d := range append([]ocispec.Descriptor{manifest.Config}, manifest.Layers...) {
		if isForeign(d) {
			continue
		}
		if err := d.Digest.Validate(); err != nil {
			return nil, &Error{Op: OpBlobGet, Code: CodeInvalidResponse,
				Message: fmt.Sprintf("manifest names blob %q: %v", d.Digest, err)}
		}
		out = append(out, d)
	}
	return out, nil
}

func isForeign(d ocispec.Descriptor) bool {
	return len(d.URLs) > 0 &&
		(strings.Contains(d.MediaType, "foreign") || strings.Contains(d.MediaType, "nondistributable"))
}

func invalidManifest(ref string, err error) error {
	return &Error{Op: OpManifestGet, Code: "MANIFEST_INVALID", Message: fmt.Sprintf("manifest of %s: %v", ref, err)}
}
