package content

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/xk6-registry/xk6-registry/registry"
)

// annotationContainerdName is the name docker 25+ and containerd give an
// image in an OCI layout they write: the full reference, where
// org.opencontainers.image.ref.name holds the tag alone.
const annotationContainerdName = "io.containerd.image.name"

// readLayoutIndex lists the images an OCI layout's index.json holds, by
// the names its annotations give them and, for docker 25+, by the
// RepoTags of the manifest.json beside it.
func readLayoutIndex(src files, legacy []*fileEntry) ([]*fileEntry, error) {
	raw, err := readSmall(src, "index.json", registry.MaxManifestSize)
	if err != nil {
		return nil, err
	}
	var index ocispec.Index
	if err := json.Unmarshal(raw, &index); err != nil {
		return nil, fmt.Errorf("index.json: %w", err)
	}
	if len(index.Manifests) == 0 {
		return nil, errors.New("index.json: it lists no manifests")
	}
	tagsByConfig := map[string][]string{}
	for _, e := range legacy {
		tagsByConfig[path.Clean(e.legacy.Config)] = append(tagsByConfig[path.Clean(e.legacy.Config)], e.names...)
	}
	var entries []*fileEntry
	byDigest := map[digest.Digest]*fileEntry{}
	for i, d := range index.Manifests {
		if err := d.Digest.Validate(); err != nil {
			return nil, fmt.Errorf("index.json: manifests[%d]: digest %q: %w", i, d.Digest, err)
		}
		e, seen := byDigest[d.Digest]
		if !seen {
			e = &fileEntry{id: d.Digest, desc: &index.Manifests[i]}
			byDigest[d.Digest] = e
			entries = append(entries, e)
		}
		if len(tagsByConfig) > 0 && !registry.IsIndexMediaType(d.MediaType) {
			if config, err := configOf(src, d); err == nil {
				e.names = appendNew(e.names, tagsByConfig[blobPath(config)]...)
			}
		}
		e.names = appendNew(e.names, d.Annotations[annotationContainerdName], d.Annotations[ocispec.AnnotationRefName])
	}
	return entries, nil
}

// configOf is the config digest of an image manifest of the layout.
func configOf(src files, d ocispec.Descriptor) (digest.Digest, error) {
	raw, err := readBlob(src, d)
	if err != nil {
		return "", err
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return "", err
	}
	return m.Config.Digest, nil
}

func appendNew(names []string, more ...string) []string {
	for _, n := range more {
		if n != "" && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return names
}

func blobPath(d digest.Digest) string {
	return path.Join("blobs", d.Algorithm().String(), d.Encoded())
}

// readBlob reads a small blob of the layout and checks it against its
// descriptor.
func readBlob(src files, desc ocispec.Descriptor) ([]byte, error) {
	if err := desc.Digest.Validate(); err != nil {
		return nil, fmt.Errorf("descriptor digest %q: %w", desc.Digest, err)
	}
	raw, err := readSmall(src, blobPath(desc.Digest), registry.MaxManifestSize)
	if err != nil {
		return nil, err
	}
	if int64(len(raw)) != desc.Size || desc.Digest.Algorithm().FromBytes(raw) != desc.Digest {
		return nil, fmt.Errorf("%s: its content does not match its name and descriptor (%s, %d bytes)", blobPath(desc.Digest), desc.Digest, desc.Size)
	}
	return raw, nil
}

// mediaTypeOf is a manifest's media type: its descriptor's, else its own
// field's, else what its fields say it is.
func mediaTypeOf(desc ocispec.Descriptor, raw []byte) string {
	if desc.MediaType != "" {
		return desc.MediaType
	}
	var probe struct {
		MediaType string            `json:"mediaType"`
		Manifests []json.RawMessage `json:"manifests"`
	}
	_ = json.Unmarshal(raw, &probe)
	switch {
	case probe.MediaType != "":
		return probe.MediaType
	case probe.Manifests != nil:
		return ocispec.MediaTypeImageIndex
	}
	return ocispec.MediaTypeImageManifest
}

// layoutEntry makes an image of an entry of index.json: an image, or an
// index pushed whole (its images by digest, then the index, with the
// file's bytes), unless platform picks one of its images.
func (f *imageFile) layoutEntry(desc ocispec.Descriptor, gzip bool, platform *ocispec.Platform) (*registry.Image, error) {
	raw, err := readBlob(f.src, desc)
	if err != nil {
		return nil, err
	}
	mediaType := mediaTypeOf(desc, raw)
	if !registry.IsIndexMediaType(mediaType) {
		img, _, err := f.layoutImage(desc, raw, gzip, platform)
		return img, err
	}
	var index ocispec.Index
	if err := json.Unmarshal(raw, &index); err != nil {
		return nil, fmt.Errorf("index %s: %w", desc.Digest, err)
	}
	if platform != nil {
		child, ok := registry.MatchPlatform(index.Manifests, *platform)
		if !ok {
			return nil, fmt.Errorf("platform %s: the index %s has none; it lists %s", registry.FormatPlatform(*platform), desc.Digest, platformsOf(index.Manifests))
		}
		img, _, err := f.indexChild(desc, child, gzip)
		return img, err
	}
	img := &registry.Image{MediaType: mediaType}
	changed := false
	for _, child := range index.Manifests {
		c, compressed, err := f.indexChild(desc, child, gzip)
		if err != nil {
			return nil, err
		}
		c.Platform = child.Platform
		img.Manifests = append(img.Manifests, c)
		changed = changed || compressed
	}
	if !changed {
		img.SetManifest(raw)
		return img, nil
	}
	// Compressed layers changed some images' manifests, so the index too.
	img.BuildManifest(func(ctx context.Context) ([]byte, error) {
		for i, c := range img.Manifests {
			d, err := c.Descriptor(ctx)
			if err != nil {
				return nil, err
			}
			index.Manifests[i].Digest, index.Manifests[i].Size = d.Digest, d.Size
		}
		return json.Marshal(index)
	})
	return img, nil
}

// indexChild makes the image an index lists.
func (f *imageFile) indexChild(index, child ocispec.Descriptor, gzip bool) (*registry.Image, bool, error) {
	what := "its image " + child.Digest.String()
	if child.Platform != nil {
		what = "its image for " + registry.FormatPlatform(*child.Platform) + " (" + child.Digest.String() + ")"
	}
	if registry.IsIndexMediaType(child.MediaType) {
		return nil, false, fmt.Errorf("index %s: %s is an index too, and a push sends one level of index: load one platform with { platform }", index.Digest, what)
	}
	raw, err := readBlob(f.src, child)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, fmt.Errorf("index %s: %s is not in the file (docker save keeps only the platforms it pulled): load one platform with { platform }: %w", index.Digest, what, err)
	}
	if err != nil {
		return nil, false, fmt.Errorf("index %s: %w", index.Digest, err)
	}
	img, changed, err := f.layoutImage(child, raw, gzip, nil)
	if err != nil {
		return nil, false, fmt.Errorf("index %s: %s: %w", index.Digest, what, err)
	}
	return img, changed, nil
}

func platformsOf(manifests []ocispec.Descriptor) string {
	var out []string
	for _, m := range manifests {
		if m.Platform != nil {
			out = append(out, registry.FormatPlatform(*m.Platform))
		}
	}
	if len(out) == 0 {
		return "no platforms"
	}
	return strings.Join(out, ", ")
}

// layoutImage makes an image of a layout's manifest, its layers streamed
// from the layout's blobs, each checked against its name before its first
// upload. The manifest is the file's, byte for byte, unless gzip
// compresses a layer; changed says so.
func (f *imageFile) layoutImage(desc ocispec.Descriptor, raw []byte, gzip bool, platform *ocispec.Platform) (_ *registry.Image, changed bool, _ error) {
	var m ocispec.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, false, fmt.Errorf("manifest %s: %w", desc.Digest, err)
	}
	mediaType := mediaTypeOf(desc, raw)
	config, err := readBlob(f.src, m.Config)
	if err != nil {
		return nil, false, fmt.Errorf("config: %w", err)
	}
	if err := checkPlatform(config, platform); err != nil {
		return nil, false, err
	}
	img := &registry.Image{MediaType: mediaType, Config: held(config, m.Config.MediaType)}
	for i, l := range m.Layers {
		if err := l.Digest.Validate(); err != nil {
			return nil, false, fmt.Errorf("layer %d: digest %q: %w", i, l.Digest, err)
		}
		name := blobPath(l.Digest)
		lf, err := f.layer(name)
		if err != nil {
			return nil, false, fmt.Errorf("layer %d: %w", i, err)
		}
		if lf.size != l.Size {
			return nil, false, fmt.Errorf("layer %d: %s has %d bytes, the manifest says %d", i, name, lf.size, l.Size)
		}
		plain := &fileBlob{l: lf, mediaType: l.MediaType, known: &m.Layers[i], layer: i}
		// A layer whose bytes are gzip already is not compressed again,
		// whatever its media type says.
		if gzip && isUncompressedLayer(l.MediaType) && !lf.gzipped {
			img.Layers = append(img.Layers, &gzipBlob{src: plain, mediaType: gzipType(mediaType)})
			changed = true
			continue
		}
		img.Layers = append(img.Layers, plain)
	}
	if !changed {
		img.SetManifest(raw)
		return img, false, nil
	}
	img.BuildManifest(func(ctx context.Context) ([]byte, error) {
		out := m
		out.Layers = append([]ocispec.Descriptor(nil), m.Layers...)
		descs, err := describeAll(ctx, img.Layers)
		if err != nil {
			return nil, err
		}
		for i, d := range descs {
			out.Layers[i].MediaType, out.Layers[i].Digest, out.Layers[i].Size = d.MediaType, d.Digest, d.Size
		}
		return json.Marshal(out)
	})
	return img, true, nil
}
