package js

import (
	"fmt"

	"github.com/grafana/sobek"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/xk6-registry/xk6-registry/registry"
	"github.com/xk6-registry/xk6-registry/registry/content"
)

// descriptorInfo is what a script sees of a blob.
type descriptorInfo struct {
	Digest    string `js:"digest"`
	Size      int64  `js:"size"`
	MediaType string `js:"mediaType"`
}

func infoOf(d ocispec.Descriptor) descriptorInfo {
	return descriptorInfo{Digest: d.Digest.String(), Size: d.Size, MediaType: d.MediaType}
}

// Image is what registry.generate() and registry.load() return: read-only
// facts for the script, and the image itself for push.
type Image struct {
	Digest    string           `js:"digest"`
	MediaType string           `js:"mediaType"`
	Size      int64            `js:"size"`
	Config    descriptorInfo   `js:"config"`
	Layers    []descriptorInfo `js:"layers"`
	// Manifests are an index's images; empty for a single image.
	Manifests []*Image `js:"manifests"`
	// Platform is "os/arch[/variant]" of an index's image.
	Platform string `js:"platform"`

	image *registry.Image
}

func newImage(img *registry.Image) *Image {
	out := &Image{
		Digest:    digest.FromBytes(img.Manifest).String(),
		MediaType: img.MediaType,
		Size:      int64(len(img.Manifest)),
		Layers:    make([]descriptorInfo, 0, len(img.Layers)),
		Manifests: make([]*Image, 0, len(img.Manifests)),
		image:     img,
	}
	if img.Config != nil {
		out.Config = infoOf(img.Config.Descriptor())
	}
	for _, l := range img.Layers {
		out.Layers = append(out.Layers, infoOf(l.Descriptor()))
	}
	if img.Platform != nil {
		out.Platform = registry.FormatPlatform(*img.Platform)
	}
	for _, child := range img.Manifests {
		out.Manifests = append(out.Manifests, newImage(child))
	}
	return out
}

// artifact is registry.artifact({ artifactType, size, subject, annotations,
// seed, configMediaType }).
func (mi *ModuleInstance) artifact(call sobek.FunctionCall) sobek.Value {
	rt := mi.vu.Runtime()
	r := newOptionReader(rt, "artifact", call.Argument(0), "artifactType", "size", "subject", "annotations", "seed", "configMediaType")
	opts := content.ArtifactOptions{Size: 512}
	r.string("artifactType", &opts.ArtifactType)
	r.size("size", &opts.Size)
	opts.Seed = readSeed(r)
	opts.Annotations = r.stringMap("annotations")
	r.string("configMediaType", &opts.ConfigMediaType)
	if v := r.get("subject"); v != nil && r.err == nil {
		opts.Subject = subjectArg(rt, v)
	}
	if r.err == nil && isMissing(call.Argument(0)) {
		r.err = fmt.Errorf("artifact: want { artifactType, size, subject, annotations }")
	}
	if r.err != nil {
		throw(rt, r.err)
	}
	img, err := content.Artifact(mi.vu.Context(), opts)
	if err != nil {
		throw(rt, fmt.Errorf("artifact: %w", err))
	}
	return rt.ToValue(newImage(img))
}

// subjectArg reads an artifact's subject: an image from generate/load (or
// one of its manifests), or a descriptor { digest, mediaType, size } such
// as push and getManifest results give.
func subjectArg(rt *sobek.Runtime, v sobek.Value) *ocispec.Descriptor {
	if img, ok := v.Export().(*Image); ok {
		return &ocispec.Descriptor{MediaType: img.MediaType, Digest: digest.Digest(img.Digest), Size: img.Size}
	}
	r := &optionReader{rt: rt, call: "artifact: subject"}
	obj, ok := v.(*sobek.Object)
	if !ok {
		throw(rt, fmt.Errorf("artifact: subject must be an image or { digest, mediaType, size }, got %s", describe(v)))
	}
	r.obj = obj
	var d, mediaType string
	var size int64
	r.string("digest", &d)
	r.string("mediaType", &mediaType)
	r.size("size", &size)
	parsed, err := digest.Parse(d)
	if r.err == nil && (err != nil || mediaType == "" || size <= 0) {
		r.err = fmt.Errorf("artifact: subject needs a valid digest, a mediaType and a size, got digest %q, mediaType %q, size %d", d, mediaType, size)
	}
	if r.err != nil {
		throw(rt, r.err)
	}
	return &ocispec.Descriptor{MediaType: mediaType, Digest: parsed, Size: size}
}

// Blob is what registry.blob() returns.
type Blob struct {
	Digest    string `js:"digest"`
	Size      int64  `js:"size"`
	MediaType string `js:"mediaType"`

	blob registry.BlobSource
}

func newBlob(b registry.BlobSource) *Blob {
	d := b.Descriptor()
	return &Blob{Digest: d.Digest.String(), Size: d.Size, MediaType: d.MediaType, blob: b}
}

// generate is registry.generate(options).
func (mi *ModuleInstance) generate(call sobek.FunctionCall) sobek.Value {
	rt := mi.vu.Runtime()
	opts, err := parseGenerateOptions(rt, call.Argument(0))
	if err != nil {
		throw(rt, err)
	}
	img, err := content.Generate(mi.vu.Context(), opts)
	if err != nil {
		throw(rt, fmt.Errorf("generate: %w", err))
	}
	return rt.ToValue(newImage(img))
}

// blob is registry.blob({size, seed}), registry.blob("text"),
// registry.blob(arrayBuffer) or registry.blob(uint8Array).
func (mi *ModuleInstance) blob(call sobek.FunctionCall) sobek.Value {
	rt := mi.vu.Runtime()
	arg := call.Argument(0)
	switch v := arg.Export().(type) {
	case string:
		return rt.ToValue(newBlob(content.Bytes([]byte(v), "")))
	case sobek.ArrayBuffer:
		return rt.ToValue(newBlob(content.Bytes(v.Bytes(), "")))
	case []byte: // a Uint8Array
		return rt.ToValue(newBlob(content.Bytes(v, "")))
	}
	if isMissing(arg) {
		throw(rt, fmt.Errorf("blob: want { size, seed }, a string, an ArrayBuffer or a Uint8Array"))
	}
	r := newOptionReader(rt, "blob", arg, "size", "seed")
	size := int64(-1)
	r.size("size", &size)
	seed := readSeed(r)
	if r.err == nil && size < 0 {
		r.err = fmt.Errorf("blob: option \"size\" is required")
	}
	if r.err != nil {
		throw(rt, r.err)
	}
	b, err := content.Random(mi.vu.Context(), size, seed)
	if err != nil {
		throw(rt, fmt.Errorf("blob: %w", err))
	}
	return rt.ToValue(newBlob(b))
}

// load is registry.load(path): a docker save tarball or an OCI image
// layout, read once in the init context, with paths relative to the script
// as k6's open() takes them.
func (mi *ModuleInstance) load(call sobek.FunctionCall) sobek.Value {
	rt := mi.vu.Runtime()
	path, ok := call.Argument(0).Export().(string)
	if !ok || path == "" {
		throw(rt, fmt.Errorf("load: want a path to a docker save tarball or an OCI image layout"))
	}
	initEnv := mi.vu.InitEnv()
	if initEnv == nil {
		throw(rt, fmt.Errorf("load(%q): call it in the init context, outside default()", path))
	}
	img, err := content.Load(initEnv.GetAbsFilePath(path))
	if err != nil {
		throw(rt, fmt.Errorf("load(%q): %w", path, err))
	}
	return rt.ToValue(newImage(img))
}

// imageArg takes back an Image the script got from generate or load.
func imageArg(rt *sobek.Runtime, call string, v sobek.Value) *registry.Image {
	if img, ok := v.Export().(*Image); ok && img.image != nil {
		return img.image
	}
	throw(rt, fmt.Errorf("%s: the image must come from registry.generate() or registry.load(), got %s", call, describe(v)))
	return nil
}

// blobArg takes back a Blob the script got from registry.blob.
func blobArg(rt *sobek.Runtime, call string, v sobek.Value) registry.BlobSource {
	if b, ok := v.Export().(*Blob); ok && b.blob != nil {
		return b.blob
	}
	throw(rt, fmt.Errorf("%s: the blob must come from registry.blob(), got %s", call, describe(v)))
	return nil
}
