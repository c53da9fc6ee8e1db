package replay

import (
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/xk6-registry/xk6-registry/registry"
)

// Request is one request of a log, whatever its format.
type Request struct {
	Start    time.Time
	Duration time.Duration
	Method   string
	Path     string     // the URI's path, unescaped
	Query    url.Values // the URI's query
	Status   int
	Written  int64  // bytes of the response body
	Client   string // the client's address without its port, or what X-Forwarded-For named
	User     string // the authenticated user, "" when none is logged
	Agent    string // the User-Agent
	Route    Route
	// Where names the request in messages: the file and line it came from.
	Where string
}

// End is when the request ended.
func (r *Request) End() time.Time { return r.Start.Add(r.Duration) }

// RouteKind is which endpoint of the distribution API a request went to.
type RouteKind int

// Endpoints of the distribution API a replay maps.
const (
	RouteUnknown   RouteKind = iota // not a route of the API: unmapped
	RouteBase                       // /v2/
	RouteCatalog                    // /v2/_catalog
	RouteTags                       // /v2/<name>/tags/list
	RouteManifest                   // /v2/<name>/manifests/<reference>
	RouteBlob                       // /v2/<name>/blobs/<digest>
	RouteUploads                    // /v2/<name>/blobs/uploads/
	RouteUpload                     // /v2/<name>/blobs/uploads/<uuid>
	RouteReferrers                  // /v2/<name>/referrers/<digest>
)

var routeNames = map[RouteKind]string{
	RouteUnknown: "unrouted", RouteBase: "base", RouteCatalog: "catalog", RouteTags: "tags",
	RouteManifest: "manifest", RouteBlob: "blob", RouteUploads: "upload", RouteUpload: "upload",
	RouteReferrers: "referrers",
}

// String is the route's class as the fidelity report names it: the start
// of an upload and its session are one class, "upload".
func (k RouteKind) String() string { return routeNames[k] }

// Route is a request's endpoint and the names in its path.
type Route struct {
	Kind      RouteKind
	Repo      string
	Reference string // a manifest's tag or digest
	Digest    string // a blob's or a referrers subject's digest
	UUID      string // an upload session
}

// IsDigest tells whether the manifest reference is a digest.
func (r Route) IsDigest() bool { return strings.Contains(r.Reference, ":") }

var (
	uploadRegexp    = regexp.MustCompile(`^/v2/(.+)/blobs/uploads/([^/]*)$`)
	blobRegexp      = regexp.MustCompile(`^/v2/(.+)/blobs/([^/]+)$`)
	manifestRegexp  = regexp.MustCompile(`^/v2/(.+)/manifests/([^/]+)$`)
	tagsRegexp      = regexp.MustCompile(`^/v2/(.+)/tags/list$`)
	referrersRegexp = regexp.MustCompile(`^/v2/(.+)/referrers/([^/]+)$`)
	tagRegexp       = regexp.MustCompile(`^[\w][\w.-]{0,127}$`)
)

// ParseRoute reads which endpoint a path names, as distribution's router
// does; a path it would not route is RouteUnknown. A path without its
// leading slash (the IBM traces drop it) is read as if it had one.
func ParseRoute(path string) Route {
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	switch path {
	case "/v2", "/v2/":
		return Route{Kind: RouteBase}
	case "/v2/_catalog":
		return Route{Kind: RouteCatalog}
	}
	named := func(kind RouteKind, m []string) Route {
		if m == nil || registry.ValidateRepository(m[1]) != nil {
			return Route{}
		}
		r := Route{Kind: kind, Repo: m[1]}
		switch kind {
		case RouteUploads:
			if m[2] != "" {
				r.Kind, r.UUID = RouteUpload, m[2]
			}
		case RouteBlob, RouteReferrers:
			if _, err := digest.Parse(m[2]); err != nil {
				return Route{}
			}
			r.Digest = m[2]
		case RouteManifest:
			if _, err := digest.Parse(m[2]); err != nil && !tagRegexp.MatchString(m[2]) {
				return Route{}
			}
			r.Reference = m[2]
		}
		return r
	}
	if m := uploadRegexp.FindStringSubmatch(path); m != nil {
		return named(RouteUploads, m)
	}
	for _, p := range []struct {
		re   *regexp.Regexp
		kind RouteKind
	}{{blobRegexp, RouteBlob}, {manifestRegexp, RouteManifest}, {tagsRegexp, RouteTags}, {referrersRegexp, RouteReferrers}} {
		if m := p.re.FindStringSubmatch(path); m != nil {
			if p.kind == RouteTags {
				m = append(m, "")
			}
			return named(p.kind, m)
		}
	}
	return Route{}
}

// clientOf is the client an address names: the host without its port, so
// the connections of one client are one client.
func clientOf(addr string) string {
	addr = strings.TrimSpace(addr)
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}

// splitURI is a request URI's path and query.
func splitURI(uri string) (string, url.Values, error) {
	u, err := url.ParseRequestURI(uri)
	if err != nil {
		// The IBM traces drop the leading slash.
		if u, err = url.Parse(uri); err != nil {
			return "", nil, err
		}
	}
	return u.Path, u.Query(), nil
}
