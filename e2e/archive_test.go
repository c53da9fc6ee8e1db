package e2e

import (
	"archive/tar"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
)

// An archived test carries the tarball registry.load read: k6 archive a
// script that loads a docker save, delete the script and the tarball, and
// the archive still inspects and runs, from another directory, and pushes
// an image go-containerregistry validates, the one that was saved. The
// same script told { bundle: false } archives without the tarball, and
// its archived run says so.
func TestAnArchivedScriptCarriesItsTarball(t *testing.T) {
	t.Parallel()
	k6 := k6Binary(t)
	reg := registrytest.Start(t, registrytest.Options{Auth: registrytest.AuthHtpasswd})
	env := append(os.Environ(), "REGISTRY_URL="+reg.URL, "REGISTRY_USER="+reg.Username,
		"REGISTRY_PASSWORD="+reg.Password, "K6_NO_USAGE_REPORT=true", "VUS=2", "ITERATIONS=2")

	src, err := random.Image(300_000, 3)
	require.NoError(t, err)
	project := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(project, "testdata"), 0o755))
	tag, err := name.NewTag("example/app:1.0")
	require.NoError(t, err)
	require.NoError(t, tarball.WriteToFile(filepath.Join(project, "testdata", "app.tar"), tag, src))
	script, err := os.ReadFile("../examples/docker-save.js")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(project, "script.js"), script, 0o644))
	unbundled := []byte(`import registry from "k6/x/registry";
const image = registry.load("./testdata/app.tar", { bundle: false });
export default function () {}
`)
	require.NoError(t, os.WriteFile(filepath.Join(project, "unbundled.js"), unbundled, 0o644))

	elsewhere := t.TempDir()
	archive, without := filepath.Join(elsewhere, "archive.tar"), filepath.Join(elsewhere, "without.tar")
	for script, out := range map[string]string{"script.js": archive, "unbundled.js": without} {
		arch := command(env, k6, "archive", "--quiet", "-O", out, script)
		arch.Dir = project
		output, err := arch.CombinedOutput()
		require.NoError(t, err, "k6 archive %s:\n%s", script, output)
	}
	require.NoError(t, os.RemoveAll(project), "the tarball is gone: only the archive has it")

	assert.True(t, archiveHolds(t, archive, "testdata/app.tar"), "k6 archive bundled the tarball")
	assert.False(t, archiveHolds(t, without, "testdata/app.tar"), "bundle: false left it out")
	inspect := command(env, k6, "inspect", "--execution-requirements", archive)
	inspect.Dir = elsewhere
	output, err := inspect.CombinedOutput()
	require.NoError(t, err, "k6 inspect, where the tarball is not:\n%s", output)

	run := command(env, k6, "run", "--no-color", "--quiet", archive)
	run.Dir = elsewhere
	output, err = run.CombinedOutput()
	require.NoError(t, err, "k6 run of the archive (its checks and thresholds must hold):\n%s", output)

	r, err := name.ParseReference(reg.Host+"/load/saved-1:0", name.Insecure)
	require.NoError(t, err)
	got, err := remote.Image(r, remote.WithAuth(&authn.Basic{Username: reg.Username, Password: reg.Password}))
	require.NoError(t, err)
	require.NoError(t, registrytest.ValidateImage(got))
	wantLayers, err := src.Layers()
	require.NoError(t, err)
	gotLayers, err := got.Layers()
	require.NoError(t, err)
	require.Len(t, gotLayers, len(wantLayers))
	for i := range wantLayers {
		want, err := wantLayers[i].Digest()
		require.NoError(t, err)
		have, err := gotLayers[i].Digest()
		require.NoError(t, err)
		assert.Equal(t, want, have, "layer %d is the saved one", i)
	}
	wantConfig, err := src.ConfigName()
	require.NoError(t, err)
	gotConfig, err := got.ConfigName()
	require.NoError(t, err)
	assert.Equal(t, wantConfig, gotConfig)

	run = command(env, k6, "run", "--no-color", "--quiet", without)
	run.Dir = elsewhere
	output, err = run.CombinedOutput()
	require.Error(t, err, "the archive made with bundle: false has no tarball:\n%s", output)
	assert.Contains(t, string(output), "not in this archive")
	assert.Contains(t, string(output), "bundle: true")
}

// archiveHolds tells whether a k6 archive has a file whose path ends in name.
func archiveHolds(t *testing.T, archive, name string) bool {
	t.Helper()
	f, err := os.Open(archive)
	require.NoError(t, err)
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return false
		}
		require.NoError(t, err)
		if strings.HasSuffix(hdr.Name, "/"+name) {
			return true
		}
	}
}
