package content

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"syscall"
)

// files is a read-only tree of named files: a directory, or the entries of
// a tar archive opened in place. Only regular files are read: a name that
// is a FIFO, a device, a socket or a directory is refused, naming it,
// before anything opens it.
type files interface {
	// open streams a regular file; each call opens it anew, so blob
	// sources from it can be read by many VUs at once.
	open(name string) (io.ReadCloser, error)
	// stat tells a regular file's size. A missing name is an error that
	// wraps fs.ErrNotExist; any other type of file is an error naming it.
	stat(name string) (int64, error)
	// canonical is the name a file is read under: where a link leads, so
	// a layer listed under several names is one layer.
	canonical(name string) string
}

// localName checks a name read from a manifest.json or index.json: it
// must stay inside the image's directory or archive, or a crafted image
// could make a push read and upload any file of the load machine.
func localName(name string) error {
	if !filepath.IsLocal(filepath.FromSlash(name)) {
		return fmt.Errorf("%q: the path leaves the image's directory or archive", name)
	}
	return nil
}

// notRegular names what a file is when it is not a regular file.
func notRegular(name string, mode fs.FileMode) error {
	what := "not a regular file"
	switch {
	case mode&fs.ModeNamedPipe != 0:
		what = "a named pipe (FIFO)"
	case mode&fs.ModeCharDevice != 0:
		what = "a character device"
	case mode&fs.ModeDevice != 0:
		what = "a block device"
	case mode&fs.ModeSocket != 0:
		what = "a socket"
	case mode&fs.ModeSymlink != 0:
		what = "a symbolic link"
	case mode.IsDir():
		what = "a directory"
	}
	return fmt.Errorf("%s is %s, not a regular file: an image's files must be regular files", name, what)
}

// checkTop refuses a path given to load() that is neither a directory nor
// a regular file, before it is opened: a FIFO would block the open, and a
// device such as /dev/zero never ends.
func checkTop(p string, fi fs.FileInfo) error {
	if fi.IsDir() || fi.Mode().IsRegular() {
		return nil
	}
	return notRegular(p, fi.Mode())
}

// dirFiles are the files under a directory, opened through an os.Root so
// that a symbolic link cannot lead out of it either.
type dirFiles struct{ root *os.Root }

func openDir(p string) (dirFiles, error) {
	root, err := os.OpenRoot(p)
	return dirFiles{root: root}, err
}

func (d dirFiles) open(name string) (io.ReadCloser, error) {
	if _, err := d.stat(name); err != nil {
		return nil, err
	}
	// Non-blocking, and checked again once open: a file swapped for a FIFO
	// after the stat does not block the open, and is not read.
	f, err := d.root.OpenFile(filepath.FromSlash(name), os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("%q: %w", name, err)
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = notRegular(name, fi.Mode())
	}
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	return &diskFile{File: f, size: fi.Size()}, nil
}

// diskFile is a regular file of a directory on disk, opened for one
// reader: a connection may send the rest of it by sendfile.
type diskFile struct {
	*os.File
	size int64 // when it was opened
}

func (f *diskFile) FileSection() (*os.File, int64, int64) {
	at, err := f.Seek(0, io.SeekCurrent)
	if err != nil || at > f.size {
		return nil, 0, 0
	}
	return f.File, at, f.size - at
}

func (f *diskFile) Sent(n int64) { _, _ = f.Seek(n, io.SeekCurrent) }

func (d dirFiles) stat(name string) (int64, error) {
	if err := localName(name); err != nil {
		return 0, err
	}
	fi, err := d.root.Stat(filepath.FromSlash(name))
	if err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	if !fi.Mode().IsRegular() {
		return 0, notRegular(name, fi.Mode())
	}
	return fi.Size(), nil
}

func (dirFiles) canonical(name string) string { return path.Clean(name) }

// FS is a file system a load reads through instead of the disk: k6's init
// file system, the one open() uses, whose reads k6 archive bundles and
// whose files, in an archived run, exist nowhere else. Names are
// absolute and slash-separated.
type FS interface {
	Open(name string) (File, error)
	Stat(name string) (fs.FileInfo, error)
}

// File is an open file: read in place, by offset, so many VUs can stream
// parts of one file at once.
type File interface {
	io.Reader
	io.ReaderAt
	io.Seeker
	io.Closer
}

// fsDir are the files under a directory of an FS. When the directory is
// also on this machine's disk (a local run, where k6's file system reads
// the disk), guard refuses a name that a symbolic link leads out of it.
type fsDir struct {
	fsys  FS
	dir   string
	guard *os.Root
}

func (d fsDir) stat(name string) (int64, error) {
	if err := localName(name); err != nil {
		return 0, err
	}
	if d.guard != nil {
		if _, err := d.guard.Stat(filepath.FromSlash(name)); err != nil {
			return 0, fmt.Errorf("%s: %w", name, err)
		}
	}
	// Before any open: k6's file system copies a file whole into memory
	// when it is opened, which never ends for a FIFO or /dev/zero.
	fi, err := d.fsys.Stat(path.Join(d.dir, name))
	if err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	if !fi.Mode().IsRegular() {
		return 0, notRegular(name, fi.Mode())
	}
	return fi.Size(), nil
}

func (d fsDir) open(name string) (io.ReadCloser, error) {
	if _, err := d.stat(name); err != nil {
		return nil, err
	}
	f, err := d.fsys.Open(path.Join(d.dir, name))
	if err != nil {
		return nil, fmt.Errorf("%q: %w", name, err)
	}
	return f, nil
}

func (fsDir) canonical(name string) string { return path.Clean(name) }

// heldFile is a tar held in memory as a File: what a script read with
// open(path, "b").
type heldFile struct{ *bytes.Reader }

func (heldFile) Close() error { return nil }

// gzipMagic starts every gzip stream.
var gzipMagic = [2]byte{0x1f, 0x8b}

// exists tells whether name is in src, whatever its type.
func exists(src files, name string) (bool, error) {
	_, err := src.stat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return true, err
}

// readSmall reads a file that must be small (a manifest, a config).
func readSmall(src files, name string, limit int64) ([]byte, error) {
	if err := localName(name); err != nil {
		return nil, err
	}
	n, err := src.stat(name)
	if err != nil {
		return nil, err
	}
	if n > limit {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d a %s may have", name, n, limit, path.Base(name))
	}
	rc, err := src.open(name)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, limit))
}
