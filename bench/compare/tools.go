package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
)

// binaries are the programs the rows run.
type binaries struct {
	k6, registry, crane string
}

// findBinaries takes K6_BIN, REGISTRY_BIN and CRANE_BIN, defaulting to
// bin/, and checks that they and the system tools are there.
func findBinaries(getenv func(string) string) (binaries, error) {
	b := binaries{k6: getenv("K6_BIN"), registry: getenv("REGISTRY_BIN"), crane: getenv("CRANE_BIN")}
	defaults := map[*string]string{&b.k6: "bin/k6", &b.registry: "bin/registry", &b.crane: "bin/crane"}
	for p, def := range defaults {
		if *p == "" {
			*p = def
		}
		// Rows run in their own directories.
		abs, err := filepath.Abs(*p)
		if err != nil {
			return b, err
		}
		*p = abs
	}
	var missing []string
	for _, p := range []string{b.k6, b.registry, b.crane, gnuTime} {
		if st, err := os.Stat(p); err != nil || st.Mode()&0o111 == 0 {
			missing = append(missing, p)
		}
	}
	if _, err := registrytest.FindNginx(); err != nil {
		missing = append(missing, "nginx")
	}
	for _, name := range []string{"bash", "curl", "jq", "sha256sum", "iperf3"} {
		if _, err := exec.LookPath(name); err != nil {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return b, fmt.Errorf("missing %s: `make bench-compare` installs them", strings.Join(missing, ", "))
	}
	return b, nil
}

// versions is one line per tool, for the table's header.
func versions(b binaries) []string {
	first := func(name string, args ...string) string {
		out, err := exec.Command(name, args...).CombinedOutput()
		if err != nil {
			return name + ": " + err.Error()
		}
		line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
		return line
	}
	return []string{
		"k6: " + first(b.k6, "version"),
		"crane: " + first(b.crane, "version"),
		first("curl", "--version"),
		// The registry prints its own path first.
		"registry: " + strings.TrimSpace(strings.TrimPrefix(first(b.registry, "--version"), b.registry)),
		first(nginxBin(), "-v"),
		first("iperf3", "--version"),
	}
}

func nginxBin() string {
	p, err := registrytest.FindNginx()
	if err != nil {
		return "nginx"
	}
	return p
}

// imageBytes asks the registry for repo:tag's manifest and adds up its
// config and layer sizes: what a pull of it must receive.
func imageBytes(ctx context.Context, base, repo, tag string) (int64, error) {
	resp, err := getOK(ctx, base+"/v2/"+repo+"/manifests/"+tag)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var m struct {
		Config descriptor   `json:"config"`
		Layers []descriptor `json:"layers"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		return 0, fmt.Errorf("%s:%s manifest: %w", repo, tag, err)
	}
	total := m.Config.Size
	for _, l := range m.Layers {
		total += l.Size
	}
	return total, nil
}

// getOK sends GET url, accepting a manifest, and returns the response when
// it is a 200; the caller closes its body.
func getOK(ctx context.Context, url string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", mediaTypeManifest)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		_ = resp.Body.Close()
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return resp, nil
}

// tlsProtocols asks curl and crane, once and outside any measurement,
// which HTTP version they speak to the TLS server at url (host).
func tlsProtocols(ctx context.Context, b binaries, url, host, repo string) map[string]string {
	out := map[string]string{}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	curl := exec.CommandContext(ctx, "curl", "-ksS", "-o", "/dev/null", "-w", "%{http_version}", url+"/v2/") // #nosec G204 -- curl on the benchmark registry
	if v, err := curl.Output(); err == nil {
		out["curl"] = "HTTP/" + strings.TrimSpace(string(v))
	}
	// Go's HTTP/2 transport logs the connections it makes with http2debug=1.
	cmd := exec.CommandContext(ctx, b.crane, "digest", "--insecure", host+"/"+repo+":1") // #nosec G204 -- crane from bin/, on the benchmark registry
	cmd.Env = append(os.Environ(), "GODEBUG=http2debug=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if cmd.Run() == nil {
		out["crane"] = "HTTP/1.1"
		if bytes.Contains(stderr.Bytes(), []byte("http2: Transport")) {
			out["crane"] = "HTTP/2"
		}
	}
	return out
}
