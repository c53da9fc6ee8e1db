package registry

import (
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
)

// The fuzzers feed the parsers of what a registry sends with real inputs
// (distribution's, Docker Hub's and GHCR's) and their mutations: none may
// panic, loop, or hand back a value the client would misuse.

func responseWith(header, value string) *http.Response {
	req, _ := http.NewRequest(http.MethodGet, "https://registry.example/v2/team/app/tags/list?n=2", nil)
	return &http.Response{StatusCode: http.StatusAccepted, Header: http.Header{header: {value}}, Request: req}
}

func FuzzLinkHeader(f *testing.F) {
	for _, seed := range []string{
		`</v2/_catalog?last=b&n=2>; rel="next"`,                        // distribution
		`</v2/library/ubuntu/tags/list?last=xenial&n=100>; rel="next"`, // Docker Hub
		`</v2/owner/repo/tags/list?last=v1.2.3&n=0>; rel="next"`,       // GHCR
		`<https://other.example/v2/x/tags/list?last=a>; rel=next, </prev>; rel="prev"`,
		`<>; rel="next"`, `<`, `;;;`, `<%zz>; rel="next"`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, link string) {
		next, err := nextLink(responseWith("Link", link))
		if err == nil && next != nil && !next.IsAbs() {
			t.Fatalf("next page %q is not resolved against the request", next)
		}
	})
}

func FuzzRangeHeader(f *testing.F) {
	for _, seed := range []string{"0-0", "0-1048575", "bytes=0-99", "0-9223372036854775807", "0--5", "5", "", "-", "0-1e3"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, value string) {
		resp := responseWith("Range", value)
		last, ok, err := rangeEnd(OpUploadChunk, resp)
		if err == nil && ok && (last < 0 || last == math.MaxInt64) {
			t.Fatalf("Range %q read as last byte %d", value, last)
		}
		_ = checkHeld(OpUploadChunk, resp, 100)
	})
}

func FuzzLocationHeader(f *testing.F) {
	for _, seed := range []string{
		"/v2/team/app/blobs/uploads/8b1f?_state=abc", // distribution, relative
		"http://127.0.0.1:5000/v2/team/app/blobs/uploads/8b1f?_state=abc",
		"https://upload.example/session/1", "", "%", "http://[::1", "//host/path", "javascript:alert(1)",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, value string) {
		u, err := location(OpUploadStart, responseWith("Location", value))
		if err == nil && u == nil {
			t.Fatal("no error and no URL")
		}
	})
}

func FuzzRetryAfter(f *testing.F) {
	for _, seed := range []string{"1", "120", "Wed, 21 Oct 2015 07:28:00 GMT", "-1", "99999999999999999999", "soon"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, value string) {
		if d, ok := retryAfter(http.Header{"Retry-After": {value}}); ok && d < 0 {
			t.Fatalf("Retry-After %q read as %s", value, d)
		}
	})
}

func FuzzTokenResponse(f *testing.F) {
	for _, seed := range []string{
		`{"token":"eyJ","expires_in":300,"issued_at":"2026-11-24T12:00:00Z"}`, // distribution
		`{"token":"a","access_token":"a","expires_in":300}`,                   // Docker Hub
		`{"token":"djE6"}`, // GHCR
		`{"access_token":"x","expires_in":9223372036854775807}`, `[]`, `{"token":5}`, `null`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		token, lifetime, err := parseTokenResponse(raw)
		if err == nil && (token == "" || lifetime <= 0 || lifetime > maxTokenLifetime) {
			t.Fatalf("token %q living %s from %q", token, lifetime, raw)
		}
	})
}

func FuzzErrorBody(f *testing.F) {
	for _, seed := range []string{
		`{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"latest"}}]}`,
		`{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}`,
		`{"errors":[]}`, `{"errors":[{"code":""}]}`, `<html>502 Bad Gateway</html>`, ``,
	} {
		f.Add(503, []byte(seed))
	}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		resp := &http.Response{StatusCode: status, Header: http.Header{}, Body: http.NoBody}
		resp.Body = nopBody{strings.NewReader(string(body))}
		if e := responseError(OpManifestGet, resp); e.Code == "" {
			t.Fatalf("no code for status %d and %q", status, body)
		}
	})
}

type nopBody struct{ *strings.Reader }

func (nopBody) Close() error { return nil }

var manifestSeeds = []string{
	`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae","size":3}]}`,
	`{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":1469,"digest":"sha256:9d74e28a37cb8efea9845663e0861b9e92399a2dbd6a7e820a44b4047e3b8a7d"},"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":10240,"digest":"sha256:46bb97befad982a01591c6a0424a5fd87358735463f5bc5baf314f80a155aabd"},{"mediaType":"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip","size":1,"digest":"sha256:b5364dd13d6c9f29403efa59d5ba1d07e29f49441058ac76fd3c3b5e9b54b0fb","urls":["https://example/layer"]}]}`,
	`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":7143,"platform":{"architecture":"amd64","os":"linux"}}]}`,
	`{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":"sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae","size":528,"platform":{"architecture":"arm","os":"linux","variant":"v7"}}]}`,
	`{"schemaVersion":1,"name":"library/ubuntu","tag":"14.04","fsLayers":[]}`,
	`{"config":{"digest":"sha256:zz"}}`, `[]`, `{`,
}

func FuzzManifest(f *testing.F) {
	for _, seed := range manifestSeeds {
		f.Add("application/vnd.oci.image.manifest.v1+json", []byte(seed))
		f.Add("", []byte(seed))
	}
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		m := &fetchedManifest{Status: http.StatusOK, MediaType: manifestMediaType(contentType, body), Body: body, Digest: digest.FromBytes(body)}
		if m.isIndex() {
			return
		}
		rs := &resolution{ref: "team/app:1", seen: map[digest.Digest]bool{}}
		if rs.addImage(m) != nil {
			return
		}
		blobs := rs.blobs
		seen := map[digest.Digest]bool{}
		for _, d := range blobs {
			if d.Digest.Validate() != nil || seen[d.Digest] {
				t.Fatalf("blob %q listed as fetchable from %q", d.Digest, body)
			}
			seen[d.Digest] = true
		}
		_, _ = mediaTypeField(body)
	})
}

func FuzzIndexPlatform(f *testing.F) {
	for _, seed := range manifestSeeds {
		f.Add([]byte(seed), "linux/amd64")
		f.Add([]byte(seed), "linux/arm/v7")
	}
	f.Fuzz(func(t *testing.T, body []byte, platform string) {
		p, err := ParsePlatform(platform)
		if err != nil {
			return
		}
		if back, err := ParsePlatform(FormatPlatform(p)); err != nil || back.OS != p.OS || back.Architecture != p.Architecture {
			t.Fatalf("platform %q does not round-trip: %v", platform, err)
		}
		var index struct {
			Manifests []json.RawMessage `json:"manifests"`
		}
		_ = json.Unmarshal(body, &index)
	})
}

func FuzzReference(f *testing.F) {
	for _, seed := range []string{
		"team/app:1.0", "library/ubuntu@sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
		"a/b:t@sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
		"Team/App:1", "a:", "@", "a/b:" + strings.Repeat("x", 200), "localhost:5000/a:b",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseReference(s)
		if err != nil {
			return
		}
		if ValidateRepository(r.Repository) != nil || r.Identifier() == "" {
			t.Fatalf("%q parsed into %+v", s, r)
		}
		back, err := ParseReference(r.String())
		if err != nil || back != r {
			t.Fatalf("%q does not round-trip through %q: %v", s, r.String(), err)
		}
		if strings.ContainsAny(r.Identifier(), "/?#") {
			t.Fatalf("%q gives identifier %q, which would change the URL", s, r.Identifier())
		}
		_, _ = url.Parse("http://h/v2/" + r.Repository + "/manifests/" + r.Identifier())
	})
}

func FuzzWarningHeader(f *testing.F) {
	for _, seed := range []string{
		`299 - "Your auth token will expire in 30 seconds."`,
		`299 - "one", 299 - "two"`, `299 - "say \"hi\""`, `110 proxy "stale" "Wed, 02 Dec 2026 07:00:00 GMT"`,
		`299 - "`, `"`, `,,,`, `299 -`, `\`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, value string) {
		n := 0
		eachWarning(value, func(text string) {
			n++
			if len(text) > len(value) {
				t.Fatalf("a warning of %d bytes from a header of %d", len(text), len(value))
			}
			if cut := boundWarning(text); len(cut) > MaxWarningLength {
				t.Fatalf("a warning of %d bytes kept", len(cut))
			}
		})
		if n > len(value) {
			t.Fatalf("%d warnings from %d bytes", n, len(value))
		}
	})
}
