package e2e

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
)

// craneBinary finds the crane make installs ($CRANE_BIN, else bin/crane);
// without it the test is skipped on a developer's machine and fails in CI.
func craneBinary(t *testing.T) string {
	t.Helper()
	p := os.Getenv("CRANE_BIN")
	if p == "" {
		_, file, _, _ := runtime.Caller(0)
		p = filepath.Join(filepath.Dir(file), "..", "bin", "crane")
	}
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no crane at %s: run make %s", p, p)
		}
		t.Skipf("no crane at %s: run make %s", p, p)
	}
	return p
}

func crane(t *testing.T, bin string, args ...string) {
	t.Helper()
	out, err := exec.Command(bin, append(args, "--insecure")...).CombinedOutput()
	require.NoError(t, err, "crane %v:\n%s", args, out)
}

// TestRealImagesFromK6: k6 loads a docker save written as docker before
// 25 writes it (a repeated layer as a symbolic link), a tarball of two
// images and an OCI layout of an index that crane wrote, and 4 VUs push
// each; go-containerregistry and crane validate (every layer read) what
// arrived; the index is the file's, digest for digest; the gzipped layers'
// files left nothing in the temporary directory.
func TestRealImagesFromK6(t *testing.T) {
	t.Parallel()
	craneBin := craneBinary(t)
	reg := registrytest.Start(t, registrytest.Options{})
	dir := t.TempDir()

	save := filepath.Join(dir, "docker24.tar")
	writeLegacySave(t, save)

	a, b := reg.Host+"/src/a:1", reg.Host+"/src/b:1"
	pushRandom(t, a)
	pushRandom(t, b)
	two := filepath.Join(dir, "two.tar")
	crane(t, craneBin, "pull", a, b, two)

	idxRef := reg.Host + "/src/multi:1"
	idx := pushIndex(t, idxRef)
	layout := filepath.Join(dir, "layout")
	crane(t, craneBin, "pull", "--format", "oci", idxRef, layout)
	idxDigest, err := idx.Digest()
	require.NoError(t, err)
	im, err := idx.IndexManifest()
	require.NoError(t, err)

	tmp := t.TempDir()
	script, err := filepath.Abs("testdata/images.js")
	require.NoError(t, err)
	_, output := runK6(t, reg, script, "VUS=4", "TMPDIR="+tmp, "SAVE_TAR="+save, "TWO_TAR="+two, "TWO_REF="+b,
		"LAYOUT="+layout, "INDEX_DIGEST="+idxDigest.String(), "ARM_DIGEST="+im.Manifests[1].Digest.String())
	assert.Contains(t, output, "every push ok")

	entries, err := os.ReadDir(tmp)
	require.NoError(t, err)
	for _, e := range entries {
		assert.False(t, strings.HasPrefix(e.Name(), "xk6-registry-"), "left behind: %s", e.Name())
	}
	for _, repo := range []string{"saved", "asis", "picked", "index", "arm"} {
		ref := fmt.Sprintf("%s/images/%s:1-0", reg.Host, repo)
		if repo == "asis" {
			// compress: "none" sends docker save's plain tars as they are,
			// which crane validate gunzips: why gzip is the default.
			out, err := exec.Command(craneBin, "validate", "--remote", ref, "--insecure").CombinedOutput()
			require.Error(t, err)
			assert.Contains(t, string(out), "gzip: invalid header")
		} else {
			crane(t, craneBin, "validate", "--remote", ref)
		}
		r, err := name.ParseReference(ref, name.Insecure)
		require.NoError(t, err)
		desc, err := remote.Get(r)
		require.NoError(t, err)
		if desc.MediaType.IsIndex() {
			continue
		}
		img, err := desc.Image()
		require.NoError(t, err)
		require.NoError(t, registrytest.ValidateImage(img), repo)
		if repo == "saved" {
			layers, err := img.Layers()
			require.NoError(t, err)
			for _, l := range layers {
				mt, err := l.MediaType()
				require.NoError(t, err)
				assert.Equal(t, types.DockerLayer, mt, "what docker push sends")
			}
		}
	}
}

// writeLegacySave writes a docker save as docker before 25 does: a layer
// the image holds twice is a symbolic link to the first copy.
func writeLegacySave(t *testing.T, p string) {
	t.Helper()
	base, top := layerBytes(t, "base", 3<<20), layerBytes(t, "top", 1<<20)
	diffIDs := []string{digest.FromBytes(base).String(), digest.FromBytes(top).String(), digest.FromBytes(base).String()}
	config, err := json.Marshal(map[string]any{"architecture": "amd64", "os": "linux",
		"rootfs": map[string]any{"type": "layers", "diff_ids": diffIDs}})
	require.NoError(t, err)
	layers := []string{"a1/layer.tar", "b2/layer.tar", "c3/layer.tar"}
	manifest, err := json.Marshal([]map[string]any{{"Config": "config.json", "RepoTags": []string{"example/app:1.0"}, "Layers": layers}})
	require.NoError(t, err)

	f, err := os.Create(p)
	require.NoError(t, err)
	defer f.Close()
	tw := tar.NewWriter(f)
	write := func(hdr *tar.Header, data []byte) {
		hdr.Mode, hdr.Size = 0o644, int64(len(data))
		require.NoError(t, tw.WriteHeader(hdr))
		_, err := tw.Write(data)
		require.NoError(t, err)
	}
	write(&tar.Header{Name: "config.json", Typeflag: tar.TypeReg}, config)
	write(&tar.Header{Name: "a1/layer.tar", Typeflag: tar.TypeReg}, base)
	write(&tar.Header{Name: "b2/layer.tar", Typeflag: tar.TypeReg}, top)
	write(&tar.Header{Name: "c3/layer.tar", Typeflag: tar.TypeSymlink, Linkname: "../a1/layer.tar"}, nil)
	write(&tar.Header{Name: "manifest.json", Typeflag: tar.TypeReg}, manifest)
	require.NoError(t, tw.Close())
}

// layerBytes is a layer tar of one file of size bytes, text that compresses.
func layerBytes(t *testing.T, name string, size int) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	require.NoError(t, tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(size)}))
	line := []byte(name + " is a line of a layer that compresses as real files do\n")
	_, err := tw.Write(bytes.Repeat(line, size/len(line)+1)[:size])
	require.NoError(t, err)
	require.NoError(t, tw.Close())
	return buf.Bytes()
}

func pushRandom(t *testing.T, ref string) {
	t.Helper()
	img, err := random.Image(100_000, 2)
	require.NoError(t, err)
	r, err := name.ParseReference(ref, name.Insecure)
	require.NoError(t, err)
	require.NoError(t, remote.Write(r, img))
}

// pushIndex pushes an index of a linux/amd64 and a linux/arm64 image, each
// config naming its platform, as crane validate asks.
func pushIndex(t *testing.T, ref string) v1.ImageIndex {
	t.Helper()
	var idx v1.ImageIndex = empty.Index
	for _, p := range []v1.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"}} {
		img, err := random.Image(100_000, 2)
		require.NoError(t, err)
		cfg, err := img.ConfigFile()
		require.NoError(t, err)
		cfg = cfg.DeepCopy()
		cfg.OS, cfg.Architecture = p.OS, p.Architecture
		img, err = mutate.ConfigFile(img, cfg)
		require.NoError(t, err)
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &p}})
	}
	r, err := name.ParseReference(ref, name.Insecure)
	require.NoError(t, err)
	require.NoError(t, remote.WriteIndex(r, idx))
	return idx
}
