package content

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/xk6-registry/xk6-registry/internal/lazy"
	"github.com/xk6-registry/xk6-registry/registry"
)

// imageFile is what one read of a docker save or an OCI layout tells:
// every image it holds, by the names it gives them, and its layer files,
// each hashed and checked once however many images, loads and VUs use it.
type imageFile struct {
	src files
	// dockerSave: the file has a manifest.json, so docker save wrote it
	// (docker 25+ writes an OCI layout beside it).
	dockerSave bool
	entries    []*fileEntry

	mu     sync.Mutex
	layers map[string]*layerFile // by canonical name

	picked sync.Map // LoadOptions -> *lazy.Value[*registry.Image]
}

// fileEntry is one image (or index) at the top of a file.
type fileEntry struct {
	names []string
	id    digest.Digest // the manifest's digest (OCI), the config's (docker save)
	// desc is the entry of an OCI layout's index.json; legacy the entry of
	// a docker save's manifest.json, when there is no index.json.
	desc   *ocispec.Descriptor
	legacy *dockerSaveEntry
}

// readFile reads the manifests of an OCI layout or a docker save; layers
// are only checked for being there, and hashed when first needed.
func readFile(src files) (*imageFile, error) {
	counts.reads.Add(1)
	hasIndex, err := exists(src, "index.json")
	if err != nil {
		return nil, err
	}
	hasManifest, err := exists(src, "manifest.json")
	if err != nil {
		return nil, err
	}
	f := &imageFile{src: src, dockerSave: hasManifest, layers: map[string]*layerFile{}}
	var legacy []*fileEntry
	if hasManifest {
		if legacy, err = readDockerSave(src); err != nil {
			return nil, err
		}
	}
	switch {
	case hasIndex:
		f.entries, err = readLayoutIndex(src, legacy)
	case hasManifest:
		f.entries = legacy
	default:
		err = fmt.Errorf("no index.json (OCI image layout) or manifest.json (docker save) found")
	}
	if err != nil {
		return nil, err
	}
	return f, nil
}

// pick makes the image opts name, once per file and options: every VU of
// a process pushes one image, whose digests are computed once.
func (f *imageFile) pick(opts LoadOptions) (*registry.Image, error) {
	if opts.Compress == "" {
		opts.Compress = CompressAuto
	}
	v, _ := f.picked.LoadOrStore(opts, lazy.New(func(context.Context) (*registry.Image, error) {
		e, err := f.entry(opts.Ref)
		if err != nil {
			return nil, err
		}
		gzip := opts.Compress == CompressGzip || opts.Compress == CompressAuto && f.dockerSave
		var platform *ocispec.Platform
		if opts.Platform != "" {
			p, err := registry.ParsePlatform(opts.Platform)
			if err != nil {
				return nil, err
			}
			platform = &p
		}
		if e.legacy != nil {
			return f.dockerSaveImage(e.legacy, gzip, platform)
		}
		return f.layoutEntry(*e.desc, gzip, platform)
	}))
	return v.(*lazy.Value[*registry.Image]).Get(context.Background())
}

// entry finds the image ref names, or the only one.
func (f *imageFile) entry(ref string) (*fileEntry, error) {
	if len(f.entries) == 0 {
		return nil, fmt.Errorf("the file holds no image")
	}
	if ref == "" {
		if len(f.entries) == 1 {
			return f.entries[0], nil
		}
		return nil, fmt.Errorf("the file holds %d images: pick one with { ref }: %s", len(f.entries), f.names())
	}
	var found []*fileEntry
	for _, e := range f.entries {
		if e.id.String() == strings.TrimPrefix(ref, "@") || slices.Contains(e.names, ref) {
			found = append(found, e)
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("no image named %q in the file; it holds %s", ref, f.names())
	case 1:
		return found[0], nil
	}
	return nil, fmt.Errorf("%d images are named %q in the file: pick one by its digest, %s", len(found), ref, digestsOf(found))
}

// names lists what the file's images are called, for an error.
func (f *imageFile) names() string {
	out := make([]string, 0, len(f.entries))
	for _, e := range f.entries {
		names := e.names
		if len(names) == 0 {
			names = []string{e.id.String()}
		}
		quoted := make([]string, len(names))
		for i, n := range names {
			quoted[i] = strconv.Quote(n)
		}
		out = append(out, strings.Join(quoted, " = "))
	}
	return strings.Join(out, ", ")
}

func digestsOf(entries []*fileEntry) string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = strconv.Quote(e.id.String())
	}
	return strings.Join(out, ", ")
}

// layer is the layer file at name, checked the first time it is named.
// It is opened once then: k6's file system, which copies what is opened
// through it, holds it for k6 archive to bundle, and a layer that cannot
// be read fails the load, not a push.
func (f *imageFile) layer(name string) (*layerFile, error) {
	if err := localName(name); err != nil {
		return nil, err
	}
	key := f.src.canonical(name)
	f.mu.Lock()
	defer f.mu.Unlock()
	if l, ok := f.layers[key]; ok {
		return l, nil
	}
	size, err := f.src.stat(name)
	if err != nil {
		return nil, err
	}
	rc, err := f.src.open(name)
	if err != nil {
		return nil, err
	}
	var magic [2]byte
	n, _ := io.ReadFull(rc, magic[:])
	_ = rc.Close()
	l := &layerFile{src: f.src, name: key, size: size, gzipped: n == 2 && magic == gzipMagic}
	l.plain = lazy.New(l.hash)
	f.layers[key] = l
	return l, nil
}

// layerFile is a layer as a file holds it.
type layerFile struct {
	src     files
	name    string
	size    int64
	gzipped bool // its first bytes are gzip's
	plain   *lazy.Value[digest.Digest]
}

func (l *layerFile) hash(ctx context.Context) (digest.Digest, error) {
	counts.hashes.Add(1)
	rc, err := l.src.open(l.name)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	d := digest.Canonical.Digester()
	// In large reads: io.Copy's 32 KiB is a system call each.
	n, err := io.CopyBuffer(d.Hash(), ctxReader{ctx: ctx, r: rc}, make([]byte, hashBufferSize))
	if err != nil {
		return "", fmt.Errorf("%s: %w", l.name, err)
	}
	if n != l.size {
		return "", fmt.Errorf("%s: %d bytes read, the file had %d when loaded", l.name, n, l.size)
	}
	return d.Digest(), nil
}

// check compares the file's bytes with the descriptor that names them.
func (l *layerFile) check(ctx context.Context, want ocispec.Descriptor) error {
	got, err := l.plain.Get(ctx)
	if err != nil {
		return err
	}
	if got != want.Digest || l.size != want.Size {
		return fmt.Errorf("%s: its content is %s of %d bytes, not the %s of %d bytes its name and its manifest say", l.name, got, l.size, want.Digest, want.Size)
	}
	return nil
}

func (l *layerFile) open(ctx context.Context) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return l.src.open(l.name)
}

// hashBufferSize is what a layer is read in to be hashed.
const hashBufferSize = 256 << 10

// ctxReader stops reading when its context ends, so a hash or a
// compression cut short by the end of a test stops with it.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// isUncompressedLayer tells the layer media types of plain tars.
func isUncompressedLayer(mediaType string) bool {
	return mediaType == ocispec.MediaTypeImageLayer || mediaType == string(types.DockerUncompressedLayer)
}

// gzipType is the media type of a gzip layer in a manifest of manifestType.
func gzipType(manifestType string) string {
	if manifestType == string(types.DockerManifestSchema2) {
		return string(types.DockerLayer)
	}
	return ocispec.MediaTypeImageLayerGzip
}

// configPlatform reads the platform an image config names.
func configPlatform(config []byte) (ocispec.Platform, bool) {
	var c struct {
		OS           string `json:"os"`
		Architecture string `json:"architecture"`
		Variant      string `json:"variant"`
	}
	if json.Unmarshal(config, &c) != nil || c.OS == "" || c.Architecture == "" {
		return ocispec.Platform{}, false
	}
	return ocispec.Platform{OS: c.OS, Architecture: c.Architecture, Variant: c.Variant}, true
}

// checkPlatform refuses a single image whose config is not of the
// platform the script asked for: there is no index to pick from.
func checkPlatform(config []byte, want *ocispec.Platform) error {
	if want == nil {
		return nil
	}
	got, ok := configPlatform(config)
	if !ok {
		return fmt.Errorf("platform %s: the image is not an index, and its config names no platform", registry.FormatPlatform(*want))
	}
	if _, match := registry.MatchPlatform([]ocispec.Descriptor{{Platform: &got}}, *want); !match {
		return fmt.Errorf("platform %s: the image is not an index, and it is %s", registry.FormatPlatform(*want), registry.FormatPlatform(got))
	}
	return nil
}

// Platforms tells what an image is for: an index's images' platforms, in
// its order; an image's, as its config names it (none if it names none).
// A generated image's config is built from its layers' digests, so the
// first call may digest them, as reading its config does.
func Platforms(ctx context.Context, img *registry.Image) ([]string, error) {
	out := []string{}
	if img.IsIndex() {
		for _, c := range img.Manifests {
			if c.Platform != nil {
				out = append(out, registry.FormatPlatform(*c.Platform))
			}
		}
		return out, nil
	}
	if img.Platform != nil {
		return append(out, registry.FormatPlatform(*img.Platform)), nil
	}
	if img.Config == nil {
		return out, nil
	}
	rc, err := img.Config.Open(ctx)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	config, err := io.ReadAll(io.LimitReader(rc, registry.MaxManifestSize))
	if err != nil {
		return nil, err
	}
	if p, ok := configPlatform(config); ok {
		out = append(out, registry.FormatPlatform(p))
	}
	return out, nil
}
