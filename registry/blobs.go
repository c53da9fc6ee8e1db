package registry

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/opencontainers/go-digest"
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

// GetBlob streams a blob, or a range of it, into io.Discard.
func (c *Client) GetBlob(ctx context.Context, repo, dgst string, opts GetBlobOptions) (*BlobResult, error) {
	res := &BlobResult{}
	d, err := blobArgs(repo, dgst)
	if err != nil {
		return res, err
	}
	header := http.Header{}
	want := []int{http.StatusOK}
	if opts.Range != nil {
		lo, hi := opts.Range[0], opts.Range[1]
		if lo < 0 || hi < lo {
			return res, fmt.Errorf("get blob %s: range [%d, %d] is not [start, end] with 0 <= start <= end", dgst, lo, hi)
		}
		header.Set("Range", fmt.Sprintf("bytes=%d-%d", lo, hi))
		want = []int{http.StatusPartialContent}
	}
	name := c.name(repo + "/blobs/{digest}")
	start := time.Now()
	resp, err := c.send(ctx, &request{
		op: OpBlobGet, method: http.MethodGet,
		url: c.endpoint(repo + "/blobs/" + d.String()), name: name,
		scopes: []string{pullScope(repo)}, header: header,
	})
	if err != nil {
		return res, err
	}
	defer closeBody(resp)
	res.Status = resp.StatusCode
	if err := expect(resp, OpBlobGet, want...); err != nil {
		return res, err
	}
	var dst io.Writer = io.Discard
	verifier := d.Verifier()
	if opts.Verify && opts.Range == nil {
		dst = verifier
	}
	res.Bytes, err = copyBuffered(dst, resp.Body)
	c.report(Transfer{Direction: DirectionPull, Repository: repo, Digest: d.String(), Bytes: res.Bytes, Duration: time.Since(start), Err: err})
	if err != nil {
		return res, bodyError(ctx, OpBlobGet, name, err)
	}
	if dst == verifier && !verifier.Verified() {
		return res, &Error{Op: OpBlobGet, Status: res.Status, Code: CodeDigestMismatch,
			Message: fmt.Sprintf("blob %s of %s: content does not hash to its digest", d, repo)}
	}
	return res, nil
}

// HeadBlob asks whether a blob exists, and its size.
func (c *Client) HeadBlob(ctx context.Context, repo, dgst string) (*BlobResult, error) {
	res := &BlobResult{}
	d, err := blobArgs(repo, dgst)
	if err != nil {
		return res, err
	}
	resp, err := c.send(ctx, &request{
		op: OpBlobHead, method: http.MethodHead,
		url:    c.endpoint(repo + "/blobs/" + d.String()),
		name:   c.name(repo + "/blobs/{digest}"),
		scopes: []string{pullScope(repo)},
	})
	if err != nil {
		return res, err
	}
	defer closeBody(resp)
	res.Status = resp.StatusCode
	if err := expect(resp, OpBlobHead, http.StatusOK); err != nil {
		return res, err
	}
	res.Size, _ = strconv.ParseInt(resp.Header.Get("Content-Length"), 10, 64)
	return res, nil
}

// DeleteBlob deletes a blob from repo.
func (c *Client) DeleteBlob(ctx context.Context, repo, dgst string) (int, error) {
	d, err := blobArgs(repo, dgst)
	if err != nil {
		return 0, err
	}
	return c.deleteResource(ctx, OpBlobDelete, repo, "/blobs/"+d.String(), "/blobs/{digest}")
}

// MountResult is a mount's outcome.
type MountResult struct {
	Status   int
	Mounted  bool
	Location string
}

// MountBlob mounts a blob of from into repo. When the registry opens an
// upload session instead (202), the session is cancelled, not leaked, and
// Mounted is false.
func (c *Client) MountBlob(ctx context.Context, repo, dgst, from string) (*MountResult, error) {
	res := &MountResult{}
	d, err := blobArgs(repo, dgst)
	if err != nil {
		return res, err
	}
	if err := ValidateRepository(from); err != nil {
		return res, fmt.Errorf("mount from: %w", err)
	}
	res.Mounted, res.Status, res.Location, err = c.mountBlob(ctx, repo, d, from, uploadScopes(repo, from))
	return res, err
}

func blobArgs(repo, dgst string) (digest.Digest, error) {
	if err := ValidateRepository(repo); err != nil {
		return "", err
	}
	d, err := digest.Parse(dgst)
	if err != nil {
		return "", fmt.Errorf("invalid digest %q: %w", dgst, err)
	}
	return d, nil
}
