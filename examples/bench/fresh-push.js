"use k6 with k6/x/registry";
// Ramp-up of fresh pushes (make bench-memory): 500 VUs start at once, each
// pushing one image of 2 x 64 MiB fresh layers, for 12 s. A load generator
// that digests content before it sends any measures itself at ramp-up; this
// one should have bytes at the registry at once. The driver watches the
// registry's storage; the run ends at 12 s, mid-push, and every VU's upload
// session is cancelled.
import registry from "k6/x/registry";
import exec from "k6/execution";

export const options = {
  scenarios: {
    fresh: {
      executor: "per-vu-iterations",
      vus: Number(__ENV.VUS || 500),
      iterations: 1,
      maxDuration: __ENV.DURATION || "12s",
      gracefulStop: "0s",
    },
  },
};

const client = new registry.Client({ url: __ENV.REGISTRY_URL, timeout: "300s" });

export default function () {
  const image = registry.generate({ layers: 2, layerSize: __ENV.LAYER_SIZE || "64MiB" });
  client.push(`bench/fresh-${exec.vu.idInTest}:1`, image);
}
