package content

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
)

// FreshSeed returns a seed no other call, VU or k6 instance will get (with
// overwhelming odds), so content made from it is new to any registry.
func FreshSeed() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on Linux
	return binary.LittleEndian.Uint64(b[:])
}

// processFamily is the family of every blob of fresh content this process
// makes: they share a body, so its hash is paid once (see chain.go).
var processFamily = FreshSeed()

// familyOfSeed is the family of content from a fixed seed: the seed's upper
// half, so seeds a script counts up from share a body, and content stays a
// pure function of the seed.
func familyOfSeed(seed uint64) uint64 { return seed >> 32 }

// streamKey names one keystream: the body of a family, or the unique part
// of one blob (its seed and stream: a layer's index, or randomStreamID).
type streamKey [32]byte

// bodyKey is the key of a family's body.
func bodyKey(family uint64) streamKey {
	return deriveKey("xk6-registry content v2 body", family, 0)
}

// uniqueKey is the key of one blob's unique part.
func uniqueKey(seed, stream uint64) streamKey {
	return deriveKey("xk6-registry content v2 unique", seed, stream)
}

// ownBodyKey is the key of the body of a blob that shares it with none
// (body "unique"): every byte of such a blob is its own.
func ownBodyKey(seed, stream uint64) streamKey {
	return deriveKey("xk6-registry content v2 own body", seed, stream)
}

func deriveKey(purpose string, a, b uint64) streamKey {
	h := sha256.New()
	h.Write([]byte(purpose))
	var n [16]byte
	binary.LittleEndian.PutUint64(n[:8], a)
	binary.LittleEndian.PutUint64(n[8:], b)
	h.Write(n[:])
	var k streamKey
	copy(k[:], h.Sum(nil))
	return k
}

// keystream is AES-128 in counter mode: pseudorandom bytes at several GB/s
// a core with AES-NI, readable from any offset, so a generated blob can be
// hashed, sent and resent from any point without holding it. The key's
// first half keys AES; its third quarter is the counter's upper half, and
// the lower half counts 16-byte blocks from 0, so it never carries.
type keystream struct {
	block cipher.Block
	iv    [aes.BlockSize]byte
	ctr   cipher.Stream
	pos   int64 // the offset ctr yields next
}

func newKeystream(k streamKey) *keystream {
	block, _ := aes.NewCipher(k[:16]) // 16 bytes: always a valid AES-128 key
	s := &keystream{block: block}
	copy(s.iv[:8], k[16:24])
	return s
}

// fill writes the stream's bytes at off into p.
func (s *keystream) fill(p []byte, off int64) {
	if s.ctr == nil || off != s.pos {
		iv := s.iv
		binary.BigEndian.PutUint64(iv[8:], uint64(off/aes.BlockSize)) // #nosec G115 -- offsets are under MaxSize
		s.ctr = cipher.NewCTR(s.block, iv[:])                         // #nosec G407 -- not encryption: a seekable pseudorandom stream
		if skip := off % aes.BlockSize; skip > 0 {
			var discard [aes.BlockSize]byte
			s.ctr.XORKeyStream(discard[:skip], discard[:skip])
		}
	}
	s.pos = off + int64(len(p))
	// The keystream XORed onto zeros, read from a block that stays in
	// cache, saves clearing p first: one pass over p, not two.
	for len(p) > 0 {
		n := min(len(p), len(zeroBlock))
		s.ctr.XORKeyStream(p[:n], zeroBlock[:n])
		p = p[n:]
	}
}

var zeroBlock [16 << 10]byte
