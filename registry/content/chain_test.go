package content

import (
	"context"
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUnitHeadersAreThoseArchiveTarWrites(t *testing.T) {
	t.Parallel()
	for _, i := range []int64{0, 1, 9, 10, 4095, 123456789, 999_999_999_999} {
		want, err := tarHeader(unitName(i), unitBytes)
		require.NoError(t, err)
		assert.Equal(t, want, unitHeader(i), "unit %d", i)
	}
	_, err := tarHeader(unitName(0), unitBytes)
	require.NoError(t, err, "the template's name and size fit one header block")
}

func TestGridPoints(t *testing.T) {
	if testing.Short() {
		t.Skip("long, 65536 points: not in -short")
	}
	t.Parallel()
	count := 0
	for i := int64(0); i < 1<<16; i++ {
		if onGrid(i) {
			count++
		}
		next := nextGrid(i)
		require.Greater(t, next, i)
		require.True(t, onGrid(next), "nextGrid(%d) = %d", i, next)
		for j := i + 1; j < next; j++ {
			require.False(t, onGrid(j), "%d is on the grid between %d and %d", j, i, next)
		}
		if i > 64 {
			require.LessOrEqual(t, next-i, i/32+1, "a point within 1/32 of every unit")
		}
	}
	assert.Less(t, count, 65+32*10+1, "32 points a doubling past 64")
	assert.True(t, onGrid(1<<40) && onGrid(3<<38))
}

// TestChainsAgreeWhateverTheOrder digests blobs of one family in an order
// that builds the chain from its far end, then from near points, from many
// goroutines at once, and checks each against a pass over its bytes.
func TestChainsAgreeWhateverTheOrder(t *testing.T) {
	t.Parallel()
	family := rand.Uint64()
	sizes := []int64{90 << 20, 1 << 20, 17<<20 + 3, 64<<20 + 512, 5 << 20, 90<<20 - 262656}
	for _, k := range []kind{kindRaw, kindTar, kindGzip} {
		var wg sync.WaitGroup
		for i, size := range sizes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				b, err := newGenBlob(blobSpec{seed: uint64(i), stream: 1, kind: k, size: size, ownName: "own"})
				require.NoError(t, err)
				b.body, b.chain = bodyKey(family), chainOf(k, family)
				d, err := b.describe(context.Background())
				require.NoError(t, err)
				rc, err := b.Open(context.Background())
				require.NoError(t, err)
				h := sha256.New()
				n, err := io.Copy(h, rc)
				require.NoError(t, err)
				assert.Equal(t, digest.NewDigest(digest.SHA256, h), d.desc.Digest, "kind %d, size %d", k, size)
				assert.Equal(t, n, d.desc.Size)
			}()
		}
		wg.Wait()
		c := chainOf(k, family)
		assert.LessOrEqual(t, len(c.points), 65+32*3+maxExact, "kind %d: grid and exact points only", k)
	}
}
