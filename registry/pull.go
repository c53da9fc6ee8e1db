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
	r, err := pullArgs(ref, opts)
	if err != nil {
		return res, err
	}
	scopes := []string{auth.PullScope(r.Repository)}
	blobs, err := c.resolveBlobs(ctx, ref, r, opts, scopes, res)
	if err != nil {
		return res, err
	}
	return res, c.fetchBlobs(ctx, r.Repository, blobs, opts, scopes, res)
}

// Bounds of what one pull resolves, so an index cannot make a pull without
// end: real indexes nest once (an image's attestations) and list tens of
// images.
const (
	maxIndexDepth = 4      // indexes within indexes below the one asked for
	maxPullImages = 1024   // distinct image manifests one pull fetches
	maxPullBlobs  = 65_536 // distinct blobs one pull fetches
)

// resolution collects what a pull fetches as it walks an index: each
// manifest fetched once by digest, and of each image only its blobs.
type resolution struct {
	ref      string
	repo     string
	platform *ocispec.Platform // nil: every platform
	scopes   []string
	res      *PullResult

	visited map[digest.Digest]bool
	images  int
	seen    map[digest.Digest]bool
	blobs   []ocispec.Descriptor
}

// resolveBlobs fetches the manifest ref names and, for an index, the image
// manifests of the platform asked (or of every platform), through nested
// indexes, and lists their config and layers, each digest once.
func (c *Client) resolveBlobs(ctx context.Context, ref string, r Reference, opts PullOptions, scopes []string, res *PullResult) ([]ocispec.Descriptor, error) {
	platform, _ := opts.platform() // checked by Validate
	rs := &resolution{ref: ref, repo: r.Repository, platform: platform, scopes: scopes, res: res,
		visited: map[digest.Digest]bool{}, seen: map[digest.Digest]bool{}}
	m, err := c.fetchManifest(ctx, r.Repository, r.Identifier(), nil, scopes)
	if err != nil {
		res.Status = StatusOf(err)
		return nil, err
	}
	res.Status, res.Digest, res.MediaType = m.Status, m.Digest.String(), m.MediaType
	rs.visited[m.Digest] = true
	if !m.isIndex() {
		return rs.blobs, rs.addImage(m)
	}
	found, err := c.resolveIndex(ctx, rs, m, 0)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, &Error{Op: OpManifestGet, Code: CodePlatformNotFound,
			Message: fmt.Sprintf("%s has no manifest for %s", ref, cmp.Or(opts.Platform, DefaultPlatform))}
	}
	return rs.blobs, nil
}

// resolveIndex walks one index: with a platform, to the first image of it
// (an image entry of that platform, else a nested index holding one); with
// none, to every image. It tells whether an image was found.
func (c *Client) resolveIndex(ctx context.Context, rs *resolution, m *fetchedManifest, depth int) (bool, error) {
	if depth > maxIndexDepth {
		return false, invalidManifest(rs.ref, fmt.Errorf("indexes nest deeper than %d levels", maxIndexDepth))
	}
	var index ocispec.Index
	if err := json.Unmarshal(m.Body, &index); err != nil {
		return false, invalidManifest(rs.ref, err)
	}
	entries := index.Manifests
	if rs.platform != nil {
		entries = nil
		if desc, ok := MatchPlatform(index.Manifests, *rs.platform); ok {
			entries = append(entries, desc)
		}
		// A nested index may hold the platform: one without a platform of
		// its own, or of the platform asked.
		for _, d := range index.Manifests {
			if IsIndexMediaType(d.MediaType) && (d.Platform == nil || platformMatches(*d.Platform, *rs.platform)) {
				entries = append(entries, d)
			}
		}
	}
	found := false
	for _, desc := range entries {
		if err := desc.Digest.Validate(); err != nil {
			return false, invalidManifest(rs.ref, fmt.Errorf("index entry %s: %w", echo(string(desc.Digest)), err))
		}
		if rs.visited[desc.Digest] {
			continue
		}
		rs.visited[desc.Digest] = true
		child, err := c.fetchManifest(ctx, rs.repo, desc.Digest.String(), nil, rs.scopes)
		if err != nil {
			rs.res.Status = StatusOf(err)
			return false, err
		}
		var childFound bool
		if child.isIndex() {
			childFound, err = c.resolveIndex(ctx, rs, child, depth+1)
		} else {
			childFound, err = true, rs.addImage(child)
		}
		if err != nil {
			return false, err
		}
		found = found || childFound
		if found && rs.platform != nil {
			return true, nil
		}
	}
	return found, nil
}

// platformMatches tells whether have is the platform want asks for.
func platformMatches(have, want ocispec.Platform) bool {
	return have.OS == want.OS && have.Architecture == want.Architecture &&
		(want.Variant == "" || have.Variant == want.Variant)
}

// addImage adds an image manifest's config and layers, each digest once:
// images of one index share blobs, and a pull fetches each once. Only the
// descriptors are kept, not the manifest.
func (rs *resolution) addImage(m *fetchedManifest) error {
	rs.images++
	if rs.images > maxPullImages {
		return invalidManifest(rs.ref, fmt.Errorf("it names more than %d images", maxPullImages))
	}
	descs, err := imageBlobs(rs.ref, m)
	if err != nil {
		return err
	}
	for _, d := range descs {
		if rs.seen[d.Digest] {
			continue
		}
		if len(rs.blobs) >= maxPullBlobs {
			return invalidManifest(rs.ref, fmt.Errorf("its images name more than %d blobs", maxPullBlobs))
		}
		rs.seen[d.Digest] = true
		rs.blobs = append(rs.blobs, d)
	}
	return nil
}

// fetchBlobs fetches blobs, opts.Concurrency at once, counting into res.
func (c *Client) fetchBlobs(ctx context.Context, repo string, blobs []ocispec.Descriptor, opts PullOptions, scopes []string, res *PullResult) error {
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(opts.Concurrency, 1))
	for _, desc := range blobs {
		g.Go(func() error {
			if gctx.Err() != nil {
				// Another blob failed: start nothing more. g.Wait has its error.
				return nil
			}
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
				Message: fmt.Sprintf("manifest names blob %s: %v", echo(string(d.Digest)), err)}
		}
		if d.Size < 0 {
			return nil, invalidManifest(ref, fmt.Errorf("blob %s has a negative size, %d", d.Digest, d.Size))
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
	return &Error{Op: OpManifestGet, Code: CodeManifestInvalid, Message: fmt.Sprintf("manifest of %s: %v", ref, err)}
}
