package auth

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseChallenges(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		values []string
		want   []challenge
	}{
		{
			name:   "bearer with a quoted comma in the scope",
			values: []string{`Bearer realm="https://auth.example/token",service="registry.example",scope="repository:team/app:pull,push"`},
			want: []challenge{{scheme: "bearer", params: map[string]string{
				"realm": "https://auth.example/token", "service": "registry.example", "scope": "repository:team/app:pull,push",
			}}},
		},
		{
			name:   "two challenges in one header, spaces and case",
			values: []string{`Basic realm="Registry Realm" , BEARER Realm=https://a/t, Service="s"`},
			want: []challenge{
				{scheme: "basic", params: map[string]string{"realm": "Registry Realm"}},
				{scheme: "bearer", params: map[string]string{"realm": "https://a/t", "service": "s"}},
			},
		},
		{
			name:   "challenges in separate headers, escaped quote",
			values: []string{`Basic realm="a \"quoted\" realm"`, `Bearer realm="r"`},
			want: []challenge{
				{scheme: "basic", params: map[string]string{"realm": `a "quoted" realm`}},
				{scheme: "bearer", params: map[string]string{"realm": "r"}},
			},
		},
		{
			name:   "scheme without parameters",
			values: []string{`Negotiate, Basic realm=x`},
			want: []challenge{
				{scheme: "negotiate", params: map[string]string{}},
				{scheme: "basic", params: map[string]string{"realm": "x"}},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, parseChallenges(tc.values))
		})
	}
}

func TestParseChallengesNeverLoops(t *testing.T) {
	t.Parallel()
	// Malformed input must end, and yield nothing invented.
	for _, v := range []string{``, `,,,`, `=`, `"`, `Bearer =x`, `Bearer realm="unterminated`, `Bearer realm=`, `Basic abc==, Bearer realm=r`} {
		got := parseChallenges([]string{v})
		for _, c := range got {
			require.NotEmpty(t, c.scheme, "input %q", v)
		}
	}
	got := parseChallenges([]string{`Basic abc==, Bearer realm=r`})
	require.Len(t, got, 2)
	assert.Equal(t, "r", got[1].params["realm"])
}

func TestNormalizeScopesGivesOneKeyPerSetOfRights(t *testing.T) {
	t.Parallel()
	assert.Equal(t,
		normalizeScopes([]string{"repository:team/app:pull,push"}),
		normalizeScopes([]string{"repository:team/app:push,pull", "repository:team/app:pull"}))
	assert.Equal(t,
		[]string{"registry:catalog:*", "repository:a:pull", "repository:b:pull,push"},
		normalizeScopes([]string{"repository:b:push", "registry:catalog:*", "repository:a:pull repository:b:pull"}))
	assert.Empty(t, normalizeScopes([]string{"", "nocolon"}))
}
