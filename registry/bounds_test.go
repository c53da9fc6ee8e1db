package registry_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
	"github.com/xk6-registry/xk6-registry/registry"
)

// pushedImage pushes a small image to ref and returns its manifest's
// descriptor as an index entry names it.
func pushedImage(t *testing.T, c *registry.Client, ref string, seed uint64) string {
	t.Helper()
	_, err := c.Push(context.Background(), ref, testImage(t, seed, 3000), registry.PushOptions{})
	require.NoError(t, err)
	m, err := c.HeadManifest(context.Background(), ref)
	require.NoError(t, err)
	return fmt.Sprintf(`{"mediaType":%q,"digest":%q,"size":%d,"platform":{"os":"linux","architecture":"amd64"}}`, m.MediaType, m.Digest, m.Size)
}

func putIndex(t *testing.T, c *registry.Client, ref string, entries ...string) string {
	t.Helper()
	body := `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[` + strings.Join(entries, ",") + `]}`
	res, err := c.PutManifest(context.Background(), ref, []byte(body), registry.PutManifestOptions{})
	require.NoError(t, err, ref)
	return fmt.Sprintf(`{"mediaType":"application/vnd.oci.image.index.v1+json","digest":%q,"size":%d}`, res.Digest, len(body))
}

// An index naming one image 300 times costs one GET of it, not 300, and
// the pull keeps only its blobs' descriptors.
func TestAnIndexEntryIsFetchedOncePerDigest(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{})
	proxy := registrytest.StartFaultProxy(t, reg.URL)
	c, _ := faultClient(t, registry.Config{URL: proxy.URL}, nil)
	entry := pushedImage(t, c, "dup/app:img", 13)
	entries := make([]string, 300)
	for i := range entries {
		entries[i] = entry
	}
	putIndex(t, c, "dup/app:idx", entries...)
	before := len(proxy.Requests())
	res, err := c.Pull(context.Background(), "dup/app:idx", registry.PullOptions{Platform: registry.PlatformAll, Verify: true})
	require.NoError(t, err)
	assert.Equal(t, 2, res.Blobs)
	gets := 0
	for _, r := range proxy.Requests()[before:] {
		if r.Method == http.MethodGet && strings.Contains(r.Path, "/manifests/") {
			gets++
		}
	}
	assert.Equal(t, 2, gets, "the index, and its one image once")
}

// An index of an index of an image resolves, for a platform and for all;
// indexes nested deeper than the bound fail naming it.
func TestNestedIndexesResolve(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{})
	c, err := registry.New(registry.Config{URL: reg.URL})
	require.NoError(t, err)
	image := pushedImage(t, c, "nest/app:img", 14)
	inner := putIndex(t, c, "nest/app:inner", image)
	putIndex(t, c, "nest/app:outer", inner)
	for _, platform := range []string{"", "linux/amd64", registry.PlatformAll} {
		res, err := c.Pull(context.Background(), "nest/app:outer", registry.PullOptions{Verify: true, Platform: platform})
		require.NoError(t, err, "platform %q", platform)
		assert.Equal(t, 2, res.Blobs)
	}
	_, err = c.Pull(context.Background(), "nest/app:outer", registry.PullOptions{Platform: "linux/arm64"})
	assert.True(t, registry.HasCode(err, registry.CodePlatformNotFound), "%v", err)
	assert.Zero(t, registry.StatusOf(err), "a platform not found is not an HTTP failure")

	deep := image
	for i := range 6 {
		deep = putIndex(t, c, "nest/app:level"+strconv.Itoa(i), deep)
	}
	_, err = c.Pull(context.Background(), "nest/app:level5", registry.PullOptions{})
	assertFailure(t, err, registry.OpManifestGet, registry.CodeManifestInvalid, "nest deeper than 4")
}

// endlessTags is a registry whose tags list never ends: each page links to
// the next (or, with loop, to itself), each pageSize bytes of tags.
func endlessTags(t *testing.T, loop bool, pageSize int) string {
	t.Helper()
	page := `{"name":"endless/app","tags":["` + strings.Repeat("t", pageSize) + `"]}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("page"))
		if !loop {
			n++
		}
		w.Header().Set("Link", fmt.Sprintf(`</v2/endless/app/tags/list?page=%d>; rel="next"`, n))
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, page)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// Paging with all stops at a Link already visited, and at its bounds of
// entries and bytes, naming them: a registry cannot loop a list or fill
// the load generator's memory.
func TestListsWithAllAreBounded(t *testing.T) {
	t.Parallel()
	c, err := registry.New(registry.Config{URL: endlessTags(t, true, 10)})
	require.NoError(t, err)
	res, err := c.Tags(context.Background(), "endless/app", registry.ListOptions{All: true})
	assertFailure(t, err, registry.OpTags, registry.CodeInvalidResponse, "leads back to a page already read")
	assert.Equal(t, 2, res.Pages, "the first page and the one its Link named again")

	c, err = registry.New(registry.Config{URL: endlessTags(t, false, 1<<20)})
	require.NoError(t, err)
	res, err = c.Tags(context.Background(), "endless/app", registry.ListOptions{All: true})
	assertFailure(t, err, registry.OpTags, registry.CodeInvalidResponse, "bytes of pages, the most a list with all reads")
	assert.Equal(t, 64, res.Pages, "64 MiB of 1 MiB pages")
}
