// Each VU pushes 1 GiB layers in one upload mode; the test ends in the
// middle of the pushes, and must leave no upload session behind.
import registry from "k6/x/registry";
import exec from "k6/execution";

const modes = ["stream", "chunked", "monolithic"];

export const options = {
  scenarios: { push: { executor: "constant-vus", vus: modes.length, duration: "3s", gracefulStop: "0s" } },
};

const client = new registry.Client({ url: __ENV.REGISTRY_URL });
// Digested once per VU, before the test's clock starts: read here, in the
// init context, else a busy machine spends the 3 s digesting and no push
// has started when the test ends.
const image = registry.generate({ layers: 1, layerSize: "1GiB" });
image.digest;

export default function () {
  const mode = modes[(exec.vu.idInTest - 1) % modes.length];
  client.push(`end/${mode}:${exec.vu.iterationInScenario}`, image, { upload: mode, chunkSize: "16MiB" });
}
