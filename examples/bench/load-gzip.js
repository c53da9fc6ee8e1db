"use k6 with k6/x/registry";
// The cost of load()'s gzip of a docker save (make bench-load-gzip):
// MODE=compress: one VU reads the image's digest, which gzips its plain
// tar layers once; it prints their compressed sizes, the disk they take.
// MODE=push: VUS (20) VUs push it once each, to repositories of their own.
import registry from "k6/x/registry";
import exec from "k6/execution";

const push = __ENV.MODE === "push";
export const options = {
  scenarios: { run: { executor: "per-vu-iterations", vus: push ? Number(__ENV.VUS || 20) : 1, iterations: 1, maxDuration: "30m" } },
};

const image = registry.load(__ENV.IMAGE_TAR, { bundle: false, compress: "gzip" });
const client = new registry.Client({ url: __ENV.REGISTRY_URL, timeout: "600s" });

export default function () {
  if (!push) {
    const sizes = image.layers.map((l) => l.size);
    console.log(`gzipped layers: ${sizes.join(" + ")} = ${sizes.reduce((a, b) => a + b, 0)} bytes on disk`);
    return;
  }
  const res = client.push(`bench/gzip-${exec.vu.idInTest}:1`, image, { concurrency: 3 });
  if (!res.ok) throw new Error(JSON.stringify(res.error));
  console.log(`vu ${exec.vu.idInTest}: sent ${res.bytes} bytes`);
}
