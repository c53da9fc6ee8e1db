// Written from the API alone: every upload mode, pushed and pulled
// back verified, against whatever registry and credentials the test passes.
import registry from "k6/x/registry";
import { check } from "k6";

export const options = {
  iterations: 1,
  vus: 1,
  thresholds: {
    checks: ["rate==1"],
    // The one error is the missing image pulled on purpose at the end.
    registry_errors: ["count==1"],
    "registry_errors{registry_error_code:MANIFEST_UNKNOWN}": ["count==1"],
  },
};

const client = new registry.Client({
  url: __ENV.REGISTRY_URL,
  username: __ENV.REGISTRY_USER || undefined,
  password: __ENV.REGISTRY_PASSWORD || undefined,
  headers: { "X-Env": "e2e" },
  timeout: "30s",
  tags: { target: "e2e" },
});

export default function () {
  check(client.ping(), { "ping ok": (r) => r.ok });
  for (const mode of ["monolithic", "stream", "chunked", "post"]) {
    const image = registry.generate({ layers: 2, layerSize: "300KiB", format: mode === "post" ? "docker" : "oci" });
    const ref = `e2e/${mode}:1`;
    const pushed = client.push(ref, image, { upload: mode, chunkSize: "100KiB", concurrency: 2 });
    check(pushed, {
      [`push ${mode} ok`]: (r) => r.ok && r.error === null,
      [`push ${mode} uploaded config and layers`]: (r) => r.uploaded === 3,
      [`push ${mode} digest`]: (r) => r.digest === image.digest,
    });
    const pulled = client.pull(ref, { verify: true, concurrency: 3 });
    check(pulled, {
      [`pull ${mode} ok`]: (r) => r.ok,
      [`pull ${mode} same digest`]: (r) => r.digest === pushed.digest,
      [`pull ${mode} every byte`]: (r) => r.bytes === pushed.bytes && r.blobs === 3,
    });
    const layer = registry.blob({ size: "250KiB" });
    const up = client.uploadLayer("e2e/layers", layer, { upload: mode, chunkSize: "64KiB" });
    check(up, { [`uploadLayer ${mode} ok`]: (r) => r.ok && r.digest === layer.digest && r.size === layer.size });
  }
  const again = client.push("e2e/stream:2", registry.generate({ layers: 1, layerSize: "64KiB", seed: 1 }), { skipExisting: true });
  check(again, { "push with skipExisting ok": (r) => r.ok });
  const missing = client.pull("e2e/none:1");
  check(missing, {
    "a missing image is reported, not thrown": (r) => !r.ok && r.error.code === "MANIFEST_UNKNOWN" && r.status === 404,
  });
}
