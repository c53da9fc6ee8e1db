// Real files, loaded as a user loads them: a docker save written as docker
// before 25 writes it (pushed gzipped, as docker push sends it, and as it
// is), a tarball of two images crane wrote (one picked by ref), an OCI
// layout of an index (pushed whole, and one platform of it).
import registry from "k6/x/registry";
import { check } from "k6";
import exec from "k6/execution";

export const options = {
  scenarios: {
    push: { executor: "per-vu-iterations", vus: Number(__ENV.VUS || 4), iterations: 2, maxDuration: "5m" },
  },
  thresholds: { checks: ["rate==1"], registry_errors: ["count==0"], http_req_failed: ["rate==0"] },
};

const saved = registry.load(__ENV.SAVE_TAR);
const asIs = registry.load(__ENV.SAVE_TAR, { compress: "none" });
const picked = registry.load(__ENV.TWO_TAR, { ref: __ENV.TWO_REF });
const index = registry.load(__ENV.LAYOUT);
const arm = registry.load(__ENV.LAYOUT, { platform: "linux/arm64" });

const client = new registry.Client({
  url: __ENV.REGISTRY_URL,
  username: __ENV.REGISTRY_USER,
  password: __ENV.REGISTRY_PASSWORD,
  tags: { target: "e2e" },
});

export default function () {
  const tag = `${exec.vu.idInTest}-${exec.vu.iterationInScenario}`;
  const pushed = {
    saved: client.push(`images/saved:${tag}`, saved, { concurrency: 2 }),
    asIs: client.push(`images/asis:${tag}`, asIs),
    picked: client.push(`images/picked:${tag}`, picked),
    index: client.push(`images/index:${tag}`, index, { concurrency: 2 }),
    arm: client.push(`images/arm:${tag}`, arm),
  };
  check(pushed, {
    "every push ok": (p) => Object.values(p).every((r) => r.ok),
    "saved pushed gzipped": () =>
      saved.layers.every((l) => l.mediaType === "application/vnd.docker.image.rootfs.diff.tar.gzip") &&
      pushed.saved.digest === saved.digest,
    "the index is the file's": (p) => p.index.digest === __ENV.INDEX_DIGEST && index.manifests.length === 2,
    "one platform of it": (p) => p.arm.digest === __ENV.ARM_DIGEST && arm.platforms.join() === "linux/arm64",
  });
  const back = client.pull(`images/saved:${tag}`);
  check(back, { "pulled back verified": (r) => r.ok && r.digest === saved.digest });
  const all = client.pull(`images/index:${tag}`, { platform: "all" });
  check(all, { "the index pulls back whole": (r) => r.ok && r.digest === __ENV.INDEX_DIGEST });
}
