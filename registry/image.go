package registry

import (
	"context"
	"io"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/xk6-registry/xk6-registry/internal/lazy"
)

// BlobSource is content the client can upload. Its descriptor may cost a
// pass over the bytes (a digest), so it is asked for under a context and
// computed when first needed; Open streams the bytes anew on each call, so
// a retried or repeated upload reads them again, never holding them.
type BlobSource interface {
	Descriptor(ctx context.Context) (ocispec.Descriptor, error)
	Open(ctx context.Context) (io.ReadCloser, error)
}

// Image is an image ready to push: a manifest whose bytes are small, and
// the config and layers it references as blob sources; or an index, whose
// Manifests are the images it lists. A generated image's manifest depends
// on its layers' digests, so it may be built when first needed.
type Image struct {
	// MediaType of the manifest: an image manifest or an index, OCI or docker.
	MediaType string
	Config    BlobSource // nil for an index
	Layers    []BlobSource
	// Manifests are an index's images, pushed by digest before the index.
	Manifests []*Image
	// Platform is the platform an index lists this image under; nil for
	// an image that is not in an index.
	Platform *ocispec.Platform

	manifest *lazy.Value[[]byte]
}

// SetManifest gives the image its exact manifest bytes.
func (img *Image) SetManifest(raw []byte) { img.manifest = lazy.Known(raw) }

// BuildManifest has the image's manifest made by build when first needed.
func (img *Image) BuildManifest(build func(ctx context.Context) ([]byte, error)) {
	img.manifest = lazy.New(build)
}

// Manifest returns the exact manifest bytes; their digest is the image's.
func (img *Image) Manifest(ctx context.Context) ([]byte, error) {
	if img.manifest == nil {
		return nil, nil
	}
	return img.manifest.Get(ctx)
}

// Descriptor describes the image's manifest, as an index or a subject names it.
func (img *Image) Descriptor(ctx context.Context) (ocispec.Descriptor, error) {
	raw, err := img.Manifest(ctx)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	return ocispec.Descriptor{MediaType: img.MediaType, Digest: digest.FromBytes(raw), Size: int64(len(raw))}, nil
}

// IsIndex tells whether the image is an index of other images.
func (img *Image) IsIndex() bool { return len(img.Manifests) > 0 }
