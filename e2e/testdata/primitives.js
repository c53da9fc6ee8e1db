// Written from the "every registry workload" issue's API alone: every
// primitive, multi-arch, artifacts and referrers, against one registry.
import registry from "k6/x/registry";
import { check } from "k6";

export const options = {
  iterations: 1,
  vus: 1,
  thresholds: { checks: ["rate==1"] },
};

const client = new registry.Client({
  url: __ENV.REGISTRY_URL,
  username: __ENV.REGISTRY_USER || undefined,
  password: __ENV.REGISTRY_PASSWORD || undefined,
  tags: { target: "e2e" },
});

export default function () {
  // Multi-arch: an index of two platforms, pushed whole, pulled one and all.
  const index = registry.generate({ platforms: ["linux/amd64", "linux/arm64"], layers: 1, layerSize: "64KiB" });
  const pushed = client.push("prim/app:1", index, { concurrency: 2 });
  check(pushed, { "push index": (r) => r.ok && r.digest === index.digest && r.uploaded === 4 });
  const arm = client.pull("prim/app:1", { platform: "linux/arm64" });
  check(arm, { "pull one platform": (r) => r.ok && r.blobs === 2 && r.digest === index.digest });
  const all = client.pull("prim/app:1", { platform: "all" });
  check(all, { "pull all platforms": (r) => r.ok && r.blobs === 4 });

  // Manifests.
  const got = client.getManifest("prim/app:1");
  check(got, {
    "getManifest parses": (r) => r.ok && r.digest === index.digest && r.manifest.manifests.length === 2,
    "getManifest size": (r) => r.size === index.size,
  });
  const head = client.headManifest("prim/app:1");
  check(head, { headManifest: (r) => r.ok && r.digest === index.digest && r.size === index.size });
  const amd = index.manifests[0];
  const amdManifest = client.getManifest(`prim/app@${amd.digest}`).manifest;
  const put = client.putManifest("prim/app:amd64", amdManifest);
  check(put, { "putManifest of an object": (r) => r.ok && r.digest === amd.digest && r.location !== "" });
  const asString = client.putManifest("prim/app:string", JSON.stringify({ schemaVersion: 2 }), { mediaType: "application/vnd.oci.image.manifest.v1+json" });
  check(asString, { "a malformed manifest is the registry's error": (r) => !r.ok && r.status === 400 && r.error.op === "manifest_put" });

  // Blobs.
  const layer = amd.layers[0];
  check(client.headBlob("prim/app", layer.digest), { headBlob: (r) => r.ok && r.size === layer.size });
  check(client.getBlob("prim/app", layer.digest), { getBlob: (r) => r.ok && r.bytes === layer.size });
  check(client.getBlob("prim/app", layer.digest, { range: [10, 1033] }), { "getBlob range": (r) => r.ok && r.status === 206 && r.bytes === 1024 });
  check(client.mountBlob("prim/other", layer.digest, "prim/app"), { mountBlob: (r) => r.ok && r.mounted });
  const missing = client.mountBlob("prim/other", "sha256:" + "0".repeat(64), "prim/app");
  check(missing, { "mount of a missing blob falls back": (r) => r.ok && !r.mounted });

  // Upload sessions: open one with a chunked upload of a blob we then leave.
  const blob = registry.blob({ size: "10KiB" });
  const up = client.uploadLayer("prim/sessions", blob, { upload: "chunked", chunkSize: "4KiB" });
  check(up, { "chunked upload": (r) => r.ok });

  // Listing.
  for (const tag of ["a", "b", "c", "d", "e"]) {
    client.putManifest(`prim/app:${tag}`, amdManifest);
  }
  const page = client.tags("prim/app", { n: 2 });
  check(page, { "tags page": (r) => r.ok && r.tags.length === 2 && r.next !== null });
  const tags = client.tags("prim/app", { n: 2, all: true });
  // 1, amd64, a..e: seven tags in four pages of two.
  check(tags, { "tags all": (r) => r.ok && r.tags.length === 7 && r.next === null && r.pages === 4 });
  // A catalog lists repositories that hold manifests.
  check(client.push("prim/listed:1", registry.generate({ layerSize: "4KiB" })), { "push to a second repository": (r) => r.ok });
  const catalog = client.catalog({ n: 1, all: true });
  check(catalog, { "catalog all": (r) => r.ok && r.repositories.includes("prim/app") && r.repositories.includes("prim/listed") && r.pages >= 2 });

  // Artifacts and referrers.
  const sig = registry.artifact({ artifactType: "application/vnd.example.signature.v1", size: 256, subject: amd, annotations: { "org.example.kind": "sig" } });
  const sbom = registry.artifact({ artifactType: "application/vnd.example.sbom.v1+json", size: "2KiB", subject: amd });
  check(client.push(`prim/app@${sig.digest}`, sig), { "push signature": (r) => r.ok });
  check(client.push(`prim/app@${sbom.digest}`, sbom), { "push sbom": (r) => r.ok });
  const refs = client.referrers("prim/app", amd.digest);
  check(refs, { referrers: (r) => r.ok && r.manifests.length === 2 });
  const sigs = client.referrers("prim/app", amd.digest, { artifactType: "application/vnd.example.signature.v1" });
  check(sigs, {
    "referrers filtered": (r) => r.ok && r.manifests.length === 1 && r.manifests[0].digest === sig.digest,
    "referrers annotations": (r) => r.manifests[0].annotations["org.example.kind"] === "sig",
  });

  // Deletes.
  check(client.deleteManifest(`prim/app@${sbom.digest}`), { "deleteManifest by digest": (r) => r.ok });
  check(client.headManifest(`prim/app@${sbom.digest}`), { "deleted manifest is gone": (r) => !r.ok && r.status === 404 });
  check(client.deleteManifest("prim/app:e"), { "deleteManifest by tag": (r) => r.ok || r.error.code === "UNSUPPORTED" });
  check(client.deleteBlob("prim/other", layer.digest), { deleteBlob: (r) => r.ok });
  check(client.headBlob("prim/other", layer.digest), { "deleted blob is gone": (r) => !r.ok && r.error.code === "BLOB_UNKNOWN" });
}
