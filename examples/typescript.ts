"use k6 with k6/x/registry";
// The push example in TypeScript: k6 runs .ts as it is, and strict tsc
// checks it against index.d.ts (examples/tsconfig.json maps k6/x/registry
// to it; make test-types runs tsc). Your own project: copy tsconfig.json,
// point the path at this repository's index.d.ts, npm install @types/k6.
//
//   k6 run -e REGISTRY_URL=http://127.0.0.1:5000 examples/typescript.ts
import registry, { type Image, type PushResult } from "k6/x/registry";
import { check } from "k6";
import exec from "k6/execution";
import type { Options } from "k6/options";

// SLO=off leaves out the threshold a shared load machine's speed decides.
const slo = __ENV.SLO !== "off";

export const options: Options = {
  scenarios: {
    push: {
      executor: "constant-vus",
      vus: Number(__ENV.VUS || 2),
      duration: __ENV.DURATION || "5s",
    },
  },
  thresholds: {
    checks: ["rate==1"],
    registry_errors: ["count==0"],
    ...(slo && { registry_push_duration: ["p(95)<5000"] }),
  },
};

const client = new registry.Client({
  url: __ENV.REGISTRY_URL || "http://127.0.0.1:5000",
  username: __ENV.REGISTRY_USER,
  password: __ENV.REGISTRY_PASSWORD,
  tags: { example: "typescript" },
});

export default function (): void {
  const image: Image = registry.generate({ layers: 2, layerSize: "256KiB" });
  const res: PushResult = client.push(`load/ts-${exec.vu.idInTest}:${exec.vu.iterationInScenario}`, image, { concurrency: 2 });
  check(res, {
    pushed: (r) => r.ok && r.digest === image.digest,
  });
  const back = client.pull(res.ref);
  check(back, { "pulled back verified": (r) => r.ok && r.digest === image.digest });
}
