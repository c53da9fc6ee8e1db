package content

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/xk6-registry/xk6-registry/registry"
)

// dockerSaveEntry is one image of a legacy docker save manifest.json.
type dockerSaveEntry struct {
	Config   string
	RepoTags []string
	Layers   []string

	config []byte // the config file's bytes
}

// readDockerSave reads a docker save's manifest.json and every image's
// config, which are small: an image without a tag is known by its config's
// digest, the image ID docker shows.
func readDockerSave(src files) ([]*fileEntry, error) {
	raw, err := readSmall(src, "manifest.json", registry.MaxManifestSize)
	if err != nil {
		return nil, err
	}
	var images []*dockerSaveEntry
	if err := json.Unmarshal(raw, &images); err != nil {
		return nil, fmt.Errorf("manifest.json: %w", err)
	}
	if len(images) == 0 {
		return nil, fmt.Errorf("manifest.json: no image in it")
	}
	entries := make([]*fileEntry, 0, len(images))
	for i, img := range images {
		if img == nil || img.Config == "" {
			return nil, fmt.Errorf("manifest.json: image %d has no Config", i)
		}
		img.config, err = readSmall(src, img.Config, registry.MaxManifestSize)
		if err != nil {
			return nil, fmt.Errorf("manifest.json: image %d: config: %w", i, err)
		}
		entries = append(entries, &fileEntry{names: img.RepoTags, id: digest.FromBytes(img.config), legacy: img})
	}
	return entries, nil
}

// dockerSaveImage makes a docker v2 manifest for a legacy docker save
// image. Its layers are hashed when the manifest is first needed, each
// once per file; gzip compresses the uncompressed ones as docker push does.
func (f *imageFile) dockerSaveImage(e *dockerSaveEntry, gzip bool, platform *ocispec.Platform) (*registry.Image, error) {
	if err := checkPlatform(e.config, platform); err != nil {
		return nil, err
	}
	var cfg ocispec.Image
	if err := json.Unmarshal(e.config, &cfg); err != nil {
		return nil, fmt.Errorf("config %s: %w", e.Config, err)
	}
	layers := make([]*layerFile, len(e.Layers))
	for i, name := range e.Layers {
		l, err := f.layer(name)
		if err != nil {
			return nil, fmt.Errorf("layer %d (%s): %w", i, name, err)
		}
		layers[i] = l
	}
	if len(cfg.RootFS.DiffIDs) != len(e.Layers) {
		return nil, fmt.Errorf("config %s has %d diff_ids for the %d layers manifest.json lists", e.Config, len(cfg.RootFS.DiffIDs), len(e.Layers))
	}
	configBlob := held(e.config, string(types.DockerConfigJSON))
	img := &registry.Image{MediaType: string(types.DockerManifestSchema2), Config: configBlob}
	for i, l := range layers {
		if l.gzipped {
			img.Layers = append(img.Layers, &fileBlob{l: l, mediaType: string(types.DockerLayer)})
			continue
		}
		plain := &fileBlob{l: l, mediaType: string(types.DockerUncompressedLayer), diffID: cfg.RootFS.DiffIDs[i], layer: i}
		if gzip {
			img.Layers = append(img.Layers, &gzipBlob{src: plain, mediaType: string(types.DockerLayer)})
			continue
		}
		img.Layers = append(img.Layers, plain)
	}
	img.BuildManifest(func(ctx context.Context) ([]byte, error) {
		m := ocispec.Manifest{
			Versioned: specs.Versioned{SchemaVersion: 2},
			MediaType: string(types.DockerManifestSchema2),
			Config:    configBlob.desc,
		}
		layers, err := describeAll(ctx, img.Layers)
		if err != nil {
			return nil, err
		}
		m.Layers = layers
		return json.Marshal(m)
	})
	return img, nil
}

// fileBlob is a layer pushed as its file holds it. Its descriptor is the
// manifest's (an OCI layout), checked against the file when first asked
// for, which a push does for every blob before it uploads any; or the
// file's own, hashed when first asked for (a docker save), which must be
// the config's diff_id for an uncompressed layer.
type fileBlob struct {
	l         *layerFile
	mediaType string
	known     *ocispec.Descriptor
	diffID    digest.Digest
	layer     int
}

func (b *fileBlob) Descriptor(ctx context.Context) (ocispec.Descriptor, error) {
	if b.known != nil {
		return *b.known, b.l.check(ctx, *b.known)
	}
	d, err := b.l.plain.Get(ctx)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	if b.diffID != "" && d != b.diffID {
		return ocispec.Descriptor{}, fmt.Errorf("layer %d (%s) is %s, but the config's diff_id says %s", b.layer, b.l.name, d, b.diffID)
	}
	return ocispec.Descriptor{MediaType: b.mediaType, Digest: d, Size: b.l.size}, nil
}

func (b *fileBlob) Open(ctx context.Context) (io.ReadCloser, error) {
	if _, err := b.Descriptor(ctx); err != nil {
		return nil, err
	}
	return b.l.open(ctx)
}

// plainDigest is the digest of the layer's uncompressed bytes. A layout's
// is its name, which compressing the layer checks on the way.
func (b *fileBlob) plainDigest(ctx context.Context) (digest.Digest, error) {
	if b.known != nil {
		return b.known.Digest, nil
	}
	d, err := b.Descriptor(ctx)
	return d.Digest, err
}
