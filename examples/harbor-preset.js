"use k6 with k6/x/registry";
// A registry filled as Harbor's performance tests fill it, then a mix of
// the pulls, listings and pushes their tests time. HARBOR_SIZE picks one of
// the dataset presets of goharbor/perf (scripts/config.js): ci is 10
// projects x 10 repositories x 5 artifacts x 5 tags, small 100 x 100 x 10
// x 5, medium 200 x 200 x 20 x 10; each artifact one blob of 1 KiB (here
// 1536 bytes, the smallest layer a generated image has). Projects become
// the first part of repository names. The request mix is ours: Harbor
// times each API alone.
//
//   k6 run -e REGISTRY_URL=http://127.0.0.1:5000 -e HARBOR_SIZE=ci examples/harbor-preset.js
//
// PROJECTS, REPOS, ARTIFACTS and TAGS override the preset's counts.
//
// test-env: PROJECTS=2 REPOS=2 ARTIFACTS=2 TAGS=3 ITERATIONS=10
import registry from "k6/x/registry";
import { check } from "k6";
import exec from "k6/execution";
import { Counter } from "k6/metrics";

const presets = {
  ci: { projects: 10, repos: 10, artifacts: 5, tags: 5 },
  small: { projects: 100, repos: 100, artifacts: 10, tags: 5 },
  medium: { projects: 200, repos: 200, artifacts: 20, tags: 10 },
};
const preset = presets[__ENV.HARBOR_SIZE || "ci"];
if (!preset) {
  throw new Error(`HARBOR_SIZE ${__ENV.HARBOR_SIZE} is not one of ${Object.keys(presets).join(", ")}`);
}
const shape = {
  projects: Number(__ENV.PROJECTS || preset.projects),
  repos: Number(__ENV.REPOS || preset.repos),
  artifacts: Number(__ENV.ARTIFACTS || preset.artifacts),
  tags: Number(__ENV.TAGS || preset.tags),
};
const PARALLEL = Number(__ENV.PARALLEL || 16);

const ops = ["pull_by_tag", "pull_by_digest", "list_tags", "catalog", "push"];

export const options = {
  setupTimeout: "30m",
  scenarios: {
    harbor: { executor: "per-vu-iterations", vus: Number(__ENV.VUS || 4), iterations: Number(__ENV.ITERATIONS || 50), maxDuration: "30m" },
  },
  thresholds: {
    checks: ["rate==1"],
    registry_errors: ["count==0"],
    http_req_failed: ["rate==0"],
    ...Object.fromEntries(ops.map((op) => [`requests{request:${op}}`, ["count>0"]])),
  },
};

const client = new registry.Client({
  url: __ENV.REGISTRY_URL || "http://127.0.0.1:5000",
  username: __ENV.REGISTRY_USER,
  password: __ENV.REGISTRY_PASSWORD,
  tags: { example: "harbor-preset" },
});

const request = registry.mix({ pull_by_tag: 40, pull_by_digest: 20, list_tags: 20, catalog: 10, push: 10 });
const made = new Counter("requests");

const pad = (n) => String(n).padStart(4, "0");
const repoName = (p, r) => `project-${pad(p)}/repo-${pad(r)}`;
const tagName = (t) => `tag-${pad(t)}`;

async function seedArtifact(p, r, a) {
  const repo = repoName(p, r);
  const image = registry.generate({ layers: 1, layerSize: 1536, seed: (p * shape.repos + r) * shape.artifacts + a });
  const pushed = await client.asyncPush(`${repo}:a${pad(a)}-${tagName(0)}`, image);
  if (!pushed.ok || shape.tags < 2) {
    return pushed;
  }
  const manifest = (await client.asyncGetManifest(`${repo}@${pushed.digest}`)).manifest;
  const more = Array.from({ length: shape.tags - 1 }, (_, t) => `a${pad(a)}-${tagName(t + 1)}`);
  return client.asyncPutManifest(`${repo}@${pushed.digest}`, manifest, { tags: more });
}

export async function setup() {
  const all = [];
  for (let p = 0; p < shape.projects; p++) {
    for (let r = 0; r < shape.repos; r++) {
      for (let a = 0; a < shape.artifacts; a++) {
        all.push([p, r, a]);
      }
    }
  }
  const start = Date.now();
  for (let i = 0; i < all.length; i += PARALLEL) {
    const done = await Promise.all(all.slice(i, i + PARALLEL).map(([p, r, a]) => seedArtifact(p, r, a)));
    for (const res of done) {
      if (!res.ok) {
        throw new Error(`setup: seeding failed: ${JSON.stringify(res.error)}`);
      }
    }
  }
  console.log(`seeded ${all.length} artifacts, ${all.length * shape.tags} tags in ${shape.projects * shape.repos} repositories in ${(Date.now() - start) / 1000}s`);
}

// Where this VU's next request goes: spread by VU and iteration.
function target() {
  const i = exec.vu.idInTest * 7919 + exec.vu.iterationInScenario * 104729;
  return { p: i % shape.projects, r: Math.floor(i / shape.projects) % shape.repos, a: i % shape.artifacts, t: i % shape.tags };
}

export default function () {
  const op = request.pick();
  made.add(1, { request: op });
  const { p, r, a, t } = target();
  const repo = repoName(p, r);
  switch (op) {
    case "pull_by_tag":
      check(client.pull(`${repo}:a${pad(a)}-${tagName(t)}`), { "pulled by tag": (res) => res.ok });
      break;
    case "pull_by_digest": {
      const head = client.headManifest(`${repo}:a${pad(a)}-${tagName(0)}`);
      check(client.pull(`${repo}@${head.digest}`), { "pulled by digest": (res) => head.ok && res.ok });
      break;
    }
    case "list_tags":
      check(client.tags(repo, { n: 100, all: true }), { "listed the repository's tags": (res) => res.ok && res.tags.length >= shape.artifacts * shape.tags });
      break;
    case "catalog":
      check(client.catalog({ n: 100 }), { "listed the catalog": (res) => res.ok && res.repositories.length > 0 });
      break;
    case "push":
      check(client.push(`${repo}:pushed-${exec.vu.idInTest}-${exec.vu.iterationInScenario}`, registry.generate({ layers: 1, layerSize: 1536 })),
        { "pushed": (res) => res.ok });
      break;
  }
}
