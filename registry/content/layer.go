package content

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"time"
)

const (
	tarBlock = 512
	// tarOverhead is one header block and the two zero blocks that end an
	// archive: the smallest layer that holds one file.
	tarOverhead = 3 * tarBlock
	// MinLayerSize is the smallest generated layer.
	MinLayerSize = tarOverhead
)

// layerEpoch is every generated file's mtime: a fixed one, so a layer's
// bytes depend on its seed, index and size only.
var layerEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// tarLayer returns the uncompressed tar stream of generated layer index:
// one regular file of random bytes, sized so the whole archive is size
// bytes when size is a multiple of 512 (else rounded up to one).
func tarLayer(seed uint64, index int, size int64) (io.Reader, error) {
	if size < MinLayerSize {
		return nil, fmt.Errorf("layer size %d is below the %d bytes a tar of one file takes", size, MinLayerSize)
	}
	fileSize := size - tarOverhead
	var hdr bytes.Buffer
	tw := tar.NewWriter(&hdr)
	err := tw.WriteHeader(&tar.Header{
		Typeflag: tar.TypeReg,
		Name:     fmt.Sprintf("xk6-registry/layer-%d.bin", index),
		Mode:     0o644,
		Size:     fileSize,
		ModTime:  layerEpoch,
		// GNU keeps any size in one header block; PAX could add blocks.
		Format: tar.FormatGNU,
	})
	if err != nil {
		return nil, err
	}
	if hdr.Len() != tarBlock {
		return nil, fmt.Errorf("tar header of layer %d is %d bytes, want %d", index, hdr.Len(), tarBlock)
	}
	// The header alone: tw.Close would complain of the missing content.
	pad := (tarBlock - fileSize%tarBlock) % tarBlock
	return io.MultiReader(
		bytes.NewReader(hdr.Bytes()),
		io.LimitReader(randomStream(seed, uint64(index)), fileSize), // #nosec G115 -- a layer index, 0 to MaxLayers
		io.LimitReader(zeros{}, pad+2*tarBlock),
	), nil
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// gzipReader compresses src as it is read, with no goroutine and a bounded
// buffer. It stores rather than deflates: random bytes do not compress, and
// a load generator's CPU belongs to the network, not to deflate.
type gzipReader struct {
	src  io.Reader
	zw   *gzip.Writer
	out  bytes.Buffer
	in   []byte
	done bool
}

func newGzipReader(src io.Reader) *gzipReader {
	r := &gzipReader{src: src, in: make([]byte, 64<<10)}
	r.zw, _ = gzip.NewWriterLevel(&r.out, gzip.NoCompression) // the level is valid
	r.zw.ModTime = layerEpoch
	return r
}

func (r *gzipReader) Read(p []byte) (int, error) {
	for r.out.Len() == 0 && !r.done {
		n, err := r.src.Read(r.in)
		if n > 0 {
			if _, werr := r.zw.Write(r.in[:n]); werr != nil {
				return 0, werr
			}
		}
		if err == io.EOF {
			if cerr := r.zw.Close(); cerr != nil {
				return 0, cerr
			}
			r.done = true
		} else if err != nil {
			return 0, err
		}
	}
	if r.out.Len() == 0 {
		return 0, io.EOF
	}
	return r.out.Read(p)
}
