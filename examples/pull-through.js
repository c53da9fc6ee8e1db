"use k6 with k6/x/registry";
// A pull-through cache under load, seen from both sides: each iteration
// pushes a fresh image to the upstream, pulls it directly (the baseline),
// then through the cache cold, warm by tag and warm by digest. setup()
// first sends a stampede: STAMPEDE concurrent GETs of one blob the cache
// has never seen, which a cache that does not merge misses fetches from its
// upstream once per GET. The cache's own metrics (METRICS_URL, its
// Prometheus endpoint) count what it fetched upstream; the closing note sets
// them against what the client pulled.
//
//   k6 run -e REGISTRY_URL=http://cache:5000 -e UPSTREAM_URL=http://upstream:5000 \
//     -e METRICS_URL=http://cache:5001/metrics examples/pull-through.js
//
// distribution as a cache: `proxy: { remoteurl: UPSTREAM_URL }` and
// `http.debug: { addr: ..., prometheus: { enabled: true } }` in its config.
//
// with-registry: -pull-through
// test-env: STAMPEDE_SIZE=2MiB LAYER_SIZE=64KiB
import registry from "k6/x/registry";
import { check, sleep } from "k6";
import exec from "k6/execution";
import { Counter } from "k6/metrics";

const vus = Number(__ENV.VUS || 4);
const duration = __ENV.DURATION || "10s";
const stampede = Number(__ENV.STAMPEDE || 8);
const layerSize = __ENV.LAYER_SIZE || "256KiB";
const stampedeSize = __ENV.STAMPEDE_SIZE || "4MiB";
const scrapeEvery = Number(__ENV.SCRAPE_INTERVAL || 1);

const paths = ["direct", "cold", "warm_tag", "warm_digest"];

export const options = {
  scenarios: {
    pulls: { executor: "constant-vus", exec: "pulls", vus, duration },
    // One VU reads the cache's metrics every few seconds; setup() and
    // teardown() scrape too, so the run is bracketed.
    server: { executor: "constant-vus", exec: "scrapeServer", vus: 1, duration },
  },
  thresholds: {
    checks: ["rate==1"],
    registry_errors: ["count==0"],
    "http_req_failed{registry:cache}": ["rate==0"],
    // Submetrics for the closing note; each must have samples.
    ...Object.fromEntries(paths.map((p) => [`registry_pull_duration{path:${p}}`, ["max>0"]])),
    ...Object.fromEntries(paths.map((p) => [`client_blob_bytes{path:${p}}`, ["count>0"]])),
    "http_reqs{registry_op:blob_get,registry:cache}": ["count>0"],
    "registry_server_requests{registry_op:blob_get}": ["count>0"],
    "registry_server_proxy_misses{type:blob}": ["count>0"],
    "registry_server_proxy_hits{type:blob}": ["count>0"],
    "registry_server_proxy_pulled_bytes{type:blob}": ["count>0"],
    "registry_server_proxy_misses{type:manifest}": ["count>0"],
  },
};

const upstream = new registry.Client({ url: __ENV.UPSTREAM_URL || "http://127.0.0.1:5001", tags: { registry: "upstream" } });
const direct = new registry.Client({ url: __ENV.UPSTREAM_URL || "http://127.0.0.1:5001", tags: { registry: "upstream", path: "direct" } });
const through = (path) => new registry.Client({ url: __ENV.REGISTRY_URL || "http://127.0.0.1:5000", tags: { registry: "cache", path } });
const cold = through("cold");
const warmTag = through("warm_tag");
const warmDigest = through("warm_digest");
const server = new registry.ServerMetrics({ url: __ENV.METRICS_URL || "http://127.0.0.1:5002/metrics" });

// What the client pulled, by path: the other side of the cache's own count.
const clientBytes = new Counter("client_blob_bytes");

// sumChanges adds a scrape's changes of one metric whose tags hold want.
function sumChanges(res, metric, want) {
  return res.changes
    .filter((c) => c.metric === metric && Object.entries(want).every(([k, v]) => c.tags[k] === v))
    .reduce((n, c) => n + c.value, 0);
}

export async function setup() {
  const first = server.scrape();
  if (!first.ok) {
    throw new Error(`setup: the cache's metrics at METRICS_URL: ${JSON.stringify(first.error)}`);
  }
  const image = registry.generate({ layers: 1, layerSize: stampedeSize, seed: 7 });
  const pushed = upstream.push("pull-through/stampede:1", image);
  if (!pushed.ok) {
    throw new Error(`setup: push to the upstream failed: ${JSON.stringify(pushed.error)}`);
  }
  const blob = image.layers[0];
  server.scrape(); // everything before the stampede
  const gets = [];
  for (let i = 0; i < stampede; i++) {
    gets.push(cold.asyncGetBlob("pull-through/stampede", blob.digest, { verify: true }));
  }
  const results = await Promise.all(gets);
  // distribution counts a GET when its handler returns, a moment after the
  // client has the last byte: scrape until it counted every one (each
  // scrape is a round trip; 100 of them bound the wait).
  const seen = { fetches: 0, bytes: 0, gets: 0, scrapes: 0 };
  while (seen.gets < stampede && seen.scrapes < 100) {
    const res = server.scrape();
    seen.fetches += sumChanges(res, "registry_server_proxy_misses", { type: "blob" });
    seen.bytes += sumChanges(res, "registry_server_proxy_pulled_bytes", { type: "blob" });
    seen.gets += sumChanges(res, "registry_server_requests", { registry_op: "blob_get" });
    seen.scrapes++;
  }
  const ok = results.filter((r) => r.ok && r.bytes === blob.size).length;
  check(results, { "every stampede GET got the whole blob": () => ok === stampede });
  check(seen, { "the cache counted every stampede GET": (c) => c.gets === stampede });
  return {
    stampede: {
      gets: stampede,
      ok,
      size: blob.size,
      clientBytes: results.reduce((n, r) => n + r.bytes, 0),
      upstreamFetches: seen.fetches,
      upstreamBytes: seen.bytes,
    },
  };
}

function pullAs(client, ref, path, want) {
  const res = client.pull(ref, { verify: true });
  check(res, { [`${path} pull of the image pushed`]: (r) => r.ok && r.digest === want.digest && r.bytes === want.bytes });
  clientBytes.add(res.bytes, { path });
}

export function pulls() {
  const repo = "pull-through/app";
  const tag = `${exec.vu.idInTest}-${exec.vu.iterationInScenario}`;
  const pushed = upstream.push(`${repo}:${tag}`, registry.generate({ layers: 2, layerSize }));
  if (!check(pushed, { "pushed to the upstream": (r) => r.ok })) {
    return;
  }
  pullAs(direct, `${repo}:${tag}`, "direct", pushed);
  pullAs(cold, `${repo}:${tag}`, "cold", pushed);
  pullAs(warmTag, `${repo}:${tag}`, "warm_tag", pushed);
  pullAs(warmDigest, `${repo}@${pushed.digest}`, "warm_digest", pushed);
}

export function scrapeServer() {
  check(server.scrape(), { "scraped the cache's metrics": (r) => r.ok });
  sleep(scrapeEvery);
}

export function teardown() {
  check(server.scrape(), { "scraped the cache's metrics": (r) => r.ok });
}

const num = (data, name, stat) => (data.metrics[name] ? data.metrics[name].values[stat] : 0);

export function handleSummary(data) {
  const s = data.setup_data.stampede;
  const avg = (p) => num(data, `registry_pull_duration{path:${p}}`, "avg");
  const rows = paths.map((p) => `  ${p.padEnd(12)} ${avg(p).toFixed(1).padStart(8)} ms   ${(avg(p) / avg("direct")).toFixed(2).padStart(5)}x direct`);
  const clientGets = num(data, "http_reqs{registry_op:blob_get,registry:cache}", "count");
  const serverGets = num(data, "registry_server_requests{registry_op:blob_get}", "count");
  const bytes = (p) => num(data, `client_blob_bytes{path:${p}}`, "count");
  const warm = bytes("warm_tag") + bytes("warm_digest");
  // Every blob fetched upstream outside the stampede was a cold pull's.
  const fetched = num(data, "registry_server_proxy_pulled_bytes{type:blob}", "count") - s.upstreamBytes;
  const misses = num(data, "registry_server_proxy_misses{type:blob}", "count") - s.upstreamFetches;
  const hits = num(data, "registry_server_proxy_hits{type:blob}", "count");
  const note = [
    "pull-through cache, seen from both sides",
    "",
    "pull duration (avg), by path:",
    ...rows,
    "",
    `stampede: ${s.gets} concurrent GETs of one ${s.size}-byte blob the cache had not seen`,
    `  the cache fetched it from its upstream ${s.upstreamFetches} times (${s.upstreamBytes} bytes; an ideal cache: once, ${s.size})`,
    `  the client received ${s.clientBytes} bytes in ${s.ok} whole GETs`,
    "",
    `cold pulls: the client received ${bytes("cold")} blob bytes, the cache fetched ${fetched} from its upstream in ${misses} misses`,
    `warm pulls: the client received ${warm} blob bytes, served from the cache in ${hits} hits`,
    `blob GETs to the cache: the client sent ${clientGets}, the server counted ${serverGets}` +
      ` (${clientGets ? ((100 * (serverGets - clientGets)) / clientGets).toFixed(2) : "n/a"}% apart)`,
    "",
  ].join("\n");
  const out = { stdout: note };
  if (__ENV.SUMMARY_JSON) {
    out[__ENV.SUMMARY_JSON] = JSON.stringify({
      stampede: s, clientGets, serverGets, coldBytes: bytes("cold"), fetched, misses, hits, warm,
      avg: Object.fromEntries(paths.map((p) => [p, avg(p)])),
    });
  }
  return out;
}
