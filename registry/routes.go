package registry

import (
	"net/url"
	"strconv"

	"github.com/opencontainers/go-digest"
)

// route is where one request goes: its URL, and the same endpoint as a
// bounded name for metric tags, in which digests, tags, upload sessions
// and queries are placeholders. Every request gets both from one function
// below, so the two cannot disagree.
type route struct {
	url  *url.URL
	name string
}

// where is the URL without its query, for messages: it names the blob,
// tag or session that failed, where name has a placeholder, and leaves out
// what a query may carry (_state, a token scope).
func (r route) where() string {
	u := *r.url
	u.RawQuery, u.Fragment, u.User = "", "", nil
	return u.String()
}

// at is the route of an endpoint under the registry's /v2/ root: path is
// the URL's, name its bounded form.
func (c *Client) at(path, name string, query url.Values) route {
	u := *c.base
	u.Path = c.base.Path + "/v2/" + path
	u.RawQuery = query.Encode()
	return route{url: &u, name: c.base.String() + "/v2/" + name}
}

// pingRoute is GET /v2/ (distribution spec end-1).
func (c *Client) pingRoute() route { return c.at("", "", nil) }

// manifestRoute is /v2/<name>/manifests/<reference>, a tag or a digest
// (end-3 GET and HEAD, end-7 PUT, end-9 DELETE).
func (c *Client) manifestRoute(repo, reference string) route {
	return c.at(repo+"/manifests/"+reference, repo+"/manifests/{reference}", nil)
}

// manifestTagsRoute is a manifest PUT by digest with a ?tag= for each tag
// (end-7b); with no tags, manifestRoute.
func (c *Client) manifestTagsRoute(repo, reference string, tags []string) route {
	if len(tags) == 0 {
		return c.manifestRoute(repo, reference)
	}
	return c.at(repo+"/manifests/"+reference, repo+"/manifests/{reference}", url.Values{"tag": tags})
}

// pulling is a pull's route with the ns query parameter naming the source
// host, when the client has one (distribution spec, Registry Proxying).
// The name keeps no query, so tags stay the same.
func (c *Client) pulling(r route) route {
	if c.cfg.Namespace == "" {
		return r
	}
	u := *r.url
	q := u.Query()
	q.Set("ns", c.cfg.Namespace)
	u.RawQuery = q.Encode()
	return route{url: &u, name: r.name}
}

// blobRoute is /v2/<name>/blobs/<digest> (end-2 GET and HEAD, end-10 DELETE).
func (c *Client) blobRoute(repo string, d digest.Digest) route {
	return c.at(repo+"/blobs/"+d.String(), repo+"/blobs/{digest}", nil)
}

// uploadsRoute is POST /v2/<name>/blobs/uploads/, which opens a session
// (end-4a), uploads a whole blob with ?digest= (end-4b) or mounts one with
// ?mount=&from= (end-11).
func (c *Client) uploadsRoute(repo string, query url.Values) route {
	return c.at(repo+"/blobs/uploads/", repo+"/blobs/uploads/", query)
}

// sessionAt is an upload session at the Location the registry gave
// (end-5 PATCH, end-6 PUT, end-13 GET, and DELETE): used as given, never
// rebuilt, since its path and query are the registry's own.
func (c *Client) sessionAt(repo string, location *url.URL) route {
	return route{url: location, name: c.base.String() + "/v2/" + repo + "/blobs/uploads/{session}"}
}

// tagsRoute is GET /v2/<name>/tags/list, paged with n and last (end-8a, end-8b).
func (c *Client) tagsRoute(repo string, n int, last string) route {
	return c.at(repo+"/tags/list", repo+"/tags/list", pageQuery(n, last))
}

// catalogRoute is GET /v2/_catalog, distribution's list of repositories,
// which the OCI spec leaves out.
func (c *Client) catalogRoute(n int, last string) route {
	return c.at("_catalog", "_catalog", pageQuery(n, last))
}

// nextPage is the route of a list's next page, at the URL its Link gave.
func (r route) nextPage(next *url.URL) route { return route{url: next, name: r.name} }

func pageQuery(n int, last string) url.Values {
	q := url.Values{}
	if n > 0 {
		q.Set("n", strconv.Itoa(n))
	}
	if last != "" {
		q.Set("last", last)
	}
	return q
}

// referrersRoute is GET /v2/<name>/referrers/<digest>, filtered with
// ?artifactType= (end-12a, end-12b).
func (c *Client) referrersRoute(repo string, d digest.Digest, artifactType string) route {
	q := url.Values{}
	if artifactType != "" {
		q.Set("artifactType", artifactType)
	}
	return c.at(repo+"/referrers/"+d.String(), repo+"/referrers/{digest}", q)
}

// tokenRoute is a token realm's URL asking for scopes (distribution token
// auth spec); its name is the realm without the query.
func tokenRoute(realm *url.URL, service string, scopes []string) route {
	u := *realm
	q := u.Query()
	if service != "" {
		q.Set("service", service)
	}
	for _, s := range scopes {
		q.Add("scope", s)
	}
	u.RawQuery = q.Encode()
	return route{url: &u, name: (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()}
}
