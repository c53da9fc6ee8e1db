package content

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/xk6-registry/xk6-registry/internal/lazy"
	"github.com/xk6-registry/xk6-registry/registry"
)

// MediaTypeOctetStream is the media type of blobs that are not image parts.
const MediaTypeOctetStream = "application/octet-stream"

// Body says whether a generated blob shares its body with the other blobs
// of its family (see layout.go).
type Body string

// Bodies of generated blobs.
const (
	// BodyShared: blobs share a body and differ in a part of their own, so
	// a digest costs that part only. The default.
	BodyShared Body = "shared"
	// BodyUnique: every byte of a blob is its own, as a storage backend that
	// deduplicates blocks must see to store each in full; each digest costs
	// a pass over the whole blob.
	BodyUnique Body = "unique"
)

// Validate checks a body setting.
func (b Body) Validate() error {
	switch b {
	case "", BodyShared, BodyUnique:
		return nil
	}
	return fmt.Errorf(`body %q is not "shared" or "unique"`, b)
}

// genBlob is a generated blob: its bytes are made again on each Open, and
// its digest when first asked for.
type genBlob struct {
	shape     shape
	mediaType string
	body, own streamKey
	ownHeader [tarBlock]byte // tar kinds: the header of the blob's own file
	// chain holds the hash states of the shared body; nil for a body of the
	// blob's own, which is hashed whole and kept by none.
	chain     *chain
	described *lazy.Value[described]
}

// described is what a pass over a generated blob tells.
type described struct {
	desc   ocispec.Descriptor
	diffID digest.Digest // the tar's digest, for layers
	crc    uint32        // the tar's CRC-32, for a gzip trailer
}

// blobSpec names a generated blob: its seed and stream (a layer's index),
// whether it shares its body, and its kind and size.
type blobSpec struct {
	seed, stream uint64
	fixedSeed    bool
	body         Body
	kind         kind
	size         int64
	mediaType    string
	ownName      string // tar kinds: the name of the blob's own file
}

func newGenBlob(s blobSpec) (*genBlob, error) {
	b := &genBlob{shape: shapeOf(s.kind, s.size), mediaType: s.mediaType, own: uniqueKey(s.seed, s.stream)}
	if s.body == BodyUnique {
		b.body = ownBodyKey(s.seed, s.stream)
	} else {
		family := processFamily
		if s.fixedSeed {
			family = familyOfSeed(s.seed)
		}
		b.body, b.chain = bodyKey(family), chainOf(s.kind, family)
	}
	if s.kind != kindRaw {
		h, err := tarHeader(s.ownName, b.shape.own)
		if err != nil {
			return nil, err
		}
		b.ownHeader = h
	}
	b.described = lazy.New(b.describe)
	return b, nil
}

func (b *genBlob) Descriptor(ctx context.Context) (ocispec.Descriptor, error) {
	d, err := b.described.Get(ctx)
	return d.desc, err
}

// diffID is the digest of the layer's tar.
func (b *genBlob) diffID(ctx context.Context) (digest.Digest, error) {
	d, err := b.described.Get(ctx)
	return d.diffID, err
}

func (b *genBlob) bytes() *blobBytes {
	return &blobBytes{shape: b.shape, body: newKeystream(b.body), mine: newKeystream(b.own),
		ownHeader: &b.ownHeader, headerUnit: -1}
}

// describe hashes the blob: the state after its shared units from the
// chain, then its own part.
func (b *genBlob) describe(ctx context.Context) (described, error) {
	bb := b.bytes()
	c := b.chain
	if c == nil {
		c = newChain(b.shape.kind)
	}
	st, err := c.at(ctx, b.shape.units, bb)
	if err != nil {
		return described{}, fmt.Errorf("digesting generated content: %w", err)
	}
	shared := b.shape.sharedLen()
	if err := hashPlain(ctx, &st, bb, shared, b.shape.plain); err != nil {
		return described{}, fmt.Errorf("digesting generated content: %w", err)
	}
	var d described
	if b.shape.kind == kindGzip {
		d.diffID, d.crc = digest.NewDigest(digest.SHA256, st.plain), st.crc
		bb.crc = st.crc
		if err := hashFramed(ctx, &st, bb, gzipOffset(shared), b.shape.size()); err != nil {
			return described{}, fmt.Errorf("digesting generated content: %w", err)
		}
	}
	d.desc = ocispec.Descriptor{MediaType: b.mediaType, Digest: digest.NewDigest(digest.SHA256, st.sum), Size: b.shape.size()}
	if b.shape.kind != kindGzip {
		d.diffID = d.desc.Digest
	}
	return d, nil
}

func (b *genBlob) Open(ctx context.Context) (io.ReadCloser, error) {
	r := &genReader{ctx: ctx, bytes: b.bytes(), size: b.shape.size()}
	if b.shape.kind == kindGzip {
		// The gzip trailer holds the tar's CRC-32, known with the digest.
		d, err := b.described.Get(ctx)
		if err != nil {
			return nil, err
		}
		r.bytes.crc = d.crc
	}
	return r, nil
}

// genReader streams a generated blob. It seeks, so an upload that resumes
// or resends a chunk jumps there instead of making the bytes before it,
// and it stops when its context ends, so a transfer ends with the VU.
type genReader struct {
	ctx   context.Context
	bytes *blobBytes
	off   int64
	size  int64
}

func (r *genReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	if r.off >= r.size {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), r.size-r.off)]
	r.bytes.at(p, r.off)
	r.off += int64(len(p))
	return len(p), nil
}

func (r *genReader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += r.off
	case io.SeekEnd:
		offset += r.size
	default:
		return r.off, errors.New("seek: bad whence")
	}
	if offset < 0 {
		return r.off, errors.New("seek: negative offset")
	}
	r.off = offset
	return offset, nil
}

func (r *genReader) Close() error { return nil }

// heldBlob is small content held in memory: literals, configs, manifests.
type heldBlob struct {
	desc ocispec.Descriptor
	data []byte
}

func (b *heldBlob) Descriptor(context.Context) (ocispec.Descriptor, error) { return b.desc, nil }

func (b *heldBlob) Open(context.Context) (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(b.data)), nil
}

// Bytes is a blob of literal content, copied; mediaType defaults to
// application/octet-stream.
func Bytes(b []byte, mediaType string) registry.BlobSource { return held(bytes.Clone(b), mediaType) }

// held is a blob of data, which it keeps without copying.
func held(data []byte, mediaType string) *heldBlob {
	if mediaType == "" {
		mediaType = MediaTypeOctetStream
	}
	return &heldBlob{data: data, desc: ocispec.Descriptor{
		MediaType: mediaType, Digest: digest.FromBytes(data), Size: int64(len(data)),
	}}
}

// randomStreamID keeps random blobs' streams apart from layers' (which use
// their index): the same seed must not give a blob and a layer one part.
const randomStreamID = 1 << 62

// RandomOptions describe a blob of pseudorandom bytes.
type RandomOptions struct {
	Size int64
	Seed *uint64 // nil: a fresh seed, so the blob is new to the registry
	Body Body    // "" means BodyShared
	// MediaType defaults to application/octet-stream.
	MediaType string
	// Digest is the algorithm the blob is described by: "" or sha256, or
	// sha512, at the cost of a full pass over its bytes.
	Digest digest.Algorithm
}

// Random is a blob of pseudorandom bytes, a pure function of its seed and
// size. It returns at once: the digest is computed when first asked for.
func Random(opts RandomOptions) (registry.BlobSource, error) {
	if opts.Size < 0 || opts.Size > MaxSize {
		return nil, fmt.Errorf("blob size %d is not between 0 and %d (16PiB)", opts.Size, int64(MaxSize))
	}
	if err := opts.Body.Validate(); err != nil {
		return nil, err
	}
	if _, err := ParseAlgorithm(string(opts.Digest)); err != nil {
		return nil, err
	}
	if opts.MediaType == "" {
		opts.MediaType = MediaTypeOctetStream
	}
	s := blobSpec{stream: randomStreamID, body: opts.Body, kind: kindRaw, size: opts.Size, mediaType: opts.MediaType}
	s.seed, s.fixedSeed = seedOf(opts.Seed)
	b, err := newGenBlob(s)
	if err != nil {
		return nil, err
	}
	return DescribedBy(b, opts.Digest), nil
}

// seedOf is the given seed, or a fresh one.
func seedOf(seed *uint64) (uint64, bool) {
	if seed != nil {
		return *seed, true
	}
	return FreshSeed(), false
}
