package registry_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/registry"
)

// tagTakingRegistry answers manifest PUTs as a registry that supports
// ?tag= would, taking only the tags in takes, and records what arrived.
// No registry the tests run supports the parameter, so this one stands in.
type tagTakingRegistry struct {
	takes map[string]bool
	mu    sync.Mutex
	puts  []string // path?query of each PUT
}

func (s *tagTakingRegistry) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.puts = append(s.puts, r.URL.RequestURI())
	s.mu.Unlock()
	var taken []string
	for _, tag := range r.URL.Query()["tag"] {
		if s.takes[tag] {
			taken = append(taken, tag)
		}
	}
	if len(taken) > 0 {
		w.Header().Set("OCI-Tag", strings.Join(taken, ", "))
	}
	w.Header().Set("Location", r.URL.Path)
	w.WriteHeader(http.StatusCreated)
}

const manifestJSON = `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{},"layers":[]}`

func TestTagsTheRegistryDidNotConfirmArePutOneByOne(t *testing.T) {
	t.Parallel()
	srv := &tagTakingRegistry{takes: map[string]bool{"a": true, "c": true}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	c, err := registry.New(registry.Config{URL: ts.URL})
	require.NoError(t, err)
	d := digest.FromString(manifestJSON)
	ref := "team/app@" + d.String()

	res, err := c.PutManifest(context.Background(), ref, []byte(manifestJSON), registry.PutManifestOptions{Tags: []string{"a", "b", "c"}})
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "c", "b"}, res.Tags)
	assert.True(t, res.TagFallback)
	assert.Equal(t, []string{
		"/v2/team/app/manifests/" + d.String() + "?tag=a&tag=b&tag=c",
		"/v2/team/app/manifests/b",
	}, srv.puts)

	srv.puts = nil
	_, err = c.PutManifest(context.Background(), ref, []byte(manifestJSON), registry.PutManifestOptions{Tags: []string{"a", "b"}, TagMode: registry.TagsQuery})
	require.True(t, registry.HasCode(err, registry.CodeUnsupported), "%v", err)
	assert.Contains(t, err.Error(), "did not take ?tag= for b")
	assert.Len(t, srv.puts, 1, "query alone sends one PUT")

	srv.puts = nil
	res, err = c.PutManifest(context.Background(), ref, []byte(manifestJSON), registry.PutManifestOptions{Tags: []string{"a", "b"}, TagMode: registry.TagsEach})
	require.NoError(t, err)
	assert.False(t, res.TagFallback)
	assert.Equal(t, []string{"/v2/team/app/manifests/" + d.String(), "/v2/team/app/manifests/a", "/v2/team/app/manifests/b"}, srv.puts)
}

func TestMultiTagOptionsAreChecked(t *testing.T) {
	t.Parallel()
	c, err := registry.New(registry.Config{URL: "http://127.0.0.1:1"})
	require.NoError(t, err)
	ref := "team/app@" + digest.FromString(manifestJSON).String()
	many := make([]string, registry.MaxTagsPerPut+1)
	for i := range many {
		many[i] = "t"
	}
	for want, opts := range map[string]registry.PutManifestOptions{
		`"tagMode" must be one of auto, query, each; got "all"`: {Tags: []string{"a"}, TagMode: "all"},
		`"tags": "-x" is not a tag`:                             {Tags: []string{"-x"}},
		`at most 100 in one call`:                               {Tags: many},
	} {
		_, err := c.PutManifest(context.Background(), ref, []byte(manifestJSON), opts)
		require.Error(t, err)
		assert.Contains(t, err.Error(), want)
	}
	_, err = c.PutManifest(context.Background(), "team/app:1", []byte(manifestJSON), registry.PutManifestOptions{Tags: []string{"a"}})
	assert.ErrorContains(t, err, "with tags, name the manifest by digest")
}
