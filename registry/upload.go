package registry

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/xk6-registry/xk6-registry/registry/auth"
)

// UploadMode is how a blob's bytes are sent.
type UploadMode string

// Upload modes; see the README for the requests each sends.
const (
	UploadMonolithic UploadMode = "monolithic" // POST, PUT ?digest= with the body
	UploadStream     UploadMode = "stream"     // POST, one PATCH with the body, PUT ?digest=
	UploadChunked    UploadMode = "chunked"    // POST, PATCHes of ChunkSize, PUT ?digest=
	UploadPost       UploadMode = "post"       // POST ?digest= with the body (PUT if 202)
)

// DefaultChunkSize is the chunk size of chunked uploads when none is given.
const DefaultChunkSize = 5 << 20

// UploadOptions tune one blob upload. The JSON names are the options'
// names in scripts, and in the errors that refuse them.
type UploadOptions struct {
	Mode      UploadMode `json:"upload"`    // default UploadStream
	ChunkSize int64      `json:"chunkSize"` // chunked mode only; default DefaultChunkSize
	// MountFrom names a repository to try a cross-repository mount from
	// before uploading.
	MountFrom string `json:"mountFrom"`
	// SkipExisting sends a HEAD first and skips a blob the repository has.
	SkipExisting bool `json:"skipExisting"`
}

// Validate checks the options, naming what is wrong.
func (o UploadOptions) Validate() error {
	switch o.Mode {
	case "", UploadMonolithic, UploadStream, UploadChunked, UploadPost:
	default:
		return fmt.Errorf(`option "upload" must be one of monolithic, stream, chunked, post; got %s`, echo(string(o.Mode)))
	}
	if o.ChunkSize < 0 {
		return fmt.Errorf(`option "chunkSize" must be above 0; got %d`, o.ChunkSize)
	}
	if o.MountFrom != "" {
		if err := ValidateRepository(o.MountFrom); err != nil {
			return fmt.Errorf(`option "mountFrom": %w`, err)
		}
	}
	return nil
}

// withDefaults fills in what was left out.
func (o UploadOptions) withDefaults() UploadOptions {
	if o.Mode == "" {
		o.Mode = UploadStream
	}
	if o.ChunkSize == 0 {
		o.ChunkSize = DefaultChunkSize
	}
	return o
}

// UploadResult is the outcome of one blob upload.
type UploadResult struct {
	Status   int // last HTTP status
	Digest   string
	Size     int64
	Location string // the blob's location as the registry gave it
	Mounted  bool
	Skipped  bool
}

// UploadBlob uploads one blob into repo. The result is never nil; on error
// it holds what was done.
func (c *Client) UploadBlob(ctx context.Context, repo string, blob BlobSource, opts UploadOptions) (*UploadResult, error) {
	res := &UploadResult{}
	if err := CheckUploadBlob(repo, blob, opts); err != nil {
		return res, err
	}
	desc, err := blob.Descriptor(ctx)
	if err != nil {
		return res, contentError(ctx, OpUploadLayer, "describing the blob", err)
	}
	return c.uploadBlob(ctx, repo, blob, desc, opts.withDefaults(), uploadScopes(repo, opts.MountFrom))
}

func uploadScopes(repo, mountFrom string) []string {
	scopes := []string{auth.PushScope(repo)}
	if mountFrom != "" && mountFrom != repo {
		scopes = append(scopes, auth.PullScope(mountFrom))
	}
	return scopes
}

// uploadBlob runs one blob's upload: existence check, mount, then the bytes.
func (c *Client) uploadBlob(ctx context.Context, repo string, blob BlobSource, desc ocispec.Descriptor, opts UploadOptions, scopes []string) (*UploadResult, error) {
	res := &UploadResult{Digest: desc.Digest.String(), Size: desc.Size}
	if err := desc.Digest.Validate(); err != nil {
		return res, fmt.Errorf("upload to %s: blob digest %s: %w", repo, echo(string(desc.Digest)), err)
	}
	if opts.SkipExisting {
		exists, status, _, err := c.headBlob(ctx, repo, desc.Digest, true, scopes)
		res.Status = status
		if err != nil || exists {
			res.Skipped = exists
			return res, err
		}
	}
	start := time.Now()
	var opened *uploadSession
	if opts.MountFrom != "" && opts.MountFrom != repo {
		mount, err := c.mountBlob(ctx, repo, desc.Digest, opts.MountFrom, scopes)
		res.Status = mount.status
		switch {
		case mount.mounted:
			res.Mounted, res.Location = true, mount.location
			c.report(ctx, Transfer{Direction: DirectionPush, Repository: repo, Digest: res.Digest,
				Duration: time.Since(start), Mounted: true})
			return res, nil
		case err != nil && ctx.Err() != nil:
			return res, err
		}
		// Not mounted: the upload goes on, as docker's does, in the session
		// a 202 opened, or in a new one when the mount failed.
		opened = mount.session
	}
	start = time.Now()
	var err error
	res.Status, res.Location, err = c.uploadBytes(ctx, repo, blob, desc, opts, scopes, opened)
	c.report(ctx, Transfer{Direction: DirectionPush, Repository: repo, Digest: res.Digest,
		Bytes: desc.Size, Duration: time.Since(start), Err: err})
	return res, err
}

// uploadBytes sends a blob's bytes in the chosen mode and returns the final
// status and the blob's location. opened is a session the registry opened
// already (a mount it answered with 202), or nil.
func (c *Client) uploadBytes(ctx context.Context, repo string, blob BlobSource, desc ocispec.Descriptor, opts UploadOptions, scopes []string, opened *uploadSession) (int, string, error) {
	whole := func(int) (io.ReadCloser, error) { return blob.Open(ctx) }
	switch {
	case opts.Mode == UploadPost && opened == nil:
		return c.startingOver(ctx, func(budget *tries) (int, string, error) {
			return c.uploadPost(ctx, repo, desc, whole, scopes, budget)
		})
	case opts.Mode == UploadMonolithic, opts.Mode == UploadPost:
		// A post upload in a session already open is a monolithic one.
		return c.startingOver(ctx, func(budget *tries) (int, string, error) {
			session := opened
			opened = nil // a start over opens a new one
			return c.uploadMonolithic(ctx, repo, session, desc, whole, scopes, budget)
		})
	}
	session := opened
	if session == nil {
		status, started, err := c.startUpload(ctx, repo, desc.Digest, scopes)
		if err != nil {
			return status, "", err
		}
		session = started
	}
	chunkSize, ranged := desc.Size, false
	if opts.Mode == UploadChunked {
		chunkSize, ranged = opts.ChunkSize, true
	}
	status, session, err := c.patchChunks(ctx, session, blob, desc.Size, chunkSize, ranged, scopes)
	if err != nil {
		return status, "", c.abandoned(ctx, session, scopes, err)
	}
	return c.completeUpload(ctx, session, desc, nil, scopes, nil)
}

// startingOver runs an upload whose PUT may carry the whole blob, starting
// it over in a new session when that PUT failed and the retry policy
// allows: the registry may hold part of the first body, so the PUT is not
// sent again as it was. The failed upload has cancelled its session; other
// requests were retried where they failed. Every request that carries the
// blob shares one attempt budget.
func (c *Client) startingOver(ctx context.Context, upload func(*tries) (int, string, error)) (int, string, error) {
	budget := &tries{}
	for {
		status, location, err := upload(budget)
		if err == nil || !mayRestart(err) || !c.canRetry(ctx, budget.n, StatusOf(err), err) {
			return status, location, err
		}
		if werr := c.waitRetry(ctx, OpUploadComplete, budget.n, StatusOf(err), nil, err); werr != nil {
			return status, "", werr
		}
	}
}

// uploadMonolithic closes a session with a PUT of the whole blob, in the
// session given or in one it opens.
func (c *Client) uploadMonolithic(ctx context.Context, repo string, session *uploadSession, desc ocispec.Descriptor, whole bodySource, scopes []string, budget *tries) (int, string, error) {
	if session == nil {
		status, opened, err := c.startUpload(ctx, repo, desc.Digest, scopes)
		if err != nil {
			return status, "", err
		}
		session = opened
	}
	return c.completeUpload(ctx, session, desc, whole, scopes, budget)
}

// uploadPost sends the blob in the POST that opens the session, with its
// digest (distribution spec end-4b). Registries may store it at once (201)
// or open a session (202); then the Range they report says whether the body
// was kept, and the PUT that closes the session carries the body again
// only if it was not. A registry that leaves POST bodies unread gets the
// blob in the PUT alone (see postBodies).
func (c *Client) uploadPost(ctx context.Context, repo string, desc ocispec.Descriptor, whole bodySource, scopes []string, budget *tries) (status int, loc string, err error) {
	send, probing, err := c.post.sendBody(ctx)
	if err != nil {
		return 0, "", canceled(OpUploadStart, err)
	}
	if !send {
		return c.uploadMonolithic(ctx, repo, nil, desc, whole, scopes, budget)
	}
	// The probe ends with the POST's answer, before the PUT: the other
	// uploads need not wait for this blob's bytes.
	known, kept := false, false
	settle := func() {
		if probing {
			probing = false
			c.post.learned(known, kept)
		}
	}
	defer settle()
	resp, err := c.send(ctx, &request{
		op: OpUploadStart, method: http.MethodPost,
		route:  c.uploadsRoute(repo, digestAlgorithmQuery(url.Values{"digest": {desc.Digest.String()}}, desc.Digest)),
		scopes: scopes,
		header: http.Header{"Content-Type": {"application/octet-stream"}},
		body:   whole, size: desc.Size,
		opensSession: true, tries: budget, expectContinue: true,
	})
	if err != nil {
		return 0, "", err
	}
	defer closeBody(resp)
	if err := expect(resp, OpUploadStart, http.StatusCreated, http.StatusAccepted); err != nil {
		return resp.StatusCode, "", digestHint(err, desc.Digest)
	}
	if resp.StatusCode == http.StatusCreated {
		known, kept = true, true
		return resp.StatusCode, c.blobLocation(repo, desc.Digest, resp), nil
	}
	session, err := c.openedSession(ctx, OpUploadStart, repo, resp, scopes)
	if err != nil {
		return resp.StatusCode, "", err
	}
	// "0-0" is what registries say of an empty session and of one holding a
	// single byte; below two bytes, send the body again to be sure, and
	// learn nothing.
	_, ranged, _ := rangeEnd(OpUploadStart, resp)
	held := ranged && checkHeld(OpUploadStart, resp, desc.Size) == nil
	if desc.Size > 1 {
		known, kept = true, held
	}
	settle()
	if desc.Size > 1 && held {
		return c.completeUpload(ctx, session, desc, nil, scopes, budget)
	}
	return c.completeUpload(ctx, session, desc, whole, scopes, budget)
}
