package registry_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xk6-registry/xk6-registry/registry"
)

func vmHWM() string {
	raw, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(l, "VmHWM") {
			return strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:"))
		}
	}
	return "?"
}

// TestMaliciousRegistryMemory measures, for the notes and not as an
// assertion, what a malicious registry costs one call: peak RSS, requests
// and time. MALICIOUS=loop (a tags Link back to the same page of 1000
// tags), pages (endless distinct pages of 2 MiB) or index (an index naming
// one 4 MiB manifest 300 times, pulled with every platform); run each in a
// process of its own: `MALICIOUS=loop go test -run TestMaliciousRegistryMemory -v ./registry/`.
func TestMaliciousRegistryMemory(t *testing.T) {
	which := os.Getenv("MALICIOUS")
	if which == "" {
		t.Skip()
	}
	var requests atomic.Int64
	sha := func(b []byte) string { s := sha256.Sum256(b); return "sha256:" + hex.EncodeToString(s[:]) }
	config := []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`)
	layer := []byte("layer")
	var sb strings.Builder
	sb.WriteString(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"` + sha(config) + `","size":` + strconv.Itoa(len(config)) + `},"layers":[`)
	l := `{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"` + sha(layer) + `","size":5}`
	for sb.Len() < 4<<20-200 {
		sb.WriteString(l + ",")
	}
	sb.WriteString(l + `]}`)
	manifest := []byte(sb.String())
	entry := fmt.Sprintf(`{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":%q,"size":%d,"platform":{"os":"linux","architecture":"amd64"}}`, sha(manifest), len(manifest))
	index := []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[` + strings.TrimSuffix(strings.Repeat(entry+",", 300), ",") + `]}`)
	tags1000 := `{"name":"m/app","tags":["` + strings.TrimSuffix(strings.Repeat("t\",\"", 1000), "\",\"") + `"]}`
	big := `{"name":"m/app","tags":["` + strings.Repeat("t", 2<<20) + `"]}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		p := r.URL.Path
		switch {
		case strings.HasSuffix(p, "/tags/list"):
			n, _ := strconv.Atoi(r.URL.Query().Get("page"))
			if which == "pages" {
				n++
			}
			w.Header().Set("Link", fmt.Sprintf(`</v2/m/app/tags/list?page=%d>; rel="next"`, n))
			if which == "pages" {
				fmt.Fprint(w, big)
			} else {
				fmt.Fprint(w, tags1000)
			}
		case strings.HasSuffix(p, "/manifests/idx"):
			w.Header().Set("Content-Type", "application/vnd.oci.image.index.v1+json")
			w.Write(index)
		case strings.Contains(p, "/manifests/"):
			w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
			w.Write(manifest)
		case strings.HasSuffix(p, sha(config)):
			w.Write(config)
		case strings.HasSuffix(p, sha(layer)):
			w.Write(layer)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	c, _ := registry.New(registry.Config{URL: srv.URL})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	start := time.Now()
	var err error
	var items int
	switch which {
	case "loop", "pages":
		var res *registry.ListResult
		res, err = c.Tags(ctx, "m/app", registry.ListOptions{All: true})
		if res != nil {
			items = len(res.Items)
		}
	case "index":
		_, err = c.Pull(ctx, "m/app:idx", registry.PullOptions{Platform: "all", Verify: true})
	}
	runtime.GC()
	t.Logf("%s: %d requests, %d items, %s, peak RSS %s; err: %.160v", which, requests.Load(), items, time.Since(start).Round(time.Millisecond), vmHWM(), err)
}
