package content

import (
	"context"
	// sha512 for digest.SHA512: go-digest hashes only what is linked in.
	_ "crypto/sha512"
	"fmt"
	"io"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/xk6-registry/xk6-registry/internal/lazy"
	"github.com/xk6-registry/xk6-registry/registry"
)

// Digest algorithms content can be described by: the distribution spec's
// sha256, the canonical one, and sha512, which a push announces with
// ?digest-algorithm=.
var algorithms = []digest.Algorithm{digest.SHA256, digest.SHA512}

// ParseAlgorithm reads a digest algorithm's name; "" is sha256.
func ParseAlgorithm(name string) (digest.Algorithm, error) {
	if name == "" {
		return digest.Canonical, nil
	}
	for _, a := range algorithms {
		if string(a) == name {
			return a, nil
		}
	}
	return "", fmt.Errorf("digest %q is not sha256 or sha512", name)
}

// describedBy is a blob described by another digest algorithm than its
// source's sha256. Generated content's cheap sha256 (hash states along a
// shared body) has no sha512 twin, so its digest costs a full pass over
// the blob's bytes, when first needed.
type describedBy struct {
	src  registry.BlobSource
	alg  digest.Algorithm
	desc *lazy.Value[ocispec.Descriptor]
}

// DescribedBy is src described by alg: src itself for sha256. A push of it
// announces alg (?digest-algorithm=) and names the blob by that digest.
func DescribedBy(src registry.BlobSource, alg digest.Algorithm) registry.BlobSource {
	if alg == "" || alg == digest.Canonical {
		return src
	}
	b := &describedBy{src: src, alg: alg}
	b.desc = lazy.New(b.describe)
	return b
}

func (b *describedBy) describe(ctx context.Context) (ocispec.Descriptor, error) {
	desc, err := b.src.Descriptor(ctx)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	rc, err := b.src.Open(ctx)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	defer rc.Close()
	d := b.alg.Digester()
	buf := make([]byte, 128<<10)
	n, err := io.CopyBuffer(d.Hash(), rc, buf)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("digesting content with %s: %w", b.alg, err)
	}
	if n != desc.Size {
		return ocispec.Descriptor{}, fmt.Errorf("digesting content with %s: read %d bytes of %d", b.alg, n, desc.Size)
	}
	desc.Digest = d.Digest()
	return desc, nil
}

func (b *describedBy) Descriptor(ctx context.Context) (ocispec.Descriptor, error) {
	return b.desc.Get(ctx)
}

func (b *describedBy) Open(ctx context.Context) (io.ReadCloser, error) { return b.src.Open(ctx) }
