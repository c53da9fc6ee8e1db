package js_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
)

func TestTokensPerRequestAreMeasuredAsToken(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{Auth: registrytest.AuthToken})
	v := newVU(t)
	v.run(`const client = new registry.Client({ url: "` + reg.URL + `", username: "` + reg.Username +
		`", password: "` + reg.Password + `", tokens: "per-request" });`)
	v.start()
	v.run(`
		const pushed = client.push("unit/storm:1", registry.generate({ layers: 2, layerSize: "8KiB" }));
		const pulled = client.pull("unit/storm:1", { concurrency: 3 });
		const token = client.token("unit/storm", ["pull", "push"]);
		const one = client.token("unit/storm", "pull");
	`)
	for _, check := range []string{
		`pushed.ok && pulled.ok`,
		`token.ok && token.status === 200 && token.expiresIn === 300 && token.error === null && !("token" in token)`,
		`one.ok && one.expiresIn === 300`,
	} {
		assert.True(t, v.run(check).ToBoolean(), check)
	}
	tokens, served, challenges := 0, 0, 0
	for _, s := range v.drain() {
		if s.Metric.Name != "http_reqs" {
			continue
		}
		tags := s.Tags.Map()
		switch {
		case tags["registry_op"] == "token":
			tokens++
		case tags["status"] == "401":
			challenges++
		default:
			served++
		}
	}
	assert.Equal(t, 1, challenges, "the first request meets the challenge, without a token")
	assert.Equal(t, served+2, tokens, "one token per registry request, and one per token call")
	assert.Equal(t, tokens, reg.Tokens.Requests(), "the token server counted every one")
}

func TestTokenOptionsAreChecked(t *testing.T) {
	t.Parallel()
	v := newVU(t)
	v.start()
	v.run(`const client = new registry.Client({ url: "http://127.0.0.1:1" });`)
	for code, want := range map[string]string{
		`new registry.Client({ url: "http://x", tokens: "fresh" })`:                   `tokens "fresh" is not "cached" or "per-request"`,
		`new registry.Client({ url: "http://x", tokens: true })`:                      `option "tokens" must be a string`,
		`new registry.Client({ url: "http://x", tokens: "per-request", token: "t" })`: "a static token is never fetched",
		`client.token("unit/app")`:                                                    `the actions must be a list such as ["pull"]`,
		`client.token("unit/app", ["pull", 1])`:                                       `the actions must be a list`,
		`client.token("unit/app", ["pull", "own"])`:                                   `action "own" is not one of pull, push, delete, *`,
		`client.token("Unit", ["pull"])`:                                              `repository name "Unit" is invalid`,
	} {
		err := v.runErr(code)
		assert.Contains(t, err.Error(), want, code)
	}
}
