"use k6 with k6/x/registry";
// Memory of pushing a loaded tarball (make bench-memory): 20 VUs each push
// the docker save IMAGE_TAR once, to a repository of its own. The tarball
// is larger than load() bundles, so a local run streams its layers from
// the disk: k6's peak RSS stays a few buffers per VU above an idle k6.
import registry from "k6/x/registry";
import { check } from "k6";
import exec from "k6/execution";

export const options = {
  scenarios: {
    push: { executor: "per-vu-iterations", vus: 20, iterations: 1, maxDuration: "10m" },
  },
  thresholds: { checks: ["rate==1"], registry_errors: ["count==0"] },
};

// COMPRESS=gzip measures load()'s default for a docker save: its layers
// gzipped once into temporary files, then streamed from those.
const image = registry.load(__ENV.IMAGE_TAR, { bundle: false, compress: __ENV.COMPRESS || "none" });
const client = new registry.Client({ url: __ENV.REGISTRY_URL, timeout: "600s" });

export default function () {
  check(client.push(`bench/saved-${exec.vu.idInTest}:1`, image), { pushed: (r) => r.ok });
}
