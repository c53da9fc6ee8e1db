package registry

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseReference(t *testing.T) {
	t.Parallel()
	const d = "sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b"
	cases := map[string]Reference{
		"app:1.0":               {Repository: "app", Tag: "1.0"},
		"team/app:latest":       {Repository: "team/app", Tag: "latest"},
		"a/b-c/d__e.f:v_1.2-rc": {Repository: "a/b-c/d__e.f", Tag: "v_1.2-rc"},
		"team/app@" + d:         {Repository: "team/app", Digest: d},
		"team/app:1.0@" + d:     {Repository: "team/app", Tag: "1.0", Digest: d},
	}
	for in, want := range cases {
		got, err := ParseReference(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
		assert.Equal(t, in, got.String())
	}
}

func TestParseReferenceRefusesWithTheCulpritNamed(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"team/app":                  "want repository:tag or repository@digest",
		"":                          "want repository:tag",
		"Team/app:1":                `repository name "Team/app" is invalid`,
		"team//app:1":               `repository name "team//app" is invalid`,
		"127.0.0.1:5000/team/app:1": `repository name "127.0.0.1:5000/team/app" is invalid`,
		"team/app:-bad":             `tag "-bad"`,
		"team/app@sha256:abc":       `digest "sha256:abc"`,
		"team/app@md5:abc":          `digest "md5:abc"`,
		":1.0":                      "repository name is empty",
	}
	for in, want := range cases {
		_, err := ParseReference(in)
		require.Error(t, err, in)
		assert.Contains(t, err.Error(), want, in)
		assert.Contains(t, err.Error(), `"`+in+`"`, "the error names the input")
	}
}
