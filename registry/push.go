package registry

import (
	"context"
	"fmt"
	"maps"
	"sync"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"
)

// PushOptions tune a push.
type PushOptions struct {
	UploadOptions
	// Concurrency is how many blobs are uploaded at once; default 1.
	Concurrency int `json:"concurrency"`
}

// Validate checks the options, naming what is wrong.
func (o PushOptions) Validate() error {
	if o.Concurrency < 0 || o.Concurrency > MaxConcurrency {
		return fmt.Errorf(`option "concurrency" must be from 1 to %d; got %d`, MaxConcurrency, o.Concurrency)
	}
	return o.UploadOptions.Validate()
}

// PushResult is the outcome of a push; on error it holds what was done.
type PushResult struct {
	Status   int // last HTTP status
	Ref      string
	Digest   string // manifest digest
	Bytes    int64  // blob bytes uploaded
	Uploaded int    // blobs uploaded
	Skipped  int    // blobs found present
	Mounted  int    // blobs mounted
	// FallbackTag is the referrers tag schema tag the push updated, for an
	// artifact with a subject on a registry without the referrers API.
	FallbackTag string
}

// Push uploads img's blobs into ref's repository and puts its manifest at
// ref; an index's images go first, each by digest. The result is never nil;
// on error it holds what was done.
func (c *Client) Push(ctx context.Context, ref string, img *Image, opts PushOptions) (*PushResult, error) {
	res := &PushResult{Ref: ref}
	r, err := pushArgs(ref, img, opts)
	if err != nil {
		return res, err
	}
	opts.UploadOptions = opts.withDefaults()
	// A generated image's manifest is built from its layers' digests here,
	// under the push's context, unless the script asked for them before.
	manifests, err := manifestsOf(ctx, ref, img)
	if err != nil {
		return res, err
	}
	manifestDigest := digest.FromBytes(manifests[img])
	if r.Digest != "" && r.Digest != manifestDigest {
		return res, fmt.Errorf("push %s: the image's manifest digest is %s", ref, manifestDigest)
	}
	scopes := uploadScopes(r.Repository, opts.MountFrom)
	for _, child := range img.Manifests {
		ident := digest.FromBytes(manifests[child]).String()
		if err := c.pushImage(ctx, r.Repository, ident, child, manifests[child], opts, scopes, res); err != nil {
			return res, err
		}
	}
	err = c.pushImage(ctx, r.Repository, r.Identifier(), img, manifests[img], opts, scopes, res)
	if err == nil {
		res.Digest = manifestDigest.String()
	}
	return res, err
}

// checkImage refuses an image that cannot be pushed, naming what is missing.
func checkImage(ref string, img *Image, depth int) error {
	switch {
	case img == nil || img.manifest == nil:
		return fmt.Errorf("push %s: the image has no manifest", ref)
	case depth > 1:
		return fmt.Errorf("push %s: indexes nest deeper than one level", ref)
	case img.IsIndex():
		for _, child := range img.Manifests {
			if err := checkImage(ref, child, depth+1); err != nil {
				return err
			}
		}
		return nil
	case img.Config == nil:
		return fmt.Errorf("push %s: the image has no config", ref)
	}
	for i, l := range img.Layers {
		if l == nil {
			return fmt.Errorf("push %s: layer %d of the image is missing", ref, i)
		}
	}
	return nil
}

// manifestsOf gets the manifest bytes of an image and of an index's images,
// refusing any that is empty or too large to send.
func manifestsOf(ctx context.Context, ref string, img *Image) (map[*Image][]byte, error) {
	raw, err := img.Manifest(ctx)
	switch {
	case err != nil:
		return nil, contentError(ctx, OpPush, "building the manifest of "+ref, err)
	case len(raw) == 0:
		return nil, fmt.Errorf("push %s: the image has no manifest", ref)
	case len(raw) > MaxManifestSize:
		return nil, fmt.Errorf("push %s: %w", ref, checkManifestSize(raw))
	}
	out := map[*Image][]byte{img: raw}
	for _, child := range img.Manifests {
		sub, err := manifestsOf(ctx, ref, child)
		if err != nil {
			return nil, err
		}
		maps.Copy(out, sub)
	}
	return out, nil
}

// pushImage uploads one manifest's blobs, then the manifest at ident.
func (c *Client) pushImage(ctx context.Context, repo, ident string, img *Image, manifest []byte, opts PushOptions, scopes []string, res *PushResult) error {
	if !img.IsIndex() {
		if err := c.pushBlobs(ctx, repo, img, opts, scopes, res); err != nil {
			return err
		}
	}
	put, err := c.putManifest(ctx, repo, ident, img.MediaType, manifest, scopes)
	res.Status = put.status
	if err != nil {
		return err
	}
	manifestDigest := digest.FromBytes(manifest)
	if put.announced != "" && put.announced != manifestDigest.String() {
		return &Error{Op: OpManifestPut, Status: put.status, Code: CodeDigestMismatch,
			Message: fmt.Sprintf("registry stored the manifest as %s, want %s", put.announced, manifestDigest)}
	}
	if subject, m := subjectOf(manifest); subject != nil && put.subject == "" {
		// No OCI-Subject: the registry has no referrers API to index this.
		artifactType := m.ArtifactType
		if artifactType == "" {
			artifactType = m.Config.MediaType
		}
		desc := ocispec.Descriptor{MediaType: img.MediaType, Digest: manifestDigest, Size: int64(len(manifest)),
			ArtifactType: artifactType, Annotations: m.Annotations}
		if err := c.addToFallbackIndex(ctx, repo, subject.Digest, desc, scopes); err != nil {
			return err
		}
		res.FallbackTag = referrersTag(subject.Digest)
	}
	return nil
}

// pushBlobs uploads an image's config and layers, opts.Concurrency at once.
func (c *Client) pushBlobs(ctx context.Context, repo string, img *Image, opts PushOptions, scopes []string, res *PushResult) error {
	var mu sync.Mutex
	blobs, err := uniqueBlobs(ctx, img)
	if err != nil {
		return contentError(ctx, OpPush, "describing the image's blobs", err)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(opts.Concurrency, 1))
	for _, blob := range blobs {
		g.Go(func() error {
			if gctx.Err() != nil {
				// Another blob failed: start nothing more. g.Wait has its error.
				return nil
			}
			up, err := c.uploadBlob(gctx, repo, blob.source, blob.desc, opts.UploadOptions, scopes)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				res.Status = StatusOf(err)
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
	return g.Wait()
}

// describedBlob is a blob to upload with its descriptor.
type describedBlob struct {
	source BlobSource
	desc   ocispec.Descriptor
}

// uniqueBlobs lists an image's config and layers, each digest once: an
// image may repeat a layer, and a registry needs it once.
func uniqueBlobs(ctx context.Context, img *Image) ([]describedBlob, error) {
	seen := map[digest.Digest]bool{}
	var out []describedBlob
	for _, b := range append([]BlobSource{img.Config}, img.Layers...) {
		desc, err := b.Descriptor(ctx)
		if err != nil {
			return nil, err
		}
		if !seen[desc.Digest] {
			seen[desc.Digest] = true
			out = append(out, describedBlob{source: b, desc: desc})
		}
	}
	return out, nil
}
