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
	Size         int64               // bytes of its one layer of pseudorandom content
	Seed         *uint64             // nil: fresh content
	Body         Body                // "" means BodyShared
	Subject      *ocispec.Descriptor // the manifest it refers to; nil for none
	Annotations  map[string]string
	// ConfigMediaType, when set, gives the artifact a small JSON config blob
	// of that type; otherwise its config is the empty descriptor, as the
	// image spec recommends for artifacts.
	ConfigMediaType string
}

// Artifact makes an OCI artifact manifest with artifactType, one layer,
// and a subject, so a script can load the referrers API. Like Generate, it
// returns at once; the layer's digest is computed when first needed.
func Artifact(opts ArtifactOptions) (*registry.Image, error) {
	if opts.ArtifactType == "" {
		return nil, fmt.Errorf("artifactType is required, e.g. application/vnd.example.sbom.v1+json")
	}
	layer, err := Random(RandomOptions{Size: opts.Size, Seed: opts.Seed, Body: opts.Body, MediaType: opts.ArtifactType})
	if err != nil {
		return nil, err
	}
	img := &registry.Image{MediaType: ocispec.MediaTypeImageManifest, Layers: []registry.BlobSource{layer}}
	if opts.ConfigMediaType != "" {
		cfg, err := json.Marshal(map[string]string{"artifactType": opts.ArtifactType})
		if err != nil {
			return nil, err
		}
		img.Config = Bytes(cfg, opts.ConfigMediaType)
	} else {
		img.Config = Bytes([]byte("{}"), ocispec.MediaTypeEmptyJSON)
	}
	img.BuildManifest(func(ctx context.Context) ([]byte, error) {
		config, err := img.Config.Descriptor(ctx)
		if err != nil {
			return nil, err
		}
		layerDesc, err := layer.Descriptor(ctx)
		if err != nil {
			return nil, err
		}
		return json.Marshal(ocispec.Manifest{
			Versioned:    specs.Versioned{SchemaVersion: 2},
			MediaType:    ocispec.MediaTypeImageManifest,
			ArtifactType: opts.ArtifactType,
			Config:       config,
			Layers:       []ocispec.Descriptor{layerDesc},
			Subject:      opts.Subject,
			Annotations:  opts.Annotations,
		})
	})
	return img, nil
}
