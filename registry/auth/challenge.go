package auth

import "strings"

// challenge is one auth challenge of a WWW-Authenticate header (RFC 9110
// section 11.6.1): a scheme and its parameters, names lowercased.
type challenge struct {
	scheme string // lowercase: "basic", "bearer"
	params map[string]string
}

// parseChallenges reads every challenge of the given WWW-Authenticate
// header values. One value may hold several challenges, and a quoted
// parameter may hold commas (a scope of "pull,push"), so splitting on
// commas is wrong.
func parseChallenges(values []string) []challenge {
	var out []challenge
	for _, v := range values {
		s := &scanner{s: v}
		for {
			s.skip(" \t,")
			scheme := s.token()
			if scheme == "" {
				break
			}
			c := challenge{scheme: strings.ToLower(scheme), params: map[string]string{}}
			for {
				s.skip(" \t")
				mark := s.i
				name := s.token()
				s.skip(" \t")
				if name == "" || !s.consume('=') {
					// Not a parameter: the next challenge's scheme, or a
					// token68 that registries do not send; either ends this one.
					s.i = mark
					if name == "" {
						s.token68()
					}
					break
				}
				s.skip(" \t")
				c.params[strings.ToLower(name)] = s.value()
				s.skip(" \t")
				if !s.consume(',') {
					// Junk after a value: skip to where the next challenge may start.
					s.token68()
					break
				}
			}
			out = append(out, c)
		}
	}
	return out
}

// scanner walks one header value.
type scanner struct {
	s string
	i int
}

func (s *scanner) skip(chars string) {
	for s.i < len(s.s) && strings.IndexByte(chars, s.s[s.i]) >= 0 {
		s.i++
	}
}

func (s *scanner) consume(c byte) bool {
	if s.i < len(s.s) && s.s[s.i] == c {
		s.i++
		return true
	}
	return false
}

func isTokenChar(c byte) bool {
	return c > ' ' && c < 0x7f && strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) < 0
}

func (s *scanner) token() string {
	start := s.i
	for s.i < len(s.s) && isTokenChar(s.s[s.i]) {
		s.i++
	}
	return s.s[start:s.i]
}

// token68 skips a token68 credential (base64-like, may end in '=').
func (s *scanner) token68() {
	for s.i < len(s.s) && s.s[s.i] != ',' {
		s.i++
	}
}

// value reads a quoted-string, unescaping it, or an unquoted value up to
// the next comma or blank: some registries send realm=https://... unquoted.
func (s *scanner) value() string {
	if !s.consume('"') {
		start := s.i
		for s.i < len(s.s) && s.s[s.i] != ',' && s.s[s.i] != ' ' && s.s[s.i] != '\t' {
			s.i++
		}
		return s.s[start:s.i]
	}
	var b strings.Builder
	for s.i < len(s.s) {
		c := s.s[s.i]
		s.i++
		switch c {
		case '\\':
			if s.i < len(s.s) {
				b.WriteByte(s.s[s.i])
				s.i++
			}
		case '"':
			return b.String()
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
