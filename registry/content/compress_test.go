package content_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
	"github.com/xk6-registry/xk6-registry/registry/content"
)

// TestGzipPushesWhatDockerPushes: a docker save's plain tar layers go up
// gzipped by default, with docker's media type; their gzip streams
// decompress to the layers the config's diff_ids name, and crane validate,
// which reads every layer, passes.
func TestGzipPushesWhatDockerPushes(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{})
	crane := craneBinary(t)
	base, top := layerTar(t, "base", 200_000), layerTar(t, "top", 3000, 70_000)
	save := legacySave(t, map[string][]byte{"a/layer.tar": base, "b/layer.tar": top},
		legacyImage{tags: []string{"app:1"}, layers: []string{"a/layer.tar", "b/layer.tar"}})
	p := filepath.Join(t.TempDir(), "save.tar")
	writeTar(t, p, append(save, tarEntry{name: "a/layer.tar", data: base}, tarEntry{name: "b/layer.tar", data: top})...)

	for _, opts := range []content.LoadOptions{{}, {Compress: content.CompressGzip}} {
		img, err := content.Load(p, opts)
		require.NoError(t, err)
		for i, plain := range [][]byte{base, top} {
			d := registrytest.Descriptor(t, img.Layers[i])
			assert.Equal(t, string(types.DockerLayer), d.MediaType)
			gz := registrytest.ReadBlob(t, img.Layers[i])
			assert.Equal(t, d.Digest, digest.FromBytes(gz))
			assert.Equal(t, d.Size, int64(len(gz)))
			zr, err := gzip.NewReader(bytes.NewReader(gz))
			require.NoError(t, err)
			got, err := io.ReadAll(zr)
			require.NoError(t, err)
			assert.Equal(t, plain, got, "layer %d decompresses to the file's", i)
			assert.Less(t, len(gz), len(plain)/2, "repeated bytes compress")
		}
		var cfg ocispec.Image
		require.NoError(t, json.Unmarshal(registrytest.ReadBlob(t, img.Config), &cfg))
		assert.Equal(t, []digest.Digest{digest.FromBytes(base), digest.FromBytes(top)}, cfg.RootFS.DiffIDs, "the config is the file's")
		ref := "gzip/app" + string(opts.Compress) + ":1"
		pushAndValidate(t, reg, ref, img)
		craneValidate(t, crane, reg.Host+"/"+ref)
	}

	img, err := content.Load(p, none)
	require.NoError(t, err)
	assert.Equal(t, string(types.DockerUncompressedLayer), registrytest.Descriptor(t, img.Layers[0]).MediaType, `compress: "none" pushes the file's bytes`)
	assert.Equal(t, digest.FromBytes(base), registrytest.Descriptor(t, img.Layers[0]).Digest)
	pushAndValidate(t, reg, "gzip/none:1", img)
}

// TestGzipKeepsAnOCILayoutAsItIs: by default an OCI layout's manifest is
// pushed byte for byte, an uncompressed layer included; "gzip" compresses
// that layer and so makes a manifest of its own, the config unchanged.
func TestGzipKeepsAnOCILayoutAsItIs(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{})
	src := uncompressedImage(t)
	p := fixtures(t, src)["OCI layout tar"]
	raw, err := src.RawManifest()
	require.NoError(t, err)

	img, err := content.Load(p, content.LoadOptions{})
	require.NoError(t, err)
	assert.Equal(t, raw, manifestOf(t, img), "auto: the layout's manifest, byte for byte")
	pushAndValidate(t, reg, "layout/auto:1", img)

	img, err = content.Load(p, content.LoadOptions{Compress: content.CompressGzip})
	require.NoError(t, err)
	assert.NotEqual(t, raw, manifestOf(t, img))
	assert.Equal(t, ocispec.MediaTypeImageLayerGzip, registrytest.Descriptor(t, img.Layers[1]).MediaType)
	cfg, err := src.RawConfigFile()
	require.NoError(t, err)
	assert.Equal(t, cfg, registrytest.ReadBlob(t, img.Config))
	pushAndValidate(t, reg, "layout/gzip:1", img)
	craneValidate(t, craneBinary(t), reg.Host+"/layout/gzip:1")
}

// TestGzipLeavesNothingOnDisk: compressed layers live in files removed
// as soon as they are made, so nothing is left in the temporary directory
// however the process ends; a layer is compressed once a process, however
// many loads of however many copies of the file ask. It counts files and
// compressions, so it is not parallel.
func TestGzipLeavesNothingOnDisk(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	layer := layerTar(t, "disk", 2<<20)
	save := legacySave(t, map[string][]byte{"l.tar": layer}, legacyImage{tags: []string{"disk:1"}, layers: []string{"l.tar"}})
	raw := tarBytes(t, append(save, tarEntry{name: "l.tar", data: layer})...)

	before := content.Counts()
	img, err := content.LoadBytes(raw, content.LoadOptions{})
	require.NoError(t, err)
	d := registrytest.Descriptor(t, img.Layers[0])
	// A second load of other bytes of the same file, as another VU's
	// load(open(...)) gets: its layer is known by its digest.
	again, err := content.LoadBytes(bytes.Clone(raw), content.LoadOptions{})
	require.NoError(t, err)
	assert.Equal(t, d, registrytest.Descriptor(t, again.Layers[0]))
	assert.Equal(t, int64(1), content.Counts().Compressions-before.Compressions, "one compression a process")

	entries, err := os.ReadDir(tmp)
	require.NoError(t, err)
	assert.Empty(t, entries, "no compressed file has a name")
	assert.Equal(t, d.Digest, streamDigestOnly(t, again.Layers[0]), "yet it streams")
}

func tarBytes(t testing.TB, entries ...tarEntry) []byte {
	t.Helper()
	p := filepath.Join(t.TempDir(), "x.tar")
	writeTar(t, p, entries...)
	raw, err := os.ReadFile(p)
	require.NoError(t, err)
	return raw
}

// TestAGzipLayerSeeks: a chunked upload that must resend a chunk seeks
// back in the compressed layer instead of reading it again from the start.
func TestAGzipLayerSeeks(t *testing.T) {
	t.Parallel()
	layer := layerTar(t, "seek", 100_000)
	save := legacySave(t, map[string][]byte{"l.tar": layer}, legacyImage{layers: []string{"l.tar"}})
	img, err := content.LoadBytes(tarBytes(t, append(save, tarEntry{name: "l.tar", data: layer})...), content.LoadOptions{})
	require.NoError(t, err)
	whole := registrytest.ReadBlob(t, img.Layers[0])
	rc, err := img.Layers[0].Open(t.Context())
	require.NoError(t, err)
	defer rc.Close()
	s, ok := rc.(io.Seeker)
	require.True(t, ok, "the compressed layer seeks")
	_, err = s.Seek(100, io.SeekStart)
	require.NoError(t, err)
	rest, err := io.ReadAll(rc)
	require.NoError(t, err)
	assert.Equal(t, whole[100:], rest)
}
