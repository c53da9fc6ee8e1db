package content

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
)

// tarFiles index the entries of a tar archive by where their bytes start,
// so reading a regular file is a section of the archive: no extraction, no
// copy. Links are followed inside the archive, as tar would extract them;
// a sparse file is expanded by archive/tar as it streams.
type tarFiles struct {
	archive func() (File, error) // opens the archive anew
	entries map[string]tarEntry
}

type tarEntry struct {
	typ          byte
	offset, size int64
	// ordinal is the entry's place in the archive: a sparse file is read
	// by walking the headers to it, for archive/tar to expand its holes.
	ordinal int
	sparse  bool
	link    string // a link's target, as the archive names it
}

// maxLinkHops bounds a chain of links, as the kernel's ELOOP does.
const maxLinkHops = 40

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
	for ordinal := 0; ; ordinal++ {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("not a readable tar archive: %w", err)
		}
		name := path.Clean(strings.TrimPrefix(hdr.Name, "/"))
		// After Next the reader stands at the entry's first data byte. A
		// later entry of the same name replaces it, as extracting would.
		e := tarEntry{typ: hdr.Typeflag, offset: cr.n, size: hdr.Size, ordinal: ordinal, sparse: isSparse(hdr)}
		switch hdr.Typeflag {
		case tar.TypeReg, tar.TypeGNUSparse:
			e.typ = tar.TypeReg
		case tar.TypeSymlink:
			e.link = path.Join(path.Dir(name), hdr.Linkname) // #nosec G305 -- a name in the index, never extracted: resolve refuses one that leaves the tree
			if path.IsAbs(hdr.Linkname) {
				e.link = hdr.Linkname
			}
		case tar.TypeLink:
			e.link = path.Clean(strings.TrimPrefix(hdr.Linkname, "/"))
		}
		tf.entries[name] = e
	}
	if len(tf.entries) == 0 {
		return nil, errors.New("the tar archive holds no files")
	}
	return tf, nil
}

// isSparse tells a sparse file: GNU's old format, or PAX records of any of
// GNU's sparse formats, whose data in the archive is a map and the
// non-zero parts, not the file.
func isSparse(hdr *tar.Header) bool {
	if hdr.Typeflag == tar.TypeGNUSparse {
		return true
	}
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

// resolve follows links from name to a regular file, refusing a link that
// leaves the archive's tree, a loop, and anything that is not a regular file.
func (t *tarFiles) resolve(name string) (string, tarEntry, error) {
	if err := localName(name); err != nil {
		return "", tarEntry{}, err
	}
	asked := name
	name = path.Clean(name)
	for range maxLinkHops {
		e, ok := t.entries[name]
		if !ok {
			if name != asked {
				return "", tarEntry{}, fmt.Errorf("%s: a link to %s, which is not in the archive: %w", asked, name, errNotInArchive)
			}
			return "", tarEntry{}, fmt.Errorf("%s: %w", asked, errNotInArchive)
		}
		switch e.typ {
		case tar.TypeReg:
			return name, e, nil
		case tar.TypeSymlink, tar.TypeLink:
			if localName(e.link) != nil || path.IsAbs(e.link) {
				return "", tarEntry{}, fmt.Errorf("%s: a link to %q, which leaves the archive's tree", asked, e.link)
			}
			name = e.link
		default:
			return "", tarEntry{}, fmt.Errorf("%s is %s in the archive, not a regular file: an image's files must be regular files", asked, tarTypeName(e.typ))
		}
	}
	return "", tarEntry{}, fmt.Errorf("%s: more than %d links in a row", asked, maxLinkHops)
}

// errNotInArchive is fs.ErrNotExist for a name the archive lacks.
var errNotInArchive error = notInArchive{}

type notInArchive struct{}

func (notInArchive) Error() string        { return "no such file in the archive" }
func (notInArchive) Is(target error) bool { return target == fs.ErrNotExist }

func tarTypeName(typ byte) string {
	switch typ {
	case tar.TypeFifo:
		return "a named pipe (FIFO)"
	case tar.TypeChar:
		return "a character device"
	case tar.TypeBlock:
		return "a block device"
	case tar.TypeDir:
		return "a directory"
	}
	return fmt.Sprintf("an entry of type %q", typ)
}

func (t *tarFiles) open(name string) (io.ReadCloser, error) {
	_, e, err := t.resolve(name)
	if err != nil {
		return nil, err
	}
	f, err := t.archive()
	if err != nil {
		return nil, err
	}
	if e.sparse {
		return openSparse(f, e)
	}
	return &sectionFile{SectionReader: io.NewSectionReader(f, e.offset, e.size), f: f}, nil
}

// openSparse streams a sparse file through archive/tar, which fills its
// holes with zeros: the archive holds a map and the non-zero parts, and
// reading it in place would push those instead of the file.
func openSparse(f File, e tarEntry) (io.ReadCloser, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		_ = f.Close()
		return nil, err
	}
	tr := tar.NewReader(&countingReader{f: f})
	for i := 0; i <= e.ordinal; i++ {
		if _, err := tr.Next(); err != nil {
			_ = f.Close()
			return nil, fmt.Errorf("reading the archive again: %w", err)
		}
	}
	return struct {
		io.Reader
		io.Closer
	}{tr, f}, nil
}

func (t *tarFiles) stat(name string) (int64, error) {
	_, e, err := t.resolve(name)
	return e.size, err
}

func (t *tarFiles) canonical(name string) string {
	if target, _, err := t.resolve(name); err == nil {
		return target
	}
	return path.Clean(name)
}

// sectionFile is a part of a file that closes the file. It seeks, so a
// chunked upload that must resend a chunk jumps back instead of rereading.
type sectionFile struct {
	*io.SectionReader
	f io.Closer
}

func (s *sectionFile) Close() error { return s.f.Close() }

// FileSection says where the section's next bytes are, when the archive is
// a file on disk (not one held in memory or read through k6's file system).
func (s *sectionFile) FileSection() (*os.File, int64, int64) {
	return sectionOfFile(s.SectionReader)
}

func (s *sectionFile) Sent(n int64) { _, _ = s.Seek(n, io.SeekCurrent) }

// sectionOfFile is the file, offset and bytes left of a SectionReader of a
// file on disk; nil for any other.
func sectionOfFile(s *io.SectionReader) (*os.File, int64, int64) {
	outer, base, size := s.Outer()
	f, ok := outer.(*os.File)
	if !ok {
		return nil, 0, 0
	}
	at, err := s.Seek(0, io.SeekCurrent)
	if err != nil || at > size {
		return nil, 0, 0
	}
	return f, base + at, size - at
}

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
