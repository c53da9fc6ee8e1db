"use k6 with k6/x/registry";
// zot's zb benchmark's default mix, without hand-written dice: 75% pulls
// and 25% pushes (zb's "Pull 75% and Push 25%"), pulls of images sized
// 20% 1 MiB, 70% 10 MiB, 10% 100 MiB (zb's "Pull Mixed 20% 1MB, 70% 10MB,
// 10% 100MB"; zb's MB are MiB) and monolithic pushes of layers drawn from
// the same mix (zb's "Push Monolith Mixed"), which generate's layerSizes
// preset "zb-mixed" also is. zb itself lives in project-zot/zot, cmd/zb.
//
//   k6 run -e REGISTRY_URL=http://127.0.0.1:5000 examples/zb-mix.js
//
// Each VU makes ITERATIONS requests from its own seeded sequence, so a run
// makes the same mix of requests however fast the registry is.
//
// test-env: SIZES={"16KiB":20,"160KiB":70,"1600KiB":10} ITERATIONS=12
import registry from "k6/x/registry";
import { check } from "k6";
import exec from "k6/execution";
import { Counter } from "k6/metrics";

const sizes = __ENV.SIZES ? JSON.parse(__ENV.SIZES) : { "1MiB": 20, "10MiB": 70, "100MiB": 10 };

export const options = {
  scenarios: {
    zb: { executor: "per-vu-iterations", vus: Number(__ENV.VUS || 4), iterations: Number(__ENV.ITERATIONS || 50), maxDuration: "30m" },
  },
  thresholds: {
    checks: ["rate==1"],
    registry_errors: ["count==0"],
    http_req_failed: ["rate==0"],
    "requests{request:pull}": ["count>0"],
    "requests{request:push}": ["count>0"],
  },
};

const client = new registry.Client({
  url: __ENV.REGISTRY_URL || "http://127.0.0.1:5000",
  username: __ENV.REGISTRY_USER,
  password: __ENV.REGISTRY_PASSWORD,
  tags: { example: "zb-mix" },
});

const request = registry.mix("zb");
const pullSize = registry.mix(sizes);
const made = new Counter("requests");

export function setup() {
  // One image per size, as zb pushes before its mixed pulls.
  const images = {};
  for (const size of Object.keys(sizes)) {
    const res = client.push(`zb/pull:${size}`, registry.generate({ layers: 1, layerSize: size, seed: 1 }), { upload: "monolithic" });
    if (!res.ok) {
      throw new Error(`setup: push of the ${size} image failed: ${JSON.stringify(res.error)}`);
    }
    images[size] = { digest: res.digest, bytes: res.bytes };
  }
  return images;
}

export default function (images) {
  const what = request.pick();
  made.add(1, { request: what });
  if (what === "pull") {
    const size = pullSize.pick();
    const res = client.pull(`zb/pull:${size}`, { verify: true });
    check(res, { "pulled the image of its size": (r) => r.ok && r.digest === images[size].digest && r.bytes === images[size].bytes });
    return;
  }
  const image = registry.generate({ layers: 1, layerSizes: sizes });
  const res = client.push(`zb/push:${exec.vu.idInTest}-${exec.vu.iterationInScenario}`, image, { upload: "monolithic" });
  check(res, { "pushed": (r) => r.ok });
}
