package registry

import (
	"io"
	"sync"
)

// copyBufferSize is what every blob body is read in: 128 KiB, as iperf3
// and a plain Go client reading a blob do.
const copyBufferSize = 128 << 10

// copyBuffers recycles the buffers blob bytes stream through, so memory per
// transfer is one buffer whatever the blob size.
var copyBuffers = sync.Pool{New: func() any { b := make([]byte, copyBufferSize); return &b }}

// copyBuffered copies src to dst through a pooled buffer, always: io.CopyBuffer
// would hand the copy to dst's ReadFrom or src's WriteTo, and io.Discard's
// ReadFrom reads 8 KiB at a time, which doubled a pull's CPU.
func copyBuffered(dst io.Writer, src io.Reader) (int64, error) {
	buf := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(buf)
	return io.CopyBuffer(writerOnly{dst}, readerOnly{src}, *buf)
}

// discardN reads and drops n bytes of src, as io.CopyN(io.Discard, src, n)
// does but in the large buffer; io.EOF if src ends first.
func discardN(src io.Reader, n int64) error {
	got, err := copyBuffered(io.Discard, io.LimitReader(src, n))
	if err == nil && got < n {
		err = io.EOF
	}
	return err
}

// writerOnly and readerOnly hide every method but Write and Read.
type writerOnly struct{ io.Writer }

type readerOnly struct{ io.Reader }
