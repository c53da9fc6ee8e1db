package content

import (
	"encoding/binary"
	"fmt"
	"strconv"
)

// A generated blob is a shared part, then a part of its own.
//
// The shared part is whole units of a family's body: runs of pseudorandom
// bytes (a raw blob), or tar entries of such runs (a layer). Every blob of
// one family and kind starts with the same units, however large it is, so
// the hash state after any number of units is computed once per process
// and reused (chain.go): a blob's digest costs only its own part, a few
// hundred KiB, whatever its size.
//
// The own part is pseudorandom bytes from the blob's seed (a raw blob's
// tail; a layer's last file, named after its seed), then a tar's padding
// and end. It is never shorter than minOwn, so blobs differ in whole blocks
// a deduplicating store cannot share, and it is shorter than minOwn plus
// one unit, which bounds the work per blob.
//
// Docker layers frame the tar as gzip of stored deflate blocks of a fixed
// length: random bytes do not compress, deflate would cost CPU a load
// generator needs for the network, and fixed framing keeps the compressed
// bytes of the shared units shared too.

// kind is how a generated blob's bytes are laid out.
type kind uint8

const (
	kindRaw  kind = iota // pseudorandom bytes: registry.blob, artifacts
	kindTar              // an uncompressed tar layer (OCI)
	kindGzip             // a tar layer framed as gzip (docker)
)

const (
	// unitBytes is the body bytes of one shared unit.
	unitBytes = 256 << 10
	// minOwn is the fewest bytes of its own a blob has, when it has
	// shared units.
	minOwn = 64 << 10
	// gzipBlock is the data bytes of each stored deflate block.
	gzipBlock = 32 << 10

	gzipHeaderLen  = 10
	gzipBlockHead  = 5
	gzipTrailerLen = 8
)

// gzipHeader starts every generated gzip stream: deflate, no name, no
// time, unknown OS, so the bytes depend on the content only.
var gzipHeader = [gzipHeaderLen]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}

// shape is where a generated blob's units end and what follows them.
type shape struct {
	kind  kind
	units int64 // shared units
	own   int64 // raw: bytes of its own; tar: the data bytes of its own file
	plain int64 // bytes of the raw blob, or of the tar
}

// unitLen is the bytes one unit takes in the plain stream: a tar entry is
// a header block and its data.
func (k kind) unitLen() int64 {
	if k == kindRaw {
		return unitBytes
	}
	return tarBlock + unitBytes
}

// shapeOf lays out a blob of size bytes (raw) or a tar layer of size bytes
// (rounded up to whole 512-byte blocks; at least MinLayerSize).
func shapeOf(k kind, size int64) shape {
	s := shape{kind: k}
	if k == kindRaw {
		if size > minOwn {
			s.units = (size - minOwn) / unitBytes
		}
		s.own, s.plain = size-s.units*unitBytes, size
		return s
	}
	// One header and the two end blocks frame the own file.
	rest := size - tarOverhead
	if rest > minOwn {
		s.units = (rest - minOwn) / k.unitLen()
	}
	s.own = rest - s.units*k.unitLen()
	s.plain = s.sharedLen() + tarBlock + roundBlock(s.own) + 2*tarBlock
	return s
}

// sharedLen is the plain bytes of the shared units.
func (s shape) sharedLen() int64 { return s.units * s.kind.unitLen() }

// size is the blob's size: the plain stream, or its gzip framing.
func (s shape) size() int64 {
	if s.kind != kindGzip {
		return s.plain
	}
	return gzipOffset(s.plain) + gzipTrailerLen
}

// gzipOffset is where plain offset t lands in the gzip framing of a stream
// that goes on past t's block: after the header and every block head of a
// block that starts before t.
func gzipOffset(t int64) int64 {
	return gzipHeaderLen + gzipBlockHead*((t+gzipBlock-1)/gzipBlock) + t
}

func roundBlock(n int64) int64 { return (n + tarBlock - 1) / tarBlock * tarBlock }

// blobBytes makes the bytes of one generated blob at any offset. It holds
// the blob's keystreams, so each reader of the blob has its own.
type blobBytes struct {
	shape
	body, mine *keystream      // the family's body; the blob's own part
	ownHeader  *[tarBlock]byte // tar kinds: the header of the blob's own file
	crc        uint32          // gzip: the CRC-32 of the whole tar, for the trailer

	unitHeader [tarBlock]byte
	headerUnit int64 // the unit unitHeader is of; -1 for none yet
}

// plainAt writes the plain stream's bytes at off into p.
func (b *blobBytes) plainAt(p []byte, off int64) {
	shared := b.sharedLen()
	for len(p) > 0 {
		var n int
		switch {
		case off < shared && b.kind == kindRaw:
			n = int(min(int64(len(p)), shared-off))
			b.body.fill(p[:n], off)
		case off < shared:
			unit, in := off/b.kind.unitLen(), off%b.kind.unitLen()
			if in < tarBlock {
				n = copy(p, b.header(unit)[in:])
				break
			}
			n = int(min(int64(len(p)), b.kind.unitLen()-in))
			b.body.fill(p[:n], unit*unitBytes+in-tarBlock)
		case b.kind == kindRaw:
			n = int(min(int64(len(p)), b.plain-off))
			b.mine.fill(p[:n], off-shared)
		default:
			in := off - shared
			switch {
			case in < tarBlock:
				n = copy(p, b.ownHeader[in:])
			case in < tarBlock+b.own:
				n = int(min(int64(len(p)), tarBlock+b.own-in))
				b.mine.fill(p[:n], in-tarBlock)
			default: // padding and the end of the archive
				n = int(min(int64(len(p)), b.plain-off))
				clear(p[:n])
			}
		}
		p, off = p[n:], off+int64(n)
	}
}

// header is the tar header of shared unit i: a file of unitBytes named
// for i, the same in every blob of the kind.
func (b *blobBytes) header(i int64) []byte {
	if b.headerUnit != i {
		b.unitHeader = unitHeader(i)
		b.headerUnit = i
	}
	return b.unitHeader[:]
}

// gzipAt writes the gzip framing's bytes at off into p.
func (b *blobBytes) gzipAt(p []byte, off int64) {
	blocks := (b.plain + gzipBlock - 1) / gzipBlock
	trailerAt := gzipHeaderLen + gzipBlockHead*blocks + b.plain
	for len(p) > 0 {
		var n int
		switch {
		case off < gzipHeaderLen:
			n = copy(p, gzipHeader[off:])
		case off < trailerAt:
			k, in := (off-gzipHeaderLen)/(gzipBlockHead+gzipBlock), (off-gzipHeaderLen)%(gzipBlockHead+gzipBlock)
			length := min(gzipBlock, b.plain-k*gzipBlock)
			if in < gzipBlockHead {
				head := storedBlockHead(length, k == blocks-1)
				n = copy(p, head[in:])
				break
			}
			n = int(min(int64(len(p)), length-(in-gzipBlockHead)))
			b.plainAt(p[:n], k*gzipBlock+in-gzipBlockHead)
		default:
			var trailer [gzipTrailerLen]byte
			binary.LittleEndian.PutUint32(trailer[:4], b.crc)
			binary.LittleEndian.PutUint32(trailer[4:], uint32(b.plain)) // #nosec G115 -- ISIZE is the size modulo 2^32
			n = copy(p, trailer[off-trailerAt:])
		}
		p, off = p[n:], off+int64(n)
	}
}

// at writes the blob's bytes at off into p.
func (b *blobBytes) at(p []byte, off int64) {
	if b.kind == kindGzip {
		b.gzipAt(p, off)
		return
	}
	b.plainAt(p, off)
}

// storedBlockHead starts a stored deflate block of length bytes, written
// on a byte boundary: BFINAL and BTYPE 00, then LEN and its complement.
func storedBlockHead(length int64, final bool) [gzipBlockHead]byte {
	var h [gzipBlockHead]byte
	if final {
		h[0] = 1
	}
	binary.LittleEndian.PutUint16(h[1:], uint16(length))  // #nosec G115 -- at most gzipBlock
	binary.LittleEndian.PutUint16(h[3:], ^uint16(length)) // #nosec G115 -- at most gzipBlock
	return h
}

// unitHeaderTemplate is the header of unit 0; the others differ in the
// digits of the name and in the checksum.
var unitHeaderTemplate = fixedTarHeader(unitName(0), unitBytes)

const unitNamePrefix = "xk6-registry/body/"

func unitName(i int64) string { return fmt.Sprintf("%s%012d.bin", unitNamePrefix, i) }

// unitHeader is the tar header of shared unit i, patched from the
// template: formatting a header per 256 KiB through archive/tar would cost
// more than the hash of the unit.
func unitHeader(i int64) [tarBlock]byte {
	h := unitHeaderTemplate
	digits := strconv.AppendInt(nil, i, 10)
	at := len(unitNamePrefix) + 12 - len(digits)
	copy(h[at:], digits)
	setTarChecksum(&h)
	return h
}
