// Every upload mode pushed and pulled back, generated images and a docker
// save (TAR), over the HTTP version HTTP_VERSION asks for ("1.1", "2" or
// unset), for e2e/datasent_test.go to check data_sent and data_received
// against what crossed the network.
import registry from "k6/x/registry";

export const options = { vus: 1, iterations: 1, insecureSkipTLSVerify: true };

const settings = { url: __ENV.REGISTRY_URL };
if (__ENV.HTTP_VERSION) settings.http = __ENV.HTTP_VERSION;
const client = new registry.Client(settings);
// A docker save from the disk, as it is and gzipped: over plain http its
// layers go by sendfile, the bytes added to k6's counter by the extension.
const saved = {
  plain: registry.load(__ENV.TAR, { bundle: false, compress: "none" }),
  gzipped: registry.load(__ENV.TAR, { bundle: false, compress: "gzip" }),
};

export default function () {
  for (const mode of ["monolithic", "stream", "chunked", "post"]) {
    const images = { generated: registry.generate({ layers: 2, layerSize: "1MiB" }), ...saved };
    for (const [what, image] of Object.entries(images)) {
      const ref = `sent/${what}-${mode}:1`;
      const pushed = client.push(ref, image, { upload: mode, chunkSize: "256KiB" });
      if (!pushed.ok) throw new Error(`${what} ${mode}: ${JSON.stringify(pushed.error)}`);
      const pulled = client.pull(ref);
      if (!pulled.ok) throw new Error(`${what} ${mode}: ${JSON.stringify(pulled.error)}`);
    }
  }
}
