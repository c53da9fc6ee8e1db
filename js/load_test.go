package js_test

import (
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	logtest "github.com/sirupsen/logrus/hooks/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.k6.io/k6/v2/lib/fsext"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
)

// saveTar writes a docker save tarball of a random image under dir.
func saveTar(t *testing.T, dir string) string {
	t.Helper()
	img, err := random.Image(20_000, 2)
	require.NoError(t, err)
	tag, err := name.NewTag("example/app:1")
	require.NoError(t, err)
	p := filepath.Join(dir, "app.tar")
	require.NoError(t, tarball.WriteToFile(p, tag, img))
	return p
}

// TestLoadReadsThroughK6sFileSystem loads a tarball as k6 gives a script
// its files: in a local run through k6's caching file system, which then
// holds it for k6 archive, unless it is larger than the script wants
// bundled; in an archived run from the archive's files alone; and as the
// bytes open(path, "b") returns. Each is the same image.
func TestLoadReadsThroughK6sFileSystem(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tarPath := saveTar(t, dir)
	raw, err := os.ReadFile(tarPath)
	require.NoError(t, err)

	local := func(t *testing.T) (*vu, fsext.Fs) {
		v := newVU(t)
		cache := fsext.NewMemMapFs()
		v.rt.VU.InitEnvField.FileSystems = map[string]fsext.Fs{"file": fsext.NewCacheOnReadFs(fsext.NewOsFs(), cache, 0)}
		v.rt.VU.InitEnvField.CWD = &url.URL{Scheme: "file", Path: dir + "/"}
		return v, cache
	}

	v, cache := local(t)
	digest := v.run(`registry.load("./app.tar").digest`).String()
	_, err = cache.Stat(tarPath)
	require.NoError(t, err, "k6's cache holds the tarball, so k6 archive bundles it")

	v, cache = local(t)
	assert.Equal(t, digest, v.run(`registry.load("./app.tar", { bundle: false }).digest`).String())
	_, err = cache.Stat(tarPath)
	require.Error(t, err, "bundle: false: read from the disk, not held")

	archived := fsext.NewMemMapFs()
	require.NoError(t, fsext.WriteFile(archived, "/archive/app.tar", raw, 0o644))
	v = newVU(t)
	v.rt.VU.InitEnvField.FileSystems = map[string]fsext.Fs{"file": archived}
	v.rt.VU.InitEnvField.CWD = &url.URL{Scheme: "file", Path: "/archive/"}
	assert.Equal(t, digest, v.run(`registry.load("./app.tar").digest`).String(), "from the archive's files")
	err = v.runErr(`registry.load("./other.tar")`)
	assert.ErrorContains(t, err, `load("./other.tar")`)
	assert.ErrorContains(t, err, "not in this archive")

	v = newVU(t)
	require.NoError(t, v.rt.VU.Runtime().Set("saved", v.rt.VU.Runtime().NewArrayBuffer(raw)))
	assert.Equal(t, digest, v.run(`registry.load(saved).digest`).String(), "from the bytes")
	assert.Equal(t, digest, v.run(`registry.load(new Uint8Array(saved)).digest`).String())
	for code, want := range map[string]string{
		`registry.load("./app.tar", { bundel: true })`:  `load: unknown option "bundel"`,
		`registry.load("./app.tar", { bundle: "yes" })`: `option "bundle" must be a boolean`,
		`registry.load(42)`:                             `what open(path, "b") returns`,
		`registry.load(new Uint8Array([1, 2, 3]))`:      `load(bytes): not a readable tar archive`,
	} {
		assert.ErrorContains(t, v.runErr(code), want, code)
	}
}

// TestALoadedLayoutIsBundledWhole loads an OCI layout directory through
// k6's file system in a local run: k6 archive bundles what that file
// system's cache holds, and it holds the layout's every blob, layers too.
// Then k6 does what it does after the first VU's init, serves only files
// asked for before, and the image still pushes.
func TestALoadedLayoutIsBundledWhole(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{})
	dir := t.TempDir()
	img, err := random.Image(30_000, 3)
	require.NoError(t, err)
	lp, err := layout.Write(filepath.Join(dir, "layout"), empty.Index)
	require.NoError(t, err)
	require.NoError(t, lp.AppendImage(img))
	layers, err := img.Layers()
	require.NoError(t, err)

	v := newVU(t)
	cache := fsext.NewMemMapFs()
	fsys := fsext.NewCacheOnReadFs(fsext.NewOsFs(), cache, 0)
	v.rt.VU.InitEnvField.FileSystems = map[string]fsext.Fs{"file": fsys}
	v.rt.VU.InitEnvField.CWD = &url.URL{Scheme: "file", Path: dir + "/"}
	v.run(clientCode(reg, reg.Password))
	v.run(`const image = registry.load("./layout");`)
	for i, l := range layers {
		d, err := l.Digest()
		require.NoError(t, err)
		_, err = cache.Stat(filepath.Join(dir, "layout", "blobs", "sha256", d.Hex))
		assert.NoError(t, err, "layer %d is in what k6 archive bundles", i)
	}
	fsys.(fsext.OnlyCachedEnabler).AllowOnlyCached()
	v.start()
	assert.True(t, v.run(`const res = client.push("loaded/layout:1", image); res.ok && res.uploaded === 4`).ToBoolean(),
		"%v", v.run(`JSON.stringify(res)`))
}

// TestLoadKeepsLargeFilesOutOfMemory loads, in a local run, a file over the
// 64 MiB that load() reads through k6's file system of its own accord: it
// is read from the disk instead, k6's cache (what an archive bundles) does
// not hold it, and one warning says so. (The file is sparse and all zeros:
// the load then fails, which is all this needs.) An OCI layout directory
// in an archived run loads from the archive's files.
func TestLoadKeepsLargeFilesOutOfMemory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	big := filepath.Join(dir, "big.tar")
	f, err := os.Create(big)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(65<<20))
	require.NoError(t, f.Close())

	v := newVU(t)
	logger, hook := logtest.NewNullLogger()
	v.rt.VU.InitEnvField.Logger = logger
	cache := fsext.NewMemMapFs()
	v.rt.VU.InitEnvField.FileSystems = map[string]fsext.Fs{"file": fsext.NewCacheOnReadFs(fsext.NewOsFs(), cache, 0)}
	v.rt.VU.InitEnvField.CWD = &url.URL{Scheme: "file", Path: dir + "/"}
	for range 2 { // as two VUs' inits would
		assert.ErrorContains(t, v.runErr(`registry.load("./big.tar")`), "holds no files")
	}
	_, err = cache.Stat(big)
	assert.Error(t, err, "a 65 MiB file is not copied into k6's memory")
	require.Len(t, hook.AllEntries(), 1, "one warning for the process")
	assert.Contains(t, hook.LastEntry().Message, "65 MiB, streamed from the disk")
	assert.Contains(t, hook.LastEntry().Message, "bundle: true")

	src, err := random.Image(10_000, 2)
	require.NoError(t, err)
	lp, err := layout.Write(filepath.Join(dir, "layout"), empty.Index)
	require.NoError(t, err)
	require.NoError(t, lp.AppendImage(src))
	archived := fsext.NewMemMapFs()
	require.NoError(t, filepath.WalkDir(filepath.Join(dir, "layout"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		rel, err := filepath.Rel(dir, p)
		require.NoError(t, err)
		return fsext.WriteFile(archived, "/archive/"+filepath.ToSlash(rel), data, 0o644)
	}))
	v = newVU(t)
	v.rt.VU.InitEnvField.FileSystems = map[string]fsext.Fs{"file": archived}
	v.rt.VU.InitEnvField.CWD = &url.URL{Scheme: "file", Path: "/archive/"}
	want, err := src.Digest()
	require.NoError(t, err)
	assert.Equal(t, want.String(), v.run(`registry.load("./layout").digest`).String())
}

// TestLoadPicksWhatTheScriptNames: a tarball of two images throws without
// a ref, naming both; a ref picks one; a layout of an index loads as the
// index, and says what it is; platform picks one of its images. Options
// are checked as every call's are.
func TestLoadPicksWhatTheScriptNames(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a, err := random.Image(10_000, 1)
	require.NoError(t, err)
	b, err := random.Image(10_000, 2)
	require.NoError(t, err)
	tagA, err := name.NewTag("example/a:1")
	require.NoError(t, err)
	tagB, err := name.NewTag("example/b:1")
	require.NoError(t, err)
	require.NoError(t, tarball.MultiRefWriteToFile(filepath.Join(dir, "two.tar"), map[name.Reference]v1.Image{tagA: a, tagB: b}))
	raw, err := os.ReadFile(filepath.Join(dir, "two.tar"))
	require.NoError(t, err)

	var idx v1.ImageIndex = empty.Index
	for _, p := range []v1.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"}} {
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: a, Descriptor: v1.Descriptor{Platform: &p}})
		a = b
	}
	lp, err := layout.Write(filepath.Join(dir, "layout"), empty.Index)
	require.NoError(t, err)
	require.NoError(t, lp.AppendIndex(idx))
	idxDigest, err := idx.Digest()
	require.NoError(t, err)
	bDigest, err := b.Digest()
	require.NoError(t, err)

	v := newVU(t)
	v.rt.VU.InitEnvField.FileSystems = map[string]fsext.Fs{"file": fsext.NewCacheOnReadFs(fsext.NewOsFs(), fsext.NewMemMapFs(), 0)}
	v.rt.VU.InitEnvField.CWD = &url.URL{Scheme: "file", Path: dir + "/"}
	require.NoError(t, v.rt.VU.Runtime().Set("saved", v.rt.VU.Runtime().NewArrayBuffer(raw)))

	err = v.runErr(`registry.load("./two.tar")`)
	assert.ErrorContains(t, err, `the file holds 2 images: pick one with { ref }`)
	assert.ErrorContains(t, err, `"example/a:1"`)
	assert.ErrorContains(t, err, `"example/b:1"`)
	assert.ErrorContains(t, v.runErr(`registry.load("./two.tar", { ref: "example/c:1" })`), `no image named "example/c:1"`)
	assert.ErrorContains(t, v.runErr(`registry.load(saved)`), `holds 2 images`)
	cfgB, err := b.ConfigName()
	require.NoError(t, err)
	assert.Equal(t, cfgB.String(), v.run(`registry.load("./two.tar", { ref: "example/b:1" }).config.digest`).String())
	assert.Equal(t, cfgB.String(), v.run(`registry.load(saved, { ref: "example/b:1" }).config.digest`).String())

	assert.True(t, v.run(`
		const index = registry.load("./layout");
		index.mediaType === "application/vnd.oci.image.index.v1+json" && index.manifests.length === 2 &&
			index.digest === "`+idxDigest.String()+`" &&
			JSON.stringify(index.platforms) === '["linux/amd64","linux/arm64"]' &&
			index.manifests[1].platform === "linux/arm64"
	`).ToBoolean())
	assert.Equal(t, bDigest.String(), v.run(`registry.load("./layout", { platform: "linux/arm64" }).digest`).String())

	for code, want := range map[string]string{
		`registry.load("./two.tar", { compress: "zip" })`:        `compress "zip" is not "auto", "gzip" or "none"`,
		`registry.load("./two.tar", { platform: "arm64" })`:      `platform "arm64" is not os/arch`,
		`registry.load("./two.tar", { ref: 1 })`:                 `option "ref" must be a string`,
		`registry.load(saved, { bundle: true })`:                 `load: unknown option "bundle"; known: compress, platform, ref`,
		`registry.load("./layout", { platform: "linux/s390x" })`: `platform linux/s390x: the index`,
		`registry.load("./app.tar")`:                             `"./app.tar" is relative to the script's directory`,
	} {
		assert.ErrorContains(t, v.runErr(code), want, code)
	}
}

// TestLoadRefusesFIFOsAndDevicesThroughK6sFileSystem: a docker save directory whose
// layer is a FIFO or a character device (/dev/zero's numbers) fails the
// load at once, naming it, read through k6's file system (which would copy
// it whole on open: forever, or until memory ends) and from the disk.
func TestLoadRefusesFIFOsAndDevicesThroughK6sFileSystem(t *testing.T) {
	t.Parallel()
	nodes := map[string]func(string) error{
		"a named pipe (FIFO)": func(p string) error { return syscall.Mkfifo(p, 0o644) },
		"a character device":  func(p string) error { return syscall.Mknod(p, syscall.S_IFCHR|0o644, 1<<8|5) },
	}
	for kind, mk := range nodes {
		dir := t.TempDir()
		save := filepath.Join(dir, "save")
		require.NoError(t, os.MkdirAll(filepath.Join(save, "abc"), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(save, "config.json"), []byte(`{"rootfs":{"type":"layers","diff_ids":["sha256:`+strings.Repeat("0", 64)+`"]}}`), 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(save, "manifest.json"), []byte(`[{"Config":"config.json","Layers":["abc/layer.tar"]}]`), 0o644))
		if err := mk(filepath.Join(save, "abc", "layer.tar")); errors.Is(err, syscall.EPERM) && os.Getenv("CI") != "true" {
			t.Logf("making %s needs root: %v", kind, err)
			continue
		} else {
			require.NoError(t, err)
		}
		for _, code := range []string{`registry.load("./save")`, `registry.load("./save", { bundle: false })`, `registry.load("./save", { bundle: true })`} {
			v := newVU(t)
			v.rt.VU.InitEnvField.FileSystems = map[string]fsext.Fs{"file": fsext.NewCacheOnReadFs(fsext.NewOsFs(), fsext.NewMemMapFs(), 0)}
			v.rt.VU.InitEnvField.CWD = &url.URL{Scheme: "file", Path: dir + "/"}
			done := make(chan error, 1)
			go func() { done <- v.runErr(code) }()
			select {
			case err := <-done:
				assert.ErrorContains(t, err, "abc/layer.tar is "+kind+", not a regular file", code)
			case <-time.After(30 * time.Second):
				t.Fatalf("%s did not return: it opened %s", code, kind)
			}
		}
	}
}
