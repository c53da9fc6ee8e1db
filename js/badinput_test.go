package js_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestBadInputIsRefusedAtOnceNamingTheCulprit holds the bad inputs a new
// user tried: each throws at the call, before any request, with a message
// that names what was wrong and echoes no secret.
func TestBadInputIsRefusedAtOnceNamingTheCulprit(t *testing.T) {
	t.Parallel()
	v := newVU(t)
	v.start()
	v.run(`const client = new registry.Client({ url: "http://127.0.0.1:1" }); const img = registry.generate({ layerSize: 4096 });`)
	big := `"` + strings.Repeat("x", 5<<20) + `"`
	cases := map[string]string{
		`new registry.Client({ url: "http://127.0.0.1:1", headers: { "X-A": "a\r\nInjected: secret" } })`:               `header "X-A"`,
		`new registry.Client({ url: "http://127.0.0.1:1", headers: { "Bad Name": "v" } })`:                              `header "Bad Name"`,
		`client.getBlob("team/app", img.digest, { range: [0.5, 2.7] })`:                                                 `got [0.5,2.7]`,
		`client.getBlob("team/app", img.digest, { range: [NaN, 2] })`:                                                   `got [NaN,2]`,
		`client.getBlob("team/app", img.digest, { range: [0, 1e30] })`:                                                  `got [0,1e+30]`,
		`client.getBlob("team/app", img.digest, { range: [-1, 5] })`:                                                    `got [-1, 5]`,
		`new registry.Client({ url: "http://127.0.0.1:1", retry: 0 })`:                                                  `"attempts" must be from 1 to 10; got 0`,
		`new registry.Client({ url: "http://127.0.0.1:1", retry: { atempts: 3 } })`:                                     `unknown option "atempts"`,
		`new registry.Client({ url: "http://127.0.0.1:1", retry: { statuses: [200] } })`:                                `"statuses" must be 4xx or 5xx statuses; got 200`,
		`new registry.Client({ url: "http://127.0.0.1:1", retry: { statuses: ["503"] } })`:                              `"statuses" must be a list of whole numbers`,
		`new registry.Client({ url: "http://127.0.0.1:1", retry: { backoff: "soon" } })`:                                `"backoff" must be a duration`,
		`client.putManifest("team/app:1", "[]")`:                                                                        "the manifest is JSON but not an object",
		`client.putManifest("team/app:1", "{")`:                                                                         "the manifest is not JSON",
		`client.putManifest("team/app:1", { mediaType: "application/vnd.oci.image.manifest.v1+json", x: ` + big + ` })`: "more than the 4194304 registries accept",
	}
	for code, want := range cases {
		err := v.runErr(code)
		assert.Contains(t, err.Error(), want, code)
		assert.NotContains(t, err.Error(), "secret", code)
		assert.NotContains(t, err.Error(), "9223372036854775808", code)
		assert.NotContains(t, err.Error(), "map[string]", code, "a Go type in a script's message")
	}
	assert.Empty(t, v.drain(), "a refused call sent a request")

	// A Uint8Array is content, not options.
	digest := v.run(`registry.blob(new Uint8Array([1, 2, 3])).digest`).String()
	assert.Equal(t, v.run(`registry.blob(new Uint8Array([1, 2, 3]).buffer).digest`).String(), digest)
}
