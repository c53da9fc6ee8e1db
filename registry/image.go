package registry

import (
	"context"
	"io"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// BlobSource is content the client can upload: its descriptor is known up
// front (digest and size computed without holding the bytes) and Open streams
// the bytes anew on each call, so a retried or repeated upload reads them again.
type BlobSource interface {
	Descriptor() ocispec.Descriptor
	Open(ctx context.Context) (io.ReadCloser, error)
}

// Image is an image ready to push: a manifest whose bytes are small and
// held, and the config and layers it references as blob sources; or an
// index, whose Manifests are the images it lists.
type Image struct {
	// MediaType of Manifest: an image manifest or an index, OCI or docker.
	MediaType string
	// Manifest is the exact manifest bytes; their digest is the image digest.
	Manifest []byte
	Config   BlobSource // nil for an index
	Layers   []BlobSource
	// Manifests are an index's images, pushed by digest before the index.
	Manifests []*Image
	// Platform is the platform an index lists this image under; nil for
	// an image that is not in an index.
	Platform *ocispec.Platform
}

// Descriptor describes the image's manifest, as an index or a subject names it.
func (img *Image) Descriptor() ocispec.Descriptor {
	return ocispec.Descriptor{MediaType: img.MediaType, Digest: digest.FromBytes(img.Manifest), Size: int64(len(img.Manifest))}
}

// IsIndex tells whether the image is an index of other images.
func (img *Image) IsIndex() bool { return len(img.Manifests) > 0 }
