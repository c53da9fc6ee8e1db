package content

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
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

// tarFiles index the regular files of a tar archive by where their bytes
// start, so reading one is a section of the file: no extraction, no copy.
type tarFiles struct {
	path    string
	entries map[string]tarEntry
}

type tarEntry struct{ offset, size int64 }

// indexTar scans a tar once, seeking over entries' data.
func indexTar(p string) (*tarFiles, error) {
	f, err := os.Open(p) // #nosec G304 -- the archive the script pointed load() at
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var magic [2]byte
	if n, _ := f.ReadAt(magic[:], 0); n == 2 && magic == gzipMagic {
		return nil, errors.New("the file is gzip-compressed (docker save | gzip?): gunzip it first; layers are read in place, which a compressed archive does not allow")
	}
	cr := &countingReader{f: f}
	tr := tar.NewReader(cr)
	tf := &tarFiles{path: p, entries: map[string]tarEntry{}}
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
	f, err := os.Open(t.path)
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
	f *os.File
}

func (s *sectionFile) Close() error { return s.f.Close() }

// countingReader tells how far into the file tar.Reader has read; it seeks
// so tar skips entries' data instead of reading it.
type countingReader struct {
	f *os.File
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

// gzipMagic starts every gzip stream.
var gzipMagic = [2]byte{0x1f, 0x8b}

// readSmall reads a file that must be small (a manifest, a config).
func readSmall(fs files, name string, limit int64) ([]byte, error) {
	if err := localName(name); err != nil {
		return nil, err
	}
	n, ok := fs.size(name)
	if !ok {
		return nil, fmt.Errorf("%s: not found", name)
	}
	if n > limit {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d a %s may have", name, n, limit, path.Base(name))
	}
	rc, err := fs.open(name)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, limit))
}
