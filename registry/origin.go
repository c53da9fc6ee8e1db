package registry

import (
	"net/url"
	"strings"
)

// sameOrigin tells whether a and b share scheme, host and port: the unit
// credentials are scoped to. A registry's upload front, a redirect to
// storage or a URL a script passes may be elsewhere; none of them get the
// registry's credentials.
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) &&
		strings.EqualFold(a.Hostname(), b.Hostname()) &&
		portOf(a) == portOf(b)
}

func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "https") {
		return "443"
	}
	return "80"
}
