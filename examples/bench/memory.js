"use k6 with k6/x/registry";
// Memory benchmark (make bench-memory): 20 VUs each push one 256 MiB layer
// and pull it back verified. Blob bytes stream on both sides, so k6's peak
// RSS stays a few buffers per VU above an idle k6.
import registry from "k6/x/registry";
import { check } from "k6";
import exec from "k6/execution";

export const options = {
  scenarios: {
    memory: { executor: "per-vu-iterations", vus: 20, iterations: 1, maxDuration: "5m" },
  },
  thresholds: { checks: ["rate==1"], registry_errors: ["count==0"] },
};

const client = new registry.Client({ url: __ENV.REGISTRY_URL, timeout: "300s" });

export default function () {
  const image = registry.generate({ layers: 1, layerSize: __ENV.LAYER_SIZE || "256MiB" });
  const ref = `bench/memory:${exec.vu.idInTest}`;
  const pushed = client.push(ref, image);
  check(pushed, { pushed: (r) => r.ok });
  const pulled = client.pull(ref, { verify: true });
  check(pulled, { "pulled every byte": (r) => r.ok && r.bytes === pushed.bytes });
}
