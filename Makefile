# xk6-registry: a k6 extension for load testing container registries.
# Everything a run needs is installed here, pinned, from the Go module proxy.

SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# xk6 v1.4.13 is pinned by tools/go.mod.
GOLANGCI_LINT    := github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.6.0
ACTIONLINT       := github.com/rhysd/actionlint/cmd/actionlint@v1.7.12
# gosec and govulncheck for xk6 lint's security and vulnerability checks, run in full at release.
GOSEC_VERSION    := v2.22.10
GOVULNCHECK_VERSION := v1.9.0
K6_VERSION       := v2.2.0
REGISTRY_VERSION := v3.1.2
MODULE           := github.com/xk6-registry/xk6-registry
# crane at the go-containerregistry version go.mod pins.
CRANE_VERSION    := $(shell awk '$$1 == "github.com/google/go-containerregistry" { print $$2 }' go.mod)

BIN      := $(CURDIR)/bin
XK6      := $(BIN)/xk6
REGISTRY := $(BIN)/registry
K6       := $(BIN)/k6
CRANE    := $(BIN)/crane
GOSEC    := $(BIN)/gosec
GOVULNCHECK := $(BIN)/govulncheck
# Runs a command against a fresh local registry: internal/registrytest's, as the tests use.
WITH_REGISTRY := $(BIN)/with-registry
# Debian's docker-registry (distribution v2.8.2), for the interoperability matrix.
DEBIAN_REGISTRY := /usr/bin/docker-registry
# curl, GNU time (which measures each row) and jq (which the curl scripts use), from Debian.
BENCH_SYSTEM_TOOLS := /usr/bin/curl /usr/bin/time /usr/bin/jq
# The headless browser the report test opens the exported report in: CHROMIUM_BIN as
# given, else the first of BROWSERS on PATH (GitHub's Ubuntu runners have Google Chrome;
# their apt chromium is a snap shim, so it is never installed there), else Debian's
# chromium, which make tools installs.
BROWSERS        := google-chrome-stable google-chrome chromium chromium-browser
DEBIAN_CHROMIUM := /usr/bin/chromium
CHROMIUM_BIN    ?= $(or $(firstword $(foreach b,$(BROWSERS),$(shell command -v $(b) 2>/dev/null))),$(DEBIAN_CHROMIUM))
# Debian's nginx (static server, upload sink, proxy of the tests and of
# bench-compare) and iperf3 (bench-compare's loopback limit).
NGINX    := /usr/sbin/nginx
IPERF3   := /usr/bin/iperf3
# Debian's haproxy: the proxy the tests cut requests with.
HAPROXY  := /usr/sbin/haproxy
SUDO     := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

export REGISTRY_BIN := $(REGISTRY)
export DEBIAN_REGISTRY_BIN := $(DEBIAN_REGISTRY)
export K6_BIN       := $(K6)
export CRANE_BIN    := $(CRANE)
export CHROMIUM_BIN
export NGINX_BIN    := $(NGINX)
export HAPROXY_BIN  := $(HAPROXY)
export K6_NO_USAGE_REPORT := true
# k6 >= v1.2 fetches a build of its own when a script needs an extension the binary lacks
# (automatic extension resolution). Pointed at a closed loopback port, any such attempt
# fails the run instead of leaving the machine: the examples' "use k6 with" directives
# must be met by the k6 built here.
export K6_BUILD_SERVICE_URL     := http://127.0.0.1:9/builder/api/v1
export K6_PROVISION_CATALOG_URL := http://127.0.0.1:9/catalog.json

GO_SOURCES := $(shell find . -name '*.go' -not -path './tools/*' -not -path './bench/*' -not -name '*_test.go') go.mod go.sum
EXAMPLES   := $(sort $(wildcard examples/*.js examples/*.ts))

.PHONY: help
help: ## Show the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{ printf "  make %-18s %s\n", $$1, $$2 }'

.PHONY: tools
tools: $(XK6) $(REGISTRY) $(DEBIAN_REGISTRY) $(BENCH_SYSTEM_TOOLS) $(CHROMIUM_BIN) $(NGINX) $(HAPROXY) ## Install xk6 and distribution v3.1.2 into bin/; Debian's docker-registry, curl, GNU time, jq, chromium (unless a browser is there), nginx, haproxy

$(XK6): tools/go.mod tools/go.sum
	cd tools && go build -o $(XK6) go.k6.io/xk6/cmd/xk6

$(REGISTRY):
	GOBIN=$(BIN) go install github.com/distribution/distribution/v3/cmd/registry@$(REGISTRY_VERSION)

$(DEBIAN_REGISTRY):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends docker-registry

$(DEBIAN_CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium

# Pinned to Debian 12's releases; the tests run nginx themselves, never the service.
$(NGINX):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends 'nginx=1.22.*'

$(HAPROXY):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends 'haproxy=2.6.*'

$(IPERF3):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends 'iperf3=3.12-*'

$(WITH_REGISTRY): $(wildcard internal/registrytest/*.go internal/registrytest/cmd/with-registry/*.go) go.mod go.sum
	go build -o $(WITH_REGISTRY) ./internal/registrytest/cmd/with-registry

.PHONY: build
build: $(K6) ## Build k6 with this extension into bin/k6

$(K6): $(XK6) $(GO_SOURCES)
	$(XK6) build $(K6_VERSION) --with $(MODULE)=. --output $(K6)
	$(K6) version
	@# xk6 lint's build check, on this build.
	$(K6) version | grep -q 'k6/x/registry' || { echo "$(K6) version does not list k6/x/registry"; exit 1; }

.PHONY: run
run: build $(REGISTRY) $(WITH_REGISTRY) ## Build k6, start a local registry, run the push and pull examples against it
	$(WITH_REGISTRY) -- bash -c '$(K6) run --no-color examples/push.js && $(K6) run --no-color examples/pull.js'

REPORT        ?= report.html
REPORT_SCRIPT ?= examples/report.js

.PHONY: report
report: build $(REGISTRY) $(WITH_REGISTRY) ## One self-contained HTML report (REPORT=report.html) of REPORT_SCRIPT (examples/report.js) against a fresh local registry
	$(WITH_REGISTRY) -metrics -- scripts/report.sh $(REPORT_SCRIPT) $(REPORT)

.PHONY: test
test: lint test-no-lint ## Run every test: make lint, then make test-no-lint

# What the workflow's k6 matrix runs for each k6 version; lint runs once beside it.
.PHONY: test-no-lint
test-no-lint: test-go test-report test-examples test-smoke test-types docs ## Every test but lint: Go tests (with k6 end to end), the report in Chromium, every example, the smoke test, tsc of the TypeScript example, the TypeDoc site

.PHONY: test-short
test-short: $(REGISTRY) ## The fast loop: Go tests under -short (none that starts k6 or runs long), no k6 build
	go test -short -count=1 ./...

# The race detector sees the test process only: e2e's tests run k6 as a child, so they stay out.
.PHONY: test-race
test-race: tools ## Go tests with the race detector, against real registries (e2e's k6 runs aside)
	go test -race -count=1 $$(go list ./... | grep -v '/e2e$$')

# xk6 lint runs the checks that need no k6 build. make test does the others on its one
# build: build (make build: k6 version lists k6/x/registry), smoke (test-smoke), examples
# (test-examples), types (make docs builds the site from index.d.ts). security is gosec,
# which golangci-lint runs; vulnerability and versions need govulncheck's database and a
# version tag: make lint-release runs every check, at release.
XK6_LINT_ELSEWHERE := security,vulnerability,versions,build,smoke,examples,types

.PHONY: lint
lint: $(XK6) ## xk6 lint --preset official (what needs no k6 build), golangci-lint (gofmt, govet, staticcheck, gosec, ...), actionlint, go mod tidy -diff
	$(XK6) lint --preset official --disable $(XK6_LINT_ELSEWHERE) .
	go run $(GOLANGCI_LINT) run --allow-serial-runners ./...
	cd e2e/report && go run $(GOLANGCI_LINT) run --allow-serial-runners ./...
	go run $(ACTIONLINT) -shellcheck= .github/workflows/*.yml
	@for dir in . e2e/report tools; do \
	  (cd $$dir && go mod tidy -diff) || { echo "go mod tidy would change $$dir/go.mod or go.sum"; exit 1; }; \
	done

.PHONY: lint-release
lint-release: $(XK6) $(GOSEC) $(GOVULNCHECK) ## xk6 lint --preset official, every check (needs a version tag and govulncheck's database)
	PATH="$(BIN):$$PATH" $(XK6) lint --preset official .

$(GOSEC):
	GOBIN=$(BIN) go install github.com/securego/gosec/v2/cmd/gosec@$(GOSEC_VERSION)

$(GOVULNCHECK):
	GOBIN=$(BIN) go install golang.org/x/vuln/cmd/govulncheck@$(GOVULNCHECK_VERSION)

.PHONY: test-smoke
test-smoke: build ## The smoke test: k6 loads the module and its checks hold, no registry needed
	$(K6) run --no-color --quiet test/smoke.js

.PHONY: test-go
test-go: tools build $(CRANE) ## Go tests against real registries, k6 and crane included
	go test -count=1 ./...

# The report test is a module of its own (e2e/report/go.mod), so its browser
# driver stays out of the go.mod that xk6 builds k6 with.
.PHONY: test-report
test-report: tools build $(WITH_REGISTRY) ## The HTML report of make report, opened in headless Chromium: every registry panel has data
	cd e2e/report && WITH_REGISTRY_BIN=$(WITH_REGISTRY) go test -count=1 ./...

.PHONY: test-examples
# An example says what it runs against in a line `// with-registry: FLAGS`
# (-pull-through, -metrics) and what make test sets for it, to keep it small,
# in a line `// test-env: NAME=value ...`. SLO=off: the examples' latency and
# arrival-rate thresholds measure the load machine as much as the registry,
# and this one is shared.
test-examples: tools build $(WITH_REGISTRY) ## Run every examples/*.js and *.ts and README.md's example with k6 against a fresh local registry; thresholds must hold (SLO=off)
	@missing=$$(grep -L '^"use k6 with k6/x/registry";$$' $(EXAMPLES) || true); \
	if [ -n "$$missing" ]; then echo "no \"use k6 with k6/x/registry\"; line in: $$missing"; exit 1; fi
	@for example in $(EXAMPLES); do \
	  echo "=== $$example"; \
	  flags=$$(sed -n 's|^// with-registry: ||p' $$example); \
	  vars=$$(sed -n 's|^// test-env: ||p' $$example); \
	  env SLO=off VUS=4 DURATION=5s $$vars $(WITH_REGISTRY) $$flags -- $(K6) run --no-color --quiet $$example; \
	done
	@echo "=== README.md's example"
	@awk '/^```js$$/ { body = 1; next } body && /^```$$/ { exit } body' README.md > $(BIN)/readme-example.js
	@test -s $(BIN)/readme-example.js
	$(WITH_REGISTRY) -- $(K6) run --no-color --quiet --vus 2 --duration 3s $(BIN)/readme-example.js

# The reference site, TypeDoc of index.d.ts into site/ (gitignored), and tsc of the
# TypeScript example: typedoc, typescript and @types/k6 pinned by package-lock.json;
# npm (Debian's, when there is none) installs them.
NPM := $(or $(shell command -v npm 2>/dev/null),/usr/bin/npm)

$(NPM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends npm

node_modules/.package-lock.json: package.json package-lock.json | $(NPM)
	$(NPM) ci --ignore-scripts --no-audit --no-fund

.PHONY: docs
docs: node_modules/.package-lock.json ## The TypeDoc site of index.d.ts into site/ (open site/index.html); a warning fails it
	node_modules/.bin/typedoc
	@test -s site/index.html && test -s site/classes/Client.html

.PHONY: test-types
test-types: node_modules/.package-lock.json ## Strict tsc of examples/*.ts against index.d.ts and @types/k6 (examples/tsconfig.json), both pinned by package-lock.json
	cd examples && ../node_modules/.bin/tsc -p tsconfig.json --typeRoots ../node_modules/@types

.PHONY: bench
bench: tools ## Go benchmarks: this client against go-containerregistry on one registry
	go test -run '^$$' -bench . -benchtime 5x -count 3 ./registry/...

.PHONY: bench-memory
bench-memory: build $(REGISTRY) $(WITH_REGISTRY) ## Peak RSS of k6: 20 VUs push then pull a 256 MiB layer each
	$(WITH_REGISTRY) -- scripts/bench-memory.sh

.PHONY: bench-load-gzip
bench-load-gzip: build $(REGISTRY) $(CRANE) $(WITH_REGISTRY) ## CPU, peak RSS and disk of load()'s gzip of a 1.1 GiB docker save, 20 VUs pushing it, crane validate of the result
	$(WITH_REGISTRY) -- scripts/bench-load-gzip.sh

# Every fuzzer, as package:Function; each runs FUZZTIME on its own.
FUZZERS := \
  ./registry:FuzzLinkHeader ./registry:FuzzRangeHeader ./registry:FuzzLocationHeader \
  ./registry:FuzzRetryAfter ./registry:FuzzTokenResponse ./registry:FuzzErrorBody ./registry:FuzzWarningHeader \
  ./registry:FuzzManifest ./registry:FuzzIndexPlatform ./registry:FuzzReference \
  ./registry/auth:FuzzChallenges ./registry/servermetrics:FuzzUpdate \
  ./registry/content:FuzzLoadArchive ./registry/content:FuzzLoadManifestJSON ./registry/content:FuzzParseSize
FUZZTIME ?= 30s

.PHONY: soak
soak: build $(REGISTRY) $(WITH_REGISTRY) ## SOAK_VUS (200) VUs for SOAK_DURATION (10m) of pulls and fresh pushes with token auth; k6's RSS, goroutines and fds must not grow
	$(WITH_REGISTRY) -auth token -- scripts/soak.sh

.PHONY: fuzz
fuzz: ## Run every fuzzer for FUZZTIME (default 30s); crashers stay in testdata/fuzz as regression tests
	@for f in $(FUZZERS); do \
	  pkg=$${f%%:*}; fn=$${f##*:}; echo "=== $$fn ($$pkg)"; \
	  go test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 20x $$pkg 2>&1 | grep -E 'execs|FAIL|ok|---' | tail -3; \
	  [ $${PIPESTATUS[0]} -eq 0 ] || exit 1; \
	done

.PHONY: bench-compare
bench-compare: build $(REGISTRY) $(CRANE) $(BENCH_SYSTEM_TOOLS) $(NGINX) $(IPERF3) ## One table: the extension against curl, k6/http, crane, plain Go and iperf3, on a registry and on nginx (BENCH_SCALE=smoke: quick)
	go run ./bench/compare

$(CRANE): go.mod
	GOBIN=$(BIN) go install github.com/google/go-containerregistry/cmd/crane@$(CRANE_VERSION)

$(BENCH_SYSTEM_TOOLS):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends curl time jq

# The release: k6 with this extension for every target, one archive each, and
# their checksums. .github/workflows/release.yml runs these same targets for a
# tag, with RELEASE_WITH set to the tagged module so k6 reports its version.
DIST            ?= dist
RELEASE_TARGETS ?= linux/amd64 linux/arm64 windows/amd64 windows/arm64 darwin/amd64 darwin/arm64
RELEASE_VERSION ?= $(shell git describe --tags --exact-match 2>/dev/null || echo dev)
RELEASE_WITH    ?= $(MODULE)=.
RELEASE_ENV      = XK6=$(XK6) K6_VERSION=$(K6_VERSION) RELEASE_VERSION=$(RELEASE_VERSION) RELEASE_WITH=$(RELEASE_WITH) DIST=$(DIST)

.PHONY: release-build
release-build: $(XK6) ## k6 with this extension for RELEASE_TARGETS (the six linux/windows/darwin x amd64/arm64) into dist/, archived, with checksums
	$(RELEASE_ENV) scripts/release.sh build $(RELEASE_TARGETS)
	$(RELEASE_ENV) scripts/release.sh checksums

.PHONY: release-checksums
release-checksums: ## The sha256 sums of the release archives in dist/
	$(RELEASE_ENV) scripts/release.sh checksums

.PHONY: release-notes
release-notes: ## RELEASE_VERSION's section of CHANGELOG.md: the release's notes
	@$(RELEASE_ENV) scripts/release.sh notes

.PHONY: clean
clean: ## Remove bin/, dist/, site/ and node_modules/
	rm -rf $(BIN) $(DIST) site node_modules

REPLAY_SPEEDS ?= 1,2,4,8,16

.PHONY: replay-demo
replay-demo: build $(REGISTRY) ## Replay the six-client workload's log with and without storage: fidelity tables, then registry_replay_lag p95 at each of REPLAY_SPEEDS
	go run ./internal/replaytest/cmd/replay-demo -k6 $(K6) -speeds $(REPLAY_SPEEDS)

REPLAY_HOUR_DIR ?= $(BIN)/replay-hour
REPLAY_UNTIL    ?= 120

.PHONY: replay-hour
replay-hour: build $(REGISTRY) $(WITH_REGISTRY) $(BENCH_SYSTEM_TOOLS) ## A synthetic hour of 100 clients: planning time and memory, then k6's memory replaying its first REPLAY_UNTIL seconds
	mkdir -p $(REPLAY_HOUR_DIR)
	go build -o $(BIN)/replay ./cmd/replay
	$(BIN)/replay synth -clients 100 -duration 1h -o $(REPLAY_HOUR_DIR)/registry.log
	/usr/bin/time -v $(BIN)/replay plan -log $(REPLAY_HOUR_DIR)/registry.log -o $(REPLAY_HOUR_DIR)/plan.json 2>&1 \
	  | grep -E 'replay:|Elapsed|Maximum resident'
	$(WITH_REGISTRY) -- /usr/bin/time -v $(K6) run --no-color --quiet -e PLAN=$(REPLAY_HOUR_DIR)/plan.json \
	  -e UNTIL=$(REPLAY_UNTIL) -e MISMATCHES=1000000 examples/replay.js 2>&1 \
	  | grep -E 'registry_replay|http_reqs|data_received|Elapsed|Maximum resident'
