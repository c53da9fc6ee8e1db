package registry

import (
	"context"
	"sync/atomic"
)

// postBodies is what a registry does with a blob sent in the POST that
// opens its session (post uploads), learned from the client's first one:
// it keeps it (201, or 202 holding it), or opens an empty session and
// leaves the body unread (202), as distribution does. Once a registry has
// shown it leaves POST bodies unread, the client's post uploads open the
// session with an empty POST and PUT the blob, the spec's fallback, instead
// of sending each blob twice; for a proxy in front, a body its registry
// never reads is a race with a 502 that leaves a session no one can close.
type postBodies struct {
	known, kept atomic.Bool
	// probe is held by the post upload that is finding out; the others
	// wait for its answer instead of all sending bodies at once.
	probe chan struct{}
}

func newPostBodies() postBodies { return postBodies{probe: make(chan struct{}, 1)} }

// sendBody tells whether a post upload sends the blob in its POST. When
// the registry's stance is unknown the caller becomes the probe: it must
// call learned, whatever happens, once it has its answer or failed.
func (p *postBodies) sendBody(ctx context.Context) (send bool, probing bool, err error) {
	if p.known.Load() {
		return p.kept.Load(), false, nil
	}
	select {
	case p.probe <- struct{}{}:
	case <-ctx.Done():
		return false, false, ctx.Err()
	}
	if p.known.Load() {
		<-p.probe
		return p.kept.Load(), false, nil
	}
	return true, true, nil
}

// learned ends a probe; known is false when the probe found nothing out
// (it failed), so the next post upload asks again.
func (p *postBodies) learned(known, kept bool) {
	if known {
		p.kept.Store(kept)
		p.known.Store(true)
	}
	<-p.probe
}
