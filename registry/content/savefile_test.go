package content_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
	"github.com/xk6-registry/xk6-registry/registry"
)

// tarEntry is one entry of a tar a test writes: a regular file, or a
// link, FIFO or device when typ says so.
type tarEntry struct {
	name string
	typ  byte
	data []byte
	link string
}

// writeTar writes entries, in order, into a tar at p.
func writeTar(t testing.TB, p string, entries ...tarEntry) {
	t.Helper()
	f, err := os.Create(p)
	require.NoError(t, err)
	defer f.Close()
	tw := tar.NewWriter(f)
	for _, e := range entries {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		hdr := &tar.Header{Name: e.name, Typeflag: typ, Mode: 0o644, Linkname: e.link, Format: tar.FormatPAX}
		if typ == tar.TypeReg {
			hdr.Size = int64(len(e.data))
		}
		if typ == tar.TypeChar {
			hdr.Devmajor, hdr.Devminor = 1, 5 // /dev/zero's
		}
		require.NoError(t, tw.WriteHeader(hdr))
		if typ == tar.TypeReg {
			_, err := tw.Write(e.data)
			require.NoError(t, err)
		}
	}
	require.NoError(t, tw.Close())
}

// layerTar is a layer: a tar of files named n-0 ... of the given sizes,
// each of bytes made from its name.
func layerTar(t testing.TB, seed string, sizes ...int) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for i, size := range sizes {
		n := fmt.Sprintf("%s-%d", seed, i)
		require.NoError(t, tw.WriteHeader(&tar.Header{Name: n, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(size)}))
		_, err := tw.Write(bytes.Repeat([]byte(n), size/len(n)+1)[:size])
		require.NoError(t, err)
	}
	require.NoError(t, tw.Close())
	return buf.Bytes()
}

// legacyImage is one image of a legacy docker save: its tags, and the
// layers its manifest.json lists, by name in the archive.
type legacyImage struct {
	tags   []string
	layers []string
}

// legacySave makes the config and manifest.json entries of a docker save
// in the legacy layout, as docker before 25 writes it. content holds the
// bytes each layer name stands for, for the configs' diff_ids; the caller
// writes the layer entries themselves (files, links, FIFOs).
func legacySave(t testing.TB, content map[string][]byte, images ...legacyImage) []tarEntry {
	t.Helper()
	var entries []tarEntry
	var manifest []map[string]any
	for _, img := range images {
		diffIDs := []string{}
		for _, l := range img.layers {
			data, ok := content[l]
			require.True(t, ok, "no content for %s", l)
			diffIDs = append(diffIDs, digest.FromBytes(data).String())
		}
		config, err := json.Marshal(map[string]any{
			"architecture": "amd64", "os": "linux",
			"rootfs": map[string]any{"type": "layers", "diff_ids": diffIDs},
		})
		require.NoError(t, err)
		configName := digest.FromBytes(config).Encoded() + ".json"
		entries = append(entries, tarEntry{name: configName, data: config})
		manifest = append(manifest, map[string]any{"Config": configName, "RepoTags": img.tags, "Layers": img.layers})
	}
	raw, err := json.Marshal(manifest)
	require.NoError(t, err)
	return append(entries, tarEntry{name: "manifest.json", data: raw})
}

// writeDir writes regular entries as files under dir.
func writeDir(t testing.TB, dir string, entries []tarEntry) {
	t.Helper()
	for _, e := range entries {
		p := filepath.Join(dir, filepath.FromSlash(e.name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, e.data, 0o644))
	}
}

// pushAndValidate pushes img to ref on reg, pulls it back with
// go-containerregistry and validates it; it returns the pushed digest.
func pushAndValidate(t *testing.T, reg *registrytest.Registry, ref string, img *registry.Image) string {
	t.Helper()
	c, err := registry.New(registry.Config{URL: reg.URL})
	require.NoError(t, err)
	res, err := c.Push(context.Background(), ref, img, registry.PushOptions{Concurrency: 2})
	require.NoError(t, err)
	r, err := name.ParseReference(reg.Host+"/"+ref, name.Insecure)
	require.NoError(t, err)
	if img.IsIndex() {
		idx, err := remote.Index(r)
		require.NoError(t, err)
		im, err := idx.IndexManifest()
		require.NoError(t, err)
		for _, m := range im.Manifests {
			child, err := idx.Image(m.Digest)
			require.NoError(t, err)
			require.NoError(t, registrytest.ValidateImage(child), "image %s of the index", m.Digest)
		}
	} else {
		got, err := remote.Image(r)
		require.NoError(t, err)
		require.NoError(t, registrytest.ValidateImage(got))
	}
	got, err := remote.Head(r)
	require.NoError(t, err)
	require.Equal(t, res.Digest, got.Digest.String(), "the registry has what was pushed")
	return res.Digest
}

// uncompressedImage is a random OCI image with a gzip layer and an
// uncompressed one, as OCI layouts may hold.
func uncompressedImage(t testing.TB) v1.Image {
	t.Helper()
	img, err := random.Image(30_000, 1)
	require.NoError(t, err)
	img = mutate.MediaType(mutate.ConfigMediaType(img, types.OCIConfigJSON), types.OCIManifestSchema1)
	// random.Layer gzips whatever type it is given; a static layer is its bytes.
	plain := static.NewLayer(layerTar(t, "plain", 20_000), types.OCIUncompressedLayer)
	img, err = mutate.AppendLayers(img, plain)
	require.NoError(t, err)
	return img
}
