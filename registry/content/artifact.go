package content

import (
	"context"
	"encoding/json"
	"fmt"

	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/xk6-registry/xk6-registry/registry"
)

// ArtifactOptions describe an OCI artifact: a signature, an SBOM, an
// attestation, attached to the image it names as its subject.
type ArtifactOptions struct {
	ArtifactType string              // required, e.g. "application/vnd.dev.cosign.artifact.sig.v1+json"
	Size         int64               // bytes of its one layer of random content
	Seed         *uint64             // nil: fresh content
	Subject      *ocispec.Descriptor // the manifest it refers to; nil for none
	Annotations  map[string]string
	// ConfigMediaType, when set, gives the artifact a small JSON config blob
	// of that type; otherwise its config is the empty descriptor, as the
	// image spec recommends for artifacts.
	ConfigMediaType string
}

// Artifact makes an OCI artifact manifest with artifactType, one layer,
// and a subject, so a script can load the referrers API.
func Artifact(ctx context.Context, opts ArtifactOptions) (*registry.Image, error) {
	if opts.ArtifactType == "" {
		return nil, fmt.Errorf("artifactType is required, e.g. application/vnd.example.sbom.v1+json")
	}
	if opts.Size < 0 {
		return nil, fmt.Errorf("size %d is negative", opts.Size)
	}
	layer, err := Random(ctx, opts.Size, opts.Seed)
	if err != nil {
		return nil, err
	}
	layerDesc := layer.Descriptor()
	layerDesc.MediaType = opts.ArtifactType
	img := &registry.Image{
		MediaType: ocispec.MediaTypeImageManifest,
		Layers:    []registry.BlobSource{&streamBlob{desc: layerDesc, open: layer.Open}},
	}
	if opts.ConfigMediaType != "" {
		cfg, err := json.Marshal(map[string]string{"artifactType": opts.ArtifactType})
		if err != nil {
			return nil, err
		}
		img.Config = Bytes(cfg, opts.ConfigMediaType)
	} else {
		img.Config = Bytes([]byte("{}"), ocispec.MediaTypeEmptyJSON)
	}
	m := ocispec.Manifest{
		Versioned:    specs.Versioned{SchemaVersion: 2},
		MediaType:    ocispec.MediaTypeImageManifest,
		ArtifactType: opts.ArtifactType,
		Config:       img.Config.Descriptor(),
		Layers:       []ocispec.Descriptor{layerDesc},
		Subject:      opts.Subject,
		Annotations:  opts.Annotations,
	}
	img.Manifest, err = json.Marshal(m)
	return img, err
}
