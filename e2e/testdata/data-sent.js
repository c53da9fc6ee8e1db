// Every upload mode pushed and pulled back, over the HTTP version HTTP
// asks for (HTTP_VERSION: "1.1", "2" or unset), for e2e/datasent_test.go
// to check data_sent and data_received against what crossed the network.
import registry from "k6/x/registry";

export const options = { vus: 1, iterations: 1, insecureSkipTLSVerify: true };

const settings = { url: __ENV.REGISTRY_URL };
if (__ENV.HTTP_VERSION) settings.http = __ENV.HTTP_VERSION;
const client = new registry.Client(settings);

export default function () {
  for (const mode of ["monolithic", "stream", "chunked", "post"]) {
    const ref = `sent/${mode}:1`;
    const pushed = client.push(ref, registry.generate({ layers: 2, layerSize: "1MiB" }), { upload: mode, chunkSize: "256KiB" });
    if (!pushed.ok) throw new Error(`${mode}: ${JSON.stringify(pushed.error)}`);
    const pulled = client.pull(ref);
    if (!pulled.ok) throw new Error(`${mode}: ${JSON.stringify(pulled.error)}`);
  }
}
