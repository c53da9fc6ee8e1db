package content

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/xk6-registry/xk6-registry/registry"
)

// MediaTypeOctetStream is the media type of blobs that are not image parts.
const MediaTypeOctetStream = "application/octet-stream"

// streamBlob is a blob whose bytes are made again on each Open.
type streamBlob struct {
	desc ocispec.Descriptor
	open func(ctx context.Context) (io.ReadCloser, error)
}

func (b *streamBlob) Descriptor() ocispec.Descriptor { return b.desc }

func (b *streamBlob) Open(ctx context.Context) (io.ReadCloser, error) { return b.open(ctx) }

// heldBlob is small content held in memory: literals, configs, manifests.
type heldBlob struct {
	desc ocispec.Descriptor
	data []byte
}

func (b *heldBlob) Descriptor() ocispec.Descriptor { return b.desc }

func (b *heldBlob) Open(context.Context) (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(b.data)), nil
}

// Bytes is a blob of literal content, copied; mediaType defaults to
// application/octet-stream.
func Bytes(b []byte, mediaType string) registry.BlobSource {
	if mediaType == "" {
		mediaType = MediaTypeOctetStream
	}
	data := bytes.Clone(b)
	return &heldBlob{data: data, desc: ocispec.Descriptor{
		MediaType: mediaType, Digest: digest.FromBytes(data), Size: int64(len(data)),
	}}
}

// randomStreamID keeps random blobs' streams apart from layers' (which use
// their index): the same seed must not give a blob and a layer one prefix.
const randomStreamID = 1 << 62

// Random is size random bytes, a pure function of the seed; a nil seed
// takes a fresh one. The digest is computed here by streaming the bytes
// once, stopping when ctx ends, and remembered for the process, so VUs
// that ask for the same blob do not hash it again.
func Random(ctx context.Context, size int64, seed *uint64) (registry.BlobSource, error) {
	if size < 0 {
		return nil, fmt.Errorf("blob size %d is negative", size)
	}
	s := FreshSeed()
	if seed != nil {
		s = *seed
	}
	open := func(ctx context.Context) (io.ReadCloser, error) {
		return io.NopCloser(ctxReader{ctx, io.LimitReader(randomStream(s, randomStreamID), size)}), nil
	}
	d, err := digests.get(seed != nil, digestKey{kind: "random", seed: s, size: size}, func() (digested, error) {
		rc, _ := open(ctx)
		return digestOf(rc)
	})
	if err != nil {
		return nil, err
	}
	return &streamBlob{open: open, desc: ocispec.Descriptor{MediaType: MediaTypeOctetStream, Digest: d.digest, Size: d.size}}, nil
}

// digested is what one pass over content tells.
type digested struct {
	digest digest.Digest
	size   int64
	diffID digest.Digest // of the uncompressed stream, for layers
}

// digestOf streams r through sha256; r follows a context, so a test that
// ends stops the pass.
func digestOf(r io.Reader) (digested, error) {
	dg := digest.Canonical.Digester()
	n, err := io.Copy(dg.Hash(), r)
	if err != nil {
		return digested{}, fmt.Errorf("digesting the content: %w", err)
	}
	return digested{digest: dg.Digest(), size: n}, nil
}

// digestKey names generated content; equal keys mean equal bytes.
type digestKey struct {
	kind  string
	seed  uint64
	index int
	size  int64
}

// digestCache remembers the digests of generated content for the process,
// so every VU that generates the same content with a fixed seed does not
// hash it again. Fresh seeds are never asked twice and are not kept: a long
// test would grow the cache without bound.
type digestCache struct{ m sync.Map }

var digests digestCache

func (c *digestCache) get(keep bool, k digestKey, compute func() (digested, error)) (digested, error) {
	if v, ok := c.m.Load(k); ok {
		return v.(digested), nil
	}
	d, err := compute()
	if err != nil || !keep {
		return d, err
	}
	c.m.Store(k, d)
	return d, nil
}
