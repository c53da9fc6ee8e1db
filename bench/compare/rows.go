package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
)

// unit is what a row's CPU is divided by.
type unit int

const (
	perGB       unit = iota // bulk rows: bytes moved, in 10^9
	perKRequest             // small-request rows: requests, in thousands
)

// row is one tool doing one workload.
type row struct {
	workload string
	tool     string
	baseline bool // the curl row the workload's other rows are compared with
	unit     unit
	bytes    int64 // work of a bulk row: the same for every tool of its workload
	argv     []string
	env      []string // added to the driver's environment
	// before, when set, starts what the row needs (a server) just before
	// it runs, adding to its environment; stop ends it after.
	before func(ctx context.Context) (env []string, stop func(), err error)
}

// setup is what the rows run against.
type setup struct {
	cfg         config
	self        string // this program, which runs the hashing row
	scripts     string // bench/compare
	k6, crane   string
	plain, tls  *registrytest.Registry
	tarPath     string // the docker save tar
	layoutDir   string // the same, extracted
	freshTmp    string // TMPDIR of the curl script generating fresh layers
	pullBytes   int64  // config and layers of the pulled image
	pullRepo    string // its repository; tag 1
	smallRepo   string // the one-layer 4 KiB image's; tag 1
	smallBytes  int64  // its config and layer
	tlsProtocol map[string]string
	nginx       nginxServers      // the nginx rows' servers
	nginxTLS2   map[string]string // what curl and crane speak to nginx's HTTP/2 server
}

// plan lists every row, each workload's curl baseline first.
func plan(s setup) []row {
	c := s.cfg
	pullWork := int64(c.pulls) * s.pullBytes
	pushWork := int64(c.pushes) * int64(c.pushLayers) * c.pushLayerSize
	var rows []row
	add := func(workload string, u unit, work int64, tools ...row) {
		for i, r := range tools {
			r.workload, r.unit, r.bytes, r.baseline = workload, u, work, i == 0
			rows = append(rows, r)
		}
	}

	iterations := []string{"ITERATIONS=" + strconv.Itoa(c.pulls), "VUS=" + strconv.Itoa(c.concurrency)}
	pullEnv := append([]string{"REPO=" + s.pullRepo, "TAG=1", "IMAGE_BYTES=" + strconv.FormatInt(s.pullBytes, 10)}, iterations...)
	curlPull := []string{"bash", s.path("curl/pull.sh"), s.pullRepo, "1", strconv.Itoa(c.pulls), strconv.Itoa(c.concurrency)}
	cranePull := []string{"bash", s.path("crane/pull.sh"), s.plain.Host + "/" + s.pullRepo + ":1", strconv.Itoa(c.pulls), strconv.Itoa(c.concurrency)}
	plainURL := "REGISTRY_URL=" + s.plain.URL
	add("pull, verify", perGB, pullWork,
		row{tool: "curl + sha256sum", argv: curlPull, env: []string{plainURL, "VERIFY=1"}},
		row{tool: "xk6-registry", argv: s.k6Run("registry-pull.js"), env: append([]string{plainURL, "OP=pull", "VERIFY=1"}, pullEnv...)},
		row{tool: "k6/http + k6/crypto", argv: s.k6Run("http-pull.js"), env: append([]string{plainURL, "OP=pull", "VERIFY=1"}, pullEnv...)},
		row{tool: "crane pull", argv: cranePull, env: []string{"CRANE=" + s.crane}},
		row{tool: goVerifyTool, argv: s.goPull(s.plain.URL, c), env: []string{"VERIFY=1"}},
	)
	// What hashing alone costs, for the verify rows: the pulled bytes'
	// worth, with the sha256 the extension uses, from memory.
	add("sha256 of the pulled bytes", perGB, pullWork,
		row{tool: "sha256 alone (Go crypto/sha256, in memory)", argv: []string{s.self, hashFlag,
			strconv.FormatInt(pullWork, 10), strconv.Itoa(c.concurrency)}},
	)
	add("pull, no verify", perGB, pullWork,
		row{tool: "curl -o /dev/null", argv: curlPull, env: []string{plainURL, "VERIFY=0"}},
		row{tool: "xk6-registry", argv: s.k6Run("registry-pull.js"), env: append([]string{plainURL, "OP=pull", "VERIFY=0"}, pullEnv...)},
		row{tool: "k6/http", argv: s.k6Run("http-pull.js"), env: append([]string{plainURL, "OP=pull", "VERIFY=0"}, pullEnv...)},
		row{tool: goTool, argv: s.goPull(s.plain.URL, c), env: []string{"VERIFY=0"}},
	)

	pushIterations := []string{"ITERATIONS=" + strconv.Itoa(c.pushes), "VUS=" + strconv.Itoa(c.concurrency)}
	for _, mode := range []string{"stream", "monolithic"} {
		prefix := func(tool string) string { return "bench/tar-" + mode + "-" + tool }
		tools := []row{
			{tool: "curl", argv: []string{"bash", s.path("curl/push.sh"), "layout", s.layoutDir,
				strconv.Itoa(c.pushes), strconv.Itoa(c.concurrency), prefix("curl")},
				env: []string{plainURL, "UPLOAD=" + mode}},
			{tool: "xk6-registry", argv: s.k6Run("registry-push.js"), env: append([]string{plainURL, "UPLOAD=" + mode,
				"SOURCE=tar", "TAR=" + s.tarPath, "REPO_PREFIX=" + prefix("xk6")}, pushIterations...)},
		}
		if mode == "stream" { // crane uploads with POST, PATCH, PUT only
			tools = append(tools, row{tool: "crane push", argv: []string{"bash", s.path("crane/push.sh"), s.layoutDir,
				strconv.Itoa(c.pushes), strconv.Itoa(c.concurrency), s.plain.Host + "/" + prefix("crane")},
				env: []string{"CRANE=" + s.crane}})
		}
		add("push tar, "+mode, perGB, pushWork, tools...)
	}
	for _, mode := range []string{"stream", "monolithic"} {
		prefix := func(tool string) string { return "bench/fresh-" + mode + "-" + tool }
		add("push fresh, "+mode, perGB, pushWork,
			row{tool: "curl", argv: []string{"bash", s.path("curl/push.sh"), "fresh", strconv.Itoa(c.pushLayers),
				strconv.FormatInt(c.pushLayerSize, 10), strconv.Itoa(c.pushes), strconv.Itoa(c.concurrency), prefix("curl")},
				env: []string{plainURL, "UPLOAD=" + mode, "TMPDIR=" + s.freshTmp}},
			row{tool: "xk6-registry", argv: s.k6Run("registry-push.js"), env: append([]string{plainURL, "UPLOAD=" + mode,
				"SOURCE=fresh", "LAYERS=" + strconv.Itoa(c.pushLayers), "LAYER_BYTES=" + strconv.FormatInt(c.pushLayerSize, 10),
				"REPO_PREFIX=" + prefix("xk6")}, pushIterations...)},
		)
	}

	seconds := strconv.Itoa(int(c.smallDuration.Seconds()))
	smallEnv := []string{plainURL, "REPO=" + s.smallRepo, "TAG=1", "VUS=" + strconv.Itoa(c.smallVUs), "DURATION=" + seconds + "s"}
	curlSmall := func(op string) []string {
		return []string{"bash", s.path("curl/small.sh"), op, s.smallRepo, "1", strconv.Itoa(c.smallVUs), seconds}
	}
	add("HEAD manifest", perKRequest, 0,
		row{tool: "curl -I", argv: curlSmall("head"), env: []string{plainURL}},
		row{tool: "xk6-registry", argv: s.k6Run("registry-pull.js"), env: append([]string{"OP=head"}, smallEnv...)},
		row{tool: "k6/http", argv: s.k6Run("http-pull.js"), env: append([]string{"OP=head"}, smallEnv...)},
	)
	add("GET manifest", perKRequest, 0,
		row{tool: "curl", argv: curlSmall("get"), env: []string{plainURL}},
		row{tool: "xk6-registry getManifest", argv: s.k6Run("registry-pull.js"), env: append([]string{"OP=get"}, smallEnv...)},
		row{tool: "k6/http", argv: s.k6Run("http-pull.js"), env: append([]string{"OP=get"}, smallEnv...)},
	)
	smallBytes := "IMAGE_BYTES=" + strconv.FormatInt(s.smallBytes, 10)
	add("pull 4 KiB image, verify", perKRequest, 0,
		row{tool: "curl + sha256sum", argv: curlSmall("pull"), env: []string{plainURL}},
		row{tool: "xk6-registry", argv: s.k6Run("registry-pull.js"), env: append([]string{"OP=pull", "VERIFY=1", smallBytes}, smallEnv...)},
		row{tool: "k6/http + k6/crypto", argv: s.k6Run("http-pull.js"), env: append([]string{"OP=pull", "VERIFY=1", smallBytes}, smallEnv...)},
	)

	tlsURL := "REGISTRY_URL=" + s.tls.URL
	add("pull over TLS, verify", perGB, pullWork,
		row{tool: "curl -k + sha256sum" + s.protocolNote("curl"), argv: curlPull, env: []string{tlsURL, "VERIFY=1", "CURL_FLAGS=-k"}},
		row{tool: "xk6-registry", argv: s.k6Run("registry-pull.js"), env: append([]string{tlsURL, "OP=pull", "VERIFY=1", "INSECURE=1"}, pullEnv...)},
		row{tool: "crane pull --insecure" + s.protocolNote("crane"), argv: []string{"bash", s.path("crane/pull.sh"),
			s.tls.Host + "/" + s.pullRepo + ":1", strconv.Itoa(c.pulls), strconv.Itoa(c.concurrency)},
			env: []string{"CRANE=" + s.crane, "CRANE_FLAGS=--insecure"}},
	)
	planLoopback(s, add)
	planNginx(s, add)
	return rows
}

// The plain Go yardstick's rows.
const (
	goTool       = "Go net/http, 128 KiB reads"
	goVerifyTool = "Go net/http + sha256, 128 KiB reads"
)

func (s setup) goPull(url string, c config) []string {
	return []string{s.self, goPullFlag, url, s.pullRepo, "1", strconv.Itoa(c.pulls), strconv.Itoa(c.concurrency)}
}

// planLoopback adds what the machine's loopback and generator allow: iperf3
// receiving the pulls' bytes and sending the pushes', and the generating
// alone of what a fresh push sends.
func planLoopback(s setup, add func(string, unit, int64, ...row)) {
	c := s.cfg
	pullWork := int64(c.pulls) * s.pullBytes
	pushWork := int64(c.pushes) * int64(c.pushLayers) * c.pushLayerSize
	iperf := func(bytes int64, reverse bool) []string {
		cmd := fmt.Sprintf(`exec iperf3 --client 127.0.0.1 --port "$IPERF3_PORT" --bytes %d --parallel %d`, bytes, c.concurrency)
		if reverse {
			cmd += " --reverse"
		}
		return []string{"bash", "-c", cmd + " >/dev/null"}
	}
	add("loopback TCP, receive", perGB, pullWork,
		row{tool: "iperf3 --reverse (128 KiB reads)", argv: iperf(pullWork, true), before: iperf3Server})
	add("loopback TCP, send", perGB, pushWork,
		row{tool: "iperf3 (128 KiB writes)", argv: iperf(pushWork, false), before: iperf3Server})
	add("generate, in memory", perGB, pushWork,
		row{tool: "registry.generate's layers: digest, then one read", argv: []string{s.self, generateFlag,
			strconv.Itoa(c.pushes), strconv.Itoa(c.pushLayers), strconv.FormatInt(c.pushLayerSize, 10), strconv.Itoa(c.concurrency)}})
}

// planNginx adds the rows against nginx's files and sink, over HTTP, TLS
// with HTTP/1.1 and TLS with HTTP/2: pulls verified and not, tarball pushes
// streamed; over HTTP also monolithic and fresh pushes.
func planNginx(s setup, add func(string, unit, int64, ...row)) {
	if s.nginx.plain == nil {
		return
	}
	c := s.cfg
	pullWork := int64(c.pulls) * s.pullBytes
	pushWork := int64(c.pushes) * int64(c.pushLayers) * c.pushLayerSize
	iterations := []string{"ITERATIONS=" + strconv.Itoa(c.pulls), "VUS=" + strconv.Itoa(c.concurrency)}
	pullEnv := append([]string{"REPO=" + s.pullRepo, "TAG=1", "IMAGE_BYTES=" + strconv.FormatInt(s.pullBytes, 10)}, iterations...)
	pushIterations := []string{"ITERATIONS=" + strconv.Itoa(c.pushes), "VUS=" + strconv.Itoa(c.concurrency)}
	for _, p := range []struct {
		name        string // in the workload's name
		server      *registrytest.Nginx
		version     string // HTTP_VERSION: what the row asks for
		curl        string // curl's flags
		craneNote   string
		insecureEnv []string
	}{
		{"", s.nginx.plain, "", "", "", nil},
		{" over TLS HTTP/1.1", s.nginx.tls11, "1.1", "-k --http1.1", " (HTTP/1.1)", []string{"INSECURE=1"}},
		{" over TLS HTTP/2", s.nginx.tls2, "2", "-k --http2", noteOf(s.nginxTLS2, "crane"), []string{"INSECURE=1"}},
	} {
		url := "REGISTRY_URL=" + p.server.URL
		// HTTP_VERSION is the extension's http client option.
		common := append([]string{url, "HTTP_VERSION=" + p.version}, p.insecureEnv...)
		curlFlags := "CURL_FLAGS=" + p.curl
		craneFlags := "CRANE_FLAGS="
		if p.server.CertPEM != nil {
			craneFlags += "--insecure"
		}
		curlPull := []string{"bash", s.path("curl/pull.sh"), s.pullRepo, "1", strconv.Itoa(c.pulls), strconv.Itoa(c.concurrency)}
		curlTool := strings.TrimSpace("curl " + p.curl)
		add("nginx: pull"+p.name+", verify", perGB, pullWork,
			row{tool: curlTool + " + sha256sum", argv: curlPull, env: []string{url, "VERIFY=1", curlFlags}},
			row{tool: goVerifyTool, argv: s.goPull(p.server.URL, c), env: append([]string{"VERIFY=1"}, common...)},
			row{tool: "xk6-registry", argv: s.k6Run("registry-pull.js"), env: append(append([]string{"OP=pull", "VERIFY=1"}, common...), pullEnv...)},
			row{tool: "k6/http + k6/crypto", argv: s.k6Run("http-pull.js"), env: append(append([]string{"OP=pull", "VERIFY=1"}, common...), pullEnv...)},
			row{tool: "crane pull" + p.craneNote, argv: []string{"bash", s.path("crane/pull.sh"), p.server.Host + "/" + s.pullRepo + ":1",
				strconv.Itoa(c.pulls), strconv.Itoa(c.concurrency)}, env: []string{"CRANE=" + s.crane, craneFlags}},
		)
		add("nginx: pull"+p.name+", no verify", perGB, pullWork,
			row{tool: curlTool + " -o /dev/null", argv: curlPull, env: []string{url, "VERIFY=0", curlFlags}},
			row{tool: goTool, argv: s.goPull(p.server.URL, c), env: append([]string{"VERIFY=0"}, common...)},
			row{tool: "xk6-registry", argv: s.k6Run("registry-pull.js"), env: append(append([]string{"OP=pull", "VERIFY=0"}, common...), pullEnv...)},
			row{tool: "k6/http", argv: s.k6Run("http-pull.js"), env: append(append([]string{"OP=pull", "VERIFY=0"}, common...), pullEnv...)},
		)
		modes := []string{"stream"}
		if p.name == "" {
			modes = append(modes, "monolithic")
		}
		for _, mode := range modes {
			prefix := func(tool string) string { return "bench/nginx-tar-" + mode + "-" + tool }
			tools := []row{
				{tool: curlTool, argv: []string{"bash", s.path("curl/push.sh"), "layout", s.layoutDir,
					strconv.Itoa(c.pushes), strconv.Itoa(c.concurrency), prefix("curl")},
					env: []string{url, "UPLOAD=" + mode, curlFlags}},
				{tool: "xk6-registry", argv: s.k6Run("registry-push.js"), env: append(append([]string{"UPLOAD=" + mode,
					"SOURCE=tar", "TAR=" + s.tarPath, "REPO_PREFIX=" + prefix("xk6")}, common...), pushIterations...)},
			}
			if mode == "stream" {
				tools = append(tools, row{tool: "crane push" + p.craneNote, argv: []string{"bash", s.path("crane/push.sh"), s.layoutDir,
					strconv.Itoa(c.pushes), strconv.Itoa(c.concurrency), p.server.Host + "/" + prefix("crane")},
					env: []string{"CRANE=" + s.crane, craneFlags}})
			}
			add("nginx: push tar"+p.name+", "+mode, perGB, pushWork, tools...)
		}
	}
	url := "REGISTRY_URL=" + s.nginx.plain.URL
	add("nginx: push fresh, stream", perGB, pushWork,
		row{tool: "curl", argv: []string{"bash", s.path("curl/push.sh"), "fresh", strconv.Itoa(c.pushLayers),
			strconv.FormatInt(c.pushLayerSize, 10), strconv.Itoa(c.pushes), strconv.Itoa(c.concurrency), "bench/nginx-fresh-curl"},
			env: []string{url, "UPLOAD=stream", "TMPDIR=" + s.freshTmp}},
		row{tool: "xk6-registry", argv: s.k6Run("registry-push.js"), env: append([]string{url, "UPLOAD=stream",
			"SOURCE=fresh", "LAYERS=" + strconv.Itoa(c.pushLayers), "LAYER_BYTES=" + strconv.FormatInt(c.pushLayerSize, 10),
			"REPO_PREFIX=bench/nginx-fresh-xk6"}, pushIterations...)},
	)
}

func noteOf(protocols map[string]string, tool string) string {
	if p := protocols[tool]; p != "" {
		return " (" + p + ")"
	}
	return ""
}

func (s setup) path(script string) string { return filepath.Join(s.scripts, script) }

func (s setup) k6Run(script string) []string {
	return []string{s.k6, "run", "--quiet", "--no-color", s.path(filepath.Join("k6", script))}
}

func (s setup) protocolNote(tool string) string { return noteOf(s.tlsProtocol, tool) }

// selected keeps the rows whose "workload / tool" matches BENCH_ONLY.
func selected(rows []row, c config) []row {
	if c.only == nil {
		return rows
	}
	var out []row
	for _, r := range rows {
		if c.only.MatchString(r.workload + " / " + r.tool) {
			out = append(out, r)
		}
	}
	return out
}

// slug names a row's working directory.
func (r row) slug(i int) string {
	clean := strings.Map(func(c rune) rune {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			return c
		}
		return '-'
	}, strings.ToLower(r.workload+" "+r.tool))
	return fmt.Sprintf("%02d-%s", i, clean)
}
