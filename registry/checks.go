package registry

import (
	"fmt"

	"github.com/opencontainers/go-digest"
)

// The checks of each call's arguments: what the call itself checks before
// its first request, exported for a caller that must refuse a mistake
// before it starts the call elsewhere (the k6 binding, before an async
// call's goroutine exists). None sends a request or does content work, and
// each error is the one the call returns.

// CheckPull checks Pull's arguments.
func CheckPull(ref string, opts PullOptions) error {
	_, err := pullArgs(ref, opts)
	return err
}

func pullArgs(ref string, opts PullOptions) (Reference, error) {
	r, err := ParseReference(ref)
	if err != nil {
		return r, err
	}
	return r, opts.Validate()
}

// CheckPush checks Push's arguments. Whether a reference's digest is the
// image's manifest's is known only once the manifest is built, in Push.
func CheckPush(ref string, img *Image, opts PushOptions) error {
	_, err := pushArgs(ref, img, opts)
	return err
}

func pushArgs(ref string, img *Image, opts PushOptions) (Reference, error) {
	r, err := ParseReference(ref)
	if err != nil {
		return r, err
	}
	if err := checkImage(ref, img, 0); err != nil {
		return r, err
	}
	return r, opts.Validate()
}

// CheckUploadBlob checks UploadBlob's arguments.
func CheckUploadBlob(repo string, blob BlobSource, opts UploadOptions) error {
	if err := ValidateRepository(repo); err != nil {
		return err
	}
	if blob == nil {
		return fmt.Errorf("upload to %s: no blob", repo)
	}
	return opts.Validate()
}

// CheckReference checks the reference of HeadManifest and DeleteManifest.
func CheckReference(ref string) error {
	_, err := ParseReference(ref)
	return err
}

// CheckGetManifest checks GetManifest's arguments.
func CheckGetManifest(ref string, accept []string) error {
	_, err := getManifestArgs(ref, accept)
	return err
}

func getManifestArgs(ref string, accept []string) (Reference, error) {
	r, err := ParseReference(ref)
	if err != nil {
		return r, err
	}
	return r, validateAccept(accept)
}

// CheckPutManifest checks PutManifest's arguments, the manifest's bytes
// among them.
func CheckPutManifest(ref string, body []byte, opts PutManifestOptions) error {
	_, err := putManifestArgs(ref, body, opts)
	return err
}

// putArgs are what PutManifest's arguments say once checked.
type putArgs struct {
	ref       Reference
	mediaType string
	digest    digest.Digest
}

func putManifestArgs(ref string, body []byte, opts PutManifestOptions) (putArgs, error) {
	var a putArgs
	r, err := ParseReference(ref)
	if err != nil {
		return a, err
	}
	a.ref = r
	if err := opts.Validate(); err != nil {
		return a, fmt.Errorf("put manifest %s: %w", ref, err)
	}
	if len(opts.Tags) > 0 && r.Digest == "" {
		return a, fmt.Errorf("put manifest %s: with tags, name the manifest by digest (repository@sha256:...)", ref)
	}
	a.mediaType = opts.MediaType
	if a.mediaType == "" {
		if a.mediaType, err = mediaTypeField(body); err != nil {
			return a, fmt.Errorf("put manifest %s: %w", ref, err)
		}
	}
	if err := checkManifestSize(body); err != nil {
		return a, fmt.Errorf("put manifest %s: %w", ref, err)
	}
	a.digest = digest.FromBytes(body)
	if r.Digest != "" && r.Digest != a.digest {
		return a, fmt.Errorf("put manifest %s: the manifest's digest is %s", ref, a.digest)
	}
	return a, nil
}

// CheckBlob checks the repository and digest of HeadBlob, DeleteBlob and
// Referrers.
func CheckBlob(repo, dgst string) error {
	_, err := blobArgs(repo, dgst)
	return err
}

func blobArgs(repo, dgst string) (digest.Digest, error) {
	if err := ValidateRepository(repo); err != nil {
		return "", err
	}
	d, err := digest.Parse(dgst)
	if err != nil {
		return "", fmt.Errorf("invalid digest %s: %w", echo(dgst), err)
	}
	return d, nil
}

// CheckGetBlob checks GetBlob's arguments.
func CheckGetBlob(repo, dgst string, opts GetBlobOptions) error {
	_, err := getBlobArgs(repo, dgst, opts)
	return err
}

func getBlobArgs(repo, dgst string, opts GetBlobOptions) (digest.Digest, error) {
	d, err := blobArgs(repo, dgst)
	if err != nil {
		return d, err
	}
	return d, opts.Validate()
}

// CheckMountBlob checks MountBlob's arguments.
func CheckMountBlob(repo, dgst, from string) error {
	_, err := mountArgs(repo, dgst, from)
	return err
}

func mountArgs(repo, dgst, from string) (digest.Digest, error) {
	d, err := blobArgs(repo, dgst)
	if err != nil {
		return d, err
	}
	if err := ValidateRepository(from); err != nil {
		return d, fmt.Errorf("mount from: %w", err)
	}
	return d, nil
}

// CheckTags checks Tags' arguments.
func CheckTags(repo string, opts ListOptions) error {
	if err := ValidateRepository(repo); err != nil {
		return err
	}
	return opts.Validate()
}

// CheckCatalog checks Catalog's arguments.
func CheckCatalog(opts ListOptions) error { return opts.Validate() }

// CheckLocation checks the upload location of CancelUpload and UploadStatus.
func (c *Client) CheckLocation(location string) error {
	_, err := c.sessionFor(location)
	return err
}

// CheckToken checks Token's arguments.
func CheckToken(repo string, actions []string) error {
	_, err := tokenArgs(repo, actions)
	return err
}
