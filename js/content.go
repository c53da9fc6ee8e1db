package js

import (
	"context"
	"fmt"
	"slices"

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

// imageObject is what registry.generate(), registry.load() and
// registry.artifact() return: the image itself for push, and read-only
// facts for the script as properties. A generated image's digests are
// computed when the script first reads one, or by the push that needs
// them, not when it is made: generating a large image returns at once.
type imageObject struct {
	mi        *ModuleInstance
	image     *registry.Image
	manifests []sobek.Value
	facts     map[string]sobek.Value // the properties read so far
}

var imageKeys = []string{"digest", "mediaType", "size", "config", "layers", "manifests", "platform", "platforms"}

func (mi *ModuleInstance) newImageObject(img *registry.Image) *sobek.Object {
	o := &imageObject{mi: mi, image: img, facts: map[string]sobek.Value{}}
	for _, child := range img.Manifests {
		o.manifests = append(o.manifests, mi.newImageObject(child))
	}
	return mi.vu.Runtime().NewDynamicObject(o)
}

func (o *imageObject) Get(key string) sobek.Value {
	if v, ok := o.facts[key]; ok {
		return v
	}
	rt := o.mi.vu.Runtime()
	var v any
	switch key {
	case "mediaType":
		v = o.image.MediaType
	case "platform":
		v = ""
		if o.image.Platform != nil {
			v = registry.FormatPlatform(*o.image.Platform)
		}
	case "manifests":
		v = o.manifests
	case "platforms":
		platforms, err := content.Platforms(o.mi.vu.Context(), o.image)
		if err != nil {
			throw(rt, fmt.Errorf("image: %w", err))
		}
		v = platforms
	case "digest", "size":
		desc := o.describe(o.image.Descriptor)
		o.facts["digest"], o.facts["size"] = rt.ToValue(desc.Digest.String()), rt.ToValue(desc.Size)
		return o.facts[key]
	case "config":
		info := descriptorInfo{}
		if o.image.Config != nil {
			info = infoOf(o.describe(o.image.Config.Descriptor))
		}
		v = info
	case "layers":
		infos := make([]descriptorInfo, 0, len(o.image.Layers))
		for _, l := range o.image.Layers {
			infos = append(infos, infoOf(o.describe(l.Descriptor)))
		}
		v = infos
	default:
		return nil
	}
	o.facts[key] = rt.ToValue(v)
	return o.facts[key]
}

// describe gets a descriptor under the VU's context, throwing if the test
// ended while a generated blob was digested.
func (o *imageObject) describe(of func(context.Context) (ocispec.Descriptor, error)) ocispec.Descriptor {
	d, err := of(o.mi.vu.Context())
	if err != nil {
		throw(o.mi.vu.Runtime(), fmt.Errorf("image: %w", err))
	}
	return d
}

func (o *imageObject) Set(string, sobek.Value) bool { return false }
func (o *imageObject) Has(key string) bool          { return slices.Contains(imageKeys, key) }
func (o *imageObject) Delete(string) bool           { return false }
func (o *imageObject) Keys() []string               { return imageKeys }

// artifact is registry.artifact({ artifactType, size, subject, annotations,
// seed, configMediaType }).
func (mi *ModuleInstance) artifact(call sobek.FunctionCall) sobek.Value {
	rt := mi.vu.Runtime()
	r := newOptionReader(rt, "artifact", call.Argument(0), "artifactType", "size", "subject", "annotations", "seed", "body", "configMediaType")
	opts := content.ArtifactOptions{Size: 512}
	r.string("artifactType", &opts.ArtifactType)
	r.size("size", &opts.Size)
	opts.Seed = readSeed(r)
	opts.Body = readBody(r)
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
	img, err := content.Artifact(opts)
	if err != nil {
		throw(rt, fmt.Errorf("artifact: %w", err))
	}
	return mi.newImageObject(img)
}

// subjectArg reads an artifact's subject: an image from generate/load (or
// one of its manifests), or a descriptor { digest, mediaType, size } such
// as push and getManifest results give.
func subjectArg(rt *sobek.Runtime, v sobek.Value) *ocispec.Descriptor {
	if img, ok := v.Export().(*imageObject); ok {
		desc := img.describe(img.image.Descriptor)
		return &desc
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

// blobObject is what registry.blob() returns: the blob for uploadLayer,
// and its digest, size and mediaType as properties, computed on first read.
type blobObject struct {
	mi    *ModuleInstance
	blob  registry.BlobSource
	facts map[string]sobek.Value
}

var blobKeys = []string{"digest", "size", "mediaType"}

func (mi *ModuleInstance) newBlobObject(b registry.BlobSource) *sobek.Object {
	return mi.vu.Runtime().NewDynamicObject(&blobObject{mi: mi, blob: b})
}

func (o *blobObject) Get(key string) sobek.Value {
	if !slices.Contains(blobKeys, key) {
		return nil
	}
	if o.facts == nil {
		rt := o.mi.vu.Runtime()
		d, err := o.blob.Descriptor(o.mi.vu.Context())
		if err != nil {
			throw(rt, fmt.Errorf("blob: %w", err))
		}
		o.facts = map[string]sobek.Value{
			"digest": rt.ToValue(d.Digest.String()), "size": rt.ToValue(d.Size), "mediaType": rt.ToValue(d.MediaType),
		}
	}
	return o.facts[key]
}

func (o *blobObject) Set(string, sobek.Value) bool { return false }
func (o *blobObject) Has(key string) bool          { return slices.Contains(blobKeys, key) }
func (o *blobObject) Delete(string) bool           { return false }
func (o *blobObject) Keys() []string               { return blobKeys }

// generate is registry.generate(options).
func (mi *ModuleInstance) generate(call sobek.FunctionCall) sobek.Value {
	rt := mi.vu.Runtime()
	opts, err := parseGenerateOptions(rt, call.Argument(0))
	if err != nil {
		throw(rt, err)
	}
	img, err := content.Generate(opts)
	if err != nil {
		throw(rt, fmt.Errorf("generate: %w", err))
	}
	return mi.newImageObject(img)
}

// blob is registry.blob({size, seed, body, digest}), or registry.blob(data,
// {digest}) of a string, an ArrayBuffer or a Uint8Array.
func (mi *ModuleInstance) blob(call sobek.FunctionCall) sobek.Value {
	rt := mi.vu.Runtime()
	arg := call.Argument(0)
	var literal []byte
	isLiteral := true
	switch v := arg.Export().(type) {
	case string:
		literal = []byte(v)
	case sobek.ArrayBuffer:
		literal = v.Bytes()
	case []byte: // a Uint8Array
		literal = v
	default:
		isLiteral = false
	}
	if isLiteral {
		r := newOptionReader(rt, "blob", call.Argument(1), "digest")
		alg := readDigest(r)
		if r.err != nil {
			throw(rt, r.err)
		}
		return mi.newBlobObject(content.DescribedBy(content.Bytes(literal, ""), alg))
	}
	if isMissing(arg) {
		throw(rt, fmt.Errorf("blob: want { size, seed }, a string, an ArrayBuffer or a Uint8Array"))
	}
	r := newOptionReader(rt, "blob", arg, "size", "seed", "body", "digest")
	opts := content.RandomOptions{Size: -1}
	r.size("size", &opts.Size)
	opts.Seed = readSeed(r)
	opts.Body = readBody(r)
	opts.Digest = readDigest(r)
	if r.err == nil && opts.Size < 0 {
		r.err = fmt.Errorf("blob: option \"size\" is required")
	}
	if r.err != nil {
		throw(rt, r.err)
	}
	b, err := content.Random(opts)
	if err != nil {
		throw(rt, fmt.Errorf("blob: %w", err))
	}
	return mi.newBlobObject(b)
}

// imageArg takes back an Image the script got from generate or load.
func imageArg(call string, v sobek.Value) (*registry.Image, error) {
	if img, ok := v.Export().(*imageObject); ok {
		return img.image, nil
	}
	return nil, fmt.Errorf("%s: the image must come from registry.generate() or registry.load(), got %s", call, describe(v))
}

// blobArg takes back a Blob the script got from registry.blob.
func blobArg(call string, v sobek.Value) (registry.BlobSource, error) {
	if b, ok := v.Export().(*blobObject); ok {
		return b.blob, nil
	}
	return nil, fmt.Errorf("%s: the blob must come from registry.blob(), got %s", call, describe(v))
}
