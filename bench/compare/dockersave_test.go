package main

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/validate"
	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/registry/content"
)

// The tar must read as the same valid image through each reader a row
// uses: go-containerregistry's docker tarball and OCI layout readers (crane),
// and the extension's Load.
func TestDockerSaveReadsTheSameEverywhere(t *testing.T) {
	dir := t.TempDir()
	tarPath := filepath.Join(dir, "app.tar")
	const layerSize = 8 << 10
	require.NoError(t, writeDockerSave(tarPath, 3, layerSize))

	fromTar, err := tarball.ImageFromPath(tarPath, nil)
	require.NoError(t, err)
	require.NoError(t, validate.Image(fromTar))

	layoutDir := filepath.Join(dir, "layout")
	require.NoError(t, extractTar(tarPath, layoutDir))
	index, err := layout.ImageIndexFromPath(layoutDir)
	require.NoError(t, err)
	manifest, err := index.IndexManifest()
	require.NoError(t, err)
	require.Len(t, manifest.Manifests, 1)
	fromLayout, err := index.Image(manifest.Manifests[0].Digest)
	require.NoError(t, err)
	// Fast: the full check would gunzip the layers, which are plain tars.
	require.NoError(t, validate.Image(fromLayout, validate.Fast))
	layers, err := fromLayout.Layers()
	require.NoError(t, err)
	require.Len(t, layers, 3)
	for _, l := range layers {
		want, err := l.Digest()
		require.NoError(t, err)
		rc, err := l.Compressed()
		require.NoError(t, err)
		raw, err := io.ReadAll(rc)
		require.NoError(t, err)
		require.NoError(t, rc.Close())
		require.Len(t, raw, layerSize, "a layer blob is exactly the size asked for")
		require.Equal(t, want.String(), digest.FromBytes(raw).String())
		entries := tar.NewReader(bytes.NewReader(raw))
		h, err := entries.Next()
		require.NoError(t, err, "a layer is a tar")
		require.EqualValues(t, layerSize-3*512, h.Size)
	}

	// The plain tars as they are: the bytes curl and crane push of this file.
	loaded, err := content.Load(tarPath, content.LoadOptions{Compress: content.CompressNone})
	require.NoError(t, err)
	raw, err := loaded.Manifest(context.Background())
	require.NoError(t, err)
	require.Equal(t, manifest.Manifests[0].Digest.String(), digest.FromBytes(raw).String(),
		"the extension pushes the manifest crane and curl push")
}

func TestLayersDifferAndRepeat(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.tar"), filepath.Join(dir, "b.tar")
	require.NoError(t, writeDockerSave(a, 2, 4<<10))
	require.NoError(t, writeDockerSave(b, 2, 4<<10))
	rawA, err := os.ReadFile(a)
	require.NoError(t, err)
	rawB, err := os.ReadFile(b)
	require.NoError(t, err)
	require.Equal(t, rawA, rawB, "the same sizes make the same tar")

	img, err := tarball.ImageFromPath(a, nil)
	require.NoError(t, err)
	layers, err := img.Layers()
	require.NoError(t, err)
	d0, err := layers[0].Digest()
	require.NoError(t, err)
	d1, err := layers[1].Digest()
	require.NoError(t, err)
	require.NotEqual(t, d0, d1, "each layer has its own content")
}

func TestExtractRefusesEntriesOutsideTheDirectory(t *testing.T) {
	dir := t.TempDir()
	tarPath := filepath.Join(dir, "evil.tar")
	f, err := os.Create(tarPath)
	require.NoError(t, err)
	tw := tar.NewWriter(f)
	require.NoError(t, tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "../escape", Mode: 0o644, Size: 1}))
	_, err = tw.Write([]byte("x"))
	require.NoError(t, err)
	require.NoError(t, tw.Close())
	require.NoError(t, f.Close())

	err = extractTar(tarPath, filepath.Join(dir, "out"))
	require.ErrorContains(t, err, `"../escape"`)
	_, statErr := os.Stat(filepath.Join(dir, "escape"))
	require.True(t, os.IsNotExist(statErr))
}
