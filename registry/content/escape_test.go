package content_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/registry/content"
)

// saveDir writes a docker save directory whose manifest.json names config
// and layers as given, beside a real config file.
func saveDir(t *testing.T, config string, layers ...string) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"rootfs":{"type":"layers"}}`), 0o644))
	raw, err := json.Marshal([]map[string]any{{"Config": config, "RepoTags": []string{"a/b:1"}, "Layers": layers}})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "manifest.json"), raw, 0o644))
	return dir
}

// A manifest.json or index.json cannot make a push read files outside what
// load was given: by a relative path, an absolute one, or a symbolic link.
func TestLoadReadsNothingOutsideItsDirectory(t *testing.T) {
	t.Parallel()
	secret := filepath.Join(t.TempDir(), "secret")
	require.NoError(t, os.WriteFile(secret, []byte("password=hunter2"), 0o600))

	linked := saveDir(t, "config.json", "link.tar")
	require.NoError(t, os.Symlink(secret, filepath.Join(linked, "link.tar")))

	cases := map[string]struct{ dir, culprit string }{
		"relative layer":  {saveDir(t, "config.json", "../../../../../../.."+secret), "../"},
		"absolute layer":  {saveDir(t, "config.json", secret), secret},
		"relative config": {saveDir(t, "../"+filepath.Base(secret)), "../"},
		"symlinked layer": {linked, "link.tar"},
	}
	archived := filepath.Join(t.TempDir(), "save.tar")
	tarDir(t, saveDir(t, "config.json", "../"+filepath.Base(secret)), archived)
	cases["relative layer in a tar"] = struct{ dir, culprit string }{archived, "../"}
	for what, tc := range cases {
		img, err := content.Load(tc.dir, content.LoadOptions{})
		require.Error(t, err, "%s: loaded %v", what, img)
		assert.Contains(t, err.Error(), tc.culprit, what)
		assert.NotContains(t, err.Error(), "hunter2", what)
		// Through a file system that follows links, as k6's does in a local run.
		img, err = content.LoadFS(diskFS{}, tc.dir, true, content.LoadOptions{})
		require.Error(t, err, "%s through an FS: loaded %v", what, img)
		assert.Contains(t, err.Error(), tc.culprit, what)
		assert.NotContains(t, err.Error(), "hunter2", what)
	}
}

// diskFS is the disk as a content.FS, following symbolic links.
type diskFS struct{}

func (diskFS) Open(name string) (content.File, error) { return os.Open(name) }

func (diskFS) Stat(name string) (fs.FileInfo, error) { return os.Stat(name) }

func TestLoadSaysAGzippedArchiveIsCompressed(t *testing.T) {
	t.Parallel()
	src, err := random.Image(1000, 1)
	require.NoError(t, err)
	plain, err := os.ReadFile(fixtures(t, src)["docker save (ggcr tarball)"])
	require.NoError(t, err)
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	_, err = zw.Write(plain)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	p := filepath.Join(t.TempDir(), "save.tar.gz")
	require.NoError(t, os.WriteFile(p, zipped.Bytes(), 0o644))

	_, err = content.Load(p, content.LoadOptions{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "gzip-compressed")
}
