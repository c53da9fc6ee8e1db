package registry

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/opencontainers/go-digest"
)

// ManifestResult is a manifest request's outcome.
type ManifestResult struct {
	Status    int
	Digest    string
	MediaType string
	Size      int64
	Body      []byte // GetManifest only
	Location  string // PutManifest only
	// Subject is the OCI-Subject the registry answered a PUT with: it
	// indexed the manifest's subject for the referrers API.
	Subject string
}

// GetManifest fetches a manifest, checked against its digest. accept
// overrides the media types asked for; nil asks for every image type.
func (c *Client) GetManifest(ctx context.Context, ref string, accept []string) (*ManifestResult, error) {
	res := &ManifestResult{}
	r, err := ParseReference(ref)
	if err != nil {
		return res, err
	}
	m, err := c.fetchManifest(ctx, r.Repository, r.Identifier(), accept, []string{pullScope(r.Repository)})
	if err != nil {
		res.Status = statusOf(err)
		return res, err
	}
	return &ManifestResult{Status: m.Status, Digest: m.Digest.String(), MediaType: m.MediaType, Size: int64(len(m.Body)), Body: m.Body}, nil
}

// HeadManifest asks whether a manifest exists, and its digest, type and size.
func (c *Client) HeadManifest(ctx context.Context, ref string) (*ManifestResult, error) {
	res := &ManifestResult{}
	r, err := ParseReference(ref)
	if err != nil {
		return res, err
	}
	resp, err := c.send(ctx, &request{
		op: OpManifestHead, method: http.MethodHead,
		url:    c.endpoint(r.Repository + "/manifests/" + r.Identifier()),
		name:   c.name(r.Repository + "/manifests/{reference}"),
		scopes: []string{pullScope(r.Repository)},
		header: http.Header{"Accept": manifestAccept},
	})
	if err != nil {
		return res, err
	}
	defer closeBody(resp)
	res.Status = resp.StatusCode
	if err := expect(resp, OpManifestHead, http.StatusOK); err != nil {
		return res, err
	}
	res.Digest = resp.Header.Get("Docker-Content-Digest")
	if res.Digest == "" && r.Digest != "" {
		res.Digest = r.Digest.String()
	}
	res.MediaType = manifestMediaType(resp.Header.Get("Content-Type"), nil)
	res.Size, _ = strconv.ParseInt(resp.Header.Get("Content-Length"), 10, 64)
	return res, nil
}

// PutManifest uploads manifest bytes under ref's tag or digest.
func (c *Client) PutManifest(ctx context.Context, ref, mediaType string, body []byte) (*ManifestResult, error) {
	res := &ManifestResult{}
	r, err := ParseReference(ref)
	if err != nil {
		return res, err
	}
	if mediaType == "" {
		return res, fmt.Errorf("put manifest %s: no media type", ref)
	}
	d := digest.FromBytes(body)
	if r.Digest != "" && r.Digest != d {
		return res, fmt.Errorf("put manifest %s: the manifest's digest is %s", ref, d)
	}
	put, err := c.putManifest(ctx, r.Repository, r.Identifier(), mediaType, body, []string{pushScope(r.Repository)})
	res.Status, res.Digest, res.MediaType, res.Size = put.status, d.String(), mediaType, int64(len(body))
	res.Location, res.Subject = put.location, put.subject
	return res, err
}

// DeleteManifest deletes a manifest by digest, or a tag by tag.
func (c *Client) DeleteManifest(ctx context.Context, ref string) (int, error) {
	r, err := ParseReference(ref)
	if err != nil {
		return 0, err
	}
	return c.deleteResource(ctx, OpManifestDelete, r.Repository, "/manifests/"+r.Identifier(), "/manifests/{reference}")
}

// deleteResource sends DELETE for a manifest or blob path of repo.
func (c *Client) deleteResource(ctx context.Context, op, repo, path, name string) (int, error) {
	resp, err := c.send(ctx, &request{
		op: op, method: http.MethodDelete,
		url:    c.endpoint(repo + path),
		name:   c.name(repo + name),
		scopes: []string{deleteScope(repo)},
	})
	if err != nil {
		return 0, err
	}
	defer closeBody(resp)
	return resp.StatusCode, expect(resp, op, http.StatusAccepted, http.StatusOK, http.StatusNoContent)
}
