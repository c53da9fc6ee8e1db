package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/xk6-registry/xk6-registry/registry/auth"
)

// ReferrersResult lists the manifests that name a subject.
type ReferrersResult struct {
	Status    int
	Manifests []ocispec.Descriptor
	// Filtered tells that the registry applied the artifactType filter
	// itself (OCI-Filters-Applied). When it did not, the client filtered,
	// so Manifests honour the filter either way.
	Filtered bool
	// Fallback tells that the registry has no referrers API and the list
	// came from the referrers tag schema (the "<alg>-<hex>" tag).
	Fallback bool
}

// Referrers lists the manifests whose subject is dgst, as the
// distribution spec's referrers API gives them, falling back to the tag
// schema when the registry answers 404.
func (c *Client) Referrers(ctx context.Context, repo, dgst, artifactType string) (*ReferrersResult, error) {
	res := &ReferrersResult{Manifests: []ocispec.Descriptor{}}
	d, err := blobArgs(repo, dgst)
	if err != nil {
		return res, err
	}
	scopes := []string{auth.PullScope(repo)}
	rt := c.referrersRoute(repo, d, artifactType)
	resp, err := c.send(ctx, &request{
		op: OpReferrers, method: http.MethodGet, route: rt, scopes: scopes,
		header:   http.Header{"Accept": {ocispec.MediaTypeImageIndex}},
		expected: []int{http.StatusNotFound},
	})
	if err != nil {
		return res, err
	}
	defer closeBody(resp)
	res.Status = resp.StatusCode
	if resp.StatusCode == http.StatusNotFound {
		return c.referrersFromTag(ctx, repo, d, artifactType, scopes)
	}
	if err := expect(resp, OpReferrers, http.StatusOK); err != nil {
		return res, err
	}
	raw, tooBig, err := readAtMost(resp.Body, resp.ContentLength, MaxManifestSize)
	if err != nil {
		return res, bodyError(ctx, OpReferrers, rt.where(), err)
	}
	var index ocispec.Index
	if err := json.Unmarshal(raw, &index); err != nil || tooBig {
		return res, &Error{Op: OpReferrers, Status: res.Status, Code: CodeInvalidResponse,
			Message: fmt.Sprintf("referrers of %s are not an image index of at most %d bytes", d, MaxManifestSize)}
	}
	for _, f := range resp.Header.Values("OCI-Filters-Applied") {
		if artifactType != "" && strings.Contains(f, "artifactType") {
			res.Filtered = true
		}
	}
	res.Manifests = filterArtifactType(index.Manifests, artifactType)
	return res, nil
}

// referrersTag is the tag schema's name for a subject's referrers index.
func referrersTag(d digest.Digest) string {
	alg, enc := d.Algorithm().String(), d.Encoded()
	return truncate(alg, 32) + "-" + truncate(enc, 64)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// referrersFromTag reads the referrers index a client keeps under the tag
// schema, for registries without the referrers API; none is an empty list.
func (c *Client) referrersFromTag(ctx context.Context, repo string, d digest.Digest, artifactType string, scopes []string) (*ReferrersResult, error) {
	res := &ReferrersResult{Manifests: []ocispec.Descriptor{}, Fallback: true}
	index, status, err := c.fallbackIndex(ctx, repo, d, scopes)
	res.Status = status
	if err != nil {
		return res, err
	}
	res.Manifests = filterArtifactType(index.Manifests, artifactType)
	return res, nil
}

// fallbackIndex fetches the tag schema index of subject d, or an empty one.
func (c *Client) fallbackIndex(ctx context.Context, repo string, d digest.Digest, scopes []string) (ocispec.Index, int, error) {
	empty := ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{}}
	m, err := c.fetchManifest(ctx, repo, referrersTag(d), []string{ocispec.MediaTypeImageIndex}, scopes)
	if err != nil {
		if HasCode(err, CodeManifestUnknown, CodeNotFound) {
			return empty, StatusOf(err), nil
		}
		return empty, StatusOf(err), err
	}
	var index ocispec.Index
	if err := json.Unmarshal(m.Body, &index); err != nil {
		return empty, m.Status, invalidManifest(repo+":"+referrersTag(d), err)
	}
	if index.Manifests == nil {
		index.Manifests = []ocispec.Descriptor{}
	}
	return index, m.Status, nil
}

func filterArtifactType(in []ocispec.Descriptor, artifactType string) []ocispec.Descriptor {
	out := []ocispec.Descriptor{}
	for _, m := range in {
		if artifactType == "" || m.ArtifactType == artifactType {
			out = append(out, m)
		}
	}
	return out
}

// subjectOf reads the subject and artifact type of a manifest, if any.
func subjectOf(manifest []byte) (*ocispec.Descriptor, ocispec.Manifest) {
	var m ocispec.Manifest
	if json.Unmarshal(manifest, &m) != nil || m.Subject == nil {
		return nil, m
	}
	return m.Subject, m
}

// addToFallbackIndex keeps the tag schema's referrers index of a subject,
// as the spec asks of a client whose registry answered a manifest with a
// subject without OCI-Subject: fetch the index, add the descriptor, put it.
// Concurrent writers can lose each other's entry; the spec accepts that.
func (c *Client) addToFallbackIndex(ctx context.Context, repo string, subject digest.Digest, desc ocispec.Descriptor, scopes []string) error {
	index, _, err := c.fallbackIndex(ctx, repo, subject, scopes)
	if err != nil {
		return err
	}
	for _, m := range index.Manifests {
		if m.Digest == desc.Digest {
			return nil
		}
	}
	index.Manifests = append(index.Manifests, desc)
	index.MediaType = ocispec.MediaTypeImageIndex
	index.SchemaVersion = 2
	raw, err := json.Marshal(index)
	if err != nil {
		return err
	}
	_, err = c.putManifest(ctx, repo, referrersTag(subject), ocispec.MediaTypeImageIndex, raw, scopes)
	return err
}
