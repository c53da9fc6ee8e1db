package registry

import (
	"net/url"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRouteNamesHoldNoIdentifier walks every route: its URL carries the
// digest, tag, upload session or query it was given, and its name, which
// becomes a metric tag, carries none of them.
func TestRouteNamesHoldNoIdentifier(t *testing.T) {
	t.Parallel()
	c, err := New(Config{URL: "https://registry.example:5000/prefix"})
	require.NoError(t, err)
	const (
		repo      = "team/app"
		tag       = "v1.2.3-rc1"
		uploadID  = "8b1f3b0e-5c4a-4e4b-9c1e-upload"
		state     = "secretstate"
		realmHost = "auth.example"
	)
	d := digest.FromString("a blob")
	from := "team/base"
	session, err := url.Parse("https://registry.example:5000/prefix/v2/team/app/blobs/uploads/" + uploadID + "?_state=" + state)
	require.NoError(t, err)
	realm, err := url.Parse("https://" + realmHost + "/token?account=" + state)
	require.NoError(t, err)

	routes := map[string]struct {
		route route
		holds []string // what the URL must carry and the name must not
	}{
		"ping":               {c.pingRoute(), nil},
		"manifest by tag":    {c.manifestRoute(repo, tag), []string{tag}},
		"manifest by digest": {c.manifestRoute(repo, d.String()), []string{d.Encoded()}},
		"blob":               {c.blobRoute(repo, d), []string{d.Encoded()}},
		"uploads":            {c.uploadsRoute(repo, nil), nil},
		"upload with digest": {c.uploadsRoute(repo, url.Values{"digest": {d.String()}}), []string{d.Encoded()}},
		"mount":              {c.uploadsRoute(repo, url.Values{"mount": {d.String()}, "from": {from}}), []string{d.Encoded(), "from="}},
		"session":            {c.sessionAt(repo, session), []string{uploadID, state}},
		"tags page":          {c.tagsRoute(repo, 50, tag), []string{"n=50", tag}},
		"next tags page":     {c.tagsRoute(repo, 0, "").nextPage(session), []string{uploadID, state}},
		"catalog page":       {c.catalogRoute(10, "team/zzz"), []string{"n=10", "zzz"}},
		"referrers":          {c.referrersRoute(repo, d, "application/vnd.example+json"), []string{d.Encoded(), "artifactType="}},
		"token":              {tokenRoute(realm, "registry.example", []string{"repository:team/app:pull"}), []string{state, "scope="}},
	}
	for what, r := range routes {
		raw := r.route.url.String()
		for _, s := range r.holds {
			assert.Contains(t, raw, s, "%s: the URL lost what it was given", what)
			assert.NotContains(t, r.route.name, s, "%s: the name holds an identifier", what)
		}
		assert.NotContains(t, r.route.name, "?", "%s: the name holds a query", what)
		assert.NotContains(t, r.route.name, "sha256", "%s: the name holds a digest", what)
		if what != "token" {
			assert.True(t, strings.HasPrefix(r.route.name, "https://registry.example:5000/prefix/v2/"), "%s: %s", what, r.route.name)
		}
	}
}
