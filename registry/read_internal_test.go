package registry

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// A body that says its size is read into one buffer of it; one that says
// nothing is read to the limit; either way a body over the limit, or
// longer or shorter than it said, is told apart from one that is right.
func TestReadAtMostReadsWhatTheBodySays(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		body        string
		size, limit int64
		want        string
		tooBig      bool
		err         error
	}{
		{"manifest", 8, 100, "manifest", false, nil},
		{"manifest", -1, 100, "manifest", false, nil},
		{"", 0, 100, "", false, nil},
		{"manifest", 8, 4, "", true, nil},
		{"manifest", -1, 4, "", true, nil},
		{"manifest and more", 8, 100, "", true, nil},
		{"mani", 8, 100, "", false, io.ErrUnexpectedEOF},
	} {
		got, tooBig, err := readAtMost(strings.NewReader(tc.body), tc.size, tc.limit)
		assert.Equal(t, tc.want, string(got), "%+v", tc)
		assert.Equal(t, tc.tooBig, tooBig, "%+v", tc)
		assert.True(t, errors.Is(err, tc.err), "%+v: %v", tc, err)
	}
}
