// Three pushes at once, one per upload mode, with asyncPush; the test ends
// in the middle of them and must leave no upload session behind.
import registry from "k6/x/registry";

const modes = ["stream", "chunked", "monolithic"];

export const options = {
  scenarios: { push: { executor: "constant-vus", vus: 1, duration: "3s", gracefulStop: "0s" } },
};

const client = new registry.Client({ url: __ENV.REGISTRY_URL });
// Digested before the test's clock starts.
const images = modes.map(() => registry.generate({ layers: 1, layerSize: "512MiB" }));

export default async function () {
  await Promise.all(modes.map((mode, i) => client.asyncPush(`end/${mode}:async`, images[i], { upload: mode, chunkSize: "16MiB" })));
}
