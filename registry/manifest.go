package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Docker's media types, which image-spec does not define.
const (
	MediaTypeDockerManifest      = "application/vnd.docker.distribution.manifest.v2+json"
	MediaTypeDockerManifestList  = "application/vnd.docker.distribution.manifest.list.v2+json"
	mediaTypeDockerSchema1       = "application/vnd.docker.distribution.manifest.v1+json"
	mediaTypeDockerSchema1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws"
)

// manifestAccept asks for every manifest format we can read. Registries
// that see no OCI type in Accept answer MANIFEST_UNKNOWN for OCI manifests.
var manifestAccept = []string{
	ocispec.MediaTypeImageManifest,
	ocispec.MediaTypeImageIndex,
	MediaTypeDockerManifest,
	MediaTypeDockerManifestList,
}

// maxManifestSize is the limit the distribution spec lets registries set
// and the one they use; a larger body is refused rather than held.
const maxManifestSize = 4 << 20

// fetchedManifest is a manifest as the registry served it.
type fetchedManifest struct {
	Status    int
	MediaType string
	Digest    digest.Digest
	Body      []byte
}

func (m *fetchedManifest) isIndex() bool {
	return m.MediaType == ocispec.MediaTypeImageIndex || m.MediaType == MediaTypeDockerManifestList
}

// getManifest fetches an image manifest or index by tag or digest.
func (c *Client) getManifest(ctx context.Context, repo, ident string, scopes []string) (*fetchedManifest, error) {
	return c.fetchManifest(ctx, repo, ident, nil, scopes)
}

// fetchManifest fetches a manifest by tag or digest, asking for the media
// types in accept (nil: every image type), and checks its bytes against the
// digest asked for, or the one the registry announced.
func (c *Client) fetchManifest(ctx context.Context, repo, ident string, accept []string, scopes []string) (*fetchedManifest, error) {
	if len(accept) == 0 {
		accept = manifestAccept
	}
	resp, err := c.send(ctx, &request{
		op: OpManifestGet, method: http.MethodGet,
		url:    c.endpoint(repo + "/manifests/" + ident),
		name:   c.name(repo + "/manifests/{reference}"),
		scopes: scopes,
		header: http.Header{"Accept": accept},
	})
	if err != nil {
		return nil, err
	}
	defer closeBody(resp)
	if err := expect(resp, OpManifestGet, http.StatusOK); err != nil {
		return nil, err
	}
	m := &fetchedManifest{Status: resp.StatusCode}
	m.Body, err = io.ReadAll(io.LimitReader(resp.Body, maxManifestSize+1))
	if err != nil {
		return nil, bodyError(ctx, OpManifestGet, c.name(repo+"/manifests/{reference}"), err)
	}
	if len(m.Body) > maxManifestSize {
		return nil, &Error{Op: OpManifestGet, Status: resp.StatusCode, Code: "MANIFEST_INVALID",
			Message: fmt.Sprintf("manifest of %s:%s is larger than %d bytes", repo, ident, maxManifestSize)}
	}
	want := resp.Header.Get("Docker-Content-Digest")
	if d, err := digest.Parse(ident); err == nil {
		want = d.String()
	}
	m.Digest = digest.FromBytes(m.Body)
	if want != "" {
		wantDigest, err := digest.Parse(want)
		if err != nil {
			return nil, &Error{Op: OpManifestGet, Status: resp.StatusCode, Code: CodeInvalidResponse,
				Message: fmt.Sprintf("Docker-Content-Digest %q: %v", want, err)}
		}
		if wantDigest.Algorithm().FromBytes(m.Body) != wantDigest {
			return nil, &Error{Op: OpManifestGet, Status: resp.StatusCode, Code: CodeDigestMismatch,
				Message: fmt.Sprintf("manifest of %s:%s does not hash to %s", repo, ident, wantDigest)}
		}
		m.Digest = wantDigest
	}
	m.MediaType = manifestMediaType(resp.Header.Get("Content-Type"), m.Body)
	return m, nil
}

// manifestMediaType trusts Content-Type when it names a manifest type, and
// otherwise the manifest's own mediaType field.
func manifestMediaType(contentType string, body []byte) string {
	mt, _, _ := mime.ParseMediaType(contentType)
	switch mt {
	case ocispec.MediaTypeImageManifest, ocispec.MediaTypeImageIndex,
		MediaTypeDockerManifest, MediaTypeDockerManifestList,
		mediaTypeDockerSchema1, mediaTypeDockerSchema1Signed:
		return mt
	}
	var probe struct {
		MediaType string            `json:"mediaType"`
		Manifests []json.RawMessage `json:"manifests"`
	}
	if json.Unmarshal(body, &probe) == nil {
		switch {
		case probe.MediaType != "":
			return probe.MediaType
		case probe.Manifests != nil:
			return ocispec.MediaTypeImageIndex
		}
	}
	if mt != "" {
		return mt
	}
	return ocispec.MediaTypeImageManifest
}

// putResult is what a manifest PUT tells.
type putResult struct {
	status    int
	announced string // Docker-Content-Digest
	location  string
	subject   string // OCI-Subject
}

// putManifest uploads manifest bytes under a tag or digest.
func (c *Client) putManifest(ctx context.Context, repo, ident, mediaType string, body []byte, scopes []string) (putResult, error) {
	resp, err := c.send(ctx, &request{
		op: OpManifestPut, method: http.MethodPut,
		url:    c.endpoint(repo + "/manifests/" + ident),
		name:   c.name(repo + "/manifests/{reference}"),
		scopes: scopes,
		header: http.Header{"Content-Type": {mediaType}},
		body:   func(int) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil },
		size:   int64(len(body)),
	})
	if err != nil {
		return putResult{}, err
	}
	defer closeBody(resp)
	res := putResult{status: resp.StatusCode}
	if err := expect(resp, OpManifestPut, http.StatusCreated); err != nil {
		return res, err
	}
	res.announced = resp.Header.Get("Docker-Content-Digest")
	res.subject = resp.Header.Get("OCI-Subject")
	if loc, err := location(OpManifestPut, resp); err == nil {
		res.location = loc.String()
	}
	return res, nil
}
