package registry

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// UploadBlob uploads one blob into repo. The result is never nil; on error
// it holds what was done.
func (c *Client) UploadBlob(ctx context.Context, repo string, blob BlobSource, opts UploadOptions) (*UploadResult, error) {
	res := &UploadResult{}
	if err := ValidateRepository(repo); err != nil {
		return res, err
	}
	if blob == nil {
		return res, fmt.Errorf("upload to %s: no blob", repo)
	}
	if err := opts.validate(); err != nil {
		return res, err
	}
	return c.uploadBlob(ctx, repo, blob, opts, uploadScopes(repo, opts.MountFrom))
}

func uploadScopes(repo, mountFrom string) []string {
	scopes := []string{pushScope(repo)}
	if mountFrom != "" && mountFrom != repo {
		scopes = append(scopes, pullScope(mountFrom))
	}
	return scopes
}

func (o *UploadOptions) validate() error {
	switch o.Mode {
	case "":
		o.Mode = UploadStream
	case UploadMonolithic, UploadStream, UploadChunked, UploadPost:
	default:
		return fmt.Errorf("upload mode %q is not one of monolithic, stream, chunked, post", o.Mode)
	}
	if o.ChunkSize < 0 {
		return fmt.Errorf("chunk size %d is negative", o.ChunkSize)
	}
	if o.ChunkSize == 0 {
		o.ChunkSize = DefaultChunkSize
	}
	if o.MountFrom != "" {
		if err := ValidateRepository(o.MountFrom); err != nil {
			return fmt.Errorf("mountFrom: %w", err)
		}
	}
	return nil
}

// uploadBlob runs one blob's upload: existence check, mount, then the bytes.
func (c *Client) uploadBlob(ctx context.Context, repo string, blob BlobSource, opts UploadOptions, scopes []string) (*UploadResult, error) {
	desc := blob.Descriptor()
	res := &UploadResult{Digest: desc.Digest.String(), Size: desc.Size}
	if err := desc.Digest.Validate(); err != nil {
		return res, fmt.Errorf("upload to %s: blob digest %q: %w", repo, desc.Digest, err)
	}
	if opts.SkipExisting {
		exists, status, err := c.blobExists(ctx, repo, desc.Digest, scopes)
		res.Status = status
		if err != nil || exists {
			res.Skipped = exists
			return res, err
		}
	}
	start := time.Now()
	if opts.MountFrom != "" && opts.MountFrom != repo {
		mounted, status, location, err := c.mountBlob(ctx, repo, desc.Digest, opts.MountFrom, scopes)
		res.Status = status
		if err != nil {
			return res, err
		}
		if mounted {
			res.Mounted, res.Location = true, location
			c.report(Transfer{Direction: DirectionPush, Repository: repo, Digest: res.Digest,
				Duration: time.Since(start), Mounted: true})
			return res, nil
		}
	}
	start = time.Now()
	var err error
	res.Status, res.Location, err = c.uploadBytes(ctx, repo, blob, desc, opts, scopes)
	c.report(Transfer{Direction: DirectionPush, Repository: repo, Digest: res.Digest,
		Bytes: desc.Size, Duration: time.Since(start), Err: err})
	return res, err
}

// uploadBytes sends a blob's bytes in the chosen mode and returns the final
// status and the blob's location.
func (c *Client) uploadBytes(ctx context.Context, repo string, blob BlobSource, desc ocispec.Descriptor, opts UploadOptions, scopes []string) (int, string, error) {
	whole := func(int) (io.ReadCloser, error) { return blob.Open(ctx) }
	if opts.Mode == UploadPost {
		return c.uploadPost(ctx, repo, blob, desc, scopes)
	}
	status, session, err := c.startUpload(ctx, repo, scopes)
	if err != nil {
		return status, "", err
	}
	switch opts.Mode {
	case UploadMonolithic:
		return c.completeUpload(ctx, session, desc, whole, scopes)
	case UploadStream:
		status, session, err = c.patchUpload(ctx, session, whole, 0, desc.Size, false, scopes)
	case UploadChunked:
		status, session, err = c.patchChunks(ctx, session, blob, desc.Size, opts.ChunkSize, scopes)
	}
	if err != nil {
		c.cancelUpload(ctx, session, scopes)
		return status, "", err
	}
	return c.completeUpload(ctx, session, desc, nil, scopes)
}

// uploadSession is where an upload continues: the Location the registry
// gave last, resolved against the request that returned it.
type uploadSession struct {
	repo     string
	location *url.URL
}

func (c *Client) sessionName(repo string) string { return c.name(repo + "/blobs/uploads/{session}") }

// location reads a response's Location, relative or absolute, resolved
// against the URL that answered.
func location(op string, resp *http.Response) (*url.URL, error) {
	loc := resp.Header.Get("Location")
	if loc == "" {
		return nil, &Error{Op: op, Status: resp.StatusCode, Code: CodeInvalidResponse,
			Message: "the registry sent no Location"}
	}
	u, err := resp.Request.URL.Parse(loc)
	if err != nil {
		return nil, &Error{Op: op, Status: resp.StatusCode, Code: CodeInvalidResponse,
			Message: fmt.Sprintf("the registry sent an invalid Location: %v", err)}
	}
	return u, nil
}

// startUpload opens an upload session: POST /v2/<repo>/blobs/uploads/.
func (c *Client) startUpload(ctx context.Context, repo string, scopes []string) (int, *uploadSession, error) {
	resp, err := c.send(ctx, &request{
		op: OpUploadStart, method: http.MethodPost,
		url:    c.endpoint(repo + "/blobs/uploads/"),
		name:   c.name(repo + "/blobs/uploads/"),
		scopes: scopes,
		header: http.Header{"Content-Length": {"0"}},
	})
	if err != nil {
		return 0, nil, err
	}
	defer closeBody(resp)
	if err := expect(resp, OpUploadStart, http.StatusAccepted); err != nil {
		return resp.StatusCode, nil, err
	}
	loc, err := location(OpUploadStart, resp)
	if err != nil {
		return resp.StatusCode, nil, err
	}
	return resp.StatusCode, &uploadSession{repo: repo, location: loc}, nil
}

// mountBlob asks for a cross-repository mount. A 202 means the registry
// opened an upload session instead; it is cancelled here, so the fallback
// upload that follows leaks nothing.
func (c *Client) mountBlob(ctx context.Context, repo string, d digest.Digest, from string, scopes []string) (bool, int, string, error) {
	u := c.endpoint(repo + "/blobs/uploads/")
	u.RawQuery = url.Values{"mount": {d.String()}, "from": {from}}.Encode()
	resp, err := c.send(ctx, &request{
		op: OpBlobMount, method: http.MethodPost, url: u,
		name:   c.name(repo + "/blobs/uploads/"),
		scopes: scopes,
		header: http.Header{"Content-Length": {"0"}},
	})
	if err != nil {
		return false, 0, "", err
	}
	defer closeBody(resp)
	if err := expect(resp, OpBlobMount, http.StatusCreated, http.StatusAccepted); err != nil {
		return false, resp.StatusCode, "", err
	}
	if resp.StatusCode == http.StatusCreated {
		return true, resp.StatusCode, c.blobLocation(repo, d, resp), nil
	}
	loc, err := location(OpBlobMount, resp)
	if err != nil {
		return false, resp.StatusCode, "", err
	}
	c.cancelUpload(ctx, &uploadSession{repo: repo, location: loc}, scopes)
	return false, resp.StatusCode, "", nil
}

// patchUpload sends one PATCH of size bytes at offset and returns the
// session's next location. With ranged set it sends Content-Range, as
// chunked uploads must; a streamed upload sends the whole blob without.
func (c *Client) patchUpload(ctx context.Context, s *uploadSession, body bodySource, offset, size int64, ranged bool, scopes []string) (int, *uploadSession, error) {
	header := http.Header{"Content-Type": {"application/octet-stream"}}
	if ranged {
		header.Set("Content-Range", fmt.Sprintf("%d-%d", offset, offset+size-1))
	}
	resp, err := c.send(ctx, &request{
		op: OpUploadChunk, method: http.MethodPatch, url: s.location,
		name: c.sessionName(s.repo), scopes: scopes, header: header, body: body, size: size,
	})
	if err != nil {
		return 0, s, err
	}
	defer closeBody(resp)
	if err := expect(resp, OpUploadChunk, http.StatusAccepted); err != nil {
		return resp.StatusCode, s, err
	}
	if err := checkRange(resp, offset+size); err != nil {
		return resp.StatusCode, s, err
	}
	loc, err := location(OpUploadChunk, resp)
	if err != nil {
		return resp.StatusCode, s, err
	}
	return resp.StatusCode, &uploadSession{repo: s.repo, location: loc}, nil
}

// checkRange compares the registry's Range header, "0-<last byte>", with
// what was sent: a registry that kept less has lost data.
func checkRange(resp *http.Response, sent int64) error {
	r := resp.Header.Get("Range")
	if r == "" || sent == 0 {
		// Nothing to compare: registries say "0-0" for an empty upload too.
		return nil
	}
	_, last, ok := strings.Cut(strings.TrimPrefix(r, "bytes="), "-")
	end, err := strconv.ParseInt(last, 10, 64)
	if !ok || err != nil {
		return &Error{Op: OpUploadChunk, Status: resp.StatusCode, Code: CodeInvalidResponse,
			Message: fmt.Sprintf("invalid Range %q", r)}
	}
	if end+1 != sent {
		return &Error{Op: OpUploadChunk, Status: resp.StatusCode, Code: "BLOB_UPLOAD_INVALID",
			Message: fmt.Sprintf("registry holds %d bytes of the upload, %d were sent", end+1, sent)}
	}
	return nil
}

// maxRangeRecoveries bounds how often one chunked upload asks the session
// where to resume after a 416, so a broken registry cannot loop it.
const maxRangeRecoveries = 3

// patchChunks sends the blob in chunks of chunkSize, each a PATCH with its
// Content-Range, following the Location of each answer. A 416 means the
// registry holds other than what was sent; as the spec says, the client
// asks the session for its Range and resumes from there.
func (c *Client) patchChunks(ctx context.Context, s *uploadSession, blob BlobSource, size, chunkSize int64, scopes []string) (int, *uploadSession, error) {
	src := &resumableReader{ctx: ctx, blob: blob}
	defer src.Close()
	status, recoveries := 0, 0
	for offset := int64(0); offset < size; {
		n := min(chunkSize, size-offset)
		st, ns, err := c.patchUpload(ctx, s, src.chunk(offset, n), offset, n, true, scopes)
		status = st
		if err == nil {
			s, offset = ns, offset+n
			continue
		}
		if status != http.StatusRequestedRangeNotSatisfiable || recoveries >= maxRangeRecoveries {
			return status, s, err
		}
		recoveries++
		held, serr := c.uploadStatus(ctx, s, scopes)
		if serr != nil {
			return held.Status, s, serr
		}
		loc, perr := url.Parse(held.Location)
		if perr != nil || held.Offset > size {
			return held.Status, s, &Error{Op: OpUploadStatus, Status: held.Status, Code: CodeInvalidResponse,
				Message: fmt.Sprintf("cannot resume: the session holds %d bytes of %d at %q", held.Offset, size, held.Location)}
		}
		s, offset = &uploadSession{repo: s.repo, location: loc}, held.Offset
	}
	return status, s, nil
}

// completeUpload closes a session with PUT ?digest=, sending body (the
// whole blob, for monolithic uploads) or nothing.
func (c *Client) completeUpload(ctx context.Context, s *uploadSession, desc ocispec.Descriptor, body bodySource, scopes []string) (int, string, error) {
	u := *s.location
	// Append rather than re-encode: the session URL is the registry's, opaque.
	if u.RawQuery != "" {
		u.RawQuery += "&"
	}
	u.RawQuery += "digest=" + url.QueryEscape(desc.Digest.String())
	r := &request{
		op: OpUploadComplete, method: http.MethodPut, url: &u,
		name: c.sessionName(s.repo), scopes: scopes,
		header: http.Header{"Content-Type": {"application/octet-stream"}},
		body:   body, size: desc.Size,
	}
	if body == nil {
		r.header.Set("Content-Length", "0")
	}
	resp, err := c.send(ctx, r)
	if err != nil {
		if body != nil {
			c.cancelUpload(ctx, s, scopes)
		}
		return 0, "", err
	}
	defer closeBody(resp)
	if err := expect(resp, OpUploadComplete, http.StatusCreated); err != nil {
		return resp.StatusCode, "", err
	}
	if got := resp.Header.Get("Docker-Content-Digest"); got != "" && got != desc.Digest.String() {
		return resp.StatusCode, "", &Error{Op: OpUploadComplete, Status: resp.StatusCode, Code: CodeDigestMismatch,
			Message: fmt.Sprintf("registry stored the blob as %s, want %s", got, desc.Digest)}
	}
	return resp.StatusCode, c.blobLocation(s.repo, desc.Digest, resp), nil
}

// blobLocation is where a stored blob is, from the response that stored
// it. Some registries (go-containerregistry's) send no Location with the
// 201; the blob is then at its canonical URL. Only uploads in progress must
// follow Location to the letter, and this is not one.
func (c *Client) blobLocation(repo string, d digest.Digest, resp *http.Response) string {
	if loc, err := location(OpUploadComplete, resp); err == nil {
		return loc.String()
	}
	return c.endpoint(repo + "/blobs/" + d.String()).String()
}

// uploadPost sends the blob in the POST that opens the session, with its
// digest. Registries may store it at once (201) or open a session (202);
// then the Range they report says whether the body was kept, and the PUT
// that closes the session carries the body again only if it was not.
func (c *Client) uploadPost(ctx context.Context, repo string, blob BlobSource, desc ocispec.Descriptor, scopes []string) (int, string, error) {
	u := c.endpoint(repo + "/blobs/uploads/")
	u.RawQuery = "digest=" + url.QueryEscape(desc.Digest.String())
	whole := func(int) (io.ReadCloser, error) { return blob.Open(ctx) }
	resp, err := c.send(ctx, &request{
		op: OpUploadStart, method: http.MethodPost, url: u,
		name: c.name(repo + "/blobs/uploads/"), scopes: scopes,
		header: http.Header{"Content-Type": {"application/octet-stream"}},
		body:   whole, size: desc.Size,
	})
	if err != nil {
		return 0, "", err
	}
	defer closeBody(resp)
	if err := expect(resp, OpUploadStart, http.StatusCreated, http.StatusAccepted); err != nil {
		return resp.StatusCode, "", err
	}
	if resp.StatusCode == http.StatusCreated {
		return resp.StatusCode, c.blobLocation(repo, desc.Digest, resp), nil
	}
	loc, err := location(OpUploadStart, resp)
	if err != nil {
		return resp.StatusCode, "", err
	}
	session := &uploadSession{repo: repo, location: loc}
	// "0-0" is what registries say of an empty session and of one holding a
	// single byte; below two bytes, send the body again to be sure.
	if desc.Size > 1 && resp.Header.Get("Range") != "" && checkRange(resp, desc.Size) == nil {
		return c.completeUpload(ctx, session, desc, nil, scopes)
	}
	return c.completeUpload(ctx, session, desc, whole, scopes)
}

// cleanupTimeout bounds the DELETE that closes an abandoned session.
const cleanupTimeout = time.Second

// cancelUpload deletes a session that will not be completed, so none is
// left behind on the registry. It runs even when ctx is done (the test
// ended mid-upload), on its own deadline of a second. A failure here is not
// the caller's failure.
func (c *Client) cancelUpload(ctx context.Context, s *uploadSession, scopes []string) {
	if s == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	// A 416 means the location is stale: a request cut short left the
	// registry holding bytes the URL's state does not know of (distribution
	// checks _state), and it may still be writing them. Ask the session
	// where it stands and delete that, a bounded number of times.
	for range maxCleanupRounds {
		if c.deleteSession(ctx, s, scopes) != http.StatusRequestedRangeNotSatisfiable {
			return
		}
		held, err := c.uploadStatus(ctx, s, scopes)
		if err != nil {
			return
		}
		loc, err := url.Parse(held.Location)
		if err != nil {
			return
		}
		s = &uploadSession{repo: s.repo, location: loc}
	}
}

// maxCleanupRounds bounds the DELETEs sent to one abandoned session.
const maxCleanupRounds = 5

// deleteSession sends DELETE for a session and returns the status, 0 if
// none came.
func (c *Client) deleteSession(ctx context.Context, s *uploadSession, scopes []string) int {
	resp, err := c.send(ctx, &request{
		op: OpUploadCancel, method: http.MethodDelete, url: s.location,
		name: c.sessionName(s.repo), scopes: scopes,
		expected: []int{http.StatusNotFound, http.StatusRequestedRangeNotSatisfiable},
	})
	if err != nil {
		return 0
	}
	closeBody(resp)
	return resp.StatusCode
}
