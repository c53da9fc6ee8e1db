package js_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
)

func TestSHA512ContentRoundTripsFromAScript(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{Auth: registrytest.AuthToken})
	v := newVU(t)
	v.run(clientCode(reg, reg.Password))
	v.start()
	v.run(`
		const image = registry.generate({ layers: 2, layerSize: "64KiB", digest: "sha512" });
		const pushed = client.push("unit/sha512:1", image, { upload: "chunked", chunkSize: "16KiB" });
		const pulled = client.pull("unit/sha512:1");
		const blob = registry.blob({ size: "32KiB", digest: "sha512" });
		const up = client.uploadLayer("unit/sha512", blob);
		const got = client.getBlob("unit/sha512", blob.digest);
		const text = registry.blob("literal", { digest: "sha512" });
		const plain = registry.blob("literal");
		const upText = client.uploadLayer("unit/sha512", text, { upload: "post" });
		const head = client.headBlob("unit/sha512", text.digest);
	`)
	for _, check := range []string{
		`image.layers.every((l) => l.digest.startsWith("sha512:") && l.digest.length === 7 + 128) && image.config.digest.startsWith("sha512:")`,
		`image.digest.startsWith("sha256:")`,
		`pushed.ok && pushed.uploaded === 3 && pushed.digest === image.digest`,
		`pulled.ok && pulled.digest === image.digest && pulled.bytes === pushed.bytes && pulled.blobs === 3`,
		`blob.digest.startsWith("sha512:") && up.ok && up.digest === blob.digest && up.size === 32768`,
		`got.ok && got.bytes === 32768`,
		`text.digest.startsWith("sha512:") && plain.digest.startsWith("sha256:") && text.size === plain.size`,
		`upText.ok && head.ok && head.size === 7`,
	} {
		assert.True(t, v.run(check).ToBoolean(), check)
	}
}

func TestDigestOptionsAreChecked(t *testing.T) {
	t.Parallel()
	v := newVU(t)
	for code, want := range map[string]string{
		`registry.generate({ digest: "sha384" })`:     `generate: option "digest" must be "sha256" or "sha512", got string sha384`,
		`registry.blob({ size: 1, digest: "md5" })`:   `blob: option "digest" must be "sha256" or "sha512"`,
		`registry.blob("x", { digest: 512 })`:         `blob: option "digest" must be a string`,
		`registry.blob("x", { algorithm: "sha512" })`: `blob: unknown option "algorithm"; known: digest`,
	} {
		err := v.runErr(code)
		assert.Contains(t, err.Error(), want, code)
	}
}
