package content

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/go-containerregistry/pkg/v1/types"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/xk6-registry/xk6-registry/registry"
)

// maxPlatforms bounds a generated index.
const maxPlatforms = 64

// generateIndex makes an index of one image per platform: an OCI index,
// or a docker manifest list for the docker format. Each platform's layers
// come from its own seed, derived from the index's, so platforms share no
// blob, as real multi-arch builds do not.
func generateIndex(opts GenerateOptions, seed uint64, fixed bool) (*registry.Image, error) {
	if len(opts.Platforms) > maxPlatforms {
		return nil, fmt.Errorf("platforms: %d is more than %d", len(opts.Platforms), maxPlatforms)
	}
	indexType := ocispec.MediaTypeImageIndex
	if opts.Format == FormatDocker {
		indexType = string(types.DockerManifestList)
	}
	img := &registry.Image{MediaType: indexType}
	seen := map[string]bool{}
	for i, p := range opts.Platforms {
		platform, err := registry.ParsePlatform(p)
		if err != nil {
			return nil, fmt.Errorf("platforms[%d]: %w", i, err)
		}
		if seen[p] {
			return nil, fmt.Errorf("platforms[%d]: %q is listed twice", i, p)
		}
		seen[p] = true
		child, err := generateImage(opts, platformSeed(seed, i), fixed, platform)
		if err != nil {
			return nil, err
		}
		child.Platform = &platform
		img.Manifests = append(img.Manifests, child)
	}
	img.BuildManifest(func(ctx context.Context) ([]byte, error) {
		index := ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: indexType}
		for _, child := range img.Manifests {
			desc, err := child.Descriptor(ctx)
			if err != nil {
				return nil, err
			}
			desc.Platform = child.Platform
			index.Manifests = append(index.Manifests, desc)
		}
		return json.Marshal(index)
	})
	return img, nil
}

// platformSeed derives platform i's seed; a fixed golden-ratio step keeps
// it a pure function of the index's seed.
func platformSeed(seed uint64, i int) uint64 {
	return seed + uint64(i+1)*0x9e3779b97f4a7c15 // #nosec G115 -- a platform index, 0 to maxPlatforms
}
