package registry

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/opencontainers/go-digest"
	"golang.org/x/net/http/httpguts"

	"github.com/xk6-registry/xk6-registry/registry/auth"
)

// MaxManifestSize is the limit the distribution spec lets registries set
// on manifests, and the one they use; a larger manifest is refused rather
// than held. It bounds every manifest, index and config read into memory.
const MaxManifestSize = 4 << 20

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
	// Tags are the PutManifestOptions.Tags now pointing at the manifest.
	Tags []string
	// TagFallback says TagsAuto PUT the manifest under some tags one by
	// one: the registry ignored ?tag= for them.
	TagFallback bool
	// Namespace is the OCI-Namespace a GET or HEAD was answered with: the
	// registry scoped it by Config.Namespace. Empty when it ignored ns.
	Namespace string
}

// GetManifest fetches a manifest, checked against its digest. accept
// overrides the media types asked for; nil asks for every image type.
func (c *Client) GetManifest(ctx context.Context, ref string, accept []string) (*ManifestResult, error) {
	res := &ManifestResult{}
	r, err := getManifestArgs(ref, accept)
	if err != nil {
		return res, err
	}
	m, err := c.fetchManifest(ctx, r.Repository, r.Identifier(), accept, []string{auth.PullScope(r.Repository)})
	if err != nil {
		res.Status = StatusOf(err)
		return res, err
	}
	return &ManifestResult{Status: m.Status, Digest: m.Digest.String(), MediaType: m.MediaType, Size: int64(len(m.Body)), Body: m.Body,
		Namespace: m.Namespace}, nil
}

// validateAccept refuses what would break the request, or ask for nothing:
// an accept value is a media type such as application/vnd.oci.image.index.v1+json.
func validateAccept(accept []string) error {
	for _, a := range accept {
		if _, _, err := mime.ParseMediaType(a); err != nil || !httpguts.ValidHeaderFieldValue(a) {
			return fmt.Errorf(`option "accept": %s is not a media type such as "application/vnd.oci.image.manifest.v1+json"`, echo(a))
		}
	}
	return nil
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
		route:  c.pulling(c.manifestRoute(r.Repository, r.Identifier())),
		scopes: []string{auth.PullScope(r.Repository)},
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
	res.Namespace = resp.Header.Get("OCI-Namespace")
	return res, nil
}

// TagMode is how PutManifest pushes PutManifestOptions.Tags.
type TagMode string

// Tag modes.
const (
	// TagsAuto sends the tags as ?tag= of one PUT by digest (distribution
	// spec end-7b) and PUTs the manifest once more under each tag the
	// registry did not confirm in an OCI-Tag header.
	TagsAuto TagMode = "auto"
	// TagsQuery sends ?tag= only: a registry that did not confirm every
	// tag is UNSUPPORTED.
	TagsQuery TagMode = "query"
	// TagsEach PUTs the manifest once per tag, as registries before the
	// spec's tag parameter need.
	TagsEach TagMode = "each"
)

// MaxTagsPerPut bounds PutManifestOptions.Tags. The spec asks registries
// to take at least 10 per request; 100 keep the URL under 14 KiB.
const MaxTagsPerPut = 100

// PutManifestOptions tune PutManifest.
type PutManifestOptions struct {
	// MediaType is the manifest's Content-Type; "" reads the manifest's own
	// mediaType field.
	MediaType string
	// Tags are tags to point at the manifest, which ref then names by digest.
	Tags []string
	// TagMode is how the tags are pushed; "" means TagsAuto.
	TagMode TagMode
}

// Validate checks the options, naming what is wrong.
func (o PutManifestOptions) Validate() error {
	switch o.TagMode {
	case "", TagsAuto, TagsQuery, TagsEach:
	default:
		return fmt.Errorf(`option "tagMode" must be one of auto, query, each; got %q`, o.TagMode)
	}
	if len(o.Tags) > MaxTagsPerPut {
		return fmt.Errorf(`option "tags" holds %d tags, at most %d in one call`, len(o.Tags), MaxTagsPerPut)
	}
	for _, tag := range o.Tags {
		if !tagRegexp.MatchString(tag) {
			return fmt.Errorf(`option "tags": %q is not a tag ([a-zA-Z0-9_][a-zA-Z0-9._-]{0,127})`, tag)
		}
	}
	return nil
}

// PutManifest uploads manifest bytes under ref's tag or digest, as
// opts.MediaType or, when that is "", as the manifest's own mediaType
// field says; with opts.Tags, under those tags too.
func (c *Client) PutManifest(ctx context.Context, ref string, body []byte, opts PutManifestOptions) (*ManifestResult, error) {
	res := &ManifestResult{}
	args, err := putManifestArgs(ref, body, opts)
	if err != nil {
		return res, err
	}
	r, mediaType, d := args.ref, args.mediaType, args.digest
	scopes := []string{auth.PushScope(r.Repository)}
	tagMode := cmp.Or(opts.TagMode, TagsAuto)
	var query []string
	if tagMode != TagsEach {
		query = opts.Tags
	}
	put, err := c.putManifestAt(ctx, c.manifestTagsRoute(r.Repository, r.Identifier(), query), mediaType, body, scopes)
	res.Status, res.Digest, res.MediaType, res.Size = put.status, d.String(), mediaType, int64(len(body))
	res.Location, res.Subject = put.location, put.subject
	if err != nil || len(opts.Tags) == 0 {
		return res, err
	}
	missing := opts.Tags
	if tagMode != TagsEach {
		res.Tags, missing = confirmedTags(opts.Tags, put.tags)
	}
	if len(missing) > 0 && tagMode == TagsQuery {
		return res, &Error{Op: OpManifestPut, Status: put.status, Code: CodeUnsupported,
			Message: fmt.Sprintf("the registry did not take ?tag= for %s (no OCI-Tag header for it); tagMode \"auto\" PUTs once per tag", strings.Join(missing, ", "))}
	}
	for _, tag := range missing {
		res.TagFallback = tagMode == TagsAuto
		tagged, err := c.putManifestAt(ctx, c.manifestRoute(r.Repository, tag), mediaType, body, scopes)
		res.Status = tagged.status
		if err != nil {
			return res, err
		}
		res.Tags = append(res.Tags, tag)
	}
	return res, nil
}

// confirmedTags splits the tags asked for into those an OCI-Tag header
// confirmed and the others.
func confirmedTags(asked []string, headers []string) (confirmed, missing []string) {
	got := map[string]bool{}
	for _, h := range headers {
		for _, tag := range strings.Split(h, ",") {
			got[strings.TrimSpace(tag)] = true
		}
	}
	for _, tag := range asked {
		if got[tag] {
			confirmed = append(confirmed, tag)
		} else {
			missing = append(missing, tag)
		}
	}
	return confirmed, missing
}

// DeleteManifest deletes a manifest by digest, or a tag by tag.
func (c *Client) DeleteManifest(ctx context.Context, ref string) (int, error) {
	r, err := ParseReference(ref)
	if err != nil {
		return 0, err
	}
	return c.deleteResource(ctx, OpManifestDelete, r.Repository, c.manifestRoute(r.Repository, r.Identifier()))
}

// fetchedManifest is a manifest as the registry served it.
type fetchedManifest struct {
	Status    int
	MediaType string
	Digest    digest.Digest
	Body      []byte
	Namespace string // OCI-Namespace
}

func (m *fetchedManifest) isIndex() bool { return IsIndexMediaType(m.MediaType) }

// fetchManifest fetches a manifest by tag or digest, asking for the media
// types in accept (nil: every image type), and checks its bytes against the
// digest asked for, or the one the registry announced. A body cut short is
// fetched again, as the retry policy allows.
func (c *Client) fetchManifest(ctx context.Context, repo, ident string, accept []string, scopes []string) (*fetchedManifest, error) {
	budget := &tries{}
	for {
		m, err := c.fetchManifestOnce(ctx, repo, ident, accept, scopes, budget)
		if err == nil || !failedInBody(err) || !c.canRetry(ctx, budget.n, 0, err) {
			return m, err
		}
		if werr := c.waitRetry(ctx, OpManifestGet, budget.n, 0, nil, err); werr != nil {
			return nil, werr
		}
	}
}

func (c *Client) fetchManifestOnce(ctx context.Context, repo, ident string, accept []string, scopes []string, budget *tries) (*fetchedManifest, error) {
	if len(accept) == 0 {
		accept = manifestAccept
	}
	rt := c.pulling(c.manifestRoute(repo, ident))
	resp, err := c.send(ctx, &request{
		op: OpManifestGet, method: http.MethodGet, route: rt, scopes: scopes,
		header: http.Header{"Accept": accept}, tries: budget,
	})
	if err != nil {
		return nil, err
	}
	defer closeBody(resp)
	if err := expect(resp, OpManifestGet, http.StatusOK); err != nil {
		return nil, err
	}
	m := &fetchedManifest{Status: resp.StatusCode, Namespace: resp.Header.Get("OCI-Namespace")}
	var tooBig bool
	if m.Body, tooBig, err = readAtMost(resp.Body, resp.ContentLength, MaxManifestSize); err != nil {
		return nil, bodyError(ctx, OpManifestGet, rt.where(), err)
	}
	if tooBig {
		return nil, &Error{Op: OpManifestGet, Status: resp.StatusCode, Code: CodeManifestInvalid,
			Message: fmt.Sprintf("manifest of %s:%s is larger than %d bytes", repo, ident, MaxManifestSize)}
	}
	want := resp.Header.Get("Docker-Content-Digest")
	if d, err := digest.Parse(ident); err == nil {
		want = d.String()
	}
	if want == "" {
		m.Digest = digest.FromBytes(m.Body)
	} else {
		// Hashed once, with the algorithm the digest asked for names.
		wantDigest, err := digest.Parse(want)
		if err != nil {
			return nil, &Error{Op: OpManifestGet, Status: resp.StatusCode, Code: CodeInvalidResponse,
				Message: fmt.Sprintf("Docker-Content-Digest %s: %v", echo(want), err)}
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

// readAtMost reads r up to limit bytes, and tells whether there was more.
// size is what the response says it holds (-1 when it does not): a body
// that says is read into one buffer of its size, not grown into.
func readAtMost(r io.Reader, size, limit int64) ([]byte, bool, error) {
	if size >= 0 && size <= limit {
		buf := make([]byte, size+1)
		n, err := io.ReadFull(r, buf)
		switch {
		case err == nil:
			return nil, true, nil // a byte past the size it said
		case !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF):
			return nil, false, err
		case int64(n) < size:
			return nil, false, io.ErrUnexpectedEOF
		}
		return buf[:n], false, nil
	}
	raw, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, false, err
	}
	if int64(len(raw)) > limit {
		return nil, true, nil
	}
	return raw, false, nil
}

// putResult is what a manifest PUT tells.
type putResult struct {
	status    int
	announced string // Docker-Content-Digest
	location  string
	subject   string   // OCI-Subject
	tags      []string // OCI-Tag headers, each a list of tags taken
}

// putManifest uploads manifest bytes under a tag or digest.
func (c *Client) putManifest(ctx context.Context, repo, ident, mediaType string, body []byte, scopes []string) (putResult, error) {
	return c.putManifestAt(ctx, c.manifestRoute(repo, ident), mediaType, body, scopes)
}

// putManifestAt uploads manifest bytes to a manifest route.
func (c *Client) putManifestAt(ctx context.Context, rt route, mediaType string, body []byte, scopes []string) (putResult, error) {
	resp, err := c.send(ctx, &request{
		op: OpManifestPut, method: http.MethodPut,
		route:  rt,
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
	res.tags = resp.Header.Values("OCI-Tag")
	if loc, err := location(OpManifestPut, resp); err == nil {
		res.location = loc.String()
	}
	return res, nil
}

// deleteResource sends DELETE for a manifest or blob of repo.
func (c *Client) deleteResource(ctx context.Context, op, repo string, rt route) (int, error) {
	resp, err := c.send(ctx, &request{
		op: op, method: http.MethodDelete, route: rt,
		scopes: []string{auth.DeleteScope(repo)},
	})
	if err != nil {
		return 0, err
	}
	defer closeBody(resp)
	return resp.StatusCode, expect(resp, op, http.StatusAccepted, http.StatusOK, http.StatusNoContent)
}

// checkManifestSize refuses a manifest no registry would keep and no pull
// would read, before it is sent.
func checkManifestSize(body []byte) error {
	if len(body) > MaxManifestSize {
		return fmt.Errorf("the manifest is %d bytes, more than the %d registries accept", len(body), MaxManifestSize)
	}
	return nil
}

// mediaTypeField reads the mediaType field a manifest names itself with.
func mediaTypeField(body []byte) (string, error) {
	if !json.Valid(body) {
		var v any
		err := json.Unmarshal(body, &v)
		return "", fmt.Errorf("the manifest is not JSON: %w", err)
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) != nil {
		return "", errors.New("the manifest is JSON but not an object")
	}
	var mediaType string
	if raw, ok := fields["mediaType"]; ok {
		_ = json.Unmarshal(raw, &mediaType)
	}
	if mediaType == "" {
		return "", errors.New("the manifest has no mediaType field; pass { mediaType }")
	}
	return mediaType, nil
}
