package content

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sync"

	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/xk6-registry/xk6-registry/registry"
)

// Load reads an image to push from the disk: a docker save tarball (the
// legacy manifest.json layout, or the OCI layout docker 25+ writes), or an
// OCI image layout as a directory or a tar. Layers are not copied: each
// push streams them from the file. An index of several images yields its
// linux/amd64 image, else its first.
//
// Loads are remembered for the process by path, size and modification
// time: k6 runs the init context once per VU, and hashing a large legacy
// tarball once per VU would make starting a test slow.
func Load(p string) (*registry.Image, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, err
	}
	return remembered(loadKey{path: abs, size: fi.Size(), mtime: fi.ModTime().UnixNano(), dir: fi.IsDir()}, func() (*registry.Image, error) {
		if !fi.IsDir() {
			return loadTar(func() (File, error) { return os.Open(abs) }) // #nosec G304 -- the file the script pointed load() at
		}
		d, err := openDir(abs)
		if err != nil {
			return nil, err
		}
		img, err := loadFiles(d)
		if err != nil {
			// On success the image streams its layers through the root.
			_ = d.root.Close()
		}
		return img, err
	})
}

// LoadFS reads an image at the absolute path p through fsys, as Load reads
// the disk: k6 archive then bundles what it read, and an archived run
// reads what the archive holds. onDisk says that p is on this machine's
// disk as well (a local run), where a directory's symbolic links are
// checked. Every file the image streams is opened here once, so that k6's
// file system holds it when k6 archive bundles what was read.
func LoadFS(fsys FS, p string, onDisk bool) (*registry.Image, error) {
	fi, err := fsys.Stat(p)
	if err != nil {
		return nil, err
	}
	key := loadKey{path: p, size: fi.Size(), mtime: fi.ModTime().UnixNano(), dir: fi.IsDir(), fs: true}
	return remembered(key, func() (*registry.Image, error) {
		if !fi.IsDir() {
			return loadTar(func() (File, error) { return fsys.Open(p) })
		}
		d := fsDir{fsys: fsys, dir: p}
		if onDisk {
			root, err := os.OpenRoot(filepath.FromSlash(p))
			if err != nil {
				return nil, err
			}
			d.guard = root
		}
		img, err := loadFiles(d)
		if err != nil && d.guard != nil {
			// On success the image checks its layers' names there on every push.
			_ = d.guard.Close()
		}
		return img, err
	})
}

// LoadBytes reads an image from a tar held in memory, such as open(path,
// "b") returns. The image streams its layers from data, which it keeps
// without copying; data must not change while the image is pushed.
func LoadBytes(data []byte) (*registry.Image, error) {
	return loadTar(func() (File, error) { return heldFile{bytes.NewReader(data)}, nil })
}

// SizeOnDisk is how many bytes a load of p may read: the file's size, or
// the sum of a directory's files.
func SizeOnDisk(p string) (int64, error) {
	var total int64
	err := filepath.WalkDir(p, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		fi, err := d.Info()
		total += fi.Size()
		return err
	})
	return total, err
}

type loadKey struct {
	path  string
	size  int64
	mtime int64
	dir   bool
	fs    bool // read through an FS, not the disk
}

var loaded sync.Map

// remembered returns the image loaded under key, loading it once.
func remembered(key loadKey, load func() (*registry.Image, error)) (*registry.Image, error) {
	if v, ok := loaded.Load(key); ok {
		return v.(*registry.Image), nil
	}
	img, err := load()
	if err != nil {
		return nil, err
	}
	loaded.Store(key, img)
	return img, nil
}

func loadTar(archive func() (File, error)) (*registry.Image, error) {
	tf, err := indexTar(archive)
	if err != nil {
		return nil, err
	}
	return loadFiles(tf)
}

// loadFiles reads an OCI layout or a docker save from its files.
func loadFiles(src files) (*registry.Image, error) {
	if _, ok := src.size("index.json"); ok {
		return loadOCILayout(src)
	}
	if _, ok := src.size("manifest.json"); ok {
		return loadDockerSave(src)
	}
	return nil, fmt.Errorf("no index.json (OCI image layout) or manifest.json (docker save) found")
}

// loadOCILayout reads the image index.json names, descending through
// nested indexes.
func loadOCILayout(src files) (*registry.Image, error) {
	raw, err := readSmall(src, "index.json", registry.MaxManifestSize)
	if err != nil {
		return nil, err
	}
	var index ocispec.Index
	if err := json.Unmarshal(raw, &index); err != nil {
		return nil, fmt.Errorf("index.json: %w", err)
	}
	for depth := 0; depth < 4; depth++ {
		desc, err := pickManifest(index.Manifests)
		if err != nil {
			return nil, fmt.Errorf("index.json: %w", err)
		}
		raw, err := readBlob(src, desc)
		if err != nil {
			return nil, err
		}
		if registry.IsIndexMediaType(desc.MediaType) {
			index = ocispec.Index{}
			if err := json.Unmarshal(raw, &index); err != nil {
				return nil, fmt.Errorf("index %s: %w", desc.Digest, err)
			}
			continue
		}
		return layoutImage(src, desc.MediaType, raw)
	}
	return nil, fmt.Errorf("index.json: indexes nested too deep")
}

// pickManifest takes the default platform's manifest from a list, else the first.
func pickManifest(manifests []ocispec.Descriptor) (ocispec.Descriptor, error) {
	if len(manifests) == 0 {
		return ocispec.Descriptor{}, fmt.Errorf("no manifests")
	}
	if platform, err := registry.ParsePlatform(registry.DefaultPlatform); err == nil {
		if m, ok := registry.MatchPlatform(manifests, platform); ok {
			return m, nil
		}
	}
	return manifests[0], nil
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
		return nil, fmt.Errorf("%s: content does not match its descriptor (%d bytes)", blobPath(desc.Digest), desc.Size)
	}
	return raw, nil
}

// layoutImage makes an image of a layout's manifest; its layers stream
// from the layout's blobs.
func layoutImage(src files, mediaType string, manifestRaw []byte) (*registry.Image, error) {
	var m ocispec.Manifest
	if err := json.Unmarshal(manifestRaw, &m); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	if mediaType == "" {
		mediaType = m.MediaType
	}
	if mediaType == "" {
		mediaType = ocispec.MediaTypeImageManifest
	}
	config, err := readBlob(src, m.Config)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	img := &registry.Image{MediaType: mediaType, Config: held(config, m.Config.MediaType)}
	img.SetManifest(manifestRaw)
	for i, l := range m.Layers {
		if err := l.Digest.Validate(); err != nil {
			return nil, fmt.Errorf("layer %d: digest %q: %w", i, l.Digest, err)
		}
		name := blobPath(l.Digest)
		size, ok := src.size(name)
		if !ok {
			return nil, fmt.Errorf("layer %d: %s: not found", i, name)
		}
		if size != l.Size {
			return nil, fmt.Errorf("layer %d: %s has %d bytes, the manifest says %d", i, name, size, l.Size)
		}
		// Opened once now: a layer that cannot be read fails the load, not
		// a push, and k6's file system, which copies what is opened through
		// it, holds it for k6 archive to bundle.
		rc, err := src.open(name)
		if err != nil {
			return nil, fmt.Errorf("layer %d: %w", i, err)
		}
		_ = rc.Close()
		img.Layers = append(img.Layers, &fileBlob{src: src, name: name, desc: l})
	}
	return img, nil
}

// fileBlob is a layer of a loaded image, streamed from its file on each Open.
type fileBlob struct {
	src  files
	name string
	desc ocispec.Descriptor
}

func (b *fileBlob) Descriptor(context.Context) (ocispec.Descriptor, error) { return b.desc, nil }

func (b *fileBlob) Open(ctx context.Context) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return b.src.open(b.name)
}

// dockerSaveEntry is one image of a legacy docker save manifest.json.
type dockerSaveEntry struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// loadDockerSave reads the legacy docker save layout: manifest.json names
// a config file and layer tars by path. The layers' digests are computed
// here, by streaming each once; a docker v2 manifest is built for them.
func loadDockerSave(src files) (*registry.Image, error) {
	raw, err := readSmall(src, "manifest.json", registry.MaxManifestSize)
	if err != nil {
		return nil, err
	}
	var entries []dockerSaveEntry
	if err := json.Unmarshal(raw, &entries); err != nil {
		return nil, fmt.Errorf("manifest.json: %w", err)
	}
	if len(entries) == 0 || entries[0].Config == "" {
		return nil, fmt.Errorf("manifest.json: no image in it")
	}
	e := entries[0]
	config, err := readSmall(src, e.Config, registry.MaxManifestSize)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	configBlob := held(config, string(types.DockerConfigJSON))
	img := &registry.Image{MediaType: string(types.DockerManifestSchema2), Config: configBlob}
	manifest := ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: string(types.DockerManifestSchema2),
		Config:    configBlob.desc,
		Layers:    make([]ocispec.Descriptor, 0, len(e.Layers)),
	}
	for i, name := range e.Layers {
		desc, err := describeFile(src, name)
		if err != nil {
			return nil, fmt.Errorf("layer %d (%s): %w", i, name, err)
		}
		manifest.Layers = append(manifest.Layers, desc)
		img.Layers = append(img.Layers, &fileBlob{src: src, name: name, desc: desc})
	}
	raw, err = json.Marshal(manifest)
	if err != nil {
		return nil, err
	}
	img.SetManifest(raw)
	return img, nil
}

// describeFile digests a layer file and tells its media type from its
// first bytes: legacy layers are plain tars, some tools gzip them.
func describeFile(src files, name string) (ocispec.Descriptor, error) {
	rc, err := src.open(name)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	defer rc.Close()
	var magic [2]byte
	n, _ := io.ReadFull(rc, magic[:])
	dg := digest.Canonical.Digester()
	_, _ = dg.Hash().Write(magic[:n]) // a hash.Hash never fails to write
	size, err := io.Copy(dg.Hash(), rc)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	mediaType := types.DockerUncompressedLayer
	if n == 2 && magic == gzipMagic {
		mediaType = types.DockerLayer
	}
	return ocispec.Descriptor{MediaType: string(mediaType), Digest: dg.Digest(), Size: size + int64(n)}, nil
}
