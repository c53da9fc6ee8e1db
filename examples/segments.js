"use k6 with k6/x/registry";
// A push-and-pull job of a fixed size, written to be split across k6
// instances as the k6 operator splits it (--execution-segment): each
// iteration's tag comes from exec.scenario.iterationInTest, unique across
// instances, and fresh content has a fresh seed, so no two instances push
// the same tag or the same blob.
import registry from "k6/x/registry";
import { check } from "k6";
import exec from "k6/execution";

export const options = {
  scenarios: {
    fleet: {
      executor: "shared-iterations",
      vus: Number(__ENV.VUS || 3),
      iterations: Number(__ENV.ITERATIONS || 30),
      maxDuration: "2m",
    },
  },
  thresholds: { checks: ["rate==1"], registry_errors: ["count==0"] },
};

const client = new registry.Client({
  url: __ENV.REGISTRY_URL || "http://127.0.0.1:5000",
  username: __ENV.REGISTRY_USER,
  password: __ENV.REGISTRY_PASSWORD,
});

export default function () {
  const ref = `segments/app:${exec.scenario.iterationInTest}`;
  const image = registry.generate({ layers: 1, layerSize: "64KiB" });
  check(client.push(ref, image), { pushed: (r) => r.ok });
  check(client.pull(ref), { "pulled back": (r) => r.ok && r.digest === image.digest });
}
