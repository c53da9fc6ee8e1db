"use k6 with k6/x/registry";
// One registry serving builds and deploys at once, the run `make report`
// turns into an HTML report: VUs of the "push" scenario look up their
// branch's build cache first (a tag not pushed yet: MANIFEST_UNKNOWN, as
// every first build of a branch sees) and push a fresh image; VUs of the
// "pull" scenario pull the image setup() pushed. So the report has pulls,
// pushes, blob throughput both ways and errors by code to show. With
// METRICS_URL, the registry's Prometheus metrics, one more VU scrapes them
// every second, for the report's Client and server section.
//
//   k6 run -e REGISTRY_URL=http://127.0.0.1:5000 examples/report.js
//
// with-registry: -metrics
import registry from "k6/x/registry";
import { check, sleep } from "k6";
import exec from "k6/execution";

const vus = Number(__ENV.VUS || 4);
const duration = __ENV.DURATION || "5s";
const metricsURL = __ENV.METRICS_URL;

// SLO thresholds hold your registry to its service levels; SLO=off leaves
// them out where the load machine's speed decides them, not the registry's
// (make test runs every example so, on a shared machine).
const slo = __ENV.SLO !== "off";

export const options = {
  scenarios: {
    push: { executor: "constant-vus", exec: "build", vus: Math.max(1, Math.floor(vus / 2)), duration },
    pull: { executor: "constant-vus", exec: "deploy", vus: Math.max(1, Math.ceil(vus / 2)), duration },
    ...(metricsURL ? { server: { executor: "constant-vus", exec: "scrapeServer", vus: 1, duration } } : {}),
  },
  thresholds: {
    checks: ["rate==1"],
    // The cache misses are the only errors and the only failed requests.
    "registry_errors{lookup:build_cache}": ["count>0"],
    "registry_errors{lookup:none}": ["count==0"],
    "http_req_failed{lookup:none}": ["rate==0"],
    ...(slo && { registry_push_duration: ["p(95)<5000"], registry_pull_duration: ["p(95)<5000"] }),
    // The registry's own count, when its metrics are scraped.
    ...(metricsURL ? { "registry_server_requests{registry_op:blob_get}": ["count>0"] } : {}),
  },
};

function client(lookup) {
  return new registry.Client({
    url: __ENV.REGISTRY_URL || "http://127.0.0.1:5000",
    username: __ENV.REGISTRY_USER,
    password: __ENV.REGISTRY_PASSWORD,
    tags: { example: "report", lookup },
  });
}

const work = client("none");
const server = metricsURL ? new registry.ServerMetrics({ url: metricsURL }) : null;
const cache = client("build_cache");
const released = "load/report-app:1.0";

export function setup() {
  scrape();
  const image = registry.generate({ layers: 3, layerSize: __ENV.LAYER_SIZE || "2MiB", seed: 42 });
  const res = work.push(released, image, { concurrency: 3 });
  if (!res.ok) {
    throw new Error(`setup: push failed: ${JSON.stringify(res.error)}`);
  }
  return { digest: res.digest, bytes: res.bytes };
}

export function build() {
  const branch = `${exec.vu.idInTest}-${exec.vu.iterationInScenario}`;
  const cached = cache.getManifest(`load/report-cache:${branch}`);
  check(cached, { "no build cache for a new branch yet": (r) => !r.ok && r.error.code === "MANIFEST_UNKNOWN" });

  const image = registry.generate({ layers: 2, layerSize: __ENV.LAYER_SIZE || "2MiB" });
  const res = work.push(`load/report-build:${branch}`, image, { upload: "stream", concurrency: 2 });
  check(res, { "pushed": (r) => r.ok && r.uploaded === image.layers.length + 1 });
}

export function deploy(pushed) {
  const res = work.pull(released, { verify: true, concurrency: 3 });
  check(res, { "pulled": (r) => r.ok && r.digest === pushed.digest && r.bytes === pushed.bytes });
}

// scrape reads the registry's metrics, when there are any: setup's takes
// the baseline, teardown's the last change.
function scrape() {
  if (server) {
    check(server.scrape(), { "scraped the registry's metrics": (r) => r.ok });
  }
}

export function scrapeServer() {
  scrape();
  sleep(1);
}

export function teardown() {
  scrape();
}
