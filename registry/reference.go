package registry

import "errors"

// Reference names a manifest in the client's registry: a repository and
// either a tag or a digest.
type Reference struct {
	Repository string
	Tag        string
	Digest     string
}

// ParseReference parses "repo:tag" or "repo@sha256:...", relative to the
// client's registry.
func ParseReference(s string) (Reference, error) { return Reference{}, errors.New("TODO") }

// ValidateRepository checks a repository name such as "team/app".
func ValidateRepository(s string) error { return errors.New("TODO") }
