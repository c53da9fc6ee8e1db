//go:build !linux

package js

import (
	"io"
	"net"
)

// sendFile is sendfile(2) on Linux; elsewhere bodies are written as read.
func sendFile(net.Conn, io.Reader) (int64, bool, error) { return 0, false, nil }
