package registry

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/opencontainers/go-digest"
)

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

// mountBlob asks for a cross-repository mount (distribution spec end-11).
// A 202 means the registry opened an upload session instead; it is
// cancelled here, so the fallback upload that follows leaks nothing.
func (c *Client) mountBlob(ctx context.Context, repo string, d digest.Digest, from string, scopes []string) (bool, int, string, error) {
	resp, err := c.send(ctx, &request{
		op: OpBlobMount, method: http.MethodPost,
		route:  c.uploadsRoute(repo, url.Values{"mount": {d.String()}, "from": {from}}),
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
	c.abandon(ctx, &uploadSession{repo: repo, location: loc}, scopes)
	return false, resp.StatusCode, "", nil
}
