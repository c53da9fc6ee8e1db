"use k6 with k6/x/registry";
// A supply chain: push an image, attach a signature and an SBOM to it as
// OCI artifacts whose subject is the image, then list its referrers, as
// cosign, notation and SBOM tools do. On registries without the referrers
// API the client keeps the referrers tag schema, as the spec asks.
//
//   k6 run -e REGISTRY_URL=http://127.0.0.1:5000 examples/supply-chain.js
import registry from "k6/x/registry";
import { check } from "k6";
import exec from "k6/execution";

// SLO thresholds hold your registry to its service levels; SLO=off leaves
// them out where the load machine's speed decides them, not the registry's
// (make test runs every example so, on a shared machine).
const slo = __ENV.SLO !== "off";

export const options = {
  scenarios: {
    releases: {
      executor: "constant-vus",
      vus: Number(__ENV.VUS || 4),
      duration: __ENV.DURATION || "10s",
    },
  },
  thresholds: {
    checks: ["rate==1"],
    registry_errors: ["count==0"],
    ...(slo && { "http_req_duration{registry_op:referrers}": ["p(95)<500"] }),
  },
};

const client = new registry.Client({
  url: __ENV.REGISTRY_URL || "http://127.0.0.1:5000",
  username: __ENV.REGISTRY_USER,
  password: __ENV.REGISTRY_PASSWORD,
  tags: { example: "supply-chain" },
});

const SIGNATURE = "application/vnd.dev.cosign.artifact.sig.v1+json";
const SBOM = "application/spdx+json";

export default function () {
  const repo = `chain/app-${exec.vu.idInTest}`;
  const image = registry.generate({ layers: 2, layerSize: "256KiB" });
  const pushed = client.push(`${repo}:${exec.vu.iterationInScenario}`, image);
  check(pushed, { "image pushed": (r) => r.ok });

  const signature = registry.artifact({ artifactType: SIGNATURE, size: 512, subject: image,
    annotations: { "dev.cosignproject.cosign/signature": "k6" } });
  const sbom = registry.artifact({ artifactType: SBOM, size: "16KiB", subject: image });
  for (const artifact of [signature, sbom]) {
    check(client.push(`${repo}@${artifact.digest}`, artifact), { "artifact attached": (r) => r.ok });
  }

  const all = client.referrers(repo, image.digest);
  check(all, { "both referrers listed": (r) => r.ok && r.manifests.length === 2 });
  const sigs = client.referrers(repo, image.digest, { artifactType: SIGNATURE });
  check(sigs, { "signature found by type": (r) => r.ok && r.manifests.length === 1 && r.manifests[0].digest === signature.digest });
}
