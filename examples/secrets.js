"use k6 with k6/x/registry";
// Credentials from a k6 secret source instead of __ENV: k6 redacts secret
// values from its logs, and they never sit in the process's environment.
//
//   echo "registry_password=..." > secrets.txt
//   REGISTRY_URL=https://registry.example REGISTRY_USER=loadtest \
//     k6 run --secret-source=file=secrets.txt examples/secrets.js
//
// Without a secret source it runs anonymously.
import registry from "k6/x/registry";
import secrets from "k6/secrets";
import { check } from "k6";
import exec from "k6/execution";

export const options = {
  scenarios: {
    push_pull: {
      executor: "constant-vus",
      vus: Number(__ENV.VUS || 2),
      duration: __ENV.DURATION || "10s",
    },
  },
  thresholds: { checks: ["rate==1"], registry_errors: ["count==0"] },
};

let client;

// connect makes the VU's client once: secrets are read in the VU, not in
// the init context.
async function connect() {
  if (!client) {
    let password = "";
    try {
      password = await secrets.get("registry_password");
    } catch (e) {
      // No secret source given: an anonymous client.
    }
    client = new registry.Client({ url: __ENV.REGISTRY_URL, username: __ENV.REGISTRY_USER, password });
  }
  return client;
}

export default async function () {
  const c = await connect();
  const image = registry.generate({ layers: 1, layerSize: "256KiB" });
  const ref = `secrets/app:${exec.vu.idInTest}-${exec.vu.iterationInScenario}`;
  check(c.push(ref, image), { pushed: (r) => r.ok });
  check(c.pull(ref), { pulled: (r) => r.ok });
}
