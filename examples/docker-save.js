"use k6 with k6/x/registry";
// Pushes an image from a `docker save` tarball, the workflow people script
// with curl today. Use your own: docker save app:1.0 -o app.tar, then
//
//   k6 run -e REGISTRY_URL=http://127.0.0.1:5000 -e IMAGE_TAR=$PWD/app.tar examples/docker-save.js
//
// A relative IMAGE_TAR is relative to this script's directory (k6's rule
// for open()), not to where k6 runs. The tarball is read once per process,
// in the init context; its plain tar layers are gzipped once, as docker push
// sends them, and pushes stream them. A file of several images takes
// -e IMAGE_REF=name:tag; OCI image layouts (a directory or a tar) load the
// same way. docs/images.md says what load() reads and sends.
import registry from "k6/x/registry";
import { check } from "k6";
import exec from "k6/execution";

export const options = {
  scenarios: {
    push: {
      executor: "per-vu-iterations",
      vus: Number(__ENV.VUS || 4),
      iterations: Number(__ENV.ITERATIONS || 5),
      maxDuration: __ENV.DURATION || "30s",
    },
  },
  thresholds: {
    checks: ["rate==1"],
    registry_errors: ["count==0"],
    http_req_failed: ["rate==0"],
  },
};

// Relative to this script, as k6's open() resolves paths.
const image = registry.load(__ENV.IMAGE_TAR || "./testdata/app.tar", { ref: __ENV.IMAGE_REF });

const client = new registry.Client({
  url: __ENV.REGISTRY_URL || "http://127.0.0.1:5000",
  username: __ENV.REGISTRY_USER,
  password: __ENV.REGISTRY_PASSWORD,
  tags: { example: "docker-save" },
});

export default function () {
  const repo = `load/saved-${exec.vu.idInTest}`;
  // skipExisting: after the first push of a repository, only the manifest
  // goes up, as with `docker push` of an image the registry already has.
  const res = client.push(`${repo}:${exec.vu.iterationInScenario}`, image, { skipExisting: true });
  check(res, {
    "pushed": (r) => r.ok,
    "the saved image": (r) => r.digest === image.digest,
  });
  const back = client.pull(`${repo}:${exec.vu.iterationInScenario}`);
  check(back, { "pulled back verified": (r) => r.ok && r.digest === image.digest });
}
