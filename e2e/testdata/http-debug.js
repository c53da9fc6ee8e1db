// A push and a pull with credentials and a header of the client's own,
// for e2e/httpdebug_test.go to read what --http-debug prints of them.
import registry from "k6/x/registry";

export const options = { vus: 1, iterations: 1 };

const client = new registry.Client({
  url: __ENV.REGISTRY_URL,
  username: __ENV.REGISTRY_USER,
  password: __ENV.REGISTRY_PASSWORD,
  headers: { "X-Api-Key": __ENV.API_KEY },
});

export default function () {
  const image = registry.generate({ layers: 1, layerSize: "64KiB" });
  const pushed = client.push("debug/app:1", image, { upload: "monolithic" });
  if (!pushed.ok) throw new Error(JSON.stringify(pushed.error));
  const pulled = client.pull("debug/app:1");
  if (!pulled.ok) throw new Error(JSON.stringify(pulled.error));
  client.getManifest("debug/app:1");
}
