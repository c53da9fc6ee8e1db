package main

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// OCI media types of the image in the tar.
const (
	mediaTypeManifest = "application/vnd.oci.image.manifest.v1+json"
	mediaTypeConfig   = "application/vnd.oci.image.config.v1+json"
	mediaTypeLayer    = "application/vnd.oci.image.layer.v1.tar"
)

type descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// writeDockerSave writes, to path, the tar `docker save` writes since docker
// 25: an OCI image layout (oci-layout, index.json, blobs/sha256/) with the
// legacy manifest.json beside it. Its image has `layers` layers of
// layerSize bytes, each a tar of one file of random bytes from a fixed
// seed. Layers are generated twice, once to digest them (a tar entry's name
// comes before its content) and once to write them, so none is held whole.
func writeDockerSave(path string, layers int, layerSize int64) error {
	f, err := os.Create(path) // #nosec G304 -- the tar the driver writes
	if err != nil {
		return err
	}
	tw := tar.NewWriter(f)
	var layerDescs []descriptor
	for i := range layers {
		index := uint64(i) // #nosec G115 -- a layer index
		h := sha256.New()
		if err := writeLayer(h, index, layerSize); err != nil {
			return closeAll(fmt.Errorf("layer %d: %w", i, err), f)
		}
		d := descriptor{MediaType: mediaTypeLayer, Digest: "sha256:" + hex.EncodeToString(h.Sum(nil)), Size: layerSize}
		if err := tw.WriteHeader(blobHeader(d)); err != nil {
			return closeAll(err, f)
		}
		if err := writeLayer(tw, index, layerSize); err != nil {
			return closeAll(fmt.Errorf("layer %d: %w", i, err), f)
		}
		layerDescs = append(layerDescs, d)
	}
	if err := writeMetadata(tw, layerDescs); err != nil {
		return closeAll(err, f)
	}
	if err := tw.Close(); err != nil {
		return closeAll(err, f)
	}
	return f.Close()
}

// writeMetadata writes the config, the manifest, index.json, oci-layout
// and manifest.json of an image of layers.
func writeMetadata(tw *tar.Writer, layers []descriptor) error {
	diffIDs := make([]string, len(layers)) // uncompressed layers: the digests
	for i, l := range layers {
		diffIDs[i] = l.Digest
	}
	config, err := json.Marshal(map[string]any{
		"architecture": "amd64", "os": "linux",
		"rootfs": map[string]any{"type": "layers", "diff_ids": diffIDs},
	})
	if err != nil {
		return err
	}
	configDesc := descriptorOf(mediaTypeConfig, config)
	manifest, err := json.Marshal(map[string]any{
		"schemaVersion": 2, "mediaType": mediaTypeManifest, "config": configDesc, "layers": layers,
	})
	if err != nil {
		return err
	}
	manifestDesc := descriptorOf(mediaTypeManifest, manifest)
	indexDesc := manifestDesc
	indexDesc.Annotations = map[string]string{
		"io.containerd.image.name":          "bench/app:1",
		"org.opencontainers.image.ref.name": "1",
	}
	index, err := json.Marshal(map[string]any{
		"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": []descriptor{indexDesc},
	})
	if err != nil {
		return err
	}
	layerPaths := make([]string, len(layers))
	for i, l := range layers {
		layerPaths[i] = blobPath(l.Digest)
	}
	legacy, err := json.Marshal([]map[string]any{
		{"Config": blobPath(configDesc.Digest), "RepoTags": []string{"bench/app:1"}, "Layers": layerPaths},
	})
	if err != nil {
		return err
	}
	files := []struct {
		name string
		body []byte
	}{
		{blobPath(configDesc.Digest), config},
		{blobPath(manifestDesc.Digest), manifest},
		{"index.json", index},
		{"oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)},
		{"manifest.json", legacy},
	}
	for _, file := range files {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: file.name, Mode: 0o644, Size: int64(len(file.body))}); err != nil {
			return err
		}
		if _, err := tw.Write(file.body); err != nil {
			return err
		}
	}
	return nil
}

func descriptorOf(mediaType string, body []byte) descriptor {
	sum := sha256.Sum256(body)
	return descriptor{MediaType: mediaType, Digest: "sha256:" + hex.EncodeToString(sum[:]), Size: int64(len(body))}
}

func blobPath(digest string) string {
	return "blobs/sha256/" + strings.TrimPrefix(digest, "sha256:")
}

func blobHeader(d descriptor) *tar.Header {
	return &tar.Header{Typeflag: tar.TypeReg, Name: blobPath(d.Digest), Mode: 0o644, Size: d.Size}
}

// writeLayer writes layer number seed: a tar of exactly size bytes holding
// one file of random bytes. size is a multiple of 512 of at least 4 KiB, so
// the file fills its blocks: header, content, two zero blocks at the end.
func writeLayer(w io.Writer, seed uint64, size int64) error {
	tw := tar.NewWriter(w)
	fileSize := size - 3*512
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: fmt.Sprintf("data/%d", seed), Mode: 0o644, Size: fileSize}); err != nil {
		return err
	}
	var key [32]byte
	key[0] = byte(seed)
	key[1] = byte(seed >> 8)
	if _, err := io.CopyN(tw, rand.NewChaCha8(key), fileSize); err != nil {
		return err
	}
	return tw.Close()
}

// extractTar unpacks the tar at path into dir; it refuses entries that are
// not plain files or that would land outside dir.
func extractTar(path, dir string) error {
	f, err := os.Open(path) // #nosec G304 -- the tar the driver wrote
	if err != nil {
		return err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if h.Typeflag != tar.TypeReg || !filepath.IsLocal(h.Name) {
			return fmt.Errorf("%s: entry %q is not a plain file inside the tar", path, h.Name)
		}
		target := filepath.Join(dir, h.Name) // #nosec G305 -- entries outside dir are refused below
		if err := os.MkdirAll(filepath.Dir(target), 0o750); err != nil {
			return err
		}
		out, err := os.Create(target) // #nosec G304 -- inside the driver's work directory, checked above
		if err != nil {
			return err
		}
		_, err = io.Copy(out, tr) // #nosec G110 -- the tar the driver wrote itself
		if err != nil {
			return closeAll(fmt.Errorf("%s: %w", h.Name, err), out)
		}
		if err := out.Close(); err != nil {
			return err
		}
	}
}

// closeAll closes c after err, returning err.
func closeAll(err error, c io.Closer) error {
	_ = c.Close()
	return err
}
