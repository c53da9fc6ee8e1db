package js_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
	"github.com/xk6-registry/xk6-registry/js"
	"github.com/xk6-registry/xk6-registry/registry/content"
)

// TestGetManifestParsesOnFirstRead gets a manifest and reads only its
// facts: nothing is parsed. Its first read parses it, as JSON.parse would
// have, key order kept: it serialises to the bytes pushed, and what a
// script changes in it goes to putManifest.
func TestGetManifestParsesOnFirstRead(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{})
	seed := uint64(19)
	img, err := content.Generate(content.GenerateOptions{Layers: 1, LayerSize: 4096, Seed: &seed})
	require.NoError(t, err)
	raw, err := img.Manifest(context.Background())
	require.NoError(t, err)
	v := newVU(t)
	v.run(clientCode(reg, reg.Password))
	v.start()
	v.run(`const pushed = client.push("lazy/manifest:1", registry.generate({ layers: 1, layerSize: "` + "4KiB" + `", seed: 19 }));
		const got = client.getManifest("lazy/manifest:1");
		const facts = got.ok && got.status === 200 && got.digest === pushed.digest && got.size > 0;`)
	require.True(t, v.run(`pushed.ok && facts`).ToBoolean())
	lazy, parsed := js.ManifestParsed(v.run(`got.manifest`))
	require.True(t, lazy, "manifest is the lazy object")
	require.False(t, parsed, "reading ok, status, digest and size parsed the manifest")

	assert.Equal(t, string(raw), v.run(`JSON.stringify(got.manifest)`).String(), "key order and values as pushed")
	_, parsed = js.ManifestParsed(v.run(`got.manifest`))
	assert.True(t, parsed)
	for _, check := range []string{
		`got.manifest === got.manifest && got.manifest.layers.length === 1 && got.manifest.schemaVersion === 2`,
		`"layers" in got.manifest && got.manifest.hasOwnProperty("config") && !got.manifest.hasOwnProperty("toString")`,
		`typeof got.manifest.toString === "function" && got.manifest.nothing === undefined`,
		`Object.keys(got.manifest).join() === Object.keys(JSON.parse(JSON.stringify(got.manifest))).join()`,
		`(() => { got.manifest.annotations = { team: "a" }; const put = client.putManifest("lazy/manifest:2", got.manifest);
			return put.ok && client.getManifest("lazy/manifest:2").manifest.annotations.team === "a"; })()`,
		`(() => { delete got.manifest.annotations; return client.putManifest("lazy/manifest:3", got.manifest).digest === pushed.digest; })()`,
	} {
		assert.True(t, v.run(check).ToBoolean(), check)
	}
}

// TestGetManifestOfABodyThatIsNoObject serves manifests that are no JSON
// object from files: manifest is null, as it was when parsing failed.
func TestGetManifestOfABodyThatIsNoObject(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	dir := filepath.Join(root, "v2", "odd", "app", "manifests")
	require.NoError(t, os.MkdirAll(dir, 0o750))
	for tag, body := range map[string]string{"text": "not json", "array": `[{"schemaVersion": 2}]`, "cut": `{"schemaVersion": 2`} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, tag), []byte(body), 0o600))
	}
	n := registrytest.StartNginx(t, registrytest.NginxOptions{Root: root})
	v := newVU(t)
	v.run(`const client = new registry.Client({ url: "` + n.URL + `" });`)
	v.start()
	for _, tag := range []string{"text", "array", "cut"} {
		assert.True(t, v.run(`(() => { const r = client.getManifest("odd/app:`+tag+`"); return r.ok && r.manifest === null; })()`).ToBoolean(), tag)
	}
}
