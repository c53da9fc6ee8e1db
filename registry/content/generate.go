package content

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/xk6-registry/xk6-registry/internal/lazy"
	"github.com/xk6-registry/xk6-registry/registry"
)

// Format is the manifest and layer format of a generated image.
type Format string

// Formats of generated images.
const (
	// FormatOCI: OCI image manifest, uncompressed tar layers.
	FormatOCI Format = "oci"
	// FormatDocker: docker v2 schema 2 manifest, gzip-framed tar layers.
	FormatDocker Format = "docker"
)

// MaxLayers bounds a generated image: registries refuse huge manifests.
const MaxLayers = 1000

// GenerateOptions describe a generated image.
type GenerateOptions struct {
	Layers    int     // how many layers; 0 is a valid, empty image
	LayerSize int64   // bytes of each layer blob (see shapeOf for rounding)
	Seed      *uint64 // nil: a fresh seed, so every blob is new to the registry
	Format    Format  // "" means FormatOCI
	Body      Body    // "" means BodyShared
	// Platforms, when given, make an index of one image per platform
	// ("os/arch[/variant]"), each with its own layers.
	Platforms []string
	// Base, when given, is an image whose layers come first, as FROM in a
	// Dockerfile: images built on one base share its blobs.
	Base *registry.Image
	// LayerSizes, when given, draws each layer's size from it instead of
	// LayerSize.
	LayerSizes *SizeMix
	// Digest is the algorithm the config and layers are described by: ""
	// or sha256, or sha512, at the cost of a full pass over each blob's
	// bytes. Manifests keep sha256, the digest registries name them by,
	// and so do the config's diff_ids.
	Digest digest.Algorithm
}

// Validate checks the options, naming what is wrong.
func (o GenerateOptions) Validate() error {
	if o.Format != "" && o.Format != FormatOCI && o.Format != FormatDocker {
		return fmt.Errorf("format %q is not oci or docker", o.Format)
	}
	if o.Layers < 0 || o.Layers > MaxLayers {
		return fmt.Errorf("layers %d is not between 0 and %d", o.Layers, MaxLayers)
	}
	if o.LayerSizes != nil {
		o.LayerSize = MinLayerSize // each of its sizes was checked when it was made
	}
	if o.LayerSize < MinLayerSize {
		return fmt.Errorf("layerSize %d is below %d bytes, the smallest tar of one file", o.LayerSize, MinLayerSize)
	}
	if o.LayerSize > MaxSize {
		return fmt.Errorf("layerSize %d is above %d bytes (16PiB)", o.LayerSize, int64(MaxSize))
	}
	if _, err := ParseAlgorithm(string(o.Digest)); err != nil {
		return err
	}
	if o.Base != nil && (o.Base.IsIndex() || o.Base.Config == nil) {
		return fmt.Errorf("base: an index cannot be a base; pick one of its images")
	}
	return o.Body.Validate()
}

// layerSize is the size of layer i of an image of seed.
func (o GenerateOptions) layerSize(seed uint64, i int) int64 {
	if o.LayerSizes != nil {
		return o.LayerSizes.sizeOf(seed, i)
	}
	return o.LayerSize
}

// Generate makes a valid image of pseudorandom layers. Its bytes are a pure
// function of (seed, layer index, size, format, body). It returns at once:
// digests, the config and the manifest are computed when first needed, by
// the script or by a push, under that caller's context; the layers stream
// on every Open, never held.
func Generate(opts GenerateOptions) (*registry.Image, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if opts.Format == "" {
		opts.Format = FormatOCI
	}
	seed, fixed := seedOf(opts.Seed)
	if len(opts.Platforms) > 0 {
		return generateIndex(opts, seed, fixed)
	}
	platform, err := registry.ParsePlatform(registry.DefaultPlatform)
	if err != nil {
		return nil, err
	}
	return generateImage(opts, seed, fixed, platform)
}

// generateImage makes one platform's image.
func generateImage(opts GenerateOptions, seed uint64, fixed bool, platform ocispec.Platform) (*registry.Image, error) {
	kind, layerType, configType, manifestType := kindTar, ocispec.MediaTypeImageLayer, ocispec.MediaTypeImageConfig, ocispec.MediaTypeImageManifest
	if opts.Format == FormatDocker {
		kind, layerType = kindGzip, string(types.DockerLayer)
		configType, manifestType = string(types.DockerConfigJSON), string(types.DockerManifestSchema2)
	}
	img := &registry.Image{MediaType: manifestType}
	if opts.Base != nil {
		img.Layers = append(img.Layers, opts.Base.Layers...)
	}
	layers := make([]*genBlob, 0, opts.Layers)
	for i := range opts.Layers {
		layer, err := newGenBlob(blobSpec{
			seed: seed, stream: uint64(i), fixedSeed: fixed, body: opts.Body, // #nosec G115 -- a layer index, 0 to MaxLayers
			kind: kind, size: opts.layerSize(seed, i), mediaType: layerType,
			ownName: fmt.Sprintf("xk6-registry/%016x-%d.bin", seed, i),
		})
		if err != nil {
			return nil, err
		}
		img.Layers = append(img.Layers, DescribedBy(layer, opts.Digest))
		layers = append(layers, layer)
	}
	base := opts.Base
	img.Config = DescribedBy(built(configType, func(ctx context.Context) ([]byte, error) {
		var diffIDs []digest.Digest
		if base != nil {
			ids, err := diffIDsOf(ctx, base)
			if err != nil {
				return nil, fmt.Errorf("base: %w", err)
			}
			diffIDs = ids
		}
		for _, l := range layers {
			id, err := l.diffID(ctx)
			if err != nil {
				return nil, err
			}
			diffIDs = append(diffIDs, id)
		}
		return json.Marshal(ocispec.Image{
			Created:  &layerEpoch,
			Platform: platform,
			Config: ocispec.ImageConfig{Labels: map[string]string{
				"org.opencontainers.image.vendor": "xk6-registry",
				"io.k6.registry.seed":             strconv.FormatUint(seed, 10),
			}},
			RootFS: ocispec.RootFS{Type: "layers", DiffIDs: diffIDs},
		})
	}), opts.Digest)
	img.BuildManifest(func(ctx context.Context) ([]byte, error) {
		return imageManifest(ctx, img, "")
	})
	return img, nil
}

// imageManifest is the manifest of img's config and layers.
func imageManifest(ctx context.Context, img *registry.Image, artifactType string) ([]byte, error) {
	config, err := img.Config.Descriptor(ctx)
	if err != nil {
		return nil, err
	}
	m := ocispec.Manifest{
		Versioned:    specs.Versioned{SchemaVersion: 2},
		MediaType:    img.MediaType,
		ArtifactType: artifactType,
		Config:       config,
		Layers:       make([]ocispec.Descriptor, 0, len(img.Layers)),
	}
	for _, l := range img.Layers {
		desc, err := l.Descriptor(ctx)
		if err != nil {
			return nil, err
		}
		m.Layers = append(m.Layers, desc)
	}
	return json.Marshal(m)
}

// diffIDsOf reads an image's diff_ids from its config, which is small.
func diffIDsOf(ctx context.Context, img *registry.Image) ([]digest.Digest, error) {
	rc, err := img.Config.Open(ctx)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var cfg ocispec.Image
	if err := json.NewDecoder(io.LimitReader(rc, registry.MaxManifestSize)).Decode(&cfg); err != nil {
		return nil, fmt.Errorf("reading its config: %w", err)
	}
	if len(cfg.RootFS.DiffIDs) != len(img.Layers) {
		return nil, fmt.Errorf("its config has %d diff_ids for %d layers", len(cfg.RootFS.DiffIDs), len(img.Layers))
	}
	return cfg.RootFS.DiffIDs, nil
}

// builtBlob is small content built when first needed: a generated image's
// config, which holds its layers' digests.
type builtBlob struct {
	mediaType string
	held      *lazy.Value[*heldBlob]
}

func built(mediaType string, build func(context.Context) ([]byte, error)) *builtBlob {
	return &builtBlob{mediaType: mediaType, held: lazy.New(func(ctx context.Context) (*heldBlob, error) {
		data, err := build(ctx)
		if err != nil {
			return nil, err
		}
		return held(data, mediaType), nil
	})}
}

func (b *builtBlob) Descriptor(ctx context.Context) (ocispec.Descriptor, error) {
	h, err := b.held.Get(ctx)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	return h.desc, nil
}

func (b *builtBlob) Open(ctx context.Context) (io.ReadCloser, error) {
	h, err := b.held.Get(ctx)
	if err != nil {
		return nil, err
	}
	return h.Open(ctx)
}
