package content_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
	"github.com/xk6-registry/xk6-registry/registry/content"
)

// craneBinary finds crane at the go-containerregistry version go.mod
// pins (make installs it into bin/): $CRANE_BIN, else bin/crane. Without
// it the test is skipped on a developer's machine and fails in CI.
func craneBinary(t testing.TB) string {
	t.Helper()
	p := os.Getenv("CRANE_BIN")
	if p == "" {
		_, file, _, _ := runtime.Caller(0)
		p = filepath.Join(filepath.Dir(file), "..", "..", "bin", "crane")
	}
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no crane at %s: run make %s", p, p)
		}
		t.Skipf("no crane at %s: run make %s", p, p)
	}
	return p
}

func runCrane(t testing.TB, crane string, args ...string) {
	t.Helper()
	out, err := exec.Command(crane, append(args, "--insecure")...).CombinedOutput()
	require.NoError(t, err, "crane %v:\n%s", args, out)
}

// craneValidate runs crane validate on a pushed image or index, without
// --fast: it reads every layer and checks its digests and diff_ids.
func craneValidate(t testing.TB, crane, ref string) {
	t.Helper()
	runCrane(t, crane, "validate", "--remote", ref)
}

// platformIndex pushes an index of an image per platform to ref.
func platformIndex(t testing.TB, ref string, platforms ...v1.Platform) v1.ImageIndex {
	t.Helper()
	var idx v1.ImageIndex = empty.Index
	for i := range platforms {
		img, err := random.Image(40_000, 2)
		require.NoError(t, err)
		// The config names the platform the index lists it under, as crane validate asks.
		cfg, err := img.ConfigFile()
		require.NoError(t, err)
		cfg = cfg.DeepCopy()
		cfg.OS, cfg.Architecture, cfg.Variant = platforms[i].OS, platforms[i].Architecture, platforms[i].Variant
		img, err = mutate.ConfigFile(img, cfg)
		require.NoError(t, err)
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &platforms[i]}})
	}
	r, err := name.ParseReference(ref, name.Insecure)
	require.NoError(t, err)
	require.NoError(t, remote.WriteIndex(r, idx))
	return idx
}

func pushRandom(t testing.TB, ref string) v1.Image {
	t.Helper()
	img, err := random.Image(50_000, 2)
	require.NoError(t, err)
	r, err := name.ParseReference(ref, name.Insecure)
	require.NoError(t, err)
	require.NoError(t, remote.Write(r, img))
	return img
}

// TestRoundTripsOfFilesRealToolsWrite: crane writes a tarball of one
// image, one of two, and an OCI layout of a multi-platform index; each
// loads, pushes and pulls back valid (go-containerregistry and crane
// validate); the index goes up as the file has it, digest for digest.
func TestRoundTripsOfFilesRealToolsWrite(t *testing.T) {
	t.Parallel()
	crane := craneBinary(t)
	reg := registrytest.Start(t, registrytest.Options{})
	dir := t.TempDir()
	a, b := reg.Host+"/src/a:1", reg.Host+"/src/b:1"
	imgA, imgB := pushRandom(t, a), pushRandom(t, b)
	idxRef := reg.Host + "/src/multi:1"
	idx := platformIndex(t, idxRef, v1.Platform{OS: "linux", Architecture: "amd64"}, v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"})

	one, two, layout := filepath.Join(dir, "one.tar"), filepath.Join(dir, "two.tar"), filepath.Join(dir, "layout")
	runCrane(t, crane, "pull", a, one)
	runCrane(t, crane, "pull", a, b, two)
	runCrane(t, crane, "pull", "--format", "oci", idxRef, layout)

	t.Run("a tarball of one image", func(t *testing.T) {
		img, err := content.Load(one, content.LoadOptions{})
		require.NoError(t, err)
		wantConfig, err := imgA.ConfigName()
		require.NoError(t, err)
		assert.Equal(t, wantConfig.String(), registrytest.Descriptor(t, img.Config).Digest.String())
		pushAndValidate(t, reg, "dst/one:1", img)
		craneValidate(t, crane, reg.Host+"/dst/one:1")
	})

	t.Run("a tarball of two images", func(t *testing.T) {
		_, err := content.Load(two, content.LoadOptions{})
		require.Error(t, err, "two images and no ref: no guess")
		assert.Contains(t, err.Error(), "holds 2 images")
		assert.Contains(t, err.Error(), `"`+a+`"`)
		assert.Contains(t, err.Error(), `"`+b+`"`)
		_, err = content.Load(two, content.LoadOptions{Ref: "src/c:1"})
		require.ErrorContains(t, err, `no image named "src/c:1"`)
		for ref, src := range map[string]v1.Image{a: imgA, b: imgB} {
			img, err := content.Load(two, content.LoadOptions{Ref: ref})
			require.NoError(t, err)
			wantConfig, err := src.ConfigName()
			require.NoError(t, err)
			assert.Equal(t, wantConfig.String(), registrytest.Descriptor(t, img.Config).Digest.String(), "%s is the image of that name", ref)
			layers, err := src.Layers()
			require.NoError(t, err)
			for i, l := range layers {
				want, err := l.Digest()
				require.NoError(t, err)
				assert.Equal(t, want.String(), registrytest.Descriptor(t, img.Layers[i]).Digest.String(), "crane's layers are gzip already: sent as they are")
			}
			pushAndValidate(t, reg, "dst/two:"+filepath.Base(ref[len(reg.Host)+5:len(ref)-2]), img)
		}
	})

	t.Run("an OCI layout of an index", func(t *testing.T) {
		img, err := content.Load(layout, content.LoadOptions{})
		require.NoError(t, err)
		require.True(t, img.IsIndex(), "the file holds an index: it loads as one")
		require.Len(t, img.Manifests, 2)
		want, err := idx.Digest()
		require.NoError(t, err)
		assert.Equal(t, want.String(), registrytest.Descriptor(t, img).Digest.String())
		platforms, err := content.Platforms(t.Context(), img)
		require.NoError(t, err)
		assert.Equal(t, []string{"linux/amd64", "linux/arm64/v8"}, platforms)
		got := pushAndValidate(t, reg, "dst/multi:1", img)
		assert.Equal(t, want.String(), got, "the pushed index is the file's")
		craneValidate(t, crane, reg.Host+"/dst/multi:1")

		arm, err := content.Load(layout, content.LoadOptions{Platform: "linux/arm64"})
		require.NoError(t, err)
		require.False(t, arm.IsIndex())
		im, err := idx.IndexManifest()
		require.NoError(t, err)
		assert.Equal(t, im.Manifests[1].Digest.String(), registrytest.Descriptor(t, arm).Digest.String())
		pushAndValidate(t, reg, "dst/arm:1", arm)

		_, err = content.Load(layout, content.LoadOptions{Platform: "windows/amd64"})
		require.ErrorContains(t, err, "linux/amd64, linux/arm64/v8")
	})
}

// TestLoadPicksByTheNamesALayoutGives: an OCI layout of several images
// names them by annotation (the tag alone, as skopeo and docker 25+ write
// org.opencontainers.image.ref.name; the full name in containerd's); a
// docker 25+ save names them in manifest.json too; an unnamed one is
// picked by its digest.
func TestLoadPicksByTheNamesALayoutGives(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "layout")
	lp, err := layout.Write(dir, empty.Index)
	require.NoError(t, err)
	var images []v1.Image
	for i, ann := range []map[string]string{
		{"org.opencontainers.image.ref.name": "1.0", "io.containerd.image.name": "docker.io/example/app:1.0"},
		{"org.opencontainers.image.ref.name": "2.0"},
		nil,
	} {
		img, err := random.Image(1000, int64(i+1))
		require.NoError(t, err)
		images = append(images, img)
		require.NoError(t, lp.AppendImage(img, layout.WithAnnotations(ann)))
	}
	digestOf := func(img v1.Image) string {
		d, err := img.Digest()
		require.NoError(t, err)
		return d.String()
	}

	_, err = content.Load(dir, content.LoadOptions{})
	require.ErrorContains(t, err, `the file holds 3 images: pick one with { ref }: "docker.io/example/app:1.0" = "1.0", "2.0", "`+digestOf(images[2])+`"`)
	for ref, want := range map[string]v1.Image{"1.0": images[0], "docker.io/example/app:1.0": images[0], "2.0": images[1], digestOf(images[2]): images[2]} {
		img, err := content.Load(dir, content.LoadOptions{Ref: ref})
		require.NoError(t, err, ref)
		assert.Equal(t, digestOf(want), registrytest.Descriptor(t, img).Digest.String(), ref)
	}

	src, err := random.Image(1000, 2)
	require.NoError(t, err)
	img, err := content.Load(fixtures(t, src)["docker 25 save"], content.LoadOptions{Ref: "example/app:1.0"})
	require.NoError(t, err, "docker 25+: manifest.json's RepoTags name the layout's image")
	assert.Equal(t, digestOf(src), registrytest.Descriptor(t, img).Digest.String(), "the layout's manifest, as docker wrote it")
}
