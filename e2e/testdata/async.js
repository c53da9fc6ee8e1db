// Written from the promise API only: each VU pushes three images at once,
// one per upload mode, then pulls them back at once.
import registry from "k6/x/registry";
import { check } from "k6";
import exec from "k6/execution";

export const options = {
  scenarios: { async: { executor: "per-vu-iterations", vus: 2, iterations: 2 } },
  thresholds: { checks: ["rate==1"], registry_errors: ["count==0"] },
};

const client = new registry.Client({
  url: __ENV.REGISTRY_URL,
  username: __ENV.REGISTRY_USER,
  password: __ENV.REGISTRY_PASSWORD,
  tags: { target: "async" },
});
const modes = ["stream", "chunked", "monolithic"];

export default async function () {
  const images = modes.map(() => registry.generate({ layers: 2, layerSize: "128KiB" }));
  const refs = modes.map((mode) => `async/vu${exec.vu.idInTest}:${exec.vu.iterationInScenario}-${mode}`);
  const pushed = await Promise.all(images.map((image, i) => client.asyncPush(refs[i], image, { upload: modes[i], chunkSize: "64KiB" })));
  check(pushed, { "pushed at once": (rs) => rs.every((r, i) => r.ok && r.digest === images[i].digest) });
  const pulled = await Promise.all(refs.map((ref) => client.asyncPull(ref, { concurrency: 2 })));
  check(pulled, { "pulled at once": (rs) => rs.every((r, i) => r.ok && r.digest === images[i].digest) });
}
