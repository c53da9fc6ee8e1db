// The same requests through k6/http and through the extension, each case
// in a group of its own, so e2e/k6tags_test.go can compare the tags k6
// gives each: k6's system tags must mean the same on both.
import http from "k6/http";
import registry from "k6/x/registry";
import { group } from "k6";

export const options = { vus: 1, iterations: 1, insecureSkipTLSVerify: true };

const cases = {
  "ok": { url: __ENV.PLAIN_URL },
  "tls": { url: __ENV.TLS_URL },
  "refused": { url: __ENV.REFUSED_URL },
  "timeout": { url: __ENV.STALL_URL, timeout: "500ms" },
  "reset": { url: __ENV.RESET_URL },
};
const clients = {};
for (const [name, c] of Object.entries(cases)) {
  clients[name] = new registry.Client({ url: c.url, timeout: c.timeout || "10s" });
}

export default function () {
  for (const [name, c] of Object.entries(cases)) {
    group(name, () => {
      http.get(`${c.url}/v2/`, { timeout: c.timeout || "10s" });
      clients[name].ping();
    });
  }
  group("not found", () => {
    http.get(`${__ENV.PLAIN_URL}/v2/none/app/manifests/1`);
    clients.ok.getManifest("none/app:1");
  });
}
