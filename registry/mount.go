package registry

import (
	"context"
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
	d, err := mountArgs(repo, dgst, from)
	if err != nil {
		return res, err
	}
	scopes := uploadScopes(repo, from)
	m, err := c.mountBlob(ctx, repo, d, from, scopes)
	res.Status, res.Mounted, res.Location = m.status, m.mounted, m.location
	// A script that only asked for a mount has no use for the session.
	c.abandon(ctx, m.session, scopes)
	return res, err
}

// mountAnswer is what a mount request brought.
type mountAnswer struct {
	status   int
	mounted  bool
	location string         // the blob's, when mounted
	session  *uploadSession // the session a 202 opened instead, or nil
}

// mountBlob asks for a cross-repository mount (distribution spec end-11).
// A 202 means the registry opened an upload session instead: an upload goes
// on in it, as docker's does, and whoever does not use it must abandon it.
func (c *Client) mountBlob(ctx context.Context, repo string, d digest.Digest, from string, scopes []string) (mountAnswer, error) {
	resp, err := c.send(ctx, &request{
		op: OpBlobMount, method: http.MethodPost,
		// The session a declined mount opens is the upload's: it names d's algorithm.
		route:  c.uploadsRoute(repo, digestAlgorithmQuery(url.Values{"mount": {d.String()}, "from": {from}}, d)),
		scopes: scopes,
		header: http.Header{"Content-Length": {"0"}},
		// A mount the registry declines opens a session.
		opensSession: true,
	})
	if err != nil {
		return mountAnswer{status: StatusOf(err)}, err
	}
	defer closeBody(resp)
	answer := mountAnswer{status: resp.StatusCode}
	if err := expect(resp, OpBlobMount, http.StatusCreated, http.StatusAccepted); err != nil {
		return answer, err
	}
	if resp.StatusCode == http.StatusCreated {
		answer.mounted, answer.location = true, c.blobLocation(repo, d, resp)
		return answer, nil
	}
	answer.session, err = c.openedSession(ctx, OpBlobMount, repo, resp, scopes)
	return answer, err
}
