package replay

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/xk6-registry/xk6-registry/registry"
	"github.com/xk6-registry/xk6-registry/registry/content"
)

const (
	mediaTypeOCIManifest    = ocispec.MediaTypeImageManifest
	mediaTypeOCIIndex       = ocispec.MediaTypeImageIndex
	mediaTypeOCIConfig      = ocispec.MediaTypeImageConfig
	mediaTypeOCILayer       = ocispec.MediaTypeImageLayer
	mediaTypeDockerManifest = string(types.DockerManifestSchema2)
	mediaTypeDockerList     = string(types.DockerManifestList)
	mediaTypeDockerConfig   = string(types.DockerConfigJSON)
	mediaTypeDockerLayer    = string(types.DockerLayer)
)

// isDocker tells a docker manifest type from an OCI one.
func isDocker(mediaType string) bool {
	return mediaType == mediaTypeDockerManifest || mediaType == mediaTypeDockerList
}

// materials makes the plan's blobs and manifests, each once per process:
// every VU and every machine that replays one plan makes the same bytes, so
// a manifest one client puts names the digests another client fetches.
type materials struct {
	plan      *Plan
	blobIndex map[string]int
	manIndex  map[string]int
	blobs     []madeBlob
	manifests []madeManifest
}

type madeBlob struct {
	once sync.Once
	src  registry.BlobSource
	desc ocispec.Descriptor
	err  error
}

// madeManifest is a manifest's bytes; its mutex (not a sync.Once) lets a
// build cancelled with its context be tried again.
type madeManifest struct {
	mu        sync.Mutex
	done      bool
	body      []byte
	mediaType string
	digest    digest.Digest
}

var materialsMu sync.Mutex

func (p *Plan) made() *materials {
	materialsMu.Lock()
	defer materialsMu.Unlock()
	if p.materials == nil {
		m := &materials{plan: p, blobIndex: map[string]int{}, manIndex: map[string]int{},
			blobs: make([]madeBlob, len(p.Blobs)), manifests: make([]madeManifest, len(p.Manifests))}
		for i, b := range p.Blobs {
			m.blobIndex[b.ID] = i
		}
		for i, mf := range p.Manifests {
			m.manIndex[mf.ID] = i
		}
		p.materials = m
	}
	return p.materials
}

// blob is the generated content of a blob of the plan.
func (m *materials) blob(ctx context.Context, id string) (registry.BlobSource, ocispec.Descriptor, error) {
	i, ok := m.blobIndex[id]
	if !ok {
		return nil, ocispec.Descriptor{}, fmt.Errorf("blob %q is not in the plan", id)
	}
	b := &m.blobs[i]
	b.once.Do(func() {
		// One family of the plan's seed: the blobs share a body, so each
		// digest costs the blob's own part only.
		if m.plan.Blobs[i].Absent {
			// Never uploaded: content of its own, so its digest is no other
			// blob's (an empty generated blob is every empty blob).
			b.src = content.Bytes(fmt.Appendf(nil, "absent blob %s of plan %d", id, m.plan.Seed), "")
			b.desc, b.err = b.src.Descriptor(ctx)
			return
		}
		seed := m.plan.Seed&^0xffffffff | uint64(i+1) // #nosec G115 -- an index, never negative
		b.src, b.err = content.Random(content.RandomOptions{Size: m.plan.Blobs[i].Size, Seed: &seed})
		if b.err == nil {
			b.desc, b.err = b.src.Descriptor(ctx)
		}
	})
	return b.src, b.desc, b.err
}

// manifest builds a manifest of the plan: its bytes, type and digest.
func (m *materials) manifest(ctx context.Context, id string) ([]byte, string, digest.Digest, error) {
	i, ok := m.manIndex[id]
	if !ok {
		return nil, "", "", fmt.Errorf("manifest %q is not in the plan", id)
	}
	made := &m.manifests[i]
	made.mu.Lock()
	defer made.mu.Unlock()
	if !made.done {
		body, mediaType, err := m.build(ctx, &m.plan.Manifests[i])
		if err != nil {
			return nil, "", "", fmt.Errorf("manifest %s: %w", id, err)
		}
		made.body, made.mediaType, made.digest, made.done = body, mediaType, digest.FromBytes(body), true
	}
	return made.body, made.mediaType, made.digest, nil
}

// manifestDigest is the digest of a manifest of the plan.
func (m *materials) manifestDigest(ctx context.Context, id string) (string, error) {
	_, _, d, err := m.manifest(ctx, id)
	return d.String(), err
}

type builtPlatform struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
	Variant      string `json:"variant,omitempty"`
}

type builtDescriptor struct {
	MediaType string         `json:"mediaType"`
	Digest    string         `json:"digest"`
	Size      int64          `json:"size"`
	Platform  *builtPlatform `json:"platform,omitempty"`
}

type builtImage struct {
	SchemaVersion int               `json:"schemaVersion"`
	MediaType     string            `json:"mediaType"`
	Config        builtDescriptor   `json:"config"`
	Layers        []builtDescriptor `json:"layers"`
}

type builtIndex struct {
	SchemaVersion int               `json:"schemaVersion"`
	MediaType     string            `json:"mediaType"`
	Manifests     []builtDescriptor `json:"manifests"`
}

// build makes a manifest's bytes from the plan's descriptors, padded with
// white space before its closing brace to the size the source served.
func (m *materials) build(ctx context.Context, mf *Manifest) ([]byte, string, error) {
	if mf.Absent {
		// Never put: a digest no content has.
		body := fmt.Appendf(nil, `{"absent":%q,"seed":%d}`, mf.ID, m.plan.Seed)
		return body, mediaTypeOCIManifest, nil
	}
	mediaType := mf.MediaType
	if mediaType == "" {
		mediaType = mediaTypeOCIManifest
	}
	var raw []byte
	var err error
	if registry.IsIndexMediaType(mediaType) {
		idx := builtIndex{SchemaVersion: 2, MediaType: mediaType, Manifests: []builtDescriptor{}}
		for _, c := range mf.Manifests {
			body, childType, d, err := m.manifest(ctx, c.ID)
			if err != nil {
				return nil, "", err
			}
			desc := builtDescriptor{MediaType: childType, Digest: d.String(), Size: int64(len(body))}
			desc.Platform = platformOf(c.Platform)
			idx.Manifests = append(idx.Manifests, desc)
		}
		raw, err = json.Marshal(idx)
	} else {
		img := builtImage{SchemaVersion: 2, MediaType: mediaType, Layers: []builtDescriptor{}}
		if mf.Config != nil {
			if img.Config, err = m.descriptor(ctx, *mf.Config, defaultConfigType(mediaType)); err != nil {
				return nil, "", err
			}
		}
		for _, l := range mf.Layers {
			desc, err := m.descriptor(ctx, l, defaultLayerType(mediaType))
			if err != nil {
				return nil, "", err
			}
			img.Layers = append(img.Layers, desc)
		}
		raw, err = json.Marshal(img)
	}
	if err != nil {
		return nil, "", err
	}
	return pad(raw, mf.Size), mediaType, nil
}

func (m *materials) descriptor(ctx context.Context, d Descriptor, defaultType string) (builtDescriptor, error) {
	_, desc, err := m.blob(ctx, d.ID)
	if err != nil {
		return builtDescriptor{}, err
	}
	mt := d.MediaType
	if mt == "" {
		mt = defaultType
	}
	return builtDescriptor{MediaType: mt, Digest: desc.Digest.String(), Size: desc.Size}, nil
}

func defaultConfigType(manifestType string) string {
	if isDocker(manifestType) {
		return mediaTypeDockerConfig
	}
	return mediaTypeOCIConfig
}

func defaultLayerType(manifestType string) string {
	if isDocker(manifestType) {
		return mediaTypeDockerLayer
	}
	return mediaTypeOCILayer
}

func platformOf(s string) *builtPlatform {
	if s == "" {
		return nil
	}
	parts := strings.SplitN(s, "/", 3)
	p := &builtPlatform{OS: parts[0]}
	if len(parts) > 1 {
		p.Architecture = parts[1]
	}
	if len(parts) > 2 {
		p.Variant = parts[2]
	}
	return p
}

// pad adds spaces before a JSON object's closing brace until it is size
// bytes; a size below the object's is left as it is.
func pad(raw []byte, size int64) []byte {
	if size <= int64(len(raw)) {
		return raw
	}
	out := make([]byte, 0, size)
	out = append(out, raw[:len(raw)-1]...)
	out = append(out, bytes.Repeat([]byte{' '}, int(size)-len(raw))...)
	return append(out, '}')
}
