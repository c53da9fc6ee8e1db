package content

import (
	"archive/tar"
	"bytes"
	"fmt"
	"time"
)

const (
	tarBlock = 512
	// tarOverhead is one header block and the two zero blocks that end an
	// archive: the smallest layer that holds one file.
	tarOverhead = 3 * tarBlock
	// MinLayerSize is the smallest generated layer.
	MinLayerSize = tarOverhead
)

// layerEpoch is every generated file's mtime: a fixed one, so a layer's
// bytes depend on its seed, index and size only.
var layerEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// tarHeader is the one-block header of a regular file. GNU format keeps
// any size in one block; PAX could add blocks. Only a name of over 100
// bytes could fail, and the names here are short.
func tarHeader(name string, size int64) ([tarBlock]byte, error) {
	var buf bytes.Buffer
	var h [tarBlock]byte
	tw := tar.NewWriter(&buf)
	err := tw.WriteHeader(&tar.Header{
		Typeflag: tar.TypeReg,
		Name:     name,
		Mode:     0o644,
		Size:     size,
		ModTime:  layerEpoch,
		Format:   tar.FormatGNU,
	})
	if err != nil {
		return h, err
	}
	// The header alone: tw.Close would complain of the missing content.
	if buf.Len() != tarBlock {
		return h, fmt.Errorf("tar header of %s is %d bytes, want %d", name, buf.Len(), tarBlock)
	}
	copy(h[:], buf.Bytes())
	return h, nil
}

// fixedTarHeader is tarHeader for a name and size fixed in this package,
// which cannot fail; a test checks it does not.
func fixedTarHeader(name string, size int64) [tarBlock]byte {
	h, _ := tarHeader(name, size)
	return h
}

// setTarChecksum writes a header's checksum: the sum of its bytes, with
// the checksum field itself counted as spaces, in octal.
func setTarChecksum(h *[tarBlock]byte) {
	const at, width = 148, 8
	sum := 0
	for i, c := range h {
		if i >= at && i < at+width {
			c = ' '
		}
		sum += int(c)
	}
	copy(h[at:at+width], fmt.Appendf(nil, "%06o\x00 ", sum))
}
