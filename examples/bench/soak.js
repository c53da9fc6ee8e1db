"use k6 with k6/x/registry";
// Soak (make soak): SOAK_VUS VUs for SOAK_DURATION of mixed pulls and fresh
// pushes with token auth. The first failed call aborts the test, so a soak
// that ends by itself had no error. No thresholds, and scripts/soak.sh runs
// k6 with --no-thresholds: while k6 processes thresholds, which it does by
// default even for a script with none, it keeps every Trend sample and its
// memory grows for its own reasons (10 minutes of this soak: live heap
// 48 -> 66 MB by default, flat at 42 MB with --no-thresholds), which is not
// what a soak of the extension should measure.
import registry from "k6/x/registry";
import exec from "k6/execution";
import { sleep } from "k6";

export const options = {
  scenarios: {
    soak: {
      executor: "constant-vus",
      vus: Number(__ENV.SOAK_VUS || 200),
      duration: __ENV.SOAK_DURATION || "10m",
      gracefulStop: "30s",
    },
  },
};

const client = new registry.Client({
  url: __ENV.REGISTRY_URL,
  username: __ENV.REGISTRY_USER,
  password: __ENV.REGISTRY_PASSWORD,
});

// must aborts the test at the first failed call.
function must(result, what) {
  if (!result.ok) {
    exec.test.abort(`${what} failed: ${JSON.stringify(result.error)}`);
  }
}

export function setup() {
  must(client.push("soak/base:1", registry.generate({ layers: 3, layerSize: "1MiB", seed: 1 }), { concurrency: 3 }), "pushing the base");
}

export default function () {
  if (exec.scenario.iterationInTest % 2 === 0) {
    must(client.pull("soak/base:1", { concurrency: 3 }), "a pull");
  } else {
    const image = registry.generate({ layers: 1, layerSize: "256KiB" });
    must(client.push(`soak/vu${exec.vu.idInTest}:${exec.vu.iterationInScenario}`, image), "a push");
  }
  sleep(1);
}
