package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
)

// maxRangeRecoveries bounds how often one upload asks the session where to
// resume after a 416, so a broken registry cannot loop it.
const maxRangeRecoveries = 3

// patchChunks sends the blob from the session's start in PATCHes of
// chunkSize, each with its Content-Range, following the Location of each
// answer; a streamed upload sends it whole in one PATCH without
// Content-Range. A 416 means the registry holds other than what was sent,
// and a PATCH the retry policy allows again may have left some of its
// bytes: either way, as the spec says, the client asks the session for its
// Range and resumes from there, with ranged PATCHes.
//
// A registry that names a smallest chunk (OCI-Chunk-Min-Length) gets chunks
// of at least that size, the last excepted.
func (c *Client) patchChunks(ctx context.Context, s *uploadSession, blob BlobSource, size, chunkSize int64, ranged bool, scopes []string) (int, *uploadSession, error) {
	src := &resumableReader{ctx: ctx, blob: blob}
	defer src.Close()
	if ranged {
		chunkSize = max(chunkSize, s.minChunk)
	}
	status, recoveries, tries := 0, 0, 0
	// A stream sends one PATCH even for an empty blob.
	for offset, first := int64(0), !ranged; first || offset < size; first = false {
		n := min(chunkSize, size-offset)
		st, next, err := c.patchUpload(ctx, s, src.chunk(offset, n), offset, n, ranged, scopes)
		status = st
		if err == nil {
			// Attempts are counted per PATCH, not per upload.
			s, offset, tries = next, offset+n, 0
			continue
		}
		switch {
		case status == http.StatusRequestedRangeNotSatisfiable && recoveries < maxRangeRecoveries:
			recoveries++
		case status == http.StatusRequestedRangeNotSatisfiable:
			return status, s, rangeRefused(err, recoveries, s.minChunk)
		case c.canRetry(ctx, tries+1, status, err):
			tries++
			if werr := c.waitRetry(ctx, OpUploadChunk, tries, status, nil, err); werr != nil {
				return status, s, werr
			}
		default:
			return status, s, err
		}
		st, held, next, serr := c.sessionStatus(ctx, s, scopes)
		if serr != nil {
			return st, s, serr
		}
		if held > size {
			return st, s, &Error{Op: OpUploadStatus, Status: st, Code: CodeInvalidResponse,
				Message: fmt.Sprintf("cannot resume: the session holds %d bytes of %d at %q", held, size, next.location)}
		}
		s, offset, ranged = next, held, true
		chunkSize = max(chunkSize, s.minChunk)
	}
	return status, s, nil
}

// rangeRefused is the failure of an upload whose chunks the registry kept
// refusing with 416 though the client resumed where the registry said.
func rangeRefused(err error, recoveries int, minChunk int64) error {
	var re *Error
	if !errors.As(err, &re) {
		return err
	}
	out := *re
	out.Message = fmt.Sprintf("the registry refused the chunk's range (416) %d times though the upload resumed where the registry said", recoveries+1)
	if minChunk > 0 {
		out.Message += fmt.Sprintf("; it asks for chunks of at least %d bytes (OCI-Chunk-Min-Length), which they were", minChunk)
	}
	if re.Message != "" {
		out.Message += "; its last answer: " + re.Message
	}
	return &out
}

// resumableReader reads a blob once from start to end for a chunked upload,
// handing each chunk out as a request body. When a chunk must be sent again
// (an auth challenge after its bytes were read) it reopens the blob and
// skips to the chunk, instead of holding chunks in memory.
//
// net/http may go on reading a request's body after its response came (a
// registry that answers before it read all of it), so a chunk handed out
// stops yielding bytes once the next one is handed out or the reader
// closes: it neither steals the next chunk's bytes nor reads a closed blob.
type resumableReader struct {
	ctx  context.Context
	blob BlobSource

	mu  sync.Mutex
	rc  io.ReadCloser
	pos int64 // offset of the next byte rc yields
	gen int   // the chunk that may read; each new chunk, and Close, moves it on
}

// errChunkDone is what a chunk's body yields once another chunk was handed
// out: its request is over.
var errChunkDone = errors.New("the chunk's request is over")

// chunk returns the body source of size bytes at offset.
func (r *resumableReader) chunk(offset, size int64) bodySource {
	return func(attempt int) (io.ReadCloser, error) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.gen++
		if err := r.seek(offset); err != nil {
			return nil, err
		}
		return &chunkReader{LimitedReader: io.LimitedReader{R: positionReader{r: r, gen: r.gen}, N: size}}, nil
	}
}

// chunkReader is one chunk of the blob as a request body. It is its own
// ReadCloser rather than an io.NopCloser, which would hide that a loaded
// file's chunk is a section of a file (FileSection) from the connection.
type chunkReader struct{ io.LimitedReader }

func (c *chunkReader) Close() error { return nil }

func (c *chunkReader) FileSection() (*os.File, int64, int64) {
	f, offset, remaining := c.R.(positionReader).FileSection()
	return f, offset, min(remaining, c.N)
}

func (c *chunkReader) Sent(n int64) {
	c.R.(positionReader).Sent(n)
	c.N -= n
}

func (r *resumableReader) seek(offset int64) error {
	if r.rc != nil && r.pos == offset {
		return nil
	}
	if r.rc == nil || r.pos > offset {
		_ = r.closeLocked()
		rc, err := r.blob.Open(r.ctx)
		if err != nil {
			return err
		}
		r.rc, r.pos = rc, 0
	}
	if s, ok := r.rc.(io.Seeker); ok {
		if _, err := s.Seek(offset, io.SeekStart); err != nil {
			return fmt.Errorf("seeking blob to %d: %w", offset, err)
		}
		r.pos = offset
		return nil
	}
	n, err := io.CopyN(io.Discard, r.rc, offset-r.pos)
	r.pos += n
	if err != nil {
		return fmt.Errorf("skipping blob to %d: %w", offset, err)
	}
	return nil
}

// Close releases the open reader, if any; no chunk reads after it.
func (r *resumableReader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.gen++
	return r.closeLocked()
}

func (r *resumableReader) closeLocked() error {
	if r.rc == nil {
		return nil
	}
	err := r.rc.Close()
	r.rc = nil
	return err
}

// positionReader reads one chunk from the blob and advances its position.
type positionReader struct {
	r   *resumableReader
	gen int
}

func (p positionReader) Read(b []byte) (int, error) {
	p.r.mu.Lock()
	defer p.r.mu.Unlock()
	if p.gen != p.r.gen || p.r.rc == nil {
		return 0, errChunkDone
	}
	n, err := p.r.rc.Read(b)
	p.r.pos += int64(n)
	return n, err
}

// FileSection is the blob's, when its reader is a file's: a chunk of a
// loaded file goes by sendfile as the whole file would. A chunk whose
// request is over has none.
func (p positionReader) FileSection() (*os.File, int64, int64) {
	p.r.mu.Lock()
	defer p.r.mu.Unlock()
	if fs, ok := p.r.rc.(FileSection); ok && p.gen == p.r.gen {
		return fs.FileSection()
	}
	return nil, 0, 0
}

func (p positionReader) Sent(n int64) {
	p.r.mu.Lock()
	defer p.r.mu.Unlock()
	if fs, ok := p.r.rc.(FileSection); ok && p.gen == p.r.gen {
		fs.Sent(n)
		p.r.pos += n
	}
}
