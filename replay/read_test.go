package replay

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Lines as distribution v3.1.2 wrote them on this machine: a startup
// message, a request, a HEAD that 404ed (the error form) and one behind a
// proxy (X-Forwarded-For), with µs in a duration.
const jsonSample = `{"go.version":"go1.26.8","instance.id":"01a2","level":"info","msg":"listening on 127.0.0.1:45817","time":"2026-12-02T05:27:56.538122194Z","version":"v3.1.2+unknown"}
{"go.version":"go1.26.8","http.request.host":"127.0.0.1:45817","http.request.id":"01a3","http.request.method":"GET","http.request.remoteaddr":"127.0.0.1:42074","http.request.uri":"/v2/","http.request.useragent":"curl/7.88.1","http.response.contenttype":"application/json","http.response.duration":"692.303µs","http.response.status":200,"http.response.written":2,"level":"info","msg":"response completed","time":"2026-12-02T05:27:58.022338705Z"}
{"err.code":"manifest unknown","err.detail":"unknown tag=latest","err.message":"manifest unknown","http.request.method":"HEAD","http.request.remoteaddr":"127.0.0.1:42084","http.request.uri":"/v2/foo/manifests/latest","http.response.duration":"368.52µs","http.response.status":404,"http.response.written":100,"level":"error","msg":"response completed with error","time":"2026-12-02T05:27:58.044787868Z","vars.name":"foo","vars.reference":"latest","auth.user.name":"alice"}
{"err.code":"name unknown","err.detail":{"name":"foo"},"http.request.method":"GET","http.request.remoteaddr":"10.1.2.3","http.request.uri":"/v2/foo/tags/list?n=2\u0026last=a","http.response.duration":"3.969495ms","http.response.status":404,"http.response.written":111,"level":"error","msg":"response completed with error","time":"2026-12-02T05:27:58.152372079Z","vars.name":"foo"}
`

func TestReadDistributionJSON(t *testing.T) {
	lg, err := ReadLog(strings.NewReader(jsonSample), "registry.log", FormatJSON)
	require.NoError(t, err)
	assert.Equal(t, 4, lg.Lines)
	assert.Equal(t, 1, lg.NotRequests, "the startup message is not a request")
	require.Len(t, lg.Requests, 3)
	ping := lg.Requests[0]
	end := time.Date(2026, 12, 2, 5, 27, 58, 22338705, time.UTC)
	assert.Equal(t, end.Add(-692303*time.Nanosecond), ping.Start, "the line's time is the end")
	assert.Equal(t, RouteBase, ping.Route.Kind)
	assert.Equal(t, "127.0.0.1", ping.Client, "the port names a connection, not a client")
	assert.Equal(t, "curl/7.88.1", ping.Agent)
	head := lg.Requests[1]
	assert.Equal(t, Route{Kind: RouteManifest, Repo: "foo", Reference: "latest"}, head.Route)
	assert.Equal(t, 404, head.Status)
	assert.Equal(t, "alice", head.User)
	tags := lg.Requests[2]
	assert.Equal(t, "10.1.2.3", tags.Client, "X-Forwarded-For, as the registry logged it")
	assert.Equal(t, "2", tags.Query.Get("n"))
	assert.Equal(t, "registry.log:4", tags.Where)
}

func TestBadLinesAreRefusedByLine(t *testing.T) {
	for name, c := range map[string]struct {
		format Format
		log    string
		want   string
	}{
		"text":         {FormatJSON, "time=\"2026\" level=info msg=\"response completed\"\n", "registry.log:1: not a JSON log line"},
		"duration":     {FormatJSON, `{"msg":"response completed","http.request.method":"GET","http.request.uri":"/v2/","http.response.status":200,"time":"2026-12-02T05:27:58Z","http.response.duration":"soon"}` + "\n", `registry.log:1: http.response.duration "soon"`},
		"status":       {FormatJSON, `{"msg":"response completed","http.request.method":"GET","http.request.uri":"/v2/","http.response.status":0,"time":"2026-12-02T05:27:58Z","http.response.duration":"1ms"}` + "\n", "status 0"},
		"combined":     {FormatCombined, "not a log line\n", "registry.log:1: not an Apache Combined log line"},
		"ibm array":    {FormatIBM, `[{"timestamp":"2017-06-20T02:42:04.153Z","http.request.method":"GET"}]`, "record 1: no http.request.method or http.request.uri"},
		"ibm duration": {FormatIBM, `{"timestamp":"2017-06-20T02:42:04.153Z","http.request.method":"GET","http.request.uri":"v2/","http.request.duration":-1,"http.response.status":200}` + "\n", "is not a number of seconds"},
		"format":       {"apache", "", `log format "apache" is not one of`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ReadLog(strings.NewReader(c.log), "registry.log", c.format)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

func TestReadCombined(t *testing.T) {
	lg, err := ReadLog(strings.NewReader(`127.0.0.1 - - [02/Dec/2026:05:27:58 +0000] "HEAD /v2/foo/manifests/latest HTTP/1.1" 404 100 "" "curl/7.88.1"
127.0.0.2 - bob [02/Dec/2026:05:27:59 +0000] "GET /nothing HTTP/1.1" 401 - "" "docker/24"
`), "access.log", FormatCombined)
	require.NoError(t, err)
	require.Len(t, lg.Requests, 2)
	assert.Equal(t, time.Date(2026, 12, 2, 5, 27, 58, 0, time.UTC), lg.Requests[0].Start.UTC())
	assert.Equal(t, RouteManifest, lg.Requests[0].Route.Kind)
	assert.Equal(t, int64(100), lg.Requests[0].Written)
	assert.Equal(t, "curl/7.88.1", lg.Requests[0].Agent)
	assert.Equal(t, RouteUnknown, lg.Requests[1].Route.Kind)
	assert.Equal(t, "bob", lg.Requests[1].User)
	assert.Zero(t, lg.Requests[1].Written, `"-" is no body`)
}

func TestReadIBMArrayAndLines(t *testing.T) {
	record := `{"host":"6fc4","http.request.duration":0.5,"http.request.method":"GET","http.request.remoteaddr":"0ee76ffa","http.request.uri":"v2/ee5d/5b5b/blobs/sha256:` + strings.Repeat("a", 64) + `","http.request.useragent":"docker/17.03","http.response.status":200,"http.response.written":1948,"id":"e5d1","timestamp":"2017-06-20T02:42:04.153Z"}`
	for name, log := range map[string]string{"array": "[" + record + "," + record + "]", "lines": record + "\n" + record + "\n"} {
		t.Run(name, func(t *testing.T) {
			lg, err := ReadLog(strings.NewReader(log), "trace.json", FormatIBM)
			require.NoError(t, err)
			require.Len(t, lg.Requests, 2)
			r := lg.Requests[0]
			assert.Equal(t, Route{Kind: RouteBlob, Repo: "ee5d/5b5b", Digest: "sha256:" + strings.Repeat("a", 64)}, r.Route, "the trace drops the leading slash")
			assert.Equal(t, 500*time.Millisecond, r.Duration)
			assert.Equal(t, time.Date(2017, 6, 20, 2, 42, 3, 653000000, time.UTC), r.Start.UTC(), "start is the timestamp less the duration")
			assert.Equal(t, "0ee76ffa", r.Client)
			assert.Equal(t, int64(1948), r.Written)
		})
	}
}

func TestMergeTakesFromTheAccessLogWhatTheJSONLogLacks(t *testing.T) {
	j, err := ReadLog(strings.NewReader(jsonSample), "registry.log", FormatJSON)
	require.NoError(t, err)
	a, err := ReadLog(strings.NewReader(`127.0.0.1 - - [02/Dec/2026:05:27:58 +0000] "GET /v2/ HTTP/1.1" 200 2 "" "curl/7.88.1"
127.0.0.1 - - [02/Dec/2026:05:27:58 +0000] "GET /v2/foo/manifests/latest HTTP/1.1" 401 0 "" "curl/7.88.1"
127.0.0.1 - - [02/Dec/2026:05:27:58 +0000] "HEAD /v2/foo/manifests/latest HTTP/1.1" 404 100 "" "curl/7.88.1"
127.0.0.1 - - [02/Dec/2026:05:27:58 +0000] "GET /nothing HTTP/1.1" 404 19 "" "curl/7.88.1"
`), "access.log", FormatCombined)
	require.NoError(t, err)
	merged := Merge(j, a)
	require.Len(t, merged, 5, "three from the JSON log, the 401 and the unrouted request from the access log")
	var onlyAccess []string
	for _, r := range merged {
		if r.Where[:6] == "access" {
			onlyAccess = append(onlyAccess, r.Method+" "+r.Path)
		}
	}
	assert.ElementsMatch(t, []string{"GET /v2/foo/manifests/latest", "GET /nothing"}, onlyAccess)
}

func TestParseRoute(t *testing.T) {
	d := "sha256:" + strings.Repeat("0", 64)
	for path, want := range map[string]Route{
		"/v2/":                            {Kind: RouteBase},
		"/v2/_catalog":                    {Kind: RouteCatalog},
		"/v2/a/b/c/tags/list":             {Kind: RouteTags, Repo: "a/b/c"},
		"/v2/team/app/manifests/1.0":      {Kind: RouteManifest, Repo: "team/app", Reference: "1.0"},
		"/v2/team/app/manifests/" + d:     {Kind: RouteManifest, Repo: "team/app", Reference: d},
		"/v2/team/app/blobs/" + d:         {Kind: RouteBlob, Repo: "team/app", Digest: d},
		"/v2/team/app/blobs/uploads/":     {Kind: RouteUploads, Repo: "team/app"},
		"/v2/team/app/blobs/uploads/u-1":  {Kind: RouteUpload, Repo: "team/app", UUID: "u-1"},
		"/v2/team/app/referrers/" + d:     {Kind: RouteReferrers, Repo: "team/app", Digest: d},
		"/v2/blobs/blobs/uploads/":        {Kind: RouteUploads, Repo: "blobs"},
		"/v2/Team/app/manifests/1.0":      {},
		"/v2/team/app/blobs/not-a-digest": {},
		"/v2/team/app/manifests/:bad":     {},
		"/nothing":                        {},
		"/v2/team/app":                    {},
	} {
		assert.Equal(t, want, ParseRoute(path), path)
	}
}
