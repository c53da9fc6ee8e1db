package content

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/xk6-registry/xk6-registry/internal/lazy"
	"github.com/xk6-registry/xk6-registry/registry"
)

// LoadOptions pick what a load makes of a file.
type LoadOptions struct {
	// Ref picks an image by the name the file gives it: a docker save
	// RepoTag, an OCI layout's org.opencontainers.image.ref.name or
	// io.containerd.image.name, as the file writes it; or its digest (an
	// OCI layout's manifest digest, a docker save image's config digest,
	// the image ID docker shows). Required when the file holds several.
	Ref string
	// Platform picks one image of an index ("linux/arm64"); for a single
	// image it must be the platform its config names.
	Platform string
	// Compress says what happens to uncompressed layers.
	Compress Compression
}

// Compression is what a load does to a file's uncompressed layers.
type Compression string

// Compressions.
const (
	// CompressAuto gzips a docker save's uncompressed layers, as docker
	// push does, and pushes an OCI layout as it is, as crane, skopeo and
	// oras push one. The default.
	CompressAuto Compression = "auto"
	// CompressGzip gzips every uncompressed layer.
	CompressGzip Compression = "gzip"
	// CompressNone pushes every layer as the file holds it.
	CompressNone Compression = "none"
)

// Validate checks a compression setting.
func (c Compression) Validate() error {
	switch c {
	case "", CompressAuto, CompressGzip, CompressNone:
		return nil
	}
	return fmt.Errorf(`compress %q is not "auto", "gzip" or "none"`, c)
}

// Validate checks the options, naming what is wrong.
func (o LoadOptions) Validate() error {
	if o.Platform != "" {
		if _, err := registry.ParsePlatform(o.Platform); err != nil {
			return fmt.Errorf("platform: %w", err)
		}
	}
	return o.Compress.Validate()
}

// Load reads an image to push from the disk: a docker save tarball (the
// legacy manifest.json layout, or the OCI layout docker 25+ writes), or an
// OCI image layout as a directory or a tar. Layers are not copied: each
// push streams them from the file, or, compressed, from a file of their
// own (compress.go).
//
// A file is read once per process, by path, size and modification time,
// however many loads ask for it at once: k6 runs the init context once per
// VU, and several VUs start together.
func Load(p string, opts LoadOptions) (*registry.Image, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, err
	}
	if err := checkTop(p, fi); err != nil {
		return nil, err
	}
	f, err := remembered(loadKey{path: abs, size: fi.Size(), mtime: fi.ModTime().UnixNano(), dir: fi.IsDir()}, func() (*imageFile, error) {
		if !fi.IsDir() {
			return readTar(func() (File, error) { return os.Open(abs) }) // #nosec G304 -- the file the script pointed load() at
		}
		d, err := openDir(abs)
		if err != nil {
			return nil, err
		}
		f, err := readFile(d)
		if err != nil {
			// On success the image streams its layers through the root.
			_ = d.root.Close()
		}
		return f, err
	})
	if err != nil {
		return nil, err
	}
	return f.pick(opts)
}

// LoadFS reads an image at the absolute path p through fsys, as Load reads
// the disk: k6 archive then bundles what it read, and an archived run
// reads what the archive holds. onDisk says that p is on this machine's
// disk as well (a local run), where a directory's symbolic links are
// checked. Every file the image streams is opened here once, so that k6's
// file system holds it when k6 archive bundles what was read.
func LoadFS(fsys FS, p string, onDisk bool, opts LoadOptions) (*registry.Image, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	fi, err := fsys.Stat(p)
	if err != nil {
		return nil, err
	}
	if err := checkTop(p, fi); err != nil {
		return nil, err
	}
	key := loadKey{path: p, size: fi.Size(), mtime: fi.ModTime().UnixNano(), dir: fi.IsDir(), fs: true}
	f, err := remembered(key, func() (*imageFile, error) {
		if !fi.IsDir() {
			return readTar(func() (File, error) { return fsys.Open(p) })
		}
		d := fsDir{fsys: fsys, dir: p}
		if onDisk {
			root, err := os.OpenRoot(filepath.FromSlash(p))
			if err != nil {
				return nil, err
			}
			d.guard = root
		}
		f, err := readFile(d)
		if err != nil && d.guard != nil {
			// On success the image checks its layers' names there on every push.
			_ = d.guard.Close()
		}
		return f, err
	})
	if err != nil {
		return nil, err
	}
	return f.pick(opts)
}

// LoadBytes reads an image from a tar held in memory, such as open(path,
// "b") returns. The image streams its layers from data, which it keeps
// without copying; data must not change while the image is pushed. Layers
// it compresses are compressed once per process all the same: they are
// known by their digest.
func LoadBytes(data []byte, opts LoadOptions) (*registry.Image, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	f, err := readTar(func() (File, error) { return heldFile{bytes.NewReader(data)}, nil })
	if err != nil {
		return nil, err
	}
	return f.pick(opts)
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

// loaded holds a *lazy.Value[*imageFile] per loadKey: the first load of a
// file reads it, the loads that come meanwhile wait for that read.
var loaded sync.Map

// remembered returns the file read under key, reading it once.
func remembered(key loadKey, read func() (*imageFile, error)) (*imageFile, error) {
	v, _ := loaded.LoadOrStore(key, lazy.New(func(context.Context) (*imageFile, error) { return read() }))
	// Reads are not cut short: a file is read in the init context, which
	// has no deadline of its own, and every VU waits for the same read.
	return v.(*lazy.Value[*imageFile]).Get(context.Background())
}

// counts are what loads did in this process, for tests to check that work
// done once is done once.
var counts struct {
	reads        atomic.Int64 // files read (their tar indexed, their manifests parsed)
	hashes       atomic.Int64 // layer files hashed
	compressions atomic.Int64 // layers gzipped
}

func readTar(archive func() (File, error)) (*imageFile, error) {
	tf, err := indexTar(archive)
	if err != nil {
		return nil, err
	}
	return readFile(tf)
}
