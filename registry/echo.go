package registry

import (
	"fmt"
	"strconv"
)

// maxEcho bounds what of a script's or a registry's string an error
// message repeats: enough to recognise it, never megabytes of it.
const maxEcho = 128

// echo quotes s for an error message, cut to maxEcho bytes and saying how
// long it was when cut.
func echo(s string) string {
	if len(s) <= maxEcho {
		return strconv.Quote(s)
	}
	return fmt.Sprintf("%s… (%d bytes)", strconv.Quote(s[:maxEcho]), len(s))
}
