"use k6 with k6/x/registry";
// setup() pushes one image; then many VUs pull it, each pull fetching the
// manifest, the config and every layer, checked against their digests.
//
//   k6 run -e REGISTRY_URL=http://127.0.0.1:5000 examples/pull.js
import registry from "k6/x/registry";
import { check } from "k6";

// SLO thresholds hold your registry to its service levels; SLO=off leaves
// them out where the load machine's speed decides them, not the registry's
// (make test runs every example so, on a shared machine).
const slo = __ENV.SLO !== "off";

export const options = {
  scenarios: {
    pull: {
      executor: "constant-vus",
      vus: Number(__ENV.VUS || 10),
      duration: __ENV.DURATION || "10s",
    },
  },
  thresholds: {
    checks: ["rate==1"],
    registry_errors: ["count==0"],
    http_req_failed: ["rate==0"],
    ...(slo && { "http_req_duration{registry_op:blob_get}": ["p(95)<2000"] }),
  },
};

const client = new registry.Client({
  url: __ENV.REGISTRY_URL || "http://127.0.0.1:5000",
  username: __ENV.REGISTRY_USER,
  password: __ENV.REGISTRY_PASSWORD,
  tags: { example: "pull" },
});

const ref = "load/pull:1.0";

export function setup() {
  // A fixed seed makes the same image on every run.
  const image = registry.generate({ layers: 3, layerSize: __ENV.LAYER_SIZE || "4MiB", seed: 42 });
  const res = client.push(ref, image, { concurrency: 3 });
  if (!res.ok) {
    throw new Error(`setup: push failed: ${JSON.stringify(res.error)}`);
  }
  return { digest: res.digest, bytes: res.bytes };
}

export default function (pushed) {
  // concurrency 3 fetches three blobs at once, as the docker client does.
  const res = client.pull(ref, { verify: true, concurrency: 3 });
  check(res, {
    "pulled": (r) => r.ok,
    "the image pushed": (r) => r.digest === pushed.digest,
    "every byte": (r) => r.bytes === pushed.bytes,
  });
}
