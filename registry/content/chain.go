package content

import (
	"context"
	"crypto/sha256"
	"fmt"
	"hash"
	"hash/crc32"
	"math/bits"
	"sort"
	"sync"
)

// hashState is what hashing a blob's first bytes left: sha256 of the blob
// (its gzip framing, for a docker layer) and, for a docker layer, sha256
// and CRC-32 of the tar it frames (its diff_id and its gzip trailer).
type hashState struct {
	sum   hash.Hash
	plain hash.Hash // gzip only
	crc   uint32    // gzip only
}

// newHashState is the state before a blob's first unit: a gzip stream's
// header is already in its sum.
func newHashState(k kind) hashState {
	st := hashState{sum: sha256.New()}
	if k == kindGzip {
		st.plain = sha256.New()
		st.sum.Write(gzipHeader[:])
	}
	return st
}

// clone copies the state, so a kept one goes on unchanged.
func (st hashState) clone() (hashState, error) {
	out := st
	var err error
	if out.sum, err = cloneHash(st.sum); err != nil || st.plain == nil {
		return out, err
	}
	out.plain, err = cloneHash(st.plain)
	return out, err
}

// cloneHash copies a sha256 state; crypto/sha256's digest is a hash.Cloner.
func cloneHash(h hash.Hash) (hash.Hash, error) {
	c, ok := h.(hash.Cloner)
	if !ok {
		return nil, fmt.Errorf("%T cannot be cloned", h)
	}
	return c.Clone()
}

// hashPiece is how many bytes a hash pass makes and hashes at a time: many
// VUs digest at once, and each holds one piece.
const hashPiece = 32 << 10

var pieces = sync.Pool{New: func() any { b := make([]byte, 2*hashPiece); return &b }}

// hashPlain adds the plain bytes [from, to) of b to st: the sum of a raw or
// tar blob, the diff_id and CRC of a gzip one.
func hashPlain(ctx context.Context, st *hashState, b *blobBytes, from, to int64) error {
	buf := pieces.Get().(*[]byte)
	defer pieces.Put(buf)
	target := st.sum
	if b.kind == kindGzip {
		target = st.plain
	}
	for off := from; off < to; {
		if err := ctx.Err(); err != nil {
			return err
		}
		p := (*buf)[:min(hashPiece, to-off)]
		b.plainAt(p, off)
		target.Write(p)
		if b.kind == kindGzip {
			st.crc = crc32.Update(st.crc, crc32.IEEETable, p)
		}
		off += int64(len(p))
	}
	return nil
}

// hashFramed adds the gzip framing's bytes [from, to) of b to st's sum.
func hashFramed(ctx context.Context, st *hashState, b *blobBytes, from, to int64) error {
	buf := pieces.Get().(*[]byte)
	defer pieces.Put(buf)
	for off := from; off < to; {
		if err := ctx.Err(); err != nil {
			return err
		}
		p := (*buf)[:min(hashPiece, to-off)]
		b.gzipAt(p, off)
		st.sum.Write(p)
		off += int64(len(p))
	}
	return nil
}

// hashUnits adds shared units [from, to) of b's family to st.
func hashUnits(ctx context.Context, st *hashState, b *blobBytes, from, to int64) error {
	start, end := from*b.kind.unitLen(), to*b.kind.unitLen()
	if err := hashPlain(ctx, st, b, start, end); err != nil {
		return err
	}
	if b.kind != kindGzip {
		return nil
	}
	return hashFramed(ctx, st, b, gzipOffset(start), gzipOffset(end))
}

// chain keeps the hash states of one family's shared units at points along
// the body, so a blob of any size starts from the nearest point below its
// units: one pass over a family's body per process, whatever the sizes.
// Points are every unit up to 64, then 32 per doubling, a bounded set (a
// thousand at most) that leaves a blob at most 1/32 of its units to hash;
// the units a blob asked for are kept too, up to maxExact.
type chain struct {
	mu     sync.Mutex
	points []checkpoint // sorted by unit; points[0] is unit 0
	exact  int          // how many points are not on the grid

	// extending holds one token: one caller at a time extends the grid,
	// the others wait for it rather than hash the same units.
	extending chan struct{}
}

type checkpoint struct {
	unit  int64
	state hashState
}

const maxExact = 256

func newChain(k kind) *chain {
	return &chain{
		points:    []checkpoint{{unit: 0, state: newHashState(k)}},
		extending: make(chan struct{}, 1),
	}
}

// onGrid tells whether unit i is a grid point.
func onGrid(i int64) bool {
	if i <= 64 {
		return true
	}
	shift := bits.Len64(uint64(i)) - 6 // #nosec G115 -- i is a unit count, not negative
	return i&(1<<shift-1) == 0
}

// nextGrid is the first grid point after unit i.
func nextGrid(i int64) int64 {
	if i < 64 {
		return i + 1
	}
	shift := bits.Len64(uint64(i)) - 6 // #nosec G115 -- i is a unit count, not negative
	return (i>>shift + 1) << shift
}

// below returns the nearest point at or below unit n.
func (c *chain) below(n int64) checkpoint {
	c.mu.Lock()
	defer c.mu.Unlock()
	i := sort.Search(len(c.points), func(i int) bool { return c.points[i].unit > n })
	return c.points[i-1]
}

func (c *chain) keep(p checkpoint) {
	c.mu.Lock()
	defer c.mu.Unlock()
	i := sort.Search(len(c.points), func(i int) bool { return c.points[i].unit >= p.unit })
	if i < len(c.points) && c.points[i].unit == p.unit {
		return
	}
	if !onGrid(p.unit) {
		if c.exact >= maxExact {
			return
		}
		c.exact++
	}
	c.points = append(c.points, checkpoint{})
	copy(c.points[i+1:], c.points[i:])
	c.points[i] = p
}

// at returns the hash state after n units, for the caller to go on with.
func (c *chain) at(ctx context.Context, n int64, b *blobBytes) (hashState, error) {
	for {
		p := c.below(n)
		if next := nextGrid(p.unit); next > n || p.unit == n {
			st, err := p.state.clone()
			if err != nil {
				return hashState{}, err
			}
			if err := hashUnits(ctx, &st, b, p.unit, n); err != nil {
				return hashState{}, err
			}
			if n != p.unit {
				kept, err := st.clone()
				if err != nil {
					return hashState{}, err
				}
				c.keep(checkpoint{unit: n, state: kept})
			}
			return st, nil
		}
		if err := c.extend(ctx, n, b); err != nil {
			return hashState{}, err
		}
	}
}

// extend hashes the units from the highest point below n to the next grid
// point, unless another caller did while this one waited.
func (c *chain) extend(ctx context.Context, n int64, b *blobBytes) error {
	select {
	case c.extending <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-c.extending }()
	p := c.below(n)
	next := nextGrid(p.unit)
	if next > n {
		return nil
	}
	st, err := p.state.clone()
	if err != nil {
		return err
	}
	if err := hashUnits(ctx, &st, b, p.unit, next); err != nil {
		return err
	}
	c.keep(checkpoint{unit: next, state: st})
	return nil
}

// chains are the process's chains of shared bodies, by kind and family:
// one per kind for fresh content, and one per family of fixed seeds a
// script uses. A script making a new family per blob would grow this
// without bound, so past maxChains a chain is dropped to make room.
var chains = struct {
	sync.Mutex
	m map[chainKey]*chain
}{m: map[chainKey]*chain{}}

type chainKey struct {
	kind   kind
	family uint64
}

const maxChains = 64

func chainOf(k kind, family uint64) *chain {
	chains.Lock()
	defer chains.Unlock()
	key := chainKey{kind: k, family: family}
	if c, ok := chains.m[key]; ok {
		return c
	}
	if len(chains.m) >= maxChains {
		for other := range chains.m {
			delete(chains.m, other)
			break
		}
	}
	c := newChain(k)
	chains.m[key] = c
	return c
}
