package content_test

import (
	"archive/tar"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
	"github.com/xk6-registry/xk6-registry/registry"
	"github.com/xk6-registry/xk6-registry/registry/content"
)

var none = content.LoadOptions{Compress: content.CompressNone}

// TestLoadFollowsLinksInsideTheArchive loads what docker before 25 writes
// for a layer an image holds twice, a layer.tar that is a symbolic link to
// the first copy, with a manifest.json that is a hard link, as an archive
// tool that deduplicates files writes it; and pushes it, valid.
func TestLoadFollowsLinksInsideTheArchive(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{})
	base, top := layerTar(t, "base", 3000, 100), layerTar(t, "top", 5000)
	layers := []string{"aaa/layer.tar", "bbb/layer.tar", "ccc/layer.tar"}
	save := legacySave(t, map[string][]byte{layers[0]: base, layers[1]: top, layers[2]: base},
		legacyImage{tags: []string{"example/app:1.0"}, layers: layers})
	manifest := save[len(save)-1]
	entries := append(save[:len(save)-1:len(save)-1],
		tarEntry{name: "meta/manifest.json", data: manifest.data},
		tarEntry{name: "manifest.json", typ: tar.TypeLink, link: "meta/manifest.json"},
		tarEntry{name: "aaa/layer.tar", data: base},
		tarEntry{name: "bbb/layer.tar", data: top},
		tarEntry{name: "ccc/layer.tar", typ: tar.TypeSymlink, link: "../aaa/layer.tar"},
	)
	p := filepath.Join(t.TempDir(), "docker24.tar")
	writeTar(t, p, entries...)

	for _, opts := range []content.LoadOptions{none, {}} {
		img, err := content.Load(p, opts)
		require.NoError(t, err)
		require.Len(t, img.Layers, 3)
		if opts.Compress == content.CompressNone {
			assert.Equal(t, digest.FromBytes(base), registrytest.Descriptor(t, img.Layers[2]).Digest, "the link streams what it leads to")
			assert.Equal(t, digest.FromBytes(base), streamDigestOnly(t, img.Layers[2]))
		}
		pushAndValidate(t, reg, "links/"+string(opts.Compress)+"app:1", img)
	}
}

func TestLoadRefusesLinksThatLeaveTheArchive(t *testing.T) {
	t.Parallel()
	layer := layerTar(t, "l", 100)
	for name, link := range map[string]tarEntry{
		"up":       {typ: tar.TypeSymlink, link: "../../etc/passwd"},
		"absolute": {typ: tar.TypeSymlink, link: "/etc/passwd"},
		"hard up":  {typ: tar.TypeLink, link: "../etc/passwd"},
		"missing":  {typ: tar.TypeSymlink, link: "nowhere.tar"},
		"loop":     {typ: tar.TypeSymlink, link: "layer.tar"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			link.name = "layer.tar"
			entries := append(legacySave(t, map[string][]byte{"layer.tar": layer}, legacyImage{layers: []string{"layer.tar"}}), link)
			p := filepath.Join(t.TempDir(), "save.tar")
			writeTar(t, p, entries...)
			_, err := content.Load(p, none)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "layer.tar")
		})
	}
}

// TestLoadExpandsSparseEntries pushes a layer that GNU tar stored sparse
// (its zero runs left out of the archive): the registry gets the layer's
// real bytes, never the archive's map and fragments.
func TestLoadExpandsSparseEntries(t *testing.T) {
	t.Parallel()
	tarBin, err := exec.LookPath("tar")
	require.NoError(t, err, "GNU tar writes the sparse archives")
	reg := registrytest.Start(t, registrytest.Options{})
	dir := t.TempDir()
	save := filepath.Join(dir, "save")
	layer := sparseLayer(t)
	entries := legacySave(t, map[string][]byte{"abc/layer.tar": layer}, legacyImage{tags: []string{"sparse:1"}, layers: []string{"abc/layer.tar"}})
	writeDir(t, save, entries)
	require.NoError(t, os.MkdirAll(filepath.Join(save, "abc"), 0o755))
	writeHoles(t, filepath.Join(save, "abc", "layer.tar"), layer)

	for _, format := range []string{"pax", "gnu"} {
		t.Run(format, func(t *testing.T) {
			p := filepath.Join(dir, format+".tar")
			out, err := exec.Command(tarBin, "--sparse", "--format="+format, "-C", save, "-cf", p, ".").CombinedOutput()
			require.NoError(t, err, "%s", out)
			fi, err := os.Stat(p)
			require.NoError(t, err)
			require.Less(t, fi.Size(), int64(len(layer)/4), "tar stored the layer sparse")

			img, err := content.Load(p, none)
			require.NoError(t, err)
			assert.Equal(t, digest.FromBytes(layer), registrytest.Descriptor(t, img.Layers[0]).Digest)
			d, n := streamDigest(t, img.Layers[0])
			assert.Equal(t, digest.FromBytes(layer), d, "the layer streams expanded")
			assert.Equal(t, int64(len(layer)), n)
			pushAndValidate(t, reg, "sparse/"+format+":1", img)
		})
	}
}

// sparseLayer is a layer tar of a small file and a 4 MiB one of zeros but
// for a few bytes: room for a sparse archive to leave out.
func sparseLayer(t testing.TB) []byte {
	t.Helper()
	files := layerTar(t, "dense", 2000)
	data := make([]byte, 4<<20)
	copy(data[1<<20:], "not a hole")
	var b strings.Builder
	tw := tar.NewWriter(&b)
	require.NoError(t, tw.WriteHeader(&tar.Header{Name: "zeros.bin", Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(data))}))
	_, err := tw.Write(data)
	require.NoError(t, err)
	require.NoError(t, tw.Close())
	// The dense file first, then the mostly zero one: drop the first
	// tar's end-of-archive blocks.
	return append(files[:len(files)-1024:len(files)-1024], b.String()...)
}

// writeHoles writes data to p leaving every all-zero 4 KiB block a hole,
// so GNU tar --sparse finds them.
func writeHoles(t testing.TB, p string, data []byte) {
	t.Helper()
	f, err := os.Create(p)
	require.NoError(t, err)
	defer f.Close()
	const block = 4096
	zero := make([]byte, block)
	for off := 0; off < len(data); off += block {
		chunk := data[off:min(off+block, len(data))]
		if string(chunk) == string(zero[:len(chunk)]) {
			continue
		}
		_, err := f.WriteAt(chunk, int64(off))
		require.NoError(t, err)
	}
	require.NoError(t, f.Truncate(int64(len(data))))
}

// withinSeconds fails the test when load does not return in time: a
// FIFO that is opened blocks forever, and /dev/zero never ends.
func withinSeconds(t *testing.T, load func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- load() }()
	select {
	case err := <-done:
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("the load did not return: it opened or read what is not a regular file")
		return nil
	}
}

// TestLoadRefusesWhatIsNotARegularFile: a layer that is a FIFO or a
// character device, in a docker save directory or tar, or the path given
// itself, is refused at once, naming it; none is opened to be read.
func TestLoadRefusesWhatIsNotARegularFile(t *testing.T) {
	t.Parallel()
	layer := layerTar(t, "l", 100)
	save := legacySave(t, map[string][]byte{"abc/layer.tar": layer}, legacyImage{layers: []string{"abc/layer.tar"}})

	for kind, typ := range map[string]byte{"a named pipe (FIFO)": tar.TypeFifo, "a character device": tar.TypeChar} {
		t.Run("tar with "+kind, func(t *testing.T) {
			t.Parallel()
			p := filepath.Join(t.TempDir(), "save.tar")
			writeTar(t, p, append(save, tarEntry{name: "abc/layer.tar", typ: typ})...)
			_, err := content.Load(p, none)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "abc/layer.tar is "+kind)
		})
	}

	makeNode := map[string]func(p string) error{
		"a named pipe (FIFO)": func(p string) error { return syscall.Mkfifo(p, 0o644) },
		"a character device": func(p string) error {
			return syscall.Mknod(p, syscall.S_IFCHR|0o644, 1<<8|5) // /dev/zero: 1, 5
		},
	}
	for kind, mk := range makeNode {
		t.Run("directory with "+kind, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			writeDir(t, dir, save)
			node := filepath.Join(dir, "abc", "layer.tar")
			require.NoError(t, os.MkdirAll(filepath.Dir(node), 0o755))
			if err := mk(node); errors.Is(err, syscall.EPERM) && os.Getenv("CI") != "true" {
				t.Skipf("making %s needs root: %v", kind, err)
			} else {
				require.NoError(t, err)
			}
			for route, load := range map[string]func() error{
				"disk":        func() error { _, err := content.Load(dir, none); return err },
				"file system": func() error { _, err := content.LoadFS(diskFS{}, dir, true, none); return err },
			} {
				err := withinSeconds(t, load)
				require.Error(t, err, route)
				assert.Contains(t, err.Error(), "abc/layer.tar is "+kind, route)
			}
			// The path given to load() itself.
			err := withinSeconds(t, func() error { _, err := content.Load(node, none); return err })
			require.Error(t, err)
			assert.Contains(t, err.Error(), "is "+kind)
			err = withinSeconds(t, func() error { _, err := content.LoadFS(diskFS{}, node, true, none); return err })
			require.Error(t, err)
			assert.Contains(t, err.Error(), "is "+kind)
		})
	}
}

// TestLayoutBlobCheckedBeforeItsUpload: a layer of an OCI layout whose
// bytes are not what its name says is refused before its upload, naming
// its file; the registry gets none of it.
func TestLayoutBlobCheckedBeforeItsUpload(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{})
	src := uncompressedImage(t)
	dir := fixtures(t, src)["OCI layout directory"]
	layers, err := src.Layers()
	require.NoError(t, err)
	d, err := layers[0].Digest()
	require.NoError(t, err)
	blob := filepath.Join(dir, "blobs", "sha256", d.Hex)
	data, err := os.ReadFile(blob)
	require.NoError(t, err)
	data[len(data)/2] ^= 0xff // same size, other bytes
	require.NoError(t, os.WriteFile(blob, data, 0o644))

	img, err := content.Load(dir, none)
	require.NoError(t, err, "checking costs a pass over the layer: it is done before its first upload, not at load")
	c, err := registry.New(registry.Config{URL: reg.URL})
	require.NoError(t, err)
	for _, mode := range []registry.UploadMode{registry.UploadStream, registry.UploadChunked} {
		_, err = c.Push(context.Background(), "mismatch/app:1", img, registry.PushOptions{UploadOptions: registry.UploadOptions{Mode: mode}})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "blobs/sha256/"+d.Hex, "the error names the file")
		assert.Contains(t, err.Error(), "not the sha256:"+d.Hex)
		assert.True(t, registry.HasCode(err, registry.CodeContentUnreadable), "%v", err)
	}
	_, err = os.Stat(reg.BlobDataPath(digest.Digest("sha256:" + d.Hex)))
	assert.True(t, os.IsNotExist(err), "the registry never got the layer")
	// Every blob is described before any is uploaded: no upload session
	// was ever opened in the repository, which would have made it.
	_, err = os.Stat(filepath.Join(reg.Dir, "docker/registry/v2/repositories/mismatch"))
	assert.True(t, os.IsNotExist(err), "nothing was sent to the repository")
}

// TestLayerListedManyTimesIsHashedOnce: a docker save listing one layer
// 10,000 times loads with one pass over the layer, however many times its
// digest is asked for. It counts hashes, not time: other tests must not
// load at once, so it is not parallel.
func TestLayerListedManyTimesIsHashedOnce(t *testing.T) {
	layer := layerTar(t, "once", 1<<20)
	names := make([]string, 10_000)
	for i := range names {
		names[i] = "layer.tar"
	}
	save := legacySave(t, map[string][]byte{"layer.tar": layer}, legacyImage{tags: []string{"many:1"}, layers: names})
	p := filepath.Join(t.TempDir(), "many.tar")
	writeTar(t, p, append(save, tarEntry{name: "layer.tar", data: layer})...)

	before := content.Counts()
	img, err := content.Load(p, none)
	require.NoError(t, err)
	m := registrytest.Descriptor(t, img)
	assert.Positive(t, m.Size)
	for _, l := range img.Layers[:100] {
		assert.Equal(t, digest.FromBytes(layer), registrytest.Descriptor(t, l).Digest)
	}
	after := content.Counts()
	assert.Equal(t, int64(1), after.Hashes-before.Hashes, "one layer, one hash")
	assert.Equal(t, int64(1), after.Reads-before.Reads)
}

// TestConcurrentLoadsReadTheFileOnce: VUs start together, and their loads
// of one file share one read. Not parallel, as it counts reads.
func TestConcurrentLoadsReadTheFileOnce(t *testing.T) {
	src := uncompressedImage(t)
	for kind, p := range fixtures(t, src) {
		before := content.Counts()
		var wg sync.WaitGroup
		images := make([]*registry.Image, 8)
		for i := range images {
			wg.Go(func() {
				img, err := content.Load(p, content.LoadOptions{})
				assert.NoError(t, err)
				images[i] = img
			})
		}
		wg.Wait()
		after := content.Counts()
		assert.Equal(t, int64(1), after.Reads-before.Reads, "%s: eight loads at once, one read", kind)
		for _, img := range images {
			assert.Same(t, images[0], img, "%s: every load gets the one image", kind)
		}
	}
}
