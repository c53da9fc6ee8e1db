package registry

import (
	"fmt"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// DefaultPlatform is what a pull resolves an index to when no platform is
// given: what most load machines and registries' users run.
const DefaultPlatform = "linux/amd64"

// ParsePlatform reads "os/arch[/variant]".
func ParsePlatform(s string) (ocispec.Platform, error) {
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return ocispec.Platform{}, fmt.Errorf("platform %q is not os/arch[/variant], e.g. linux/amd64", s)
	}
	p := ocispec.Platform{OS: parts[0], Architecture: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	return p, nil
}

// FormatPlatform writes a platform as ParsePlatform reads it.
func FormatPlatform(p ocispec.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// MatchPlatform picks the manifest of an index for want. A variant given
// must match; none given takes the first of that os and architecture.
func MatchPlatform(manifests []ocispec.Descriptor, want ocispec.Platform) (ocispec.Descriptor, bool) {
	for _, m := range manifests {
		p := m.Platform
		if p == nil || p.OS != want.OS || p.Architecture != want.Architecture {
			continue
		}
		if want.Variant == "" || p.Variant == want.Variant {
			return m, true
		}
	}
	return ocispec.Descriptor{}, false
}
