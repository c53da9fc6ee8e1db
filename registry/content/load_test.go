package content_test

import (
	"archive/tar"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
	"github.com/xk6-registry/xk6-registry/registry"
	"github.com/xk6-registry/xk6-registry/registry/content"
)

// tarDir writes dir's files into a tar at dst, as `tar -C dir -cf dst .`.
func tarDir(t testing.TB, dir, dst string) {
	t.Helper()
	f, err := os.Create(dst)
	require.NoError(t, err)
	defer f.Close()
	tw := tar.NewWriter(f)
	require.NoError(t, filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		require.NoError(t, err)
		rel, err := filepath.Rel(dir, p)
		require.NoError(t, err)
		if rel == "." {
			return nil
		}
		hdr, err := tar.FileInfoHeader(fi, "")
		require.NoError(t, err)
		hdr.Name = filepath.ToSlash(rel)
		require.NoError(t, tw.WriteHeader(hdr))
		if fi.Mode().IsRegular() {
			data, err := os.ReadFile(p)
			require.NoError(t, err)
			_, err = tw.Write(data)
			require.NoError(t, err)
		}
		return nil
	}))
	require.NoError(t, tw.Close())
}

// fixtures writes one ggcr image in every layout Load reads.
func fixtures(t testing.TB, img v1.Image) map[string]string {
	t.Helper()
	dir := t.TempDir()
	paths := map[string]string{}

	paths["docker save (ggcr tarball)"] = filepath.Join(dir, "save.tar")
	tag, err := name.NewTag("example/app:1.0")
	require.NoError(t, err)
	require.NoError(t, tarball.WriteToFile(paths["docker save (ggcr tarball)"], tag, img))

	paths["OCI layout directory"] = filepath.Join(dir, "layout")
	lp, err := layout.Write(paths["OCI layout directory"], empty.Index)
	require.NoError(t, err)
	require.NoError(t, lp.AppendImage(img))

	paths["OCI layout tar"] = filepath.Join(dir, "layout.tar")
	tarDir(t, paths["OCI layout directory"], paths["OCI layout tar"])

	// docker 25+ writes both: an OCI layout and a manifest.json into it.
	both := filepath.Join(dir, "docker25")
	require.NoError(t, os.CopyFS(both, os.DirFS(paths["OCI layout directory"])))
	m, err := img.Manifest()
	require.NoError(t, err)
	legacy := []map[string]any{{"Config": "blobs/sha256/" + m.Config.Digest.Hex, "RepoTags": []string{"example/app:1.0"}}}
	var layers []string
	for _, l := range m.Layers {
		layers = append(layers, "blobs/sha256/"+l.Digest.Hex)
	}
	legacy[0]["Layers"] = layers
	raw, err := json.Marshal(legacy)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(both, "manifest.json"), raw, 0o644))
	paths["docker 25 save"] = filepath.Join(dir, "docker25.tar")
	tarDir(t, both, paths["docker 25 save"])
	return paths
}

func TestLoadEveryLayoutAndPushIt(t *testing.T) {
	if testing.Short() {
		t.Skip("long: not in -short")
	}
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{})
	c, err := registry.New(registry.Config{URL: reg.URL})
	require.NoError(t, err)

	src, err := random.Image(200_000, 3)
	require.NoError(t, err)
	// An uncompressed layer too, as legacy docker save and OCI layouts hold.
	plain, err := random.Layer(50_000, "application/vnd.oci.image.layer.v1.tar")
	require.NoError(t, err)
	src, err = mutate.AppendLayers(src, plain)
	require.NoError(t, err)
	wantLayers, err := src.Layers()
	require.NoError(t, err)

	for kind, p := range fixtures(t, src) {
		t.Run(kind, func(t *testing.T) {
			img, err := content.Load(p, content.LoadOptions{})
			require.NoError(t, err)
			require.Len(t, img.Layers, len(wantLayers))
			for i, l := range img.Layers {
				want, err := wantLayers[i].Digest()
				require.NoError(t, err)
				assert.Equal(t, want.String(), describe(t, l).Digest.String(), "layer %d", i)
				d, n := streamDigest(t, l)
				assert.Equal(t, describe(t, l).Digest, d)
				assert.Equal(t, describe(t, l).Size, n)
			}
			again, err := content.Load(p, content.LoadOptions{})
			require.NoError(t, err)
			assert.Same(t, img, again, "a second VU gets the loaded image, not a new load")
			through, err := content.LoadFS(diskFS{}, p, true, content.LoadOptions{})
			require.NoError(t, err)
			assert.Equal(t, manifestOf(t, img), manifestOf(t, through), "through a file system, the same image")
			for i, l := range through.Layers {
				d, n := streamDigest(t, l)
				assert.Equal(t, describe(t, img.Layers[i]).Digest, d, "layer %d streams through the file system", i)
				assert.Equal(t, describe(t, img.Layers[i]).Size, n)
			}
			if raw, err := os.ReadFile(p); err == nil {
				held, err := content.LoadBytes(raw, content.LoadOptions{})
				require.NoError(t, err)
				assert.Equal(t, manifestOf(t, img), manifestOf(t, held), "from bytes, the same image")
				assert.Equal(t, streamDigestOnly(t, img.Layers[0]), streamDigestOnly(t, held.Layers[0]))
			}

			ref := "loaded/" + strings.ToLower(strings.NewReplacer(" ", "-", "(", "", ")", "").Replace(kind)) + ":1"
			_, err = c.Push(context.Background(), ref, img, registry.PushOptions{UploadOptions: registry.UploadOptions{Mode: registry.UploadChunked, ChunkSize: 64 << 10}})
			require.NoError(t, err)
			r, err := name.ParseReference(reg.Host+"/"+ref, name.Insecure)
			require.NoError(t, err)
			got, err := remote.Image(r)
			require.NoError(t, err)
			require.NoError(t, registrytest.ValidateImage(got))
		})
	}
}

func streamDigestOnly(t *testing.T, b registry.BlobSource) digest.Digest {
	d, _ := streamDigest(t, b)
	return d
}

func TestLoadRefusesWhatItCannotRead(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src, err := random.Image(10_000, 1)
	require.NoError(t, err)
	good := fixtures(t, src)["OCI layout tar"]
	data, err := os.ReadFile(good)
	require.NoError(t, err)

	cases := map[string][]byte{
		"empty.tar":     {},
		"truncated.tar": data[:len(data)/2],
		"garbage.tar":   []byte(strings.Repeat("not a tar ", 100)),
	}
	for name, b := range cases {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, b, 0o644))
		_, err := content.Load(p, content.LoadOptions{})
		assert.Error(t, err, name)
	}
	empty := filepath.Join(dir, "emptydir")
	require.NoError(t, os.Mkdir(empty, 0o755))
	_, err = content.Load(empty, content.LoadOptions{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no index.json")
	_, err = content.Load(filepath.Join(dir, "missing.tar"), content.LoadOptions{})
	require.Error(t, err)
}
