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

	"github.com/xk6-registry/xk6-registry/registry"
)

// Format is the manifest and layer format of a generated image.
type Format string

// Formats of generated images.
const (
	// FormatOCI: OCI image manifest, uncompressed tar layers.
	FormatOCI Format = "oci"
	// FormatDocker: docker v2 schema 2 manifest, gzip-wrapped tar layers.
	FormatDocker Format = "docker"
)

// MaxLayers bounds a generated image: registries refuse huge manifests.
const MaxLayers = 1000

// GenerateOptions describe a generated image.
type GenerateOptions struct {
	Layers    int     // how many layers; 0 is a valid, empty image
	LayerSize int64   // bytes of each layer blob (see tarLayer for rounding)
	Seed      *uint64 // nil: a fresh seed, so every blob is new to the registry
	Format    Format  // "" means FormatOCI
	// Platforms, when given, make an index of one image per platform
	// ("os/arch[/variant]"), each with its own layers.
	Platforms []string
	// Base, when given, is an image whose layers come first, as FROM in a
	// Dockerfile: images built on one base share its blobs.
	Base *registry.Image
}

// Generate makes a valid image of random layers. Its bytes are a pure
// function of (seed, layer index, size, format); digests are computed here
// by streaming each layer once, stopping when ctx ends, and the layers are
// streamed again on every Open, never held.
func Generate(ctx context.Context, opts GenerateOptions) (*registry.Image, error) {
	if opts.Format == "" {
		opts.Format = FormatOCI
	}
	if opts.Format != FormatOCI && opts.Format != FormatDocker {
		return nil, fmt.Errorf("format %q is not oci or docker", opts.Format)
	}
	if opts.Layers < 0 || opts.Layers > MaxLayers {
		return nil, fmt.Errorf("layers %d is not between 0 and %d", opts.Layers, MaxLayers)
	}
	if opts.LayerSize < MinLayerSize {
		return nil, fmt.Errorf("layerSize %d is below %d bytes, the smallest tar of one file", opts.LayerSize, MinLayerSize)
	}
	seed := FreshSeed()
	if opts.Seed != nil {
		seed = *opts.Seed
	}
	if len(opts.Platforms) > 0 {
		return generateIndex(ctx, opts, seed)
	}
	platform, err := registry.ParsePlatform(registry.DefaultPlatform)
	if err != nil {
		return nil, err
	}
	return generateImage(ctx, opts, seed, platform)
}

// generateImage makes one platform's image.
func generateImage(ctx context.Context, opts GenerateOptions, seed uint64, platform ocispec.Platform) (*registry.Image, error) {
	img := &registry.Image{}
	diffIDs := make([]digest.Digest, 0, opts.Layers)
	if opts.Base != nil {
		baseDiffIDs, err := diffIDsOf(opts.Base)
		if err != nil {
			return nil, fmt.Errorf("base: %w", err)
		}
		img.Layers = append(img.Layers, opts.Base.Layers...)
		diffIDs = append(diffIDs, baseDiffIDs...)
	}
	for i := range opts.Layers {
		layer, diffID, err := generatedLayer(ctx, seed, i, opts.LayerSize, opts.Format, opts.Seed != nil)
		if err != nil {
			return nil, err
		}
		img.Layers = append(img.Layers, layer)
		diffIDs = append(diffIDs, diffID)
	}

	configType, manifestType := ocispec.MediaTypeImageConfig, ocispec.MediaTypeImageManifest
	if opts.Format == FormatDocker {
		configType, manifestType = string(types.DockerConfigJSON), string(types.DockerManifestSchema2)
	}
	config, err := json.Marshal(ocispec.Image{
		Created:  &layerEpoch,
		Platform: platform,
		Config: ocispec.ImageConfig{Labels: map[string]string{
			"org.opencontainers.image.vendor": "xk6-registry",
			"io.k6.registry.seed":             strconv.FormatUint(seed, 10),
		}},
		RootFS: ocispec.RootFS{Type: "layers", DiffIDs: diffIDs},
	})
	if err != nil {
		return nil, err
	}
	img.Config = Bytes(config, configType)
	manifest := ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: manifestType,
		Config:    img.Config.Descriptor(),
		Layers:    make([]ocispec.Descriptor, 0, len(img.Layers)),
	}
	for _, l := range img.Layers {
		manifest.Layers = append(manifest.Layers, l.Descriptor())
	}
	img.MediaType = manifestType
	if img.Manifest, err = json.Marshal(manifest); err != nil {
		return nil, err
	}
	return img, nil
}

// generatedLayer makes layer index of an image and returns its diff_id.
func generatedLayer(ctx context.Context, seed uint64, index int, size int64, format Format, keep bool) (registry.BlobSource, digest.Digest, error) {
	stream := func(ctx context.Context) (io.Reader, error) {
		tr, err := tarLayer(seed, index, size)
		if err != nil {
			return nil, err
		}
		r := io.Reader(ctxReader{ctx, tr})
		if format == FormatDocker {
			r = newGzipReader(r)
		}
		return r, nil
	}
	d, err := digests.get(keep, digestKey{kind: string(format), seed: seed, index: index, size: size}, func() (digested, error) {
		layer, err := tarLayer(seed, index, size)
		if err != nil {
			return digested{}, err
		}
		tr := ctxReader{ctx, layer}
		if format == FormatOCI {
			d, err := digestOf(tr)
			d.diffID = d.digest
			return d, err
		}
		// One pass: the tar feeds the diff_id and, gzipped, the digest.
		diff := digest.Canonical.Digester()
		d, err := digestOf(newGzipReader(io.TeeReader(tr, diff.Hash())))
		d.diffID = diff.Digest()
		return d, err
	})
	if err != nil {
		return nil, "", err
	}
	mediaType := ocispec.MediaTypeImageLayer
	if format == FormatDocker {
		mediaType = string(types.DockerLayer)
	}
	return &streamBlob{
		desc: ocispec.Descriptor{MediaType: mediaType, Digest: d.digest, Size: d.size},
		open: func(ctx context.Context) (io.ReadCloser, error) {
			r, err := stream(ctx)
			if err != nil {
				return nil, err
			}
			return io.NopCloser(r), nil
		},
	}, d.diffID, nil
}

// diffIDsOf reads an image's diff_ids from its config, which is small.
func diffIDsOf(img *registry.Image) ([]digest.Digest, error) {
	if img.IsIndex() || img.Config == nil {
		return nil, fmt.Errorf("an index cannot be a base; pick one of its images")
	}
	rc, err := img.Config.Open(context.Background())
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
