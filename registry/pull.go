package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"
)

// CodePlatformNotFound: an index has no manifest for the platform asked.
const CodePlatformNotFound = "PLATFORM_NOT_FOUND"

// PlatformAll pulls every manifest of an index.
const PlatformAll = "all"

// Pull fetches ref's manifest, resolving an index to opts.Platform, then
// its config and layers, streaming each body through its digest check and
// discarding it. The result is never nil; on error it holds what was done.
func (c *Client) Pull(ctx context.Context, ref string, opts PullOptions) (*PullResult, error) {
	res := &PullResult{Ref: ref}
	r, err := ParseReference(ref)
	if err != nil {
		return res, err
	}
	if opts.Concurrency < 0 {
		return res, fmt.Errorf("pull %s: concurrency %d is negative", ref, opts.Concurrency)
	}
	if opts.Platform == "" {
		opts.Platform = DefaultPlatform
	}
	var platform ocispec.Platform
	if opts.Platform != PlatformAll {
		if platform, err = ParsePlatform(opts.Platform); err != nil {
			return res, fmt.Errorf("pull %s: %w", ref, err)
		}
	}
	scopes := []string{pullScope(r.Repository)}

	m, err := c.getManifest(ctx, r.Repository, r.Identifier(), scopes)
	if err != nil {
		res.Status = statusOf(err)
		return res, err
	}
	res.Status, res.Digest, res.MediaType = m.Status, m.Digest.String(), m.MediaType
	manifests := []*fetchedManifest{m}
	if m.isIndex() {
		var index ocispec.Index
		if err := json.Unmarshal(m.Body, &index); err != nil {
			return res, invalidManifest(ref, err)
		}
		chosen := index.Manifests
		if opts.Platform != PlatformAll {
			desc, ok := matchPlatform(index.Manifests, platform)
			if !ok {
				return res, &Error{Op: OpManifestGet, Status: m.Status, Code: CodePlatformNotFound,
					Message: fmt.Sprintf("%s has no manifest for %s", ref, opts.Platform)}
			}
			chosen = []ocispec.Descriptor{desc}
		}
		manifests = manifests[:0]
		for _, desc := range chosen {
			child, err := c.getManifest(ctx, r.Repository, desc.Digest.String(), scopes)
			if err != nil {
				res.Status = statusOf(err)
				return res, err
			}
			manifests = append(manifests, child)
		}
	}
	var blobs []ocispec.Descriptor
	seen := map[digest.Digest]bool{}
	for _, child := range manifests {
		descs, err := imageBlobs(ref, child)
		if err != nil {
			return res, err
		}
		for _, d := range descs {
			if !seen[d.Digest] {
				seen[d.Digest] = true
				blobs = append(blobs, d)
			}
		}
	}

	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(opts.Concurrency, 1))
	for _, desc := range blobs {
		g.Go(func() error {
			n, status, err := c.fetchBlob(gctx, r.Repository, desc, opts.Verify, scopes)
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
	return res, g.Wait()
}

// imageBlobs lists the config and layers of an image manifest, leaving out
// foreign layers that registries do not serve; Pull fetches each digest once.
func imageBlobs(ref string, m *fetchedManifest) ([]ocispec.Descriptor, error) {
	switch m.MediaType {
	case mediaTypeDockerSchema1, mediaTypeDockerSchema1Signed:
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
		if !isForeign(d) {
			out = append(out, d)
		}
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

// statusOf is the HTTP status a failure came with, 0 if none.
func statusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}
