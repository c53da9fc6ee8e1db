package registrytest

import (
	"os"
	"path/filepath"

	"github.com/opencontainers/go-digest"
)

// What distribution's filesystem storage driver keeps where, for tests
// that look behind the protocol. Only the distribution binaries (Start,
// StartKind with KindDistribution or KindDebian) have a Dir.

// OpenUploads lists the upload sessions the registry's storage holds open
// for repo. A cancelled session loses its data and startedat files at
// once; its hashstates stay until the registry's purger runs, so they do
// not count.
func (r *Registry) OpenUploads(repo string) ([]string, error) {
	dir := filepath.Join(r.Dir, "docker/registry/v2/repositories", filepath.FromSlash(repo), "_uploads")
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var open []string
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(dir, e.Name(), "startedat")); err == nil {
			open = append(open, e.Name())
		}
	}
	return open, nil
}

// AllOpenUploads counts the open upload sessions of every repository.
func (r *Registry) AllOpenUploads() (int, error) {
	n := 0
	err := filepath.WalkDir(filepath.Join(r.Dir, "docker/registry/v2/repositories"), func(p string, d os.DirEntry, err error) error {
		if os.IsNotExist(err) {
			return filepath.SkipDir
		}
		if err != nil {
			return err
		}
		if d.Name() == "startedat" && filepath.Base(filepath.Dir(filepath.Dir(p))) == "_uploads" {
			n++
		}
		return nil
	})
	return n, err
}

// BlobDataPath is where the registry's storage keeps a blob's bytes.
func (r *Registry) BlobDataPath(d digest.Digest) string {
	return filepath.Join(r.Dir, "docker/registry/v2/blobs", d.Algorithm().String(), d.Encoded()[:2], d.Encoded(), "data")
}

// LinkedBlob is the digest the registry's storage keeps a blob of repo,
// named d, under: the content of the repository's link for d. distribution
// stores a blob of another algorithm than sha256 under its sha256 and
// links the other digest to it.
func (r *Registry) LinkedBlob(repo string, d digest.Digest) (digest.Digest, error) {
	link := filepath.Join(r.Dir, "docker/registry/v2/repositories", filepath.FromSlash(repo), "_layers",
		d.Algorithm().String(), d.Encoded(), "link")
	raw, err := os.ReadFile(link) // #nosec G304 -- a path under the test registry's own storage
	if err != nil {
		return "", err
	}
	return digest.Parse(string(raw))
}
