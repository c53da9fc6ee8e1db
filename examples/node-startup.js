"use k6 with k6/x/registry";
// Each VU is a Kubernetes node starting pods: it pulls several images at
// once, as the kubelet does, some sharing a base image's layers, and
// records the time until all are pulled.
import registry from "k6/x/registry";
import { check } from "k6";
import { Trend } from "k6/metrics";

const images = ["api", "worker", "sidecar", "metrics"];

// SLO thresholds hold your registry to its service levels; SLO=off leaves
// them out where the load machine's speed decides them, not the registry's
// (make test runs every example so, on a shared machine).
const slo = __ENV.SLO !== "off";

export const options = {
  scenarios: {
    nodes: {
      executor: "constant-vus",
      vus: Number(__ENV.VUS || 4),
      duration: __ENV.DURATION || "20s",
    },
  },
  thresholds: {
    checks: ["rate==1"],
    registry_errors: ["count==0"],
    ...(slo && { node_startup_duration: ["p(95)<10000"] }),
  },
};

// Time from a node's first pull to its last image pulled.
const startup = new Trend("node_startup_duration", true);

const client = new registry.Client({
  url: __ENV.REGISTRY_URL || "http://127.0.0.1:5000",
  username: __ENV.REGISTRY_USER,
  password: __ENV.REGISTRY_PASSWORD,
});

export function setup() {
  // One base, as most images of a cluster share a distro layer, and an
  // image per workload on top of it; the node then pulls the base's
  // layers once per image, as nodes without them cached do.
  const base = registry.generate({ layers: 2, layerSize: "2MiB", seed: 1 });
  images.forEach((name, i) => {
    const image = registry.generate({ base, layers: 1, layerSize: "1MiB", seed: 10 + i });
    check(client.push(`nodes/${name}:1`, image, { concurrency: 3 }), { "image pushed": (r) => r.ok });
  });
}

export default async function () {
  const start = Date.now();
  const pulled = await Promise.all(images.map((name) => client.asyncPull(`nodes/${name}:1`, { concurrency: 3 })));
  startup.add(Date.now() - start);
  check(pulled, { "every image pulled": (rs) => rs.every((r) => r.ok && r.blobs === 4) });
}
