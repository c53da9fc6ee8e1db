package registry

import (
	// sha512 for digest.SHA512: go-digest hashes only what is linked in.
	_ "crypto/sha512"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/opencontainers/go-digest"
)

// Blobs of another digest algorithm than sha256 (distribution spec, end-4c):
// the POST that opens their session names it in ?digest-algorithm=, the PUT
// that closes it names the digest as ever.

// digestAlgorithmQuery adds ?digest-algorithm= for a blob of d to q, or
// nothing for sha256, the spec's default.
func digestAlgorithmQuery(q url.Values, d digest.Digest) url.Values {
	if d.Algorithm() == digest.Canonical {
		return q
	}
	if q == nil {
		q = url.Values{}
	}
	q.Set("digest-algorithm", d.Algorithm().String())
	return q
}

// sameAlgorithm tells whether the digest a registry announced is of d's
// algorithm, and so compares with d.
func sameAlgorithm(announced string, d digest.Digest) bool {
	a, err := digest.Parse(announced)
	return err != nil || a.Algorithm() == d.Algorithm()
}

// refusedAlgorithm is the failure of a request that named d, of another
// algorithm than sha256, and was refused with 400 or UNSUPPORTED before any
// content was judged: a POST that asked for the algorithm (the spec has a
// registry refuse one it does not take so, end-4c), a GET or HEAD of the
// blob. That is UNSUPPORTED, saying why.
func refusedAlgorithm(err error, asked string, d digest.Digest) error {
	var re *Error
	if d.Algorithm() == digest.Canonical || !errors.As(err, &re) ||
		(re.Status != http.StatusBadRequest && re.Code != CodeUnsupported) {
		return err
	}
	refused := *re
	refused.Code = CodeUnsupported
	refused.Message = fmt.Sprintf("the registry refused %s (%d %s: %s): it does not take %s blobs; push them with sha256",
		asked, re.Status, re.Code, re.Message, d.Algorithm())
	return &refused
}

// digestHint notes on the refusal of an upload's digest of another
// algorithm than sha256 that a registry taking sha256 alone refuses it so
// too: the content was judged, so it may as well not match.
func digestHint(err error, d digest.Digest) error {
	var re *Error
	if d.Algorithm() == digest.Canonical || !errors.As(err, &re) ||
		(re.Status != http.StatusBadRequest && re.Code != CodeDigestInvalid) {
		return err
	}
	hinted := *re
	hinted.Message += fmt.Sprintf("; the digest is %s: a registry that takes sha256 digests alone refuses it so too", d.Algorithm())
	return &hinted
}
