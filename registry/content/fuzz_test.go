package content_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/xk6-registry/xk6-registry/registry"
	"github.com/xk6-registry/xk6-registry/registry/content"
)

// readLayers opens every layer of a loaded image and reads it to the end,
// as a push would, and says whether each had its descriptor's size.
func readLayers(t *testing.T, img *registry.Image) {
	t.Helper()
	for i, l := range img.Layers {
		rc, err := l.Open(context.Background())
		if err != nil {
			continue
		}
		desc, err := l.Descriptor(context.Background())
		if err != nil {
			t.Fatalf("layer %d of a loaded image has no descriptor: %v", i, err)
		}
		n, _ := io.Copy(io.Discard, io.LimitReader(rc, desc.Size+1))
		_ = rc.Close()
		if n > desc.Size {
			t.Fatalf("layer %d streams more than its %d bytes", i, desc.Size)
		}
	}
}

// FuzzLoadArchive feeds Load tar archives: a real docker save, an OCI
// layout, and their mutations.
//
// The seeds are files under testdata/fuzz/FuzzLoadArchive (a docker save
// of examples/testdata, an OCI layout tar, a docker 25 save): the fuzzing
// engine needs the same seeds in every process, and fixtures made here
// would differ in their timestamps.
func FuzzLoadArchive(f *testing.F) {
	f.Fuzz(func(t *testing.T, archive []byte) {
		f, err := os.CreateTemp("", "fuzz-*.tar")
		if err != nil {
			t.Fatal(err)
		}
		p := f.Name()
		defer os.Remove(p)
		_, err = f.Write(archive)
		if cerr := f.Close(); err != nil || cerr != nil {
			t.Fatal(err, cerr)
		}
		img, err := content.Load(p, content.LoadOptions{})
		if err == nil {
			readLayers(t, img)
		}
		// The same bytes held in memory, as open(path, "b") gives them.
		held, heldErr := content.LoadBytes(archive, content.LoadOptions{})
		if (err == nil) != (heldErr == nil) {
			t.Fatalf("from the file: %v; from bytes: %v", err, heldErr)
		}
		if heldErr == nil {
			readLayers(t, held)
		}
	})
}

// FuzzLoadManifestJSON feeds Load the JSON files that name an image's
// parts, in a directory beside a real config and layer.
func FuzzLoadManifestJSON(f *testing.F) {
	f.Add("manifest.json", []byte(`[{"Config":"config.json","RepoTags":["a/b:1"],"Layers":["layer.tar"]}]`))
	f.Add("manifest.json", []byte(`[{"Config":"config.json","Layers":["../layer.tar","/etc/passwd"]}]`))
	f.Add("index.json", []byte(`{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2}]}`))
	f.Add("index.json", []byte(`{"manifests":[{"digest":"sha256:../../x","size":-1}]}`))
	f.Fuzz(func(t *testing.T, name string, raw []byte) {
		if name != "manifest.json" && name != "index.json" {
			return
		}
		dir := t.TempDir()
		for file, data := range map[string][]byte{name: raw, "config.json": []byte(`{}`), "layer.tar": make([]byte, 1024)} {
			if err := os.WriteFile(filepath.Join(dir, file), data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		if img, err := content.Load(dir, content.LoadOptions{}); err == nil {
			readLayers(t, img)
		}
	})
}

func FuzzParseSize(f *testing.F) {
	for _, seed := range []string{"4096", "512KiB", "4MB", "1.5GiB", "4000TiB", "-1", "1e30", "NaN", "0.5", " 7 mib "} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if n, err := content.ParseSize(s); err == nil && n < 0 {
			t.Fatalf("%q read as %d bytes", s, n)
		}
	})
}
