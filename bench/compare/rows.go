package main

import (
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
	return rows
}

func (s setup) path(script string) string { return filepath.Join(s.scripts, script) }

func (s setup) k6Run(script string) []string {
	return []string{s.k6, "run", "--quiet", "--no-color", s.path(filepath.Join("k6", script))}
}

func (s setup) protocolNote(tool string) string {
	if p := s.tlsProtocol[tool]; p != "" {
		return " (" + p + ")"
	}
	return ""
}

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
