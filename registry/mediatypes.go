package registry

import (
	"encoding/json"
	"mime"

	"github.com/google/go-containerregistry/pkg/v1/types"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// manifestAccept asks for every manifest format we can read. Registries
// that see no OCI type in Accept answer MANIFEST_UNKNOWN for OCI manifests.
var manifestAccept = []string{
	ocispec.MediaTypeImageManifest,
	ocispec.MediaTypeImageIndex,
	string(types.DockerManifestSchema2),
	string(types.DockerManifestList),
}

// IsIndexMediaType tells whether a manifest media type lists other
// manifests: an OCI index or a docker manifest list.
func IsIndexMediaType(mediaType string) bool {
	return mediaType == ocispec.MediaTypeImageIndex || mediaType == string(types.DockerManifestList)
}

// isSchema1 tells a docker schema 1 manifest, which has no config and is
// not supported.
func isSchema1(mediaType string) bool {
	return mediaType == string(types.DockerManifestSchema1) || mediaType == string(types.DockerManifestSchema1Signed)
}

// manifestMediaType trusts Content-Type when it names a manifest type, and
// otherwise the manifest's own mediaType field.
func manifestMediaType(contentType string, body []byte) string {
	mt, _, _ := mime.ParseMediaType(contentType)
	if mt == ocispec.MediaTypeImageManifest || mt == string(types.DockerManifestSchema2) ||
		IsIndexMediaType(mt) || isSchema1(mt) {
		return mt
	}
	var probe struct {
		MediaType string            `json:"mediaType"`
		Manifests []json.RawMessage `json:"manifests"`
	}
	if json.Unmarshal(body, &probe) == nil {
		switch {
		case probe.MediaType != "":
			return probe.MediaType
		case probe.Manifests != nil:
			return ocispec.MediaTypeImageIndex
		}
	}
	if mt != "" {
		return mt
	}
	return ocispec.MediaTypeImageManifest
}
