// registry-push.js: the extension pushes ITERATIONS images, VUS at a time,
// iteration I to REPO_PREFIX-I:1, with upload mode UPLOAD (stream or
// monolithic). SOURCE=tar: the docker save tar at TAR, loaded once;
// SOURCE=fresh: registry.generate({ layers: LAYERS, layerSize: LAYER_BYTES })
// for every push, new content each time. The tar streams from the disk at
// every scale, as curl's and crane's files do (bundle: false; by default a
// small tar would be read through k6's file system, into memory).
import registry from "k6/x/registry";
import exec from "k6/execution";
import { check } from "k6";
import { benchOptions, handleSummary } from "./lib.js";

export const options = benchOptions();
export { handleSummary };

// HTTP_VERSION: the client's http option, "1.1" or "2", for a TLS row.
const client = new registry.Client({ url: __ENV.REGISTRY_URL, timeout: "300s", ...(__ENV.HTTP_VERSION && { http: __ENV.HTTP_VERSION }) });
// compress: "none": the plain tars as they are, the bytes curl and crane send of this file.
const loaded = __ENV.SOURCE === "tar" ? registry.load(__ENV.TAR, { bundle: false, compress: "none" }) : null;

export default function () {
  const image = loaded || registry.generate({ layers: Number(__ENV.LAYERS), layerSize: Number(__ENV.LAYER_BYTES) });
  const ref = `${__ENV.REPO_PREFIX}-${exec.scenario.iterationInTest + 1}:1`;
  const res = client.push(ref, image, { upload: __ENV.UPLOAD });
  if (!res.ok) console.error(`push ${ref}: ${JSON.stringify(res.error)}`);
  check(res, { "pushed every blob": (r) => r.ok && r.uploaded === image.layers.length + 1 });
}
