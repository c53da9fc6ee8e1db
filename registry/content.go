package registry

import (
	"context"
	"io"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// BlobSource is content the client can upload: its descriptor is known up
// front (digest and size computed without holding the bytes) and Open streams
// the bytes anew on each call, so a retried or repeated upload reads them again.
type BlobSource interface {
	Descriptor() ocispec.Descriptor
	Open(ctx context.Context) (io.ReadCloser, error)
}

// Image is a single-platform image ready to push: a manifest whose bytes are
// small and held, and the config and layers it references as blob sources.
type Image struct {
	// MediaType of Manifest: OCI image manifest or docker v2 schema 2.
	MediaType string
	// Manifest is the exact manifest bytes; their digest is the image digest.
	Manifest []byte
	Config   BlobSource
	Layers   []BlobSource
}
