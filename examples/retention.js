"use k6 with k6/x/registry";
// A retention job: list a repository's tags, keep the newest, delete the
// rest by digest, as garbage collection and cleanup policies do. Each
// iteration works on its own repository, filled first.
//
//   k6 run -e REGISTRY_URL=http://127.0.0.1:5000 examples/retention.js
// The registry must allow deletes (distribution: storage.delete.enabled).
import registry from "k6/x/registry";
import { check } from "k6";
import exec from "k6/execution";

export const options = {
  scenarios: {
    cleanup: {
      executor: "constant-vus",
      vus: Number(__ENV.VUS || 4),
      duration: __ENV.DURATION || "10s",
    },
  },
  thresholds: {
    checks: ["rate==1"],
    registry_errors: ["count==0"],
    http_req_failed: ["rate==0"],
  },
};

const client = new registry.Client({
  url: __ENV.REGISTRY_URL || "http://127.0.0.1:5000",
  username: __ENV.REGISTRY_USER,
  password: __ENV.REGISTRY_PASSWORD,
  tags: { example: "retention" },
});

const TAGS = Number(__ENV.TAGS || 6);
const KEEP = Number(__ENV.KEEP || 2);

export default function () {
  const repo = `retention/r-${exec.vu.idInTest}-${exec.vu.iterationInScenario}`;
  // Tags named so that sorting them sorts them by age.
  for (let i = 0; i < TAGS; i++) {
    const res = client.push(`${repo}:build-${String(i).padStart(4, "0")}`, registry.generate({ layers: 1, layerSize: "16KiB" }));
    check(res, { "filled": (r) => r.ok });
  }

  const listed = client.tags(repo, { n: 2, all: true });
  check(listed, { "every tag listed, page by page": (r) => r.ok && r.tags.length === TAGS });
  const old = listed.tags.sort().slice(0, TAGS - KEEP);
  for (const tag of old) {
    const head = client.headManifest(`${repo}:${tag}`);
    const del = client.deleteManifest(`${repo}@${head.digest}`);
    check(del, { "old manifest deleted": (r) => r.ok });
  }

  const left = client.tags(repo, { all: true });
  check(left, { "only the newest kept": (r) => r.ok && r.tags.length === KEEP });
}
