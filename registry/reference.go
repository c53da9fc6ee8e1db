package registry

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
)

// Reference names a manifest in the client's registry: a repository and
// either a tag or a digest.
type Reference struct {
	Repository string
	Tag        string
	Digest     digest.Digest
}

// repositoryRegexp is the distribution spec's <name> grammar. Unlike
// reference.NameRegexp it has no registry host part: references here are
// relative to the client's registry, and "Team/app" must be refused rather
// than read as host "Team".
var repositoryRegexp = regexp.MustCompile(`^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$`)

var tagRegexp = regexp.MustCompile(`^` + reference.TagRegexp.String() + `$`)

// ParseReference parses "repo:tag" or "repo@sha256:...", relative to the
// client's registry. A tag and a digest together ("repo:tag@sha256:...") are
// accepted; the digest is what is fetched.
func ParseReference(s string) (Reference, error) {
	var ref Reference
	name := s
	if i := strings.IndexByte(name, '@'); i >= 0 {
		d, err := digest.Parse(name[i+1:])
		if err != nil {
			return ref, fmt.Errorf("invalid reference %s: digest %s: %w", echo(s), echo(name[i+1:]), err)
		}
		ref.Digest = d
		name = name[:i]
	}
	if i := strings.LastIndexByte(name, ':'); i >= 0 && !strings.Contains(name[i:], "/") {
		ref.Tag = name[i+1:]
		name = name[:i]
		if !tagRegexp.MatchString(ref.Tag) {
			return ref, fmt.Errorf("invalid reference %s: tag %s must match %s", echo(s), echo(ref.Tag), reference.TagRegexp)
		}
	}
	if ref.Tag == "" && ref.Digest == "" {
		return ref, fmt.Errorf("invalid reference %s: want repository:tag or repository@digest", echo(s))
	}
	if err := ValidateRepository(name); err != nil {
		return ref, fmt.Errorf("invalid reference %s: %w", echo(s), err)
	}
	ref.Repository = name
	return ref, nil
}

// ValidateRepository checks a repository name such as "team/app".
func ValidateRepository(s string) error {
	switch {
	case s == "":
		return fmt.Errorf("repository name is empty")
	case len(s) > reference.RepositoryNameTotalLengthMax:
		return fmt.Errorf("repository name %s is longer than %d characters", echo(s), reference.RepositoryNameTotalLengthMax)
	case !repositoryRegexp.MatchString(s):
		return fmt.Errorf("repository name %s is invalid: lowercase letters, digits and separators (. _ __ -) in path components joined by /", echo(s))
	}
	return nil
}

// Identifier is the tag or digest that goes in a manifest URL; the digest
// wins when both are given.
func (r Reference) Identifier() string {
	if r.Digest != "" {
		return r.Digest.String()
	}
	return r.Tag
}

func (r Reference) String() string {
	s := r.Repository
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest.String()
	}
	return s
}
