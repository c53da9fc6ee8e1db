package registry

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// UploadStatusResult is what a registry says of an upload session.
type UploadStatusResult struct {
	Status   int
	Offset   int64  // bytes the session holds
	Location string // where the upload continues
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

// CancelUpload deletes an upload session.
func (c *Client) CancelUpload(ctx context.Context, location string) (int, error) {
	s, err := c.sessionFor(location)
	if err != nil {
		return 0, err
	}
	resp, err := c.send(ctx, &request{
		op: OpUploadCancel, method: http.MethodDelete, url: s.location,
		name: c.sessionName(s.repo), scopes: []string{pushScope(s.repo)},
	})
	if err != nil {
		return 0, err
	}
	defer closeBody(resp)
	return resp.StatusCode, expect(resp, OpUploadCancel, http.StatusNoContent, http.StatusOK, http.StatusAccepted)
}

// UploadStatus asks a session how many bytes it holds.
func (c *Client) UploadStatus(ctx context.Context, location string) (*UploadStatusResult, error) {
	s, err := c.sessionFor(location)
	if err != nil {
		return &UploadStatusResult{}, err
	}
	return c.uploadStatus(ctx, s, []string{pushScope(s.repo)})
}

func (c *Client) uploadStatus(ctx context.Context, s *uploadSession, scopes []string) (*UploadStatusResult, error) {
	res := &UploadStatusResult{}
	resp, err := c.send(ctx, &request{
		op: OpUploadStatus, method: http.MethodGet, url: s.location,
		name: c.sessionName(s.repo), scopes: scopes,
	})
	if err != nil {
		return res, err
	}
	defer closeBody(resp)
	res.Status = resp.StatusCode
	if err := expect(resp, OpUploadStatus, http.StatusNoContent, http.StatusOK); err != nil {
		return res, err
	}
	res.Offset, err = rangeEnd(resp)
	if err != nil {
		return res, err
	}
	res.Location = s.location.String()
	if loc, err := location(OpUploadStatus, resp); err == nil {
		res.Location = loc.String()
	}
	return res, nil
}

// rangeEnd reads the Range of an upload response, "0-<last byte>", as the
// number of bytes held. "0-0" is read as none: registries say it of an
// empty session, and a session of one byte is not worth the ambiguity.
func rangeEnd(resp *http.Response) (int64, error) {
	r := resp.Header.Get("Range")
	if r == "" {
		return 0, nil
	}
	_, last, ok := strings.Cut(strings.TrimPrefix(r, "bytes="), "-")
	end, err := strconv.ParseInt(last, 10, 64)
	if !ok || err != nil || end < 0 {
		return 0, &Error{Op: OpUploadStatus, Status: resp.StatusCode, Code: CodeInvalidResponse,
			Message: fmt.Sprintf("invalid Range %q", r)}
	}
	if end == 0 {
		return 0, nil
	}
	return end + 1, nil
}
