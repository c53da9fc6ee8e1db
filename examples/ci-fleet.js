"use k6 with k6/x/registry";
// A CI fleet: jobs arrive at a steady rate, each pulling one of a few hot
// multi-arch images for its runner's platform, as nodes pull from an index.
//
//   k6 run -e REGISTRY_URL=http://127.0.0.1:5000 -e RATE=50 examples/ci-fleet.js
import registry from "k6/x/registry";
import { check } from "k6";

// SLO thresholds hold your registry to its service levels; SLO=off leaves
// them out where the load machine's speed decides them, not the registry's
// (make test runs every example so, on a shared machine).
const slo = __ENV.SLO !== "off";

export const options = {
  scenarios: {
    jobs: {
      executor: "constant-arrival-rate",
      rate: Number(__ENV.RATE || 20),
      timeUnit: "1s",
      duration: __ENV.DURATION || "10s",
      preAllocatedVUs: Number(__ENV.VUS || 10),
      maxVUs: Number(__ENV.MAX_VUS || 40),
    },
  },
  thresholds: {
    checks: ["rate==1"],
    registry_errors: ["count==0"],
    http_req_failed: ["rate==0"],
    // Whether the load machine keeps up with the rate is its speed too.
    ...(slo && { dropped_iterations: ["count==0"], "http_req_duration{registry_op:manifest_get}": ["p(95)<500"] }),
  },
};

const client = new registry.Client({
  url: __ENV.REGISTRY_URL || "http://127.0.0.1:5000",
  username: __ENV.REGISTRY_USER,
  password: __ENV.REGISTRY_PASSWORD,
  tags: { example: "ci-fleet" },
});

const images = ["ci/node:20", "ci/golang:1.26", "ci/python:3.13"];
// Most runners are amd64, some arm64.
const platforms = ["linux/amd64", "linux/amd64", "linux/amd64", "linux/arm64"];

export function setup() {
  images.forEach((ref, i) => {
    const index = registry.generate({
      platforms: ["linux/amd64", "linux/arm64"],
      layers: 3,
      layerSize: __ENV.LAYER_SIZE || "1MiB",
      seed: 100 + i,
    });
    const res = client.push(ref, index, { concurrency: 3 });
    if (!res.ok) throw new Error(`setup: push ${ref}: ${JSON.stringify(res.error)}`);
  });
}

export default function () {
  const ref = images[Math.floor(Math.random() * images.length)];
  const platform = platforms[Math.floor(Math.random() * platforms.length)];
  const res = client.pull(ref, { platform, concurrency: 3 });
  check(res, {
    "pulled the runner's platform": (r) => r.ok && r.blobs === 4,
  });
}
