package registry

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/xk6-registry/xk6-registry/registry/auth"
)

// An upload session, from the POST that opens it to the PUT that closes it
// or the DELETE that cancels it. Every request after the POST goes to the
// Location the registry gave last, as given: its path and query (upload id,
// _state) are the registry's own.

// uploadSession is where an upload continues: the Location the registry
// gave last, resolved against the request that returned it.
type uploadSession struct {
	repo     string
	location *url.URL
	// minChunk is the smallest chunk the registry takes but for the last
	// (OCI-Chunk-Min-Length), 0 when it named none.
	minChunk int64
}

// at is the session continued at another location.
func (s *uploadSession) at(location *url.URL) *uploadSession {
	next := *s
	next.location = location
	return &next
}

// maxChunkMinLength bounds what OCI-Chunk-Min-Length is believed: a chunk
// is held in no buffer, but a registry asking for more than this asks for
// a monolithic upload.
const maxChunkMinLength = 1 << 30

// chunkMinLength reads OCI-Chunk-Min-Length, 0 when absent or invalid.
func chunkMinLength(resp *http.Response) int64 {
	n, err := strconv.ParseInt(resp.Header.Get("OCI-Chunk-Min-Length"), 10, 64)
	if err != nil || n <= 0 {
		return 0
	}
	return min(n, maxChunkMinLength)
}

func (c *Client) sessionRoute(s *uploadSession) route { return c.sessionAt(s.repo, s.location) }

// UploadStatusResult is what a registry says of an upload session.
type UploadStatusResult struct {
	Status   int
	Offset   int64  // bytes the session holds
	Location string // where the upload continues
}

// CancelUpload deletes an upload session.
func (c *Client) CancelUpload(ctx context.Context, location string) (int, error) {
	s, err := c.sessionFor(location)
	if err != nil {
		return 0, err
	}
	status, _, err := c.deleteSession(ctx, s, []string{auth.PushScope(s.repo)}, false)
	return status, err
}

// UploadStatus asks a session how many bytes it holds.
func (c *Client) UploadStatus(ctx context.Context, location string) (*UploadStatusResult, error) {
	s, err := c.sessionFor(location)
	if err != nil {
		return &UploadStatusResult{}, err
	}
	status, held, next, err := c.sessionStatus(ctx, s, []string{auth.PushScope(s.repo)})
	res := &UploadStatusResult{Status: status, Offset: held}
	if next != nil {
		res.Location = next.location.String()
	}
	return res, err
}

// sessionFor makes a session of a location a script got back: absolute, or
// relative to the registry. The repository is read from the path for the
// metric name.
func (c *Client) sessionFor(location string) (*uploadSession, error) {
	u, err := c.base.Parse(location)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("upload location %q is not a URL", location)
	}
	repo := "{repository}"
	if _, rest, ok := strings.Cut(u.Path, "/v2/"); ok {
		if i := strings.Index(rest, "/blobs/uploads"); i > 0 {
			repo = rest[:i]
		}
	}
	return &uploadSession{repo: repo, location: u}, nil
}

// startUpload opens an upload session for a blob of digest d: POST
// /v2/<repo>/blobs/uploads/, with d's algorithm when it is not sha256.
func (c *Client) startUpload(ctx context.Context, repo string, d digest.Digest, scopes []string) (int, *uploadSession, error) {
	resp, err := c.send(ctx, &request{
		op: OpUploadStart, method: http.MethodPost,
		route:        c.uploadsRoute(repo, digestAlgorithmQuery(nil, d)),
		scopes:       scopes,
		header:       http.Header{"Content-Length": {"0"}},
		opensSession: true,
	})
	if err != nil {
		return 0, nil, err
	}
	defer closeBody(resp)
	if err := expect(resp, OpUploadStart, http.StatusAccepted); err != nil {
		return resp.StatusCode, nil, refusedAlgorithm(err, "digest-algorithm="+d.Algorithm().String(), d)
	}
	s, err := c.openedSession(ctx, OpUploadStart, repo, resp, scopes)
	return resp.StatusCode, s, err
}

// openedSession is the session a 202 opened, at its Location. When the call
// ended while the request was on its way (it failed elsewhere, or the test
// is over), the session is abandoned at once: the request that opened it
// outlives its call for this (see request.opensSession).
func (c *Client) openedSession(ctx context.Context, op, repo string, resp *http.Response, scopes []string) (*uploadSession, error) {
	loc, err := location(op, resp)
	if err != nil {
		return nil, err
	}
	s := &uploadSession{repo: repo, location: loc, minChunk: chunkMinLength(resp)}
	if err := ctx.Err(); err != nil {
		c.abandon(ctx, s, scopes)
		return nil, canceled(op, err)
	}
	return s, nil
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
		op: OpUploadChunk, method: http.MethodPatch, route: c.sessionRoute(s),
		scopes: scopes, header: header, body: body, size: size, noRetry: true,
	})
	if err != nil {
		return 0, s, err
	}
	defer closeBody(resp)
	if err := expect(resp, OpUploadChunk, http.StatusAccepted); err != nil {
		return resp.StatusCode, s, err
	}
	if err := checkHeld(OpUploadChunk, resp, offset+size); err != nil {
		return resp.StatusCode, s, err
	}
	loc, err := location(OpUploadChunk, resp)
	if err != nil {
		return resp.StatusCode, s, err
	}
	return resp.StatusCode, s.at(loc), nil
}

// completeUpload closes a session with PUT ?digest=, sending body (the
// whole blob, for monolithic uploads) or nothing.
// budget is the attempt budget of the request that carries the blob, shared
// with the requests that carried it before when the upload started over.
func (c *Client) completeUpload(ctx context.Context, s *uploadSession, desc ocispec.Descriptor, body bodySource, scopes []string, budget *tries) (int, string, error) {
	u := *s.location
	// Append rather than re-encode: the session URL is the registry's, opaque.
	if u.RawQuery != "" {
		u.RawQuery += "&"
	}
	u.RawQuery += "digest=" + url.QueryEscape(desc.Digest.String())
	r := &request{
		op: OpUploadComplete, method: http.MethodPut, route: c.sessionAt(s.repo, &u),
		scopes: scopes,
		header: http.Header{"Content-Type": {"application/octet-stream"}},
		body:   body, size: desc.Size,
		// A PUT with the blob may leave bytes in the session: the upload
		// starts over in a new one instead.
		noRetry:        body != nil,
		tries:          budget,
		expectContinue: true,
	}
	if body == nil {
		r.header.Set("Content-Length", "0")
	}
	// A failed PUT leaves the session open on most registries; one that
	// carried the blob is not sent again as it was, the upload starts over.
	failed := func(status int, err error) (int, string, error) {
		err = c.abandoned(ctx, s, scopes, digestHint(err, desc.Digest))
		if body != nil {
			err = restartable(err)
		}
		return status, "", err
	}
	resp, err := c.send(ctx, r)
	if err != nil {
		return failed(0, err)
	}
	defer closeBody(resp)
	if err := expect(resp, OpUploadComplete, http.StatusCreated); err != nil {
		return failed(resp.StatusCode, err)
	}
	// A registry stores a blob of another algorithm under its own canonical
	// digest too, and may announce that one (distribution does): the
	// digests of two algorithms do not compare.
	if got := resp.Header.Get("Docker-Content-Digest"); got != "" && got != desc.Digest.String() && sameAlgorithm(got, desc.Digest) {
		return resp.StatusCode, "", &Error{Op: OpUploadComplete, Status: resp.StatusCode, Code: CodeDigestMismatch,
			Message: fmt.Sprintf("registry stored the blob as %s, want %s", got, desc.Digest)}
	}
	return resp.StatusCode, c.blobLocation(s.repo, desc.Digest, resp), nil
}

// sessionStatus asks a session how many bytes it holds and where it
// continues (distribution spec end-13): the one way the client learns
// where to resume, after a 416 or before cancelling a stale session.
func (c *Client) sessionStatus(ctx context.Context, s *uploadSession, scopes []string, expected ...int) (int, int64, *uploadSession, error) {
	resp, err := c.send(ctx, &request{
		op: OpUploadStatus, method: http.MethodGet, route: c.sessionRoute(s), scopes: scopes, expected: expected,
	})
	if err != nil {
		return 0, 0, nil, err
	}
	defer closeBody(resp)
	if err := expect(resp, OpUploadStatus, http.StatusNoContent, http.StatusOK); err != nil {
		return resp.StatusCode, 0, nil, err
	}
	last, ok, err := rangeEnd(OpUploadStatus, resp)
	if err != nil {
		return resp.StatusCode, 0, nil, err
	}
	var held int64
	if ok && last > 0 {
		// "0-0" is read as none: registries say it of an empty session, and
		// a session of one byte is not worth the ambiguity.
		held = last + 1
	}
	next := s
	if loc, err := location(OpUploadStatus, resp); err == nil {
		next = s.at(loc)
	}
	return resp.StatusCode, held, next, nil
}

// rangeEnd reads the Range of an upload response, "0-<last byte>" (some
// registries write "bytes=0-<last byte>"), and returns the last byte's
// offset; ok is false when there is none. "0-0" is what registries say of
// an empty session and of one holding a single byte: callers decide.
func rangeEnd(op string, resp *http.Response) (last int64, ok bool, err error) {
	r := resp.Header.Get("Range")
	if r == "" {
		return 0, false, nil
	}
	_, tail, found := strings.Cut(strings.TrimPrefix(r, "bytes="), "-")
	last, err = strconv.ParseInt(tail, 10, 64)
	if !found || err != nil || last < 0 || last == math.MaxInt64 {
		return 0, false, &Error{Op: op, Status: resp.StatusCode, Code: CodeInvalidResponse,
			Message: fmt.Sprintf("invalid Range %q", r)}
	}
	return last, true, nil
}

// checkHeld compares the registry's Range with the bytes sent: a registry
// that kept less has lost data. With no Range, or nothing sent, there is
// nothing to compare.
func checkHeld(op string, resp *http.Response, sent int64) error {
	last, ok, err := rangeEnd(op, resp)
	if err != nil || !ok || sent == 0 {
		return err
	}
	if last+1 != sent {
		return &Error{Op: op, Status: resp.StatusCode, Code: CodeBlobUploadInvalid,
			Message: fmt.Sprintf("registry holds %d bytes of the upload, %d were sent", last+1, sent)}
	}
	return nil
}

// cleanupTimeout bounds the closing of an abandoned session. A registry
// can take seconds to notice a client that hung up mid-body, and refuses
// to delete the session until it has: distribution v3.1.2 took up to 2 s
// here with a 1 GiB PATCH cut short.
const cleanupTimeout = 5 * time.Second

// maxCleanupRounds bounds the DELETEs sent to one abandoned session.
const maxCleanupRounds = 12

// abandon deletes a session that will not be completed, so none is left
// behind on the registry, and tells whether it is closed. It runs even
// when ctx is done (the test ended mid-upload), on a deadline of its own
// (cleanupTimeout), and keeps trying within it whatever the retry policy:
// a proxy's 502 or 504, a 429 or a dropped connection does not leave the
// session open. A session it could not close is counted for the call (see
// CountLeftOpen); its failure is not the caller's failure.
func (c *Client) abandon(ctx context.Context, s *uploadSession, scopes []string) bool {
	if s == nil {
		return true
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	wait := 25 * time.Millisecond
	for range maxCleanupRounds {
		status, header, err := c.deleteSession(ctx, s, scopes, true)
		switch {
		case err == nil, status == http.StatusNotFound:
			return true
		case status == http.StatusRequestedRangeNotSatisfiable:
			// The location is stale: a request cut short left the registry
			// holding bytes the URL's state does not know of (distribution
			// checks _state), and it may still be writing them. Ask the
			// session where it stands, and delete that.
			if !pause(ctx, wait) {
				return leftOpen(ctx)
			}
			// Gone meanwhile (the registry dropped the cut upload) is closed.
			st, _, next, serr := c.sessionStatus(ctx, s, scopes, http.StatusNotFound)
			switch {
			case st == http.StatusNotFound:
				return true
			case serr == nil:
				s = next
			}
		case status == http.StatusTooManyRequests || status >= 500 || (status == 0 && ctx.Err() == nil):
			d := wait
			if after, ok := retryAfter(header); ok {
				d = after
			}
			if !pause(ctx, d) {
				return leftOpen(ctx)
			}
		default:
			// Refused for good (401, 403, 405): nothing more to try.
			return leftOpen(ctx)
		}
		wait = min(2*wait, 500*time.Millisecond)
	}
	return leftOpen(ctx)
}

// abandoned abandons s, which failed with err, and returns err, saying so
// when s stays open.
func (c *Client) abandoned(ctx context.Context, s *uploadSession, scopes []string, err error) error {
	var re *Error
	if c.abandon(ctx, s, scopes) || !errors.As(err, &re) {
		return err
	}
	noted := *re
	noted.Message += "; its upload session could not be closed"
	return &noted
}

// pause waits d, or less when ctx ends first, and tells whether it waited.
func pause(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// deleteSession sends DELETE for a session and returns the status (0 if
// none came) and the response's header. Cleaning up, a 404 (already gone)
// or a 416 (stale location) is part of the flow, not a failure, and the
// caller retries on its own terms.
func (c *Client) deleteSession(ctx context.Context, s *uploadSession, scopes []string, cleaningUp bool) (int, http.Header, error) {
	r := &request{op: OpUploadCancel, method: http.MethodDelete, route: c.sessionRoute(s), scopes: scopes}
	if cleaningUp {
		r.expected = []int{http.StatusNotFound, http.StatusRequestedRangeNotSatisfiable}
		r.noRetry = true
	}
	resp, err := c.send(ctx, r)
	if err != nil {
		return StatusOf(err), nil, err
	}
	defer closeBody(resp)
	return resp.StatusCode, resp.Header, expect(resp, OpUploadCancel, http.StatusNoContent, http.StatusOK, http.StatusAccepted)
}

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

// blobLocation is where a stored blob is, from the response that stored
// it. Some registries (go-containerregistry's) send no Location with the
// 201; the blob is then at its canonical URL. Only uploads in progress must
// follow Location to the letter, and this is not one.
func (c *Client) blobLocation(repo string, d digest.Digest, resp *http.Response) string {
	if loc, err := location(OpUploadComplete, resp); err == nil {
		return loc.String()
	}
	return c.blobRoute(repo, d).url.String()
}
