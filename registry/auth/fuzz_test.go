package auth

import (
	"strings"
	"testing"
)

func FuzzChallenges(f *testing.F) {
	for _, seed := range []string{
		`Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/ubuntu:pull"`, // Docker Hub
		`Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:owner/image:pull"`,                      // GHCR
		`Bearer realm="http://localhost:5001/auth",service="Docker registry",scope="repository:samalba/my-app:pull,push"`, // distribution
		`Basic realm="Registry Realm"`, `Basic realm="Harbor", Bearer realm="https://h/service/token",service="harbor-registry"`,
		`Bearer realm=https://quay.io/v2/auth,service=quay.io`, `Negotiate abc==, Basic`, `Bearer realm="a\"b\\c"`, `,,=,`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, header string) {
		for _, c := range parseChallenges([]string{header}) {
			if c.scheme == "" || c.scheme != strings.ToLower(c.scheme) {
				t.Fatalf("scheme %q from %q", c.scheme, header)
			}
			for k := range c.params {
				if k != strings.ToLower(k) || k == "" {
					t.Fatalf("parameter %q from %q", k, header)
				}
			}
		}
		_ = normalizeScopes(strings.Fields(header))
	})
}
