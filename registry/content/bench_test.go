package content_test

import (
	"context"
	"crypto/sha256"
	"io"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/xk6-registry/xk6-registry/registry"
	"github.com/xk6-registry/xk6-registry/registry/content"
)

// BenchmarkGenerator streams fresh 64 MiB blobs as an upload reads them,
// 32 KiB at a time: the generator alone, per core (-cpu 1). Beside it, the
// same bytes through sha256 and a copy, the costs it is measured against.
func BenchmarkGenerator(b *testing.B) {
	const size = 64 << 20
	kinds := map[string]func() registry.BlobSource{
		"raw": func() registry.BlobSource {
			blob, err := content.Random(content.RandomOptions{Size: size})
			if err != nil {
				b.Fatal(err)
			}
			return blob
		},
		"oci": func() registry.BlobSource { return layer(b, content.FormatOCI, size) },
		// A docker layer's reader needs its CRC, so its digest is made first.
		"docker": func() registry.BlobSource { return layer(b, content.FormatDocker, size) },
	}
	buf := make([]byte, 32<<10)
	for name, make := range kinds {
		b.Run(name, func(b *testing.B) {
			blob := make()
			rc, err := blob.Open(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			rc.Close()
			b.SetBytes(size)
			b.ResetTimer()
			for range b.N {
				rc, _ := blob.Open(context.Background())
				if _, err := io.CopyBuffer(io.Discard, onlyReader{rc}, buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("sha256", func(b *testing.B) {
		b.SetBytes(size)
		h := sha256.New()
		for range b.N {
			for range size / len(buf) {
				h.Write(buf)
			}
		}
	})
}

// BenchmarkFreshDigest is what a fresh 64 MiB layer's digest costs once
// its family's chain is warm, per op: the work a VU does before each push
// (a whole pass of sha256 over the layer is about 37 ms here).
func BenchmarkFreshDigest(b *testing.B) {
	for _, format := range []content.Format{content.FormatOCI, content.FormatDocker} {
		b.Run(string(format), func(b *testing.B) {
			const size = 64 << 20
			layer(b, format, size)
			b.ResetTimer()
			for range b.N {
				layer(b, format, size)
			}
		})
	}
}

// layer is a fresh layer of size bytes, digested.
func layer(b *testing.B, format content.Format, size int64) registry.BlobSource {
	img, err := content.Generate(content.GenerateOptions{Layers: 1, LayerSize: size, Format: format})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := img.Layers[0].Descriptor(context.Background()); err != nil {
		b.Fatal(err)
	}
	return img.Layers[0]
}

// onlyReader hides a reader's other methods, so a copy reads it as a
// request body is read.
type onlyReader struct{ io.Reader }

// BenchmarkFreshDigestByAlgorithm is a fresh 64 MiB OCI layer's digest by
// each algorithm, per op: sha256 from its family's warm chain, sha512 a
// full pass over the layer's bytes, made as an upload reads them.
func BenchmarkFreshDigestByAlgorithm(b *testing.B) {
	for _, alg := range []digest.Algorithm{digest.SHA256, digest.SHA512} {
		b.Run(string(alg), func(b *testing.B) {
			const size = 64 << 20
			fresh := func() {
				img, err := content.Generate(content.GenerateOptions{Layers: 1, LayerSize: size, Digest: alg})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := img.Layers[0].Descriptor(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
			fresh()
			b.SetBytes(size)
			b.ResetTimer()
			for range b.N {
				fresh()
			}
		})
	}
}
