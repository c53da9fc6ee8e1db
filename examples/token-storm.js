"use k6 with k6/x/registry";
// Token service load: the auth service a registry sends every client to,
// without the client's token cache in the way. In the requests scenario
// each VU pulls a small image with tokens: "per-request", so every registry
// request carries a token fetched for it alone: one token request per
// registry request. In the starts scenario each iteration asks for one
// token, as a client starting a push does, and makes no registry request.
// The closing note is the token endpoint's latency and the token requests
// per registry request.
//
//   k6 run -e REGISTRY_URL=https://registry.example -e REGISTRY_USER=me \
//     -e REGISTRY_PASSWORD=... examples/token-storm.js
//
// It needs a registry with token auth (a bearer challenge naming a realm).
// TOKENS=cached runs the same pulls with the client's token cache, for
// what the cache hides: a token request per VU and scope, not per request.
//
// with-registry: -auth token
import registry from "k6/x/registry";
import { check } from "k6";
import { Counter } from "k6/metrics";

const vus = Number(__ENV.VUS || 10);
const duration = __ENV.DURATION || "10s";
const starts = Number(__ENV.STARTS ?? vus); // VUs of the starts scenario; 0 for none
const tokens = __ENV.TOKENS || "per-request";

// SLO thresholds hold your token service to its service levels; SLO=off
// leaves them out where the load machine's speed decides them, not the
// registry's (make test runs every example so, on a shared machine).
const slo = __ENV.SLO !== "off";

export const options = {
  scenarios: {
    requests: { executor: "constant-vus", exec: "requests", vus, duration },
    ...(starts > 0 && { starts: { executor: "constant-vus", exec: "clientStarts", vus: starts, duration } }),
  },
  thresholds: {
    checks: ["rate==1"],
    registry_errors: ["count==0"],
    http_req_failed: ["rate==0"],
    // Submetrics for the closing note; each must have samples.
    "http_reqs{registry_op:token,scenario:requests}": ["count>0"],
    "http_req_duration{registry_op:token}": slo ? ["p(95)<500"] : ["max>0"],
    "http_req_duration{registry_op:token,scenario:requests}": ["max>0"],
    ...(starts > 0 && { "http_req_duration{registry_op:token,scenario:starts}": ["max>0"] }),
    "http_req_duration{registry_op:blob_get}": ["max>0"],
    "registry_pull_duration{scenario:requests}": ["max>0"],
    registry_requests: ["count>0"],
  },
};

const client = new registry.Client({
  url: __ENV.REGISTRY_URL || "http://127.0.0.1:5000",
  username: __ENV.REGISTRY_USER,
  password: __ENV.REGISTRY_PASSWORD,
  // No token cache: the token service sees a request per registry request.
  tokens,
  tags: { example: "token-storm" },
});

const repo = "load/token-storm";
const ref = `${repo}:1`;

// The registry requests of the requests scenario, as the script made them:
// the other side of the token requests they caused.
const registryRequests = new Counter("registry_requests");

export function setup() {
  // One small layer: the token service, not the bytes, is what is loaded.
  const res = client.push(ref, registry.generate({ layers: 1, layerSize: "4KiB", seed: 7 }));
  if (!res.ok) {
    throw new Error(`setup: push failed: ${JSON.stringify(res.error)}`);
  }
}

export function requests() {
  const res = client.pull(ref);
  check(res, { pulled: (r) => r.ok });
  // The manifest GET and one GET per blob.
  registryRequests.add(1 + res.blobs);
}

export function clientStarts() {
  const res = client.token(repo, ["pull", "push"]);
  check(res, { "a token": (r) => r.ok && r.expiresIn > 0 });
}

function stat(data, metric, name) {
  const m = data.metrics[metric];
  return m ? m.values[name] : NaN;
}

export function handleSummary(data) {
  const ms = (v) => `${v.toFixed(1).padStart(8)} ms`;
  const row = (label, metric) =>
    `  ${label.padEnd(24)}${["avg", "med", "p(95)", "max"].map((s) => ms(stat(data, metric, s))).join("")}`;
  const fetched = stat(data, "http_reqs{registry_op:token,scenario:requests}", "count");
  const sent = stat(data, "registry_requests", "count");
  const lines = [
    `token storm, tokens "${tokens}": the token endpoint's latency (avg, med, p95, max)`,
    row("token, all", "http_req_duration{registry_op:token}"),
    row("token, per request", "http_req_duration{registry_op:token,scenario:requests}"),
  ];
  if (starts > 0) {
    lines.push(row("token, client starts", "http_req_duration{registry_op:token,scenario:starts}"));
  }
  lines.push(
    row("blob GET, beside it", "http_req_duration{registry_op:blob_get}"),
    row("pull, whole", "registry_pull_duration{scenario:requests}"),
    "",
    `requests scenario: ${fetched} token requests for ${sent} registry requests: ${(fetched / sent).toFixed(2)} per request`,
    "(each VU's first request meets the registry's challenge, which carries no token and is not counted)",
    "",
  );
  const out = { stdout: lines.join("\n") };
  if (__ENV.SUMMARY_JSON) {
    out[__ENV.SUMMARY_JSON] = JSON.stringify(data.metrics);
  }
  return out;
}
