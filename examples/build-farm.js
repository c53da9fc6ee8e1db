"use k6 with k6/x/registry";
// A build farm: every build is a shared base plus a new top layer, pushed
// to its own repository. Base layers are mounted from the base repository
// the first time and skipped after (skipExisting), as docker push does;
// only the top layer and config travel.
//
//   k6 run -e REGISTRY_URL=http://127.0.0.1:5000 examples/build-farm.js
import registry from "k6/x/registry";
import { check } from "k6";
import exec from "k6/execution";

export const options = {
  scenarios: {
    builds: {
      executor: "constant-vus",
      vus: Number(__ENV.VUS || 5),
      duration: __ENV.DURATION || "10s",
    },
  },
  thresholds: {
    checks: ["rate==1"],
    registry_errors: ["count==0"],
    http_req_failed: ["rate==0"],
    "http_reqs{registry_op:blob_mount}": ["count>0"],
  },
};

const client = new registry.Client({
  url: __ENV.REGISTRY_URL || "http://127.0.0.1:5000",
  username: __ENV.REGISTRY_USER,
  password: __ENV.REGISTRY_PASSWORD,
  tags: { example: "build-farm" },
});

// The same base in every VU: a fixed seed makes identical blobs.
const base = registry.generate({ layers: 3, layerSize: __ENV.BASE_LAYER_SIZE || "2MiB", seed: 7 });

export function setup() {
  const res = client.push("farm/base:1", base, { concurrency: 3 });
  if (!res.ok) throw new Error(`setup: push base: ${JSON.stringify(res.error)}`);
}

export default function () {
  const service = `farm/service-${exec.vu.idInTest % 4}`;
  const build = registry.generate({ base, layers: 1, layerSize: __ENV.TOP_LAYER_SIZE || "512KiB" });
  const res = client.push(`${service}:${exec.vu.idInTest}-${exec.vu.iterationInScenario}`, build, {
    skipExisting: true,
    mountFrom: "farm/base",
  });
  check(res, {
    "pushed": (r) => r.ok,
    "base layers shared, not sent": (r) => r.skipped + r.mounted === base.layers.length,
    "top layer and config sent": (r) => r.uploaded === 2,
  });
}
