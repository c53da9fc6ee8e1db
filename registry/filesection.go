package registry

import "os"

// FileSection is what a blob's reader may also be: the rest of its bytes
// are a section of a file on disk. A connection that can send a file's
// bytes without reading them through memory (sendfile) asks for it; any
// other reads the reader as usual.
type FileSection interface {
	// FileSection returns the file, the offset in it of the reader's next
	// byte, and how many bytes the reader has left; f is nil when the
	// bytes are not a file's after all.
	FileSection() (f *os.File, offset, remaining int64)
	// Sent tells the reader n of its next bytes went to the network
	// without it: it moves past them.
	Sent(n int64)
}
