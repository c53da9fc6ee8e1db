package js_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
)

// TestGenerateReturnsAtOnce generates an image of the largest layers a
// script may ask for: it returns without hashing, its plain facts read at
// once, and a digest read when the VU's context has ended throws, naming
// why, instead of hashing 16 PiB.
func TestGenerateReturnsAtOnce(t *testing.T) {
	t.Parallel()
	v := newVU(t)
	// Hashing these would not end: that the calls return is the test.
	v.run(`const huge = registry.generate({ layers: 2, layerSize: "16384TiB" });
		const blob = registry.blob({ size: "16384TiB", body: "unique" });`)
	assert.Equal(t, "application/vnd.oci.image.manifest.v1+json", v.run(`huge.mediaType`).String())
	assert.Equal(t, "", v.run(`huge.platform`).String())
	assert.Equal(t, int64(0), v.run(`huge.manifests.length`).ToInteger())

	ctx, cancel := context.WithCancel(context.Background())
	v.rt.VU.CtxField = ctx
	cancel()
	for _, read := range []string{`huge.digest`, `huge.layers[0].digest`, `huge.config.size`, `blob.digest`} {
		err := v.runErr(read)
		assert.ErrorContains(t, err, "context canceled", read)
	}
}

// TestImagePropertiesAreTheManifestsFacts reads an image's properties,
// serialises it as JSON, and checks them against what a push of it says;
// options name what they refuse.
func TestImagePropertiesAreTheManifestsFacts(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{})
	v := newVU(t)
	v.run(clientCode(reg, reg.Password))
	v.run(`
		const base = registry.generate({ layers: 1, layerSize: "300KiB", seed: 5, format: "docker" });
		const image = registry.generate({ base, layers: 1, layerSize: "700KiB", format: "docker", body: "unique" });
		const json = JSON.parse(JSON.stringify(image));
	`)
	v.start()
	v.run(`const pushed = client.push("lazy/app:1", image); const again = client.push("lazy/app:2", image);`)
	for _, check := range []string{
		`pushed.ok && pushed.digest === image.digest && again.digest === image.digest`,
		`json.digest === image.digest && json.size === image.size && json.layers.length === 2`,
		`json.layers[0].digest === base.layers[0].digest && json.layers[1].size === image.layers[1].size`,
		`image.config.mediaType === "application/vnd.docker.container.image.v1+json"`,
		`Object.keys(image).join() === "digest,mediaType,size,config,layers,manifests,platform,platforms"`,
		`JSON.stringify(json.platforms) === JSON.stringify(["linux/amd64"])`,
		`registry.blob({ size: 10, seed: 1 }).digest === registry.blob({ size: 10, seed: 1 }).digest`,
	} {
		assert.True(t, v.run(check).ToBoolean(), check)
	}
	for code, want := range map[string]string{
		`registry.generate({ body: "deduped" })`:                `generate: option "body" must be "shared" or "unique", got`,
		`registry.blob({ size: 1, body: 3 })`:                   `blob: option "body" must be a string`,
		`registry.artifact({ artifactType: "a/b", body: "x" })`: `artifact: option "body"`,
	} {
		err := v.runErr(code)
		require.ErrorContains(t, err, want, code)
	}
}
