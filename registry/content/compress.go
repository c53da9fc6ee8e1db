package content

import (
	"bufio"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"

	"github.com/xk6-registry/xk6-registry/internal/lazy"
	"github.com/xk6-registry/xk6-registry/registry"
)

// gzipBlob is an uncompressed layer pushed gzipped, as docker push sends a
// docker save's layers. It is compressed once per process, when its
// digest or its bytes are first needed, streaming into a file of its own;
// the config's diff_ids, the digests of the uncompressed layers, stay.
type gzipBlob struct {
	src       *fileBlob
	mediaType string
}

func (b *gzipBlob) compressed(ctx context.Context) (*gzipped, error) {
	plain, err := b.src.plainDigest(ctx)
	if err != nil {
		return nil, err
	}
	v, _ := compressedLayers.LoadOrStore(plain, lazy.New(func(ctx context.Context) (*gzipped, error) {
		return compress(ctx, b.src, plain)
	}))
	return v.(*lazy.Value[*gzipped]).Get(ctx)
}

func (b *gzipBlob) Descriptor(ctx context.Context) (ocispec.Descriptor, error) {
	g, err := b.compressed(ctx)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	return ocispec.Descriptor{MediaType: b.mediaType, Digest: g.digest, Size: g.size}, nil
}

func (b *gzipBlob) Open(ctx context.Context) (io.ReadCloser, error) {
	g, err := b.compressed(ctx)
	if err != nil {
		return nil, err
	}
	// Seekable, so a chunked upload that resends a chunk jumps back to it.
	return sharedSection{io.NewSectionReader(g.f, 0, g.size)}, nil
}

// sharedSection reads a file many uploads share: closing it leaves the
// file open for the others.
type sharedSection struct{ *io.SectionReader }

func (sharedSection) Close() error { return nil }

// FileSection says where the next compressed bytes are in the shared file,
// for a connection that sends them by sendfile at that offset.
func (s sharedSection) FileSection() (*os.File, int64, int64) { return sectionOfFile(s.SectionReader) }

func (s sharedSection) Sent(n int64) { _, _ = s.Seek(n, io.SeekCurrent) }

// compressedLayers holds a *lazy.Value[*gzipped] per uncompressed digest: one
// compression a process, whichever file, load or VU asks for it first.
var compressedLayers sync.Map

// gzipped is a layer's gzip stream in a file that no name leads to: the
// file is removed from its directory as soon as it is made, so the disk it
// takes is freed when the process ends, however it ends. k6 gives an
// extension no hook at the end of a run, and a VU's context ending says
// nothing of the other VUs still pushing the layer.
type gzipped struct {
	f      *os.File // read by offset: many uploads at once
	digest digest.Digest
	size   int64
}

// compress streams src through gzip into an unnamed temporary file,
// hashing the uncompressed bytes on the way: a layer whose content is not
// what its name or the config says fails here, naming its file, before any
// upload. Compression is gzip's default level, as docker push's.
func compress(ctx context.Context, src *fileBlob, plain digest.Digest) (_ *gzipped, err error) {
	counts.compressions.Add(1)
	f, err := os.CreateTemp("", "xk6-registry-gzip-*.tar.gz")
	if err != nil {
		return nil, fmt.Errorf("gzip of %s: %w", src.l.name, err)
	}
	// Where an open file cannot be removed (Windows), it stays in the
	// temporary directory; anywhere else, nothing is left, even on a kill.
	_ = os.Remove(f.Name())
	defer func() {
		if err != nil {
			_ = f.Close()
		}
	}()
	rc, err := src.l.open(ctx)
	if err != nil {
		return nil, err
	}
	defer rc.Close()

	zd, pd := digest.Canonical.Digester(), digest.Canonical.Digester()
	out := bufio.NewWriterSize(io.MultiWriter(f, zd.Hash()), 256<<10)
	counted := &countingWriter{w: out}
	zw, err := gzip.NewWriterLevel(counted, gzip.DefaultCompression)
	if err != nil {
		return nil, err
	}
	n, err := io.Copy(zw, io.TeeReader(ctxReader{ctx: ctx, r: rc}, pd.Hash()))
	if err == nil {
		err = zw.Close()
	}
	if err == nil {
		err = out.Flush()
	}
	if err != nil {
		return nil, fmt.Errorf("gzip of %s: %w", src.l.name, err)
	}
	if pd.Digest() != plain || n != src.l.size {
		return nil, fmt.Errorf("gzip of %s: its content is %s of %d bytes, not the %s of %d bytes it was loaded as", src.l.name, pd.Digest(), n, plain, src.l.size)
	}
	return &gzipped{f: f, digest: zd.Digest(), size: counted.n}, nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// describeAll describes blobs, as many at once as there are cores: a
// docker save's layers are compressed when its manifest is first built,
// and each compression is one core's work.
func describeAll(ctx context.Context, blobs []registry.BlobSource) ([]ocispec.Descriptor, error) {
	out := make([]ocispec.Descriptor, len(blobs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, b := range blobs {
		g.Go(func() error {
			d, err := b.Descriptor(gctx)
			out[i] = d
			return err
		})
	}
	return out, g.Wait()
}
