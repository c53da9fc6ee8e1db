package registry

import (
	"io"
	"sync"
)

// copyBuffers recycles the buffers blob bytes stream through, so memory per
// transfer is one buffer whatever the blob size.
var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 128<<10); return &b }}

func copyBuffered(dst io.Writer, src io.Reader) (int64, error) {
	buf := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(buf)
	return io.CopyBuffer(dst, src, *buf)
}
