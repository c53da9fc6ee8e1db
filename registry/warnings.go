package registry

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"unicode/utf8"
)

// Registry warnings (distribution spec, Warnings): a registry MAY answer
// with `Warning: 299 - "text"` headers, which a client reports to its user,
// each once, and never acts on.

const (
	// MaxWarnings bounds the distinct warnings one call lists.
	MaxWarnings = 16
	// MaxWarningLength bounds the bytes of one warning's text, cut at a
	// character's boundary with "…" when longer. The spec allows a registry
	// 4096 bytes of warnings per response.
	MaxWarningLength = 1024
)

type warningsKey struct{}

// warningList is a call's warnings: each text once, in the order they came.
type warningList struct {
	mu   sync.Mutex
	list []string
}

// CollectWarnings returns a context whose calls collect the warnings the
// registry and its token realm answer with, and a function that lists them:
// each text once, in the order they first came, at most MaxWarnings.
func CollectWarnings(ctx context.Context) (context.Context, func() []string) {
	w := &warningList{}
	return context.WithValue(ctx, warningsKey{}, w), func() []string {
		w.mu.Lock()
		defer w.mu.Unlock()
		return append([]string{}, w.list...)
	}
}

func (w *warningList) add(text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, seen := range w.list {
		if seen == text {
			return
		}
	}
	if len(w.list) < MaxWarnings {
		w.list = append(w.list, text)
	}
}

// warned takes the warnings of a response: counted for Config.OnWarnings,
// under the request's op, and listed for the call.
func (c *Client) warned(ctx context.Context, op string, h http.Header) {
	values := h.Values("Warning")
	if len(values) == 0 {
		return
	}
	list, _ := ctx.Value(warningsKey{}).(*warningList)
	n := 0
	for _, v := range values {
		eachWarning(v, func(text string) {
			n++
			if list != nil {
				list.add(boundWarning(text))
			}
		})
	}
	if n > 0 && c.cfg.OnWarnings != nil {
		c.cfg.OnWarnings(ctx, op, n)
	}
}

// boundWarning cuts a text to MaxWarningLength bytes.
func boundWarning(text string) string {
	if len(text) <= MaxWarningLength {
		return text
	}
	cut := MaxWarningLength - len("…")
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	return text[:cut] + "…"
}

// eachWarning calls each with the text of every warning of one Warning
// header value: a comma-separated list of warn-code SP warn-agent SP
// warn-text [SP warn-date] (RFC 7234, 5.5). What does not parse is passed
// on as it came, from where it stops parsing: a warning is reported, not
// judged.
func eachWarning(value string, each func(text string)) {
	s := value
	for {
		s = strings.TrimLeft(s, " \t,")
		if s == "" {
			return
		}
		text, rest, ok := parseWarning(s)
		if !ok {
			each(strings.TrimSpace(s))
			return
		}
		each(text)
		s = rest
	}
}

// parseWarning reads the first warning-value of s and returns its text and
// what follows it.
func parseWarning(s string) (text, rest string, ok bool) {
	if len(s) < 4 || !isDigits(s[:3]) || s[3] != ' ' {
		return "", "", false
	}
	s = s[4:]
	agent := strings.IndexByte(s, ' ')
	if agent <= 0 {
		return "", "", false
	}
	if text, s, ok = quotedString(s[agent+1:]); !ok {
		return "", "", false
	}
	if strings.HasPrefix(s, ` "`) { // the warn-date
		if _, s, ok = quotedString(s[1:]); !ok {
			return "", "", false
		}
	}
	s = strings.TrimLeft(s, " \t")
	if s != "" && s[0] != ',' {
		return "", "", false
	}
	return text, s, true
}

func isDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// quotedString reads an HTTP quoted-string at the start of s, unescaped,
// and returns it with what follows it.
func quotedString(s string) (string, string, bool) {
	if s == "" || s[0] != '"' {
		return "", "", false
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		case '"':
			return b.String(), s[i+1:], true
		default:
			b.WriteByte(s[i])
		}
	}
	return "", "", false
}
