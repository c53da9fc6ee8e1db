package replay

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/opencontainers/go-digest"

	"github.com/xk6-registry/xk6-registry/registry"
)

// Storage reads a source registry's storage directory as distribution's
// filesystem driver lays it out: <root>/docker/registry/v2/ holds blobs
// (manifests among them) by digest, and per repository the links of its
// tags, manifest revisions and layers. It only reads, and every name it is
// given comes from a log, so each is checked before it becomes a path.
type Storage struct {
	root *os.Root // <root>/docker/registry/v2
}

// storagePrefix is where the filesystem driver keeps a registry's data
// under its root directory.
const storagePrefix = "docker/registry/v2"

// OpenStorage opens the storage of a registry whose filesystem driver's
// rootdirectory is dir.
func OpenStorage(dir string) (*Storage, error) {
	p := filepath.Join(dir, filepath.FromSlash(storagePrefix))
	if st, err := os.Stat(p); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("storage %s: no %s in it; give the registry's storage.filesystem.rootdirectory", dir, storagePrefix)
	}
	root, err := os.OpenRoot(p)
	if err != nil {
		return nil, fmt.Errorf("storage %s: %w", dir, err)
	}
	return &Storage{root: root}, nil
}

// Close releases the directory.
func (s *Storage) Close() error { return s.root.Close() }

// blobData is the path of a blob's bytes.
func blobData(d digest.Digest) string {
	return "blobs/" + d.Algorithm().String() + "/" + d.Encoded()[:2] + "/" + d.Encoded() + "/data"
}

func parseDigest(s string) (digest.Digest, bool) {
	d, err := digest.Parse(s)
	return d, err == nil
}

// BlobSize is the size of a blob the storage holds.
func (s *Storage) BlobSize(dgst string) (int64, bool) {
	d, ok := parseDigest(dgst)
	if !ok {
		return 0, false
	}
	st, err := s.root.Stat(blobData(d))
	if err != nil || !st.Mode().IsRegular() {
		return 0, false
	}
	return st.Size(), true
}

// Manifest reads a manifest the storage holds, up to the size registries
// accept.
func (s *Storage) Manifest(dgst string) (*StoredManifest, error) {
	d, ok := parseDigest(dgst)
	if !ok {
		return nil, fmt.Errorf("manifest digest %q is not a digest", dgst)
	}
	f, err := s.root.Open(blobData(d))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, registry.MaxManifestSize+1))
	if err != nil {
		return nil, err
	}
	if len(raw) > registry.MaxManifestSize {
		return nil, fmt.Errorf("manifest %s is larger than %d bytes", dgst, registry.MaxManifestSize)
	}
	return parseStoredManifest(raw)
}

// TagCurrent is the digest a tag points to now.
func (s *Storage) TagCurrent(repo, tag string) (string, bool) {
	p, ok := tagPath(repo, tag)
	if !ok {
		return "", false
	}
	return s.readLink(p + "/current/link")
}

// TagHistory lists every digest a tag has pointed to, in no order: the
// storage keeps the set, not the sequence.
func (s *Storage) TagHistory(repo, tag string) []string {
	p, ok := tagPath(repo, tag)
	if !ok {
		return nil
	}
	return s.linkedDigests(p + "/index")
}

// Tags lists a repository's tags.
func (s *Storage) Tags(repo string) []string {
	if registry.ValidateRepository(repo) != nil {
		return nil
	}
	entries, err := fs.ReadDir(s.root.FS(), "repositories/"+repo+"/_manifests/tags")
	if err != nil {
		return nil
	}
	var tags []string
	for _, e := range entries {
		if e.IsDir() && tagRegexp.MatchString(e.Name()) {
			tags = append(tags, e.Name())
		}
	}
	return tags
}

// Revisions lists the manifests a repository holds.
func (s *Storage) Revisions(repo string) []string {
	if registry.ValidateRepository(repo) != nil {
		return nil
	}
	return s.linkedDigests("repositories/" + repo + "/_manifests/revisions")
}

// linkedDigests lists the digests of <dir>/<algorithm>/<encoded>/link.
func (s *Storage) linkedDigests(dir string) []string {
	algs, err := fs.ReadDir(s.root.FS(), dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, alg := range algs {
		entries, err := fs.ReadDir(s.root.FS(), dir+"/"+alg.Name())
		if err != nil {
			continue
		}
		for _, e := range entries {
			if d, ok := parseDigest(alg.Name() + ":" + e.Name()); ok {
				out = append(out, d.String())
			}
		}
	}
	return out
}

func tagPath(repo, tag string) (string, bool) {
	if registry.ValidateRepository(repo) != nil || !tagRegexp.MatchString(tag) {
		return "", false
	}
	return "repositories/" + repo + "/_manifests/tags/" + tag, true
}

// readLink reads a link file: a digest.
func (s *Storage) readLink(p string) (string, bool) {
	f, err := s.root.Open(p)
	if err != nil {
		return "", false
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, 256))
	if err != nil {
		return "", false
	}
	d, ok := parseDigest(strings.TrimSpace(string(raw)))
	return d.String(), ok
}

// StoredManifest is what a replay keeps of a source manifest: its type,
// size and the descriptors it lists, never its annotations or URLs.
type StoredManifest struct {
	MediaType string
	Size      int64
	Config    *StoredDescriptor
	Layers    []StoredDescriptor
	Manifests []StoredDescriptor // an index's
}

// StoredDescriptor is one descriptor of a source manifest.
type StoredDescriptor struct {
	MediaType string
	Digest    string
	Size      int64
	Platform  string // os/arch[/variant], an index's entries only
}

func parseStoredManifest(raw []byte) (*StoredManifest, error) {
	type platform struct {
		OS           string `json:"os"`
		Architecture string `json:"architecture"`
		Variant      string `json:"variant"`
	}
	type descriptor struct {
		MediaType string    `json:"mediaType"`
		Digest    string    `json:"digest"`
		Size      int64     `json:"size"`
		Platform  *platform `json:"platform"`
	}
	var m struct {
		SchemaVersion int          `json:"schemaVersion"`
		MediaType     string       `json:"mediaType"`
		Config        *descriptor  `json:"config"`
		Layers        []descriptor `json:"layers"`
		Manifests     []descriptor `json:"manifests"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	if m.SchemaVersion != 2 {
		return nil, errors.New("manifest: not schema version 2 (schema 1 is not replayed)")
	}
	out := &StoredManifest{MediaType: m.MediaType, Size: int64(len(raw))}
	if out.MediaType == "" {
		out.MediaType = mediaTypeOCIManifest
		if m.Manifests != nil {
			out.MediaType = mediaTypeOCIIndex
		}
	}
	conv := func(d descriptor) (StoredDescriptor, error) {
		if _, ok := parseDigest(d.Digest); !ok || d.Size < 0 {
			return StoredDescriptor{}, fmt.Errorf("manifest: descriptor %q of size %d is not valid", d.Digest, d.Size)
		}
		sd := StoredDescriptor{MediaType: d.MediaType, Digest: d.Digest, Size: d.Size}
		if d.Platform != nil && d.Platform.OS != "" && d.Platform.Architecture != "" {
			sd.Platform = d.Platform.OS + "/" + d.Platform.Architecture
			if d.Platform.Variant != "" {
				sd.Platform += "/" + d.Platform.Variant
			}
		}
		return sd, nil
	}
	if m.Config != nil {
		c, err := conv(*m.Config)
		if err != nil {
			return nil, err
		}
		out.Config = &c
	}
	for _, l := range m.Layers {
		d, err := conv(l)
		if err != nil {
			return nil, err
		}
		out.Layers = append(out.Layers, d)
	}
	for _, c := range m.Manifests {
		d, err := conv(c)
		if err != nil {
			return nil, err
		}
		out.Manifests = append(out.Manifests, d)
	}
	return out, nil
}
