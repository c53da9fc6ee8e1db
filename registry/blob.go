package registry

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// copyBuffers recycles the buffers blob bytes stream through, so memory per
// transfer is one buffer whatever the blob size.
var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 128<<10); return &b }}

func copyBuffered(dst io.Writer, src io.Reader) (int64, error) {
	buf := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(buf)
	return io.CopyBuffer(dst, src, *buf)
}

// blobExists sends HEAD for a blob: 200 means present, 404 absent.
func (c *Client) blobExists(ctx context.Context, repo string, d digest.Digest, scopes []string) (bool, int, error) {
	resp, err := c.send(ctx, &request{
		op: OpBlobHead, method: http.MethodHead,
		url:      c.endpoint(repo + "/blobs/" + d.String()),
		name:     c.name(repo + "/blobs/{digest}"),
		scopes:   scopes,
		expected: []int{http.StatusNotFound},
	})
	if err != nil {
		return false, 0, err
	}
	defer closeBody(resp)
	if resp.StatusCode == http.StatusNotFound {
		return false, resp.StatusCode, nil
	}
	return true, resp.StatusCode, expect(resp, OpBlobHead, http.StatusOK)
}

// fetchBlob streams a blob into io.Discard, through its digest check when
// verify is set, and returns the bytes received.
func (c *Client) fetchBlob(ctx context.Context, repo string, desc ocispec.Descriptor, verify bool, scopes []string) (int64, int, error) {
	name := c.name(repo + "/blobs/{digest}")
	start := time.Now()
	n, status, err := c.fetchBlobBody(ctx, repo, name, desc, verify, scopes)
	c.report(Transfer{
		Direction: DirectionPull, Repository: repo, Digest: desc.Digest.String(),
		Bytes: n, Duration: time.Since(start), Err: err,
	})
	return n, status, err
}

func (c *Client) fetchBlobBody(ctx context.Context, repo, name string, desc ocispec.Descriptor, verify bool, scopes []string) (int64, int, error) {
	if err := desc.Digest.Validate(); err != nil {
		return 0, 0, &Error{Op: OpBlobGet, Code: CodeInvalidResponse,
			Message: fmt.Sprintf("manifest names blob %q: %v", desc.Digest, err)}
	}
	resp, err := c.send(ctx, &request{
		op: OpBlobGet, method: http.MethodGet,
		url:    c.endpoint(repo + "/blobs/" + desc.Digest.String()),
		name:   name,
		scopes: scopes,
	})
	if err != nil {
		return 0, 0, err
	}
	defer closeBody(resp)
	if err := expect(resp, OpBlobGet, http.StatusOK); err != nil {
		return 0, resp.StatusCode, err
	}
	if !verify {
		n, err := copyBuffered(io.Discard, resp.Body)
		if err != nil {
			return n, resp.StatusCode, bodyError(ctx, OpBlobGet, name, err)
		}
		return n, resp.StatusCode, nil
	}
	verifier := desc.Digest.Verifier()
	// Read one byte past the size, so an overlong body is caught without
	// reading all of it.
	n, err := copyBuffered(verifier, io.LimitReader(resp.Body, desc.Size+1))
	if err != nil {
		return n, resp.StatusCode, bodyError(ctx, OpBlobGet, name, err)
	}
	if n != desc.Size {
		return n, resp.StatusCode, &Error{Op: OpBlobGet, Status: resp.StatusCode, Code: CodeSizeMismatch,
			Message: fmt.Sprintf("blob %s of %s: got %d bytes or more, want %d", desc.Digest, repo, n, desc.Size)}
	}
	if !verifier.Verified() {
		return n, resp.StatusCode, &Error{Op: OpBlobGet, Status: resp.StatusCode, Code: CodeDigestMismatch,
			Message: fmt.Sprintf("blob %s of %s: content does not hash to its digest", desc.Digest, repo)}
	}
	return n, resp.StatusCode, nil
}

// report hands a transfer to Config.OnTransfer.
func (c *Client) report(t Transfer) {
	if c.cfg.OnTransfer != nil {
		c.cfg.OnTransfer(t)
	}
}
