// The extension's requests go through k6's own network stack: a host name
// only k6's `hosts` option knows resolves, and `blacklistIPs` blocks.
import registry from "k6/x/registry";
import { check } from "k6";

const port = __ENV.REGISTRY_URL.split(":").pop();

export const options = {
  iterations: 1,
  vus: 1,
  hosts: { "registry.k6.test": "127.0.0.1" },
  blacklistIPs: __ENV.BLOCK ? ["127.0.0.0/8"] : [],
  thresholds: { checks: ["rate==1"] },
};

const client = new registry.Client({ url: `http://registry.k6.test:${port}` });

export default function () {
  const res = client.push("net/app:1", registry.generate({ layerSize: "4KiB" }));
  if (__ENV.BLOCK) {
    check(res, { "blacklistIPs blocks the registry": (r) => !r.ok && r.status === 0 && r.error.code === "NETWORK_ERROR" });
  } else {
    check(res, { "hosts resolves the registry": (r) => r.ok });
  }
}
