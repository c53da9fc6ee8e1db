// http-pull.js: the same requests with k6/http, as a k6 user writes them
// without the extension. OP=pull: GET the manifest, then the config and each
// layer one after another; VERIFY=1 asks for the body (responseType
// "binary") and hashes it with k6/crypto, VERIFY=0 discards it
// (responseType "none"). OP=head: HEAD the manifest; OP=get: GET it (its
// body a string, k6/http's default), the status checked. IMAGE_BYTES is what
// a pull must receive.
import http from "k6/http";
import crypto from "k6/crypto";
import { check } from "k6";
import { benchOptions, handleSummary } from "./lib.js";

export const options = benchOptions();
export { handleSummary };

const accept = "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";
const repoURL = `${__ENV.REGISTRY_URL}/v2/${__ENV.REPO}`;
const manifestURL = `${repoURL}/manifests/${__ENV.TAG}`;
const verify = __ENV.VERIFY === "1";
const imageBytes = Number(__ENV.IMAGE_BYTES);

function pull() {
  const m = http.get(manifestURL, { headers: { Accept: accept }, tags: { name: "manifest" } });
  if (!check(m, { "manifest 200": (r) => r.status === 200 })) return;
  const manifest = m.json();
  let received = 0;
  let intact = true;
  for (const blob of [manifest.config, ...manifest.layers]) {
    const res = http.get(`${repoURL}/blobs/${blob.digest}`, {
      responseType: verify ? "binary" : "none",
      tags: { name: "blob" },
    });
    intact = intact && res.status === 200;
    if (verify) {
      intact = intact && `sha256:${crypto.sha256(res.body, "hex")}` === blob.digest;
      received += res.body ? res.body.byteLength : 0;
    } else {
      received += Number(res.headers["Content-Length"] || 0);
    }
  }
  check(null, { "pulled every byte": () => intact && received === imageBytes });
}

function head() {
  const res = http.request("HEAD", manifestURL, null, { headers: { Accept: accept }, tags: { name: "manifest" } });
  check(res, { "manifest found": (r) => r.status === 200 });
}

function get() {
  const res = http.get(manifestURL, { headers: { Accept: accept }, tags: { name: "manifest" } });
  check(res, { "manifest found": (r) => r.status === 200 });
}

export default { head, get, pull }[__ENV.OP] || pull;
