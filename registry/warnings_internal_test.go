package registry

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func warningsOf(value string) []string {
	var out []string
	eachWarning(value, func(text string) { out = append(out, text) })
	return out
}

func TestWarningHeadersAreReadAsTheSpecWritesThem(t *testing.T) {
	t.Parallel()
	for value, want := range map[string][]string{
		// The spec's examples.
		`299 - "Your auth token will expire in 30 seconds."`:         {"Your auth token will expire in 30 seconds."},
		`299 - "This image is deprecated and will be removed soon."`: {"This image is deprecated and will be removed soon."},
		// RFC 7234: a list, escapes, an agent with a port, a warn-date.
		`299 - "one", 299 - "two"`:                                     {"one", "two"},
		`299 - "say \"hi\" \\ bye"`:                                    {`say "hi" \ bye`},
		`299 registry.example:5000 "moved"`:                            {"moved"},
		`110 proxy "stale" "Wed, 02 Dec 2026 07:00:00 GMT", 299 - "x"`: {"stale", "x"},
		`299 - "a, b"`: {"a, b"},
		// Not the grammar: reported as it came, from where it stops parsing.
		`deprecated endpoint`:      {"deprecated endpoint"},
		`299 - unquoted`:           {"299 - unquoted"},
		`299 - "one", garbage "x"`: {"one", `garbage "x"`},
		`299 - "unterminated`:      {`299 - "unterminated`},
		`299 - "x" trailing`:       {`299 - "x" trailing`},
		`  , ,  `:                  nil,
		``:                         nil,
	} {
		assert.Equal(t, want, warningsOf(value), value)
	}
}

func TestAWarningIsCutAtACharacter(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", MaxWarningLength) // 2 bytes each
	cut := boundWarning(long)
	assert.LessOrEqual(t, len(cut), MaxWarningLength)
	assert.True(t, strings.HasSuffix(cut, "…"))
	assert.True(t, strings.HasPrefix(long, strings.TrimSuffix(cut, "…")))
	assert.Equal(t, "short", boundWarning("short"))
}
