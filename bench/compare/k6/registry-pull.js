// registry-pull.js: the extension. OP=pull: client.pull(REPO:TAG, { verify })
// with VERIFY=1 or 0, every blob one after another (the default);
// OP=head: client.headManifest(REPO:TAG); OP=get: client.getManifest(REPO:TAG),
// its status checked and its manifest never read. IMAGE_BYTES is what a pull
// must receive: config and layers.
import registry from "k6/x/registry";
import { check } from "k6";
import { benchOptions, handleSummary } from "./lib.js";

export const options = benchOptions();
export { handleSummary };

// HTTP_VERSION: the client's http option, "1.1" or "2", for a TLS row.
const client = new registry.Client({ url: __ENV.REGISTRY_URL, timeout: "300s", ...(__ENV.HTTP_VERSION && { http: __ENV.HTTP_VERSION }) });
const ref = `${__ENV.REPO}:${__ENV.TAG}`;
const verify = __ENV.VERIFY === "1";
const imageBytes = Number(__ENV.IMAGE_BYTES);

function pull() {
  const res = client.pull(ref, { verify });
  if (!res.ok) console.error(`pull ${ref}: ${JSON.stringify(res.error)}`);
  check(res, { "pulled every byte": (r) => r.ok && r.bytes === imageBytes });
}

function head() {
  const res = client.headManifest(ref);
  if (!res.ok) console.error(`head ${ref}: ${JSON.stringify(res.error)}`);
  check(res, { "manifest found": (r) => r.ok });
}

function get() {
  const res = client.getManifest(ref);
  if (!res.ok) console.error(`get ${ref}: ${JSON.stringify(res.error)}`);
  check(res, { "manifest found": (r) => r.ok });
}

export default { head, get, pull }[__ENV.OP] || pull;
