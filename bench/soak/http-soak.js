// http-soak.js: the baseline of make soak. The same shape as
// examples/bench/soak.js (SOAK_VUS VUs for SOAK_DURATION, every other
// iteration a pull, the others a fresh push, sleep 1, no thresholds) and the
// same requests, but made with k6/http only, none of the extension's code:
// a token per VU and scope from the registry's realm (fetched on the first
// 401 and cached until shortly before expires_in, as the extension does),
// the manifest GET, then the config and the 3 layer blobs, 3 at once, with
// responseType "none"; a push is POST, PATCH, PUT for the config and for a
// 256 KiB layer of random bytes made in the init context, then the manifest
// PUT. Names are bounded, so url tags are too. The first failure aborts.
//
// Run it as scripts/soak.sh runs soak.js, e.g. under bin/with-registry -auth
// token: bin/k6 run --quiet --no-color --summary-mode=disabled
// --no-thresholds bench/soak/http-soak.js. Each VU holds its own 256 KiB
// layer (200 VUs: 50 MiB), so compare growth in MB as well as in percent.
import http from "k6/http";
import crypto from "k6/crypto";
import exec from "k6/execution";
import encoding from "k6/encoding";
import { sleep } from "k6";

export const options = {
  scenarios: {
    soak: {
      executor: "constant-vus",
      vus: Number(__ENV.SOAK_VUS || 200),
      duration: __ENV.SOAK_DURATION || "10m",
      gracefulStop: "30s",
    },
  },
  batchPerHost: 3,
};

const base = __ENV.REGISTRY_URL;
const basic = "Basic " + encoding.b64encode(`${__ENV.REGISTRY_USER}:${__ENV.REGISTRY_PASSWORD}`);
const manifestType = "application/vnd.oci.image.manifest.v1+json";
const accept = [
  "application/vnd.oci.image.index.v1+json", manifestType,
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

// The layer a push sends: 256 KiB of random bytes, made once per VU here.
const layer = crypto.randomBytes(256 << 10);
const layerDigest = "sha256:" + crypto.sha256(layer, "hex");

function fail(what, res) {
  exec.test.abort(`${what} failed: ${res.status} ${res.error || ""} ${String(res.body || "").slice(0, 200)}`);
}

// Token auth: realm and service from the first challenge, a token per scope.
let realm = null;
let service = null;
const tokens = {};

function token(scope) {
  const cached = tokens[scope];
  if (cached && Date.now() < cached.renew) return cached.token;
  if (realm === null) {
    const ping = http.get(`${base}/v2/`, { tags: { name: "ping" } });
    const challenge = ping.headers["Www-Authenticate"] || "";
    realm = (challenge.match(/realm="([^"]+)"/) || [])[1];
    service = (challenge.match(/service="([^"]+)"/) || [])[1];
    if (ping.status !== 401 || !realm) fail("the challenge", ping);
  }
  const asked = Date.now();
  const res = http.get(`${realm}?service=${encodeURIComponent(service)}&scope=${encodeURIComponent(scope)}`, {
    headers: { Authorization: basic }, tags: { name: "token" },
  });
  if (res.status !== 200) fail("a token", res);
  const body = res.json();
  const lifetime = (body.expires_in || 60) * 1000;
  tokens[scope] = { token: body.token, renew: asked + lifetime - Math.min(5000, lifetime / 10) };
  return body.token;
}

function bearer(scope, extra) {
  return Object.assign({ Authorization: `Bearer ${token(scope)}` }, extra || {});
}

function pull(repo, tag) {
  const scope = `repository:${repo}:pull`;
  const m = http.get(`${base}/v2/${repo}/manifests/${tag}`, {
    headers: bearer(scope, { Accept: accept }), tags: { name: "manifest" },
  });
  if (m.status !== 200) fail("a manifest GET", m);
  const manifest = m.json();
  const headers = bearer(scope);
  const gets = [manifest.config, ...manifest.layers].map((d) => ({
    method: "GET", url: `${base}/v2/${repo}/blobs/${d.digest}`,
    params: { headers, responseType: "none", tags: { name: "blob" } },
  }));
  for (const res of http.batch(gets)) {
    if (res.status !== 200) fail("a blob GET", res);
  }
}

function absolute(location) {
  return location.startsWith("http") ? location : base + location;
}

function upload(repo, scope, body, digest) {
  const start = http.post(`${base}/v2/${repo}/blobs/uploads/`, null, {
    headers: bearer(scope, { "Content-Length": "0" }), tags: { name: "upload start" },
  });
  if (start.status !== 202) fail("a POST", start);
  const patch = http.patch(absolute(start.headers.Location), body, {
    headers: bearer(scope, { "Content-Type": "application/octet-stream" }), tags: { name: "upload chunk" },
  });
  if (patch.status !== 202) fail("a PATCH", patch);
  const loc = absolute(patch.headers.Location);
  const put = http.put(`${loc}${loc.includes("?") ? "&" : "?"}digest=${encodeURIComponent(digest)}`, null, {
    headers: bearer(scope, { "Content-Type": "application/octet-stream" }), tags: { name: "upload complete" },
  });
  if (put.status !== 201) fail("a PUT", put);
}

function push(repo, tag) {
  const scope = `repository:${repo}:pull,push`;
  // A fresh config per push, as the extension's generated image has.
  const config = JSON.stringify({
    architecture: "amd64", os: "linux",
    config: { Labels: { "io.k6.registry.fresh": crypto.randomBytes(8).byteLength + ":" + Math.random() } },
    rootfs: { type: "layers", diff_ids: [layerDigest] },
  });
  const configDigest = "sha256:" + crypto.sha256(config, "hex");
  upload(repo, scope, config, configDigest);
  upload(repo, scope, layer, layerDigest);
  const manifest = JSON.stringify({
    schemaVersion: 2, mediaType: manifestType,
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: configDigest, size: config.length },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: layerDigest, size: layer.byteLength }],
  });
  const put = http.put(`${base}/v2/${repo}/manifests/${tag}`, manifest, {
    headers: bearer(scope, { "Content-Type": manifestType }), tags: { name: "manifest put" },
  });
  if (put.status !== 201) fail("a manifest PUT", put);
}

// The base image, pushed once with k6/http: 3 x 1 MiB random layers.
export function setup() {
  const repo = "soak/base";
  const scope = `repository:${repo}:pull,push`;
  const layers = [];
  for (let i = 0; i < 3; i++) {
    const b = crypto.randomBytes(1 << 20);
    const d = "sha256:" + crypto.sha256(b, "hex");
    upload(repo, scope, b, d);
    layers.push({ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: d, size: b.byteLength });
  }
  const config = JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: layers.map((l) => l.digest) } });
  const configDigest = "sha256:" + crypto.sha256(config, "hex");
  upload(repo, scope, config, configDigest);
  const put = http.put(`${base}/v2/${repo}/manifests/1`, JSON.stringify({
    schemaVersion: 2, mediaType: manifestType,
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: configDigest, size: config.length },
    layers,
  }), { headers: bearer(scope, { "Content-Type": manifestType }), tags: { name: "manifest put" } });
  if (put.status !== 201) fail("the base manifest PUT", put);
}

export default function () {
  if (exec.scenario.iterationInTest % 2 === 0) {
    pull("soak/base", "1");
  } else {
    push(`soak/vu${exec.vu.idInTest}`, String(exec.vu.iterationInScenario));
  }
  sleep(1);
}
