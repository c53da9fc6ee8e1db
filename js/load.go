package js

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sync"

	"github.com/grafana/sobek"
	"go.k6.io/k6/v2/lib/fsext"

	"github.com/xk6-registry/xk6-registry/registry"
	"github.com/xk6-registry/xk6-registry/registry/content"
)

// bundleLimit is the most bytes registry.load reads through k6's file
// system of its own accord in a local run. k6 archive bundles a file only
// if the init context read it through that file system, which keeps a copy
// in memory for the whole run; past this, a local run streams the file
// from the disk instead, bounded, and an archive of the script leaves it
// out, unless the script says { bundle: true }.
const bundleLimit = 64 << 20

// load is registry.load(path, { bundle, ref, platform, compress }) and
// registry.load(bytes, { ref, platform, compress }): a docker save tarball
// or an OCI image layout, read once in the init context, with paths
// relative to the script as k6's open() takes them; or the bytes of a
// tarball that open(path, "b") returned.
func (mi *ModuleInstance) load(call sobek.FunctionCall) sobek.Value {
	rt := mi.vu.Runtime()
	var held []byte
	switch v := call.Argument(0).Export().(type) {
	case sobek.ArrayBuffer:
		held = v.Bytes()
	case []byte: // a Uint8Array
		held = v
	}
	if held != nil {
		r := newOptionReader(rt, "load", call.Argument(1), "ref", "platform", "compress")
		opts := readLoadOptions(r)
		if r.err != nil {
			throw(rt, r.err)
		}
		img, err := content.LoadBytes(held, opts)
		return mi.loaded("load(bytes)", img, err)
	}
	path, ok := call.Argument(0).Export().(string)
	if !ok || path == "" {
		throw(rt, fmt.Errorf(`load: want a path to a docker save tarball or an OCI image layout, or what open(path, "b") returns`))
	}
	name := fmt.Sprintf("load(%q)", path)
	r := newOptionReader(rt, "load", call.Argument(1), "bundle", "ref", "platform", "compress")
	var bundle *bool
	if v := r.get("bundle"); v != nil {
		bundle = new(bool)
		r.bool("bundle", bundle)
	}
	opts := readLoadOptions(r)
	if r.err != nil {
		throw(rt, r.err)
	}
	initEnv := mi.vu.InitEnv()
	if initEnv == nil {
		throw(rt, fmt.Errorf("%s: call it in the init context, outside default()", name))
	}
	abs := initEnv.GetAbsFilePath(path)
	fsys := initEnv.FileSystems["file"]
	if _, local := fsys.(fsext.CacheLayerGetter); !local {
		// An archived run: the file is in the archive, held by k6; read it there.
		img, err := content.LoadFS(k6Files{fsys}, abs, false, opts)
		if errors.Is(err, fs.ErrNotExist) {
			err = fmt.Errorf("%w: it is not in this archive; k6 archive bundles a file load() reads of up to %d MiB, and a larger one when load() is given { bundle: true }", err, bundleLimit>>20)
		}
		return mi.loaded(name, img, err)
	}
	size, err := content.SizeOnDisk(abs)
	if err != nil {
		return mi.loaded(name, nil, notFoundHint(err, path))
	}
	if bundle != nil && *bundle || bundle == nil && size <= bundleLimit {
		img, err := content.LoadFS(k6Files{fsys}, abs, true, opts)
		return mi.loaded(name, img, err)
	}
	if bundle == nil {
		warnOnce(abs, func() {
			initEnv.Logger.Warnf("%s: %d MiB, streamed from the disk: a k6 archive of this script will not hold it;"+
				" give load() { bundle: true } to read it through k6's file system (held in memory), or { bundle: false } to say this is meant", name, size>>20)
		})
	}
	img, err := content.Load(abs, opts)
	return mi.loaded(name, img, err)
}

// readLoadOptions reads what load() is to make of the file.
func readLoadOptions(r *optionReader) content.LoadOptions {
	var opts content.LoadOptions
	var compress string
	r.string("ref", &opts.Ref)
	r.string("platform", &opts.Platform)
	r.string("compress", &compress)
	opts.Compress = content.Compression(compress)
	if r.err == nil {
		if err := opts.Validate(); err != nil {
			r.err = fmt.Errorf("%s: %w", r.call, err)
		}
	}
	return opts
}

// notFoundHint says where a relative path was looked for: k6 resolves it
// against the script's directory, not the one k6 was started in.
func notFoundHint(err error, path string) error {
	if errors.Is(err, fs.ErrNotExist) && !filepath.IsAbs(path) {
		return fmt.Errorf("%w: %q is relative to the script's directory, as k6's open() takes paths, not to the directory k6 runs in", err, path)
	}
	return err
}

// loaded returns an image a load made, or throws why it could not.
func (mi *ModuleInstance) loaded(name string, img *registry.Image, err error) sobek.Value {
	if err != nil {
		throw(mi.vu.Runtime(), fmt.Errorf("%s: %w", name, err))
	}
	return mi.newImageObject(img)
}

// warned holds the paths a warning was logged for: every VU's init loads
// the same files, and one warning a process says it.
var warned sync.Map

func warnOnce(key string, warn func()) {
	if _, seen := warned.LoadOrStore(key, true); !seen {
		warn()
	}
}

// k6Files is k6's init file system as the content package reads it.
type k6Files struct{ fs fsext.Fs }

func (k k6Files) Open(name string) (content.File, error) { return k.fs.Open(name) }

func (k k6Files) Stat(name string) (fs.FileInfo, error) { return k.fs.Stat(name) }
