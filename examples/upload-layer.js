"use k6 with k6/x/registry";
// Chunked uploads of one blob size: POST, PATCHes of chunkSize with
// Content-Range, PUT ?digest=. Compare chunk sizes by running it with
// -e CHUNK_SIZE=1MiB and -e CHUNK_SIZE=16MiB.
//
//   k6 run -e REGISTRY_URL=http://127.0.0.1:5000 examples/upload-layer.js
import registry from "k6/x/registry";
import { check } from "k6";

// SLO thresholds hold your registry to its service levels; SLO=off leaves
// them out where the load machine's speed decides them, not the registry's
// (make test runs every example so, on a shared machine).
const slo = __ENV.SLO !== "off";

export const options = {
  scenarios: {
    upload: {
      executor: "constant-vus",
      vus: Number(__ENV.VUS || 5),
      duration: __ENV.DURATION || "10s",
    },
  },
  thresholds: {
    checks: ["rate==1"],
    registry_errors: ["count==0"],
    http_req_failed: ["rate==0"],
    ...(slo && { registry_upload_duration: ["p(95)<5000"] }),
  },
};

const client = new registry.Client({
  url: __ENV.REGISTRY_URL || "http://127.0.0.1:5000",
  username: __ENV.REGISTRY_USER,
  password: __ENV.REGISTRY_PASSWORD,
  tags: { example: "upload-layer" },
});

const size = __ENV.BLOB_SIZE || "8MiB";
const chunkSize = __ENV.CHUNK_SIZE || "2MiB";

export default function () {
  // No seed: a new blob each time, so nothing is deduplicated.
  const blob = registry.blob({ size });
  const res = client.uploadLayer("load/layers", blob, { upload: "chunked", chunkSize });
  check(res, {
    "uploaded": (r) => r.ok,
    "stored as sent": (r) => r.digest === blob.digest && r.size === blob.size,
  });
}
