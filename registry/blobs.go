package registry

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/xk6-registry/xk6-registry/registry/auth"
)

// BlobResult is a blob request's outcome.
type BlobResult struct {
	Status int
	Size   int64 // HeadBlob: the blob's size
	Bytes  int64 // GetBlob: bytes received
}

// GetBlobOptions tune GetBlob.
type GetBlobOptions struct {
	// Verify checks the body against the digest; a ranged GET is not
	// verified, as a part of a blob has no digest of its own.
	Verify bool
	// Range asks for bytes [Range[0], Range[1]], inclusive; the registry
	// answers 206 with them.
	Range *[2]int64
}

// Validate checks the options, naming what is wrong.
func (o GetBlobOptions) Validate() error {
	if o.Range != nil && (o.Range[0] < 0 || o.Range[1] < o.Range[0]) {
		return fmt.Errorf(`option "range" must be [start, end], inclusive, with 0 <= start <= end; got [%d, %d]`, o.Range[0], o.Range[1])
	}
	return nil
}

// GetBlob streams a blob, or a range of it, and drops it.
func (c *Client) GetBlob(ctx context.Context, repo, dgst string, opts GetBlobOptions) (*BlobResult, error) {
	res := &BlobResult{}
	d, err := getBlobArgs(repo, dgst, opts)
	if err != nil {
		return res, err
	}
	res.Bytes, res.Status, err = c.fetchBlob(ctx, repo, d, blobFetch{
		size: -1, verify: opts.Verify && opts.Range == nil, byteRange: opts.Range,
	}, []string{auth.PullScope(repo)})
	return res, err
}

// HeadBlob asks whether a blob exists, and its size.
func (c *Client) HeadBlob(ctx context.Context, repo, dgst string) (*BlobResult, error) {
	res := &BlobResult{}
	d, err := blobArgs(repo, dgst)
	if err != nil {
		return res, err
	}
	_, res.Status, res.Size, err = c.headBlob(ctx, repo, d, false, []string{auth.PullScope(repo)})
	return res, err
}

// DeleteBlob deletes a blob from repo.
func (c *Client) DeleteBlob(ctx context.Context, repo, dgst string) (int, error) {
	d, err := blobArgs(repo, dgst)
	if err != nil {
		return 0, err
	}
	return c.deleteResource(ctx, OpBlobDelete, repo, c.blobRoute(repo, d))
}

// headBlob sends HEAD for a blob and returns whether it exists, the status
// and its size. With absentOK a 404 is an answer, not a failure: an upload
// that checks first expects it.
func (c *Client) headBlob(ctx context.Context, repo string, d digest.Digest, absentOK bool, scopes []string) (bool, int, int64, error) {
	r := &request{op: OpBlobHead, method: http.MethodHead, route: c.blobRoute(repo, d), scopes: scopes}
	if absentOK {
		r.expected = []int{http.StatusNotFound}
	} else {
		// Not an upload's check: a pull's.
		r.route = c.pulling(r.route)
	}
	resp, err := c.send(ctx, r)
	if err != nil {
		return false, 0, 0, err
	}
	defer closeBody(resp)
	if resp.StatusCode == http.StatusNotFound && absentOK {
		return false, resp.StatusCode, 0, nil
	}
	if err := expect(resp, OpBlobHead, http.StatusOK); err != nil {
		return false, resp.StatusCode, 0, refusedAlgorithm(err, "the "+d.Algorithm().String()+" digest in a blob URL", d)
	}
	size, _ := strconv.ParseInt(resp.Header.Get("Content-Length"), 10, 64)
	return true, resp.StatusCode, size, nil
}

// blobFetch says how to fetch one blob.
type blobFetch struct {
	size      int64 // the descriptor's size, -1 when unknown
	verify    bool  // check the bytes against the digest (and size, when known)
	byteRange *[2]int64
}

// fetchBlob streams a blob (or a range of it) and drops it, through its
// digest check when asked, reports the transfer, and returns the bytes
// received and the status. Pull and GetBlob both fetch through here.
func (c *Client) fetchBlob(ctx context.Context, repo string, d digest.Digest, f blobFetch, scopes []string) (int64, int, error) {
	start := time.Now()
	n, status, err := c.fetchBlobBody(ctx, repo, d, f, scopes)
	c.report(ctx, Transfer{
		Direction: DirectionPull, Repository: repo, Digest: d.String(),
		Bytes: n, Duration: time.Since(start), Err: err,
	})
	return n, status, err
}

func (c *Client) fetchBlobBody(ctx context.Context, repo string, d digest.Digest, f blobFetch, scopes []string) (int64, int, error) {
	rt := c.pulling(c.blobRoute(repo, d))
	verifier := d.Verifier()
	dst := io.Discard
	if f.verify {
		dst = verifier
	}
	var n int64
	status := 0
	// A resumed GET is the same request tried again: one attempt budget.
	budget := &tries{}
	for {
		got, st, err := c.fetchBlobFrom(ctx, rt, f, n, dst, scopes, budget)
		n += got
		if st != 0 {
			status = st
		}
		if err == nil {
			break
		}
		// A body cut short resumes after the bytes already verified.
		if !failedInBody(err) || !c.canRetry(ctx, budget.n, 0, err) {
			return n, status, refusedAlgorithm(err, "the "+d.Algorithm().String()+" digest in a blob URL", d)
		}
		if werr := c.waitRetry(ctx, OpBlobGet, budget.n, 0, nil, err); werr != nil {
			return n, status, werr
		}
	}
	if !f.verify {
		return n, status, nil
	}
	if f.size >= 0 && n != f.size {
		return n, status, &Error{Op: OpBlobGet, Status: status, Code: CodeSizeMismatch,
			Message: fmt.Sprintf("blob %s of %s: got %d bytes or more, want %d", d, repo, n, f.size)}
	}
	if !verifier.Verified() {
		return n, status, &Error{Op: OpBlobGet, Status: status, Code: CodeDigestMismatch,
			Message: fmt.Sprintf("blob %s of %s: content does not hash to its digest", d, repo)}
	}
	return n, status, nil
}

// fetchBlobFrom sends one GET for the blob, or the range asked, from offset
// bytes into it, and copies the body into dst.
func (c *Client) fetchBlobFrom(ctx context.Context, rt route, f blobFetch, offset int64, dst io.Writer, scopes []string, budget *tries) (int64, int, error) {
	r := &request{op: OpBlobGet, method: http.MethodGet, route: rt, scopes: scopes, tries: budget}
	switch {
	case f.byteRange != nil:
		r.header = http.Header{"Range": {fmt.Sprintf("bytes=%d-%d", f.byteRange[0]+offset, f.byteRange[1])}}
	case offset > 0:
		r.header = http.Header{"Range": {fmt.Sprintf("bytes=%d-", offset)}}
	}
	resp, err := c.send(ctx, r)
	if err != nil {
		return 0, 0, err
	}
	defer closeBody(resp)
	if err := expect(resp, OpBlobGet, http.StatusOK, http.StatusPartialContent); err != nil {
		return 0, resp.StatusCode, err
	}
	body := io.Reader(resp.Body)
	if r.header != nil && resp.StatusCode == http.StatusOK {
		if f.byteRange != nil {
			return 0, resp.StatusCode, &Error{Op: OpBlobGet, Status: resp.StatusCode, Code: CodeUnexpectedStatus,
				Message: "the registry answered a ranged GET with the whole blob (200, not 206)"}
		}
		// A registry that ignores Range on a resumed GET sends it all again.
		if err := discardN(body, offset); err != nil {
			return 0, resp.StatusCode, bodyError(ctx, OpBlobGet, rt.where(), err)
		}
	}
	if f.verify && f.size >= 0 && f.size-offset < math.MaxInt64 {
		// Read one byte past the size, so an overlong body is caught without
		// reading all of it; a size of 2^63-1 has no byte past it to read.
		body = io.LimitReader(body, f.size-offset+1)
	}
	n, err := copyBuffered(dst, body)
	if err != nil {
		return n, resp.StatusCode, bodyError(ctx, OpBlobGet, rt.where(), err)
	}
	return n, resp.StatusCode, nil
}
