// Soak (make soak): SOAK_VUS VUs for SOAK_DURATION of mixed pulls and fresh
// pushes with token auth. Every call must succeed; scripts/soak.sh watches
// k6's memory, goroutines and file descriptors meanwhile.
import registry from "k6/x/registry";
import { check, sleep } from "k6";
import exec from "k6/execution";

export const options = {
  scenarios: {
    soak: {
      executor: "constant-vus",
      vus: Number(__ENV.SOAK_VUS || 200),
      duration: __ENV.SOAK_DURATION || "10m",
      gracefulStop: "30s",
    },
  },
  thresholds: { checks: ["rate==1"], registry_errors: ["count==0"] },
};

const client = new registry.Client({
  url: __ENV.REGISTRY_URL,
  username: __ENV.REGISTRY_USER,
  password: __ENV.REGISTRY_PASSWORD,
});

export function setup() {
  const base = registry.generate({ layers: 3, layerSize: "1MiB", seed: 1 });
  check(client.push("soak/base:1", base, { concurrency: 3 }), { "base pushed": (r) => r.ok });
}

export default function () {
  if (exec.scenario.iterationInTest % 2 === 0) {
    check(client.pull("soak/base:1", { concurrency: 3 }), { pulled: (r) => r.ok });
  } else {
    const image = registry.generate({ layers: 1, layerSize: "256KiB" });
    const ref = `soak/vu${exec.vu.idInTest}:${exec.vu.iterationInScenario}`;
    check(client.push(ref, image), { "fresh image pushed": (r) => r.ok });
  }
  sleep(1);
}
