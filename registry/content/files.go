package content

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
)

// files is a read-only tree of named files: a directory, or the entries of
// a tar archive opened in place.
type files interface {
	// open streams a file; each call opens the archive anew, so blob
	// sources from it can be read by many VUs at once.
	open(name string) (io.ReadCloser, error)
	// size tells a file's size, and whether it exists.
	size(name string) (int64, bool)
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

// dirFiles are the files under a directory, opened through an os.Root so
// that a symbolic link cannot lead out of it either.
type dirFiles struct{ root *os.Root }

func openDir(p string) (dirFiles, error) {
	root, err := os.OpenRoot(p)
	return dirFiles{root: root}, err
}

func (d dirFiles) open(name string) (io.ReadCloser, error) {
	if err := localName(name); err != nil {
		return nil, err
	}
	f, err := d.root.Open(filepath.FromSlash(name))
	if err != nil {
		return nil, fmt.Errorf("%q: %w", name, err)
	}
	return f, nil
}

func (d dirFiles) size(name string) (int64, bool) {
	if localName(name) != nil {
		return 0, false
	}
	fi, err := d.root.Stat(filepath.FromSlash(name))
	if err != nil || !fi.Mode().IsRegular() {
		return 0, false
	}
	return fi.Size(), true
}

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

func (d fsDir) check(name string) error {
	if err := localName(name); err != nil {
		return err
	}
	if d.guard != nil {
		if _, err := d.guard.Stat(filepath.FromSlash(name)); err != nil {
			return fmt.Errorf("%q: %w", name, err)
		}
	}
	return nil
}

func (d fsDir) open(name string) (io.ReadCloser, error) {
	if err := d.check(name); err != nil {
		return nil, err
	}
	f, err := d.fsys.Open(path.Join(d.dir, name))
	if err != nil {
		return nil, fmt.Errorf("%q: %w", name, err)
	}
	return f, nil
}

func (d fsDir) size(name string) (int64, bool) {
	if d.check(name) != nil {
		return 0, false
	}
	fi, err := d.fsys.Stat(path.Join(d.dir, name))
	if err != nil || !fi.Mode().IsRegular() {
		return 0, false
	}
	return fi.Size(), true
}

// tarFiles index the regular files of a tar archive by where their bytes
// start, so reading one is a section of the archive: no extraction, no copy.
type tarFiles struct {
	archive func() (File, error) // opens the archive anew
	entries map[string]tarEntry
}

type tarEntry struct{ offset, size int64 }

// indexTar scans a tar once, seeking over entries' data.
func indexTar(archive func() (File, error)) (*tarFiles, error) {
	f, err := archive()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var magic [2]byte
	if n, _ := f.ReadAt(magic[:], 0); n == 2 && magic == gzipMagic {
		return nil, errors.New("the file is gzip-compressed (docker save | gzip?): gunzip it first; layers are read in place, which a compressed archive does not allow")
	}
	// k6's in-memory files move their offset on ReadAt (afero 1.1's mem.File).
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	cr := &countingReader{f: f}
	tr := tar.NewReader(cr)
	tf := &tarFiles{archive: archive, entries: map[string]tarEntry{}}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("not a readable tar archive: %w", err)
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		// After Next the reader stands at the entry's first data byte.
		tf.entries[path.Clean(hdr.Name)] = tarEntry{offset: cr.n, size: hdr.Size}
	}
	if len(tf.entries) == 0 {
		return nil, errors.New("the tar archive holds no files")
	}
	return tf, nil
}

func (t *tarFiles) open(name string) (io.ReadCloser, error) {
	if err := localName(name); err != nil {
		return nil, err
	}
	e, ok := t.entries[path.Clean(name)]
	if !ok {
		return nil, fmt.Errorf("%s: no such file in the archive", name)
	}
	f, err := t.archive()
	if err != nil {
		return nil, err
	}
	return &sectionFile{SectionReader: io.NewSectionReader(f, e.offset, e.size), f: f}, nil
}

func (t *tarFiles) size(name string) (int64, bool) {
	e, ok := t.entries[path.Clean(name)]
	return e.size, ok
}

// sectionFile is a part of a file that closes the file. It seeks, so a
// chunked upload that must resend a chunk jumps back instead of rereading.
type sectionFile struct {
	*io.SectionReader
	f io.Closer
}

func (s *sectionFile) Close() error { return s.f.Close() }

// countingReader tells how far into the file tar.Reader has read; it seeks
// so tar skips entries' data instead of reading it.
type countingReader struct {
	f io.ReadSeeker
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.f.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countingReader) Seek(offset int64, whence int) (int64, error) {
	n, err := c.f.Seek(offset, whence)
	if err == nil {
		c.n = n
	}
	return n, err
}

// heldFile is a tar held in memory as a File: what a script read with
// open(path, "b").
type heldFile struct{ *bytes.Reader }

func (heldFile) Close() error { return nil }

// gzipMagic starts every gzip stream.
var gzipMagic = [2]byte{0x1f, 0x8b}

// readSmall reads a file that must be small (a manifest, a config).
func readSmall(src files, name string, limit int64) ([]byte, error) {
	if err := localName(name); err != nil {
		return nil, err
	}
	n, ok := src.size(name)
	if !ok {
		return nil, fmt.Errorf("%s: not found", name)
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
