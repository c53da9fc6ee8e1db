// seed.js: pushes the images the pull rows read, once, before any row runs:
// PULL_REPO:1 of PULL_LAYERS layers of PULL_LAYER_BYTES and SMALL_REPO:1 of
// one 4 KiB layer. Fixed seeds make the same images on every run.
import registry from "k6/x/registry";

export const options = { iterations: 1, thresholds: { http_req_failed: ["rate==0"] } };

const client = new registry.Client({ url: __ENV.REGISTRY_URL, timeout: "300s" });

function push(ref, image) {
  const res = client.push(ref, image);
  if (!res.ok) throw new Error(`seed: push ${ref}: ${JSON.stringify(res.error)}`);
}

export default function () {
  push(`${__ENV.PULL_REPO}:1`, registry.generate({
    layers: Number(__ENV.PULL_LAYERS),
    layerSize: Number(__ENV.PULL_LAYER_BYTES),
    seed: 1,
  }));
  push(`${__ENV.SMALL_REPO}:1`, registry.generate({ layers: 1, layerSize: 4096, seed: 2 }));
}
