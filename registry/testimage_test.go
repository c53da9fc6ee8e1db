package registry_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/registry"
)

// heldBlob is test content held in memory; opens counts Open calls.
type heldBlob struct {
	desc  ocispec.Descriptor
	data  []byte
	opens int
}

func newHeldBlob(mediaType string, data []byte) *heldBlob {
	return &heldBlob{data: data, desc: ocispec.Descriptor{
		MediaType: mediaType, Digest: digest.FromBytes(data), Size: int64(len(data)),
	}}
}

func (b *heldBlob) Descriptor() ocispec.Descriptor { return b.desc }
func (b *heldBlob) Open(context.Context) (io.ReadCloser, error) {
	b.opens++
	return io.NopCloser(bytes.NewReader(b.data)), nil
}

func randomBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// registryTestImage builds a small valid OCI image, each layer an
// uncompressed tar of one file of layerSizes[i] random bytes, so another
// client can validate it down to the diff_ids.
func registryTestImage(t testing.TB, seed uint64, layerSizes ...int) *registry.Image {
	t.Helper()
	img := &registry.Image{MediaType: ocispec.MediaTypeImageManifest}
	var diffIDs []digest.Digest
	for i, n := range layerSizes {
		l := newHeldBlob(ocispec.MediaTypeImageLayer, tarOf(t, randomBytes(seed*100+uint64(i), n)))
		img.Layers = append(img.Layers, l)
		diffIDs = append(diffIDs, l.desc.Digest)
	}
	cfg, err := json.Marshal(ocispec.Image{
		Platform: ocispec.Platform{OS: "linux", Architecture: "amd64"},
		RootFS:   ocispec.RootFS{Type: "layers", DiffIDs: diffIDs},
		Config:   ocispec.ImageConfig{Labels: map[string]string{"seed": strconv.FormatUint(seed, 10)}},
	})
	require.NoError(t, err)
	img.Config = newHeldBlob(ocispec.MediaTypeImageConfig, cfg)
	m := ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageManifest,
		Config:    img.Config.Descriptor(),
	}
	for _, l := range img.Layers {
		m.Layers = append(m.Layers, l.Descriptor())
	}
	img.Manifest, err = json.Marshal(m)
	require.NoError(t, err)
	return img
}

// newTestBlob is size bytes of content that depends on seed.
func newTestBlob(seed uint64, size int) *heldBlob {
	return newHeldBlob("application/octet-stream", randomBytes(seed, size))
}

// tarOf is a tar stream of one file holding data.
func tarOf(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	require.NoError(t, tw.WriteHeader(&tar.Header{Name: "data.bin", Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}))
	_, err := tw.Write(data)
	require.NoError(t, err)
	require.NoError(t, tw.Close())
	return buf.Bytes()
}

// registryDescriptor is the descriptor of an image's manifest, as a subject.
func registryDescriptor(img *registry.Image) ocispec.Descriptor {
	return ocispec.Descriptor{MediaType: img.MediaType, Digest: digest.FromBytes(img.Manifest), Size: int64(len(img.Manifest))}
}

// digestOf is an image's manifest digest.
func digestOf(img *registry.Image) string { return digest.FromBytes(img.Manifest).String() }
