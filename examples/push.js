"use k6 with k6/x/registry";
// Every iteration pushes a fresh image, as a build farm does: new layers
// each time, so the registry receives and stores every byte.
//
//   k6 run -e REGISTRY_URL=http://127.0.0.1:5000 examples/push.js
import registry from "k6/x/registry";
import { check } from "k6";
import exec from "k6/execution";

// SLO thresholds hold your registry to its service levels; SLO=off leaves
// them out where the load machine's speed decides them, not the registry's
// (make test runs every example so, on a shared machine).
const slo = __ENV.SLO !== "off";

export const options = {
  scenarios: {
    push: {
      executor: "constant-vus",
      vus: Number(__ENV.VUS || 5),
      duration: __ENV.DURATION || "10s",
    },
  },
  thresholds: {
    checks: ["rate==1"],
    registry_errors: ["count==0"],
    http_req_failed: ["rate==0"],
    ...(slo && { registry_push_duration: ["p(95)<5000"] }),
  },
};

const client = new registry.Client({
  url: __ENV.REGISTRY_URL || "http://127.0.0.1:5000",
  username: __ENV.REGISTRY_USER,
  password: __ENV.REGISTRY_PASSWORD,
  tags: { example: "push" },
});

export default function () {
  // No seed: every call makes new blobs, unique across VUs and iterations.
  const image = registry.generate({ layers: 2, layerSize: __ENV.LAYER_SIZE || "2MiB" });
  const tag = `${exec.vu.idInTest}-${exec.vu.iterationInScenario}`;
  const res = client.push(`load/push:${tag}`, image, { upload: "stream", concurrency: 2 });
  check(res, {
    "pushed": (r) => r.ok,
    "every blob uploaded": (r) => r.uploaded === image.layers.length + 1,
  });
}
