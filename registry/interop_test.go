package registry_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
	"github.com/xk6-registry/xk6-registry/registry"
	"github.com/xk6-registry/xk6-registry/registry/content"
)

// The interoperability matrix: every workload against every kind of
// registry, each cell a real run. A cell's outcome is "ok", "ok: <how>"
// for a spec'd fallback, or the error code the registry answered with.
// expectedMatrix is what each registry does; the README's table is this.
var expectedMatrix = map[string]map[registrytest.Kind]string{
	"upload monolithic":         allOK(),
	"upload stream":             allOK(),
	"upload chunked":            allOK(),
	"upload post":               allOK(),
	"multi-arch push and pull":  allOK(),
	"delete manifest by digest": allOK(),
	"delete blob":               allOK(),
	// go-containerregistry's registry does not mount; the client uploads.
	"mount": {D: "ok", Deb: "ok", G: "ok: fell back to upload (0 of 3 mounted)"},
	// 2.8.2 ignores n; ggcr honours it but sends no Link to the next page.
	"tags paging":    {D: "ok", Deb: "ok: n ignored, one page", G: "partial: 2 of 5, no Link to the next page"},
	"catalog paging": {D: "ok", Deb: "ok", G: "partial: 1 of 3, no Link to the next page"},
	// No referrers API before ggcr's: the tag schema serves. ggcr lists the
	// config's media type as artifactType and ignores the filter, so the
	// client's own filter finds nothing: the registry's bug, shown as is.
	"referrers": {D: "ok: tag schema fallback", Deb: "ok: tag schema fallback",
		G: "ok: but artifactType listed as application/vnd.oci.empty.v1+json"},
	"referrers by artifactType": {D: "ok: tag schema fallback", Deb: "ok: tag schema fallback",
		G: "wrong list: 0 manifests, want 1"},
	// 2.8.2 cannot delete tags; it reads the tag as a digest.
	"delete tag": {D: "ok", Deb: "DIGEST_INVALID", G: "ok"},
	// None reads ?tag= on a PUT by digest (distribution v3.1.2's
	// handlers/manifests.go takes the tag from the path only): auto falls
	// back to a PUT per tag, query alone is refused.
	"manifest put with several tags": {D: multiTagFallback, Deb: multiTagFallback, G: multiTagFallback},
	"manifest put, ?tag= only":       {D: "UNSUPPORTED", Deb: "UNSUPPORTED", G: "UNSUPPORTED"},
	// None is a mirror that reads ns (distribution's handlers read no ns,
	// nor does its proxy mode); pulls with it work, answered without
	// OCI-Namespace.
	"pull with ns (mirror source host)": {D: nsIgnored, Deb: nsIgnored, G: nsIgnored},
	// All three take ?digest-algorithm=sha512 uploads in every mode and
	// serve them by their sha512; distribution (3.1.2 and 2.8.2) stores a
	// blob under its sha256, links the sha512 to it, and announces the
	// sha256 in the 201's Docker-Content-Digest.
	"sha512 push and pull, every upload mode": {D: sha512AsSHA256, Deb: sha512AsSHA256, G: "ok"},
	// Each hashes the upload with sha512 and refuses a digest it does not match.
	"sha512 digest not matching the content": {D: "refused: DIGEST_INVALID", Deb: "refused: DIGEST_INVALID", G: "refused: DIGEST_INVALID"},
}

const sha512AsSHA256 = "ok: stored as its sha256 (Docker-Content-Digest)"

const nsIgnored = "ok: ns ignored (no OCI-Namespace)"

const multiTagFallback = "ok: one PUT per tag (no OCI-Tag)"

// Short names for the matrix's columns.
const (
	D   = registrytest.KindDistribution
	Deb = registrytest.KindDebian
	G   = registrytest.KindGGCR
)

func allOK() map[registrytest.Kind]string {
	return map[registrytest.Kind]string{D: "ok", Deb: "ok", G: "ok"}
}

// outcome names what a workload's error was.
func outcome(err error, how string) string {
	var re *registry.Error
	switch {
	case err == nil && how != "":
		return "ok: " + how
	case err == nil:
		return "ok"
	case errors.As(err, &re):
		return re.Code
	}
	return "error: " + err.Error()
}

// workloads run against one registry; each returns its outcome.
var workloads = map[string]func(t *testing.T, c *registry.Client) string{
	"upload monolithic": func(t *testing.T, c *registry.Client) string { return pushPull(t, c, registry.UploadMonolithic) },
	"upload stream":     func(t *testing.T, c *registry.Client) string { return pushPull(t, c, registry.UploadStream) },
	"upload chunked":    func(t *testing.T, c *registry.Client) string { return pushPull(t, c, registry.UploadChunked) },
	"upload post":       func(t *testing.T, c *registry.Client) string { return pushPull(t, c, registry.UploadPost) },
	"mount": func(t *testing.T, c *registry.Client) string {
		ctx := context.Background()
		img := generate(t, content.GenerateOptions{Layers: 2, LayerSize: 10_000})
		if _, err := c.Push(ctx, "mx/base:1", img, registry.PushOptions{}); err != nil {
			return outcome(err, "")
		}
		res, err := c.Push(ctx, "mx/derived:1", img, registry.PushOptions{UploadOptions: registry.UploadOptions{MountFrom: "mx/base"}})
		if err != nil {
			return outcome(err, "")
		}
		if res.Mounted != 3 {
			return fmt.Sprintf("ok: fell back to upload (%d of 3 mounted)", res.Mounted)
		}
		return "ok"
	},
	"multi-arch push and pull": func(t *testing.T, c *registry.Client) string {
		ctx := context.Background()
		idx := generate(t, content.GenerateOptions{Layers: 1, LayerSize: 4096, Platforms: []string{"linux/amd64", "linux/arm64/v8"}})
		if _, err := c.Push(ctx, "mx/multi:1", idx, registry.PushOptions{}); err != nil {
			return outcome(err, "")
		}
		one, err := c.Pull(ctx, "mx/multi:1", registry.PullOptions{Verify: true, Platform: "linux/arm64"})
		if err != nil {
			return outcome(err, "")
		}
		all, err := c.Pull(ctx, "mx/multi:1", registry.PullOptions{Verify: true, Platform: registry.PlatformAll})
		if err != nil {
			return outcome(err, "")
		}
		require.Equal(t, 2, one.Blobs)
		require.Equal(t, 4, all.Blobs)
		return "ok"
	},
	"tags paging": func(t *testing.T, c *registry.Client) string {
		ctx := context.Background()
		img := generate(t, content.GenerateOptions{Layers: 1, LayerSize: 4096})
		want := []string{"t1", "t2", "t3", "t4", "t5"}
		for _, tag := range want {
			if _, err := c.Push(ctx, "mx/tags:"+tag, img, registry.PushOptions{}); err != nil {
				return outcome(err, "")
			}
		}
		res, err := c.Tags(ctx, "mx/tags", registry.ListOptions{N: 2, All: true})
		if err != nil {
			return outcome(err, "")
		}
		return pagingOutcome(res, len(want))
	},
	"catalog paging": func(t *testing.T, c *registry.Client) string {
		ctx := context.Background()
		img := generate(t, content.GenerateOptions{Layers: 1, LayerSize: 4096})
		for _, repo := range []string{"cat/a", "cat/b", "cat/c"} {
			if _, err := c.Push(ctx, repo+":1", img, registry.PushOptions{}); err != nil {
				return outcome(err, "")
			}
		}
		res, err := c.Catalog(ctx, registry.ListOptions{N: 1, All: true})
		if err != nil {
			return outcome(err, "")
		}
		return pagingOutcome(res, 3)
	},
	"referrers":                 func(t *testing.T, c *registry.Client) string { return referrers(t, c, "") },
	"referrers by artifactType": func(t *testing.T, c *registry.Client) string { return referrers(t, c, "application/vnd.example.sig") },
	"delete manifest by digest": func(t *testing.T, c *registry.Client) string {
		ctx := context.Background()
		img := generate(t, content.GenerateOptions{Layers: 1, LayerSize: 4096})
		res, err := c.Push(ctx, "mx/del:1", img, registry.PushOptions{})
		if err != nil {
			return outcome(err, "")
		}
		if _, err := c.DeleteManifest(ctx, "mx/del@"+res.Digest); err != nil {
			return outcome(err, "")
		}
		_, err = c.HeadManifest(ctx, "mx/del@"+res.Digest)
		require.True(t, registry.HasCode(err, "MANIFEST_UNKNOWN"), "deleted manifest still there: %v", err)
		return "ok"
	},
	"delete tag": func(t *testing.T, c *registry.Client) string {
		ctx := context.Background()
		img := generate(t, content.GenerateOptions{Layers: 1, LayerSize: 4096})
		if _, err := c.Push(ctx, "mx/deltag:1", img, registry.PushOptions{}); err != nil {
			return outcome(err, "")
		}
		if _, err := c.DeleteManifest(ctx, "mx/deltag:1"); err != nil {
			return outcome(err, "")
		}
		_, err := c.HeadManifest(ctx, "mx/deltag:1")
		require.Error(t, err, "deleted tag still there")
		return "ok"
	},
	"manifest put with several tags": func(t *testing.T, c *registry.Client) string { return multiTag(t, c, registry.TagsAuto) },
	"manifest put, ?tag= only":       func(t *testing.T, c *registry.Client) string { return multiTag(t, c, registry.TagsQuery) },
	"sha512 digest not matching the content": func(t *testing.T, c *registry.Client) string {
		_, err := c.UploadBlob(context.Background(), "mx/sha512-wrong", mislabelled{data: bytes.Repeat([]byte("x"), 10_000)}, registry.UploadOptions{})
		if err == nil {
			return "accepted"
		}
		return "refused: " + outcome(err, "")
	},
	"delete blob": func(t *testing.T, c *registry.Client) string {
		ctx := context.Background()
		img := generate(t, content.GenerateOptions{Layers: 1, LayerSize: 4096})
		if _, err := c.Push(ctx, "mx/delblob:1", img, registry.PushOptions{}); err != nil {
			return outcome(err, "")
		}
		d := describe(t, img.Layers[0]).Digest.String()
		if _, err := c.DeleteBlob(ctx, "mx/delblob", d); err != nil {
			return outcome(err, "")
		}
		_, err := c.HeadBlob(ctx, "mx/delblob", d)
		require.True(t, registry.HasCode(err, "BLOB_UNKNOWN"), "deleted blob still there: %v", err)
		return "ok"
	},
}

// multiTag pushes an image's manifest by digest with three tags, then
// finds each tag pointing at it.
func multiTag(t *testing.T, c *registry.Client, mode registry.TagMode) string {
	ctx := context.Background()
	repo := "mx/tags-" + string(mode)
	img := generate(t, content.GenerateOptions{Layers: 1, LayerSize: 4096})
	pushed, err := c.Push(ctx, repo+":base", img, registry.PushOptions{})
	if err != nil {
		return outcome(err, "")
	}
	body, err := img.Manifest(ctx)
	require.NoError(t, err)
	tags := []string{"v1", "v1.2", "latest"}
	res, err := c.PutManifest(ctx, repo+"@"+pushed.Digest, body, registry.PutManifestOptions{Tags: tags, TagMode: mode})
	if err != nil {
		return outcome(err, "")
	}
	assert.Equal(t, tags, res.Tags)
	for _, tag := range tags {
		head, err := c.HeadManifest(ctx, repo+":"+tag)
		require.NoError(t, err, tag)
		require.Equal(t, pushed.Digest, head.Digest, tag)
	}
	if res.TagFallback {
		return "ok: one PUT per tag (no OCI-Tag)"
	}
	return "ok"
}

// withURL are workloads that make clients of their own.
var withURL = map[string]func(t *testing.T, c *registry.Client, url string) string{
	"sha512 push and pull, every upload mode": func(t *testing.T, _ *registry.Client, url string) string { return sha512Round(t, url) },
	"pull with ns (mirror source host)": func(t *testing.T, c *registry.Client, url string) string {
		ctx := context.Background()
		img := generate(t, content.GenerateOptions{Layers: 1, LayerSize: 4096})
		if _, err := c.Push(ctx, "library/mirrored:1", img, registry.PushOptions{}); err != nil {
			return outcome(err, "")
		}
		mirror, err := registry.New(registry.Config{URL: url, Namespace: "docker.io"})
		require.NoError(t, err)
		if _, err := mirror.Pull(ctx, "library/mirrored:1", registry.PullOptions{Verify: true}); err != nil {
			return outcome(err, "")
		}
		head, err := mirror.HeadManifest(ctx, "library/mirrored:1")
		if err != nil {
			return outcome(err, "")
		}
		if head.Namespace == "" {
			return nsIgnored
		}
		return "ok: OCI-Namespace " + head.Namespace
	},
}

// sha512Round pushes a sha512 image in every upload mode and pulls it back
// verified, noting the digests the registry announced for its blobs.
func sha512Round(t *testing.T, url string) string {
	ctx := context.Background()
	announced := &announcedDigests{}
	c, err := registry.New(registry.Config{URL: url, Transport: announced})
	require.NoError(t, err)
	for _, mode := range []registry.UploadMode{registry.UploadMonolithic, registry.UploadStream, registry.UploadChunked, registry.UploadPost} {
		img := generate(t, content.GenerateOptions{Layers: 2, LayerSize: 150 << 10, Digest: digest.SHA512})
		ref := "mx/sha512:" + string(mode)
		pushed, err := c.Push(ctx, ref, img, registry.PushOptions{UploadOptions: registry.UploadOptions{Mode: mode, ChunkSize: 64 << 10}})
		if err != nil {
			return string(mode) + ": " + outcome(err, "")
		}
		pulled, err := c.Pull(ctx, ref, registry.PullOptions{Verify: true})
		if err != nil {
			return string(mode) + ": " + outcome(err, "")
		}
		require.Equal(t, pushed.Bytes, pulled.Bytes)
	}
	algorithms := announced.algorithms()
	require.Len(t, algorithms, 1, "every blob announced alike: %v", algorithms)
	if algorithms[0] == digest.SHA256 {
		return sha512AsSHA256
	}
	return "ok"
}

// announcedDigests notes the algorithm of every Docker-Content-Digest an
// upload's 201 announced.
type announcedDigests struct {
	mu   sync.Mutex
	seen map[digest.Algorithm]bool
}

func (a *announcedDigests) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err == nil && resp.StatusCode == http.StatusCreated && strings.Contains(req.URL.Path, "/blobs/uploads/") {
		if d, perr := digest.Parse(resp.Header.Get("Docker-Content-Digest")); perr == nil {
			a.mu.Lock()
			if a.seen == nil {
				a.seen = map[digest.Algorithm]bool{}
			}
			a.seen[d.Algorithm()] = true
			a.mu.Unlock()
		}
	}
	return resp, err
}

func (a *announcedDigests) algorithms() []digest.Algorithm {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]digest.Algorithm, 0, len(a.seen))
	for alg := range a.seen {
		out = append(out, alg)
	}
	return out
}

// mislabelled is a blob whose sha512 digest is another content's.
type mislabelled struct{ data []byte }

func (m mislabelled) Descriptor(context.Context) (ocispec.Descriptor, error) {
	return ocispec.Descriptor{MediaType: "application/octet-stream", Digest: digest.SHA512.FromString("other content"), Size: int64(len(m.data))}, nil
}

func (m mislabelled) Open(context.Context) (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(m.data)), nil
}

// pagingOutcome judges a list asked with n smaller than the whole.
func pagingOutcome(res *registry.ListResult, want int) string {
	switch {
	case len(res.Items) < want:
		return fmt.Sprintf("partial: %d of %d, no Link to the next page", len(res.Items), want)
	case res.Pages == 1:
		return "ok: n ignored, one page"
	}
	return "ok"
}

func generate(t *testing.T, opts content.GenerateOptions) *registry.Image {
	t.Helper()
	img, err := content.Generate(opts)
	require.NoError(t, err)
	return img
}

func pushPull(t *testing.T, c *registry.Client, mode registry.UploadMode) string {
	ctx := context.Background()
	img := generate(t, content.GenerateOptions{Layers: 2, LayerSize: 150 << 10})
	ref := "mx/upload:" + string(mode)
	pushed, err := c.Push(ctx, ref, img, registry.PushOptions{UploadOptions: registry.UploadOptions{Mode: mode, ChunkSize: 64 << 10}})
	if err != nil {
		return outcome(err, "")
	}
	pulled, err := c.Pull(ctx, ref, registry.PullOptions{Verify: true})
	if err != nil {
		return outcome(err, "")
	}
	require.Equal(t, pushed.Bytes, pulled.Bytes)
	return "ok"
}

func referrers(t *testing.T, c *registry.Client, artifactType string) string {
	ctx := context.Background()
	repo := "mx/refs-" + strings.NewReplacer("/", "-", ".", "-").Replace(artifactType+"all")
	img := generate(t, content.GenerateOptions{Layers: 1, LayerSize: 4096})
	pushed, err := c.Push(ctx, repo+":1", img, registry.PushOptions{})
	if err != nil {
		return outcome(err, "")
	}
	subject := describe(t, img)
	var sig string
	for _, at := range []string{"application/vnd.example.sig", "application/vnd.example.sbom"} {
		art, err := content.Artifact(content.ArtifactOptions{ArtifactType: at, Size: 100, Subject: &subject})
		require.NoError(t, err)
		d := describe(t, art).Digest.String()
		if at == "application/vnd.example.sig" {
			sig = d
		}
		if _, err := c.Push(ctx, repo+"@"+d, art, registry.PushOptions{}); err != nil {
			return outcome(err, "")
		}
	}
	res, err := c.Referrers(ctx, repo, pushed.Digest, artifactType)
	if err != nil {
		return outcome(err, "")
	}
	want := 2
	if artifactType != "" {
		want = 1
	}
	if len(res.Manifests) != want {
		return fmt.Sprintf("wrong list: %d manifests, want %d", len(res.Manifests), want)
	}
	if artifactType != "" && res.Manifests[0].Digest.String() != sig {
		return "wrong list: not the signature"
	}
	for _, m := range res.Manifests {
		if !strings.HasPrefix(m.ArtifactType, "application/vnd.example.") {
			return fmt.Sprintf("ok: but artifactType listed as %s", m.ArtifactType)
		}
	}
	switch {
	case res.Fallback:
		return "ok: tag schema fallback"
	case artifactType != "" && !res.Filtered:
		return "ok: filtered by the client"
	}
	return "ok"
}

// TestInteroperabilityMatrix runs every workload on every kind of registry
// and asserts each registry's outcome; MATRIX_OUT=file writes the table.
func TestInteroperabilityMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("long, three registries: not in -short")
	}
	t.Parallel()
	var mu sync.Mutex
	got := map[string]map[registrytest.Kind]string{}
	t.Run("kinds", func(t *testing.T) {
		for _, kind := range registrytest.Kinds {
			t.Run(kind.String(), func(t *testing.T) {
				t.Parallel()
				reg := registrytest.StartKind(t, kind)
				c, err := registry.New(registry.Config{URL: reg.URL})
				require.NoError(t, err)
				all := maps.Clone(workloads)
				for name, run := range withURL {
					all[name] = func(t *testing.T, c *registry.Client) string { return run(t, c, reg.URL) }
				}
				for name, run := range all {
					t.Run(name, func(t *testing.T) {
						result := run(t, c)
						mu.Lock()
						if got[name] == nil {
							got[name] = map[registrytest.Kind]string{}
						}
						got[name][kind] = result
						mu.Unlock()
						assert.Equal(t, expectedMatrix[name][kind], result, "%s on %s", name, kind)
					})
				}
			})
		}
	})
	table := matrixTable(got)
	t.Log("\n" + table)
	if out := os.Getenv("MATRIX_OUT"); out != "" {
		require.NoError(t, os.WriteFile(out, []byte(table), 0o644))
	}
}

func matrixTable(got map[string]map[registrytest.Kind]string) string {
	var b strings.Builder
	b.WriteString("| workload |")
	for _, k := range registrytest.Kinds {
		b.WriteString(" " + k.String() + " |")
	}
	b.WriteString("\n|---|")
	for range registrytest.Kinds {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	names := make([]string, 0, len(got))
	for name := range got {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		b.WriteString("| " + name + " |")
		for _, k := range registrytest.Kinds {
			b.WriteString(" " + got[name][k] + " |")
		}
		b.WriteString("\n")
	}
	return b.String()
}
