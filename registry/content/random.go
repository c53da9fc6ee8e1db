package content

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"io"
	mrand "math/rand/v2"
)

// FreshSeed returns a seed no other call, VU or k6 instance will get (with
// overwhelming odds), so content made from it is new to any registry.
func FreshSeed() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on Linux
	return binary.LittleEndian.Uint64(b[:])
}

// randomStream is the deterministic byte stream of (seed, stream): ChaCha8
// at GB/s, so generating content never bounds a load test.
func randomStream(seed uint64, stream uint64) io.Reader {
	h := sha256.New()
	h.Write([]byte("xk6-registry content v1"))
	_ = binary.Write(h, binary.LittleEndian, [2]uint64{seed, stream})
	var key [32]byte
	copy(key[:], h.Sum(nil))
	return mrand.NewChaCha8(key)
}

// ctxReader stops a stream once ctx is done, so a transfer of generated
// bytes ends with the VU.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
