package js_test

import (
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.k6.io/k6/v2/lib/fsext"
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
