"use k6 with k6/x/registry";
// Metadata at scale: how a registry's listings slow down as what they list
// grows. One VU seeds, with manifest-only pushes over one shared config and
// layer, TAGS tags in one repository, REPOS repositories and REFERRERS
// artifacts on one subject, in STEPS steps that each double the count; at
// each step it times listing every page of the tags, the catalog and the
// referrers, and deleting tags. The closing note is latency against N.
//
//   k6 run -e REGISTRY_URL=http://127.0.0.1:5000 examples/metadata-scale.js
//
// Tags go out as ?tag= of one manifest PUT by digest where the registry
// confirms them (OCI-Tag), else one PUT per tag.
//
// test-env: TAGS=400 REPOS=40 REFERRERS=16 STEPS=3 SAMPLES=2
import registry from "k6/x/registry";
import { check } from "k6";
import { Counter, Trend } from "k6/metrics";

const TAGS = Number(__ENV.TAGS || 10000);
const REPOS = Number(__ENV.REPOS || 1000);
const REFERRERS = Number(__ENV.REFERRERS || 100);
const STEPS = Number(__ENV.STEPS || 4);
const SAMPLES = Number(__ENV.SAMPLES || 5); // timings per listing per step
const PARALLEL = Number(__ENV.PARALLEL || 16); // requests in flight while seeding
const PAGE = Number(__ENV.PAGE || 1000); // n of each listing page

// steps(N) is N/2^(STEPS-1), ..., N/2, N.
const steps = (n) => Array.from({ length: STEPS }, (_, i) => Math.max(1, Math.round(n / 2 ** (STEPS - 1 - i))));
const grid = { tags: steps(TAGS), delete_tag: steps(TAGS), catalog: steps(REPOS), referrers: steps(REFERRERS) };

export const options = {
  scenarios: {
    scale: { executor: "shared-iterations", vus: 1, iterations: 1, maxDuration: "30m" },
  },
  thresholds: {
    checks: ["rate==1"],
    registry_errors: ["count==0"],
    // Not manifest_get: the first referrer's push finds no tag schema index
    // yet, a 404 the client expects but k6 counts as failed.
    ...Object.fromEntries(["manifest_put", "manifest_delete", "blob_mount", "tags", "catalog", "referrers"]
      .map((op) => [`http_req_failed{registry_op:${op}}`, ["rate==0"]])),
    // One submetric per listing and N, so the closing note can read them,
    // and each timed SAMPLES times.
    ...Object.fromEntries(
      Object.entries(grid).flatMap(([listing, ns]) => ns.flatMap((n) => [
        [`listing_duration{listing:${listing},n:${n}}`, ["max>=0"]],
        [`listings{listing:${listing},n:${n}}`, [`count==${SAMPLES}`]],
      ])),
    ),
    "seed_duration{kind:tags}": ["max>=0"],
  },
};

const client = new registry.Client({
  url: __ENV.REGISTRY_URL || "http://127.0.0.1:5000",
  username: __ENV.REGISTRY_USER,
  password: __ENV.REGISTRY_PASSWORD,
  tags: { example: "metadata-scale" },
});

// Milliseconds of one whole listing (every page) or one delete, by listing and N.
const listing = new Trend("listing_duration", true);
const seeding = new Trend("seed_duration", true);
const timed = new Counter("listings");

const tagsRepo = "scale/tags";
const tagName = (i) => `t${String(i).padStart(6, "0")}`;

async function inBatches(from, to, make) {
  for (let i = from; i < to; i += PARALLEL) {
    const batch = [];
    for (let j = i; j < Math.min(to, i + PARALLEL); j++) {
      batch.push(make(j));
    }
    for (const res of await Promise.all(batch)) {
      check(res, { "seeded": (r) => r.ok });
    }
  }
}

// time times fn SAMPLES times; fn's result says whether it listed n, and
// after, if given, runs untimed after each.
function time(name, n, fn, after) {
  for (let i = 0; i < SAMPLES; i++) {
    const start = Date.now();
    const res = fn();
    listing.add(Date.now() - start, { listing: name, n: String(n) });
    timed.add(1, { listing: name, n: String(n) });
    check(res, { [`${name} at ${n}`]: (r) => r });
    if (after) {
      after();
    }
  }
}

export default async function () {
  const seed = client.push(`${tagsRepo}:seed`, registry.generate({ layers: 1, layerSize: "4KiB", seed: 1 }));
  if (!check(seed, { "seed image pushed": (r) => r.ok })) {
    return;
  }
  const manifest = client.getManifest(`${tagsRepo}:seed`).manifest;
  const blobs = [manifest.config.digest, manifest.layers[0].digest];

  // Tags: ask for ?tag= once; seed the rest the way the registry took it.
  const probe = client.putManifest(`${tagsRepo}@${seed.digest}`, manifest, { tags: [tagName(0), tagName(1)] });
  check(probe, { "tags probed": (r) => r.ok && r.tags.length === 2 });
  const perPut = probe.tagFallback ? 1 : 100;
  let tags = 2;
  let seedMs = 0;
  for (const n of grid.tags) {
    const start = Date.now();
    const puts = Math.ceil((n - tags) / perPut);
    await inBatches(0, puts, (k) => {
      const first = tags + k * perPut;
      const batch = Array.from({ length: Math.min(perPut, n - first) }, (_, j) => tagName(first + j));
      return perPut === 1
        ? client.asyncPutManifest(`${tagsRepo}:${batch[0]}`, manifest)
        : client.asyncPutManifest(`${tagsRepo}@${seed.digest}`, manifest, { tags: batch, tagMode: "query" });
    });
    seedMs += Date.now() - start;
    tags = n;
    // The seed tag is one more.
    time("tags", n, () => {
      const res = client.tags(tagsRepo, { n: PAGE, all: true });
      return res.ok && res.tags.length === n + 1;
    });
    // Each delete's tag is put back, so every one deletes from n.
    time("delete_tag", n, () => client.deleteManifest(`${tagsRepo}:${tagName(n - 1)}`).ok,
      () => check(client.putManifest(`${tagsRepo}:${tagName(n - 1)}`, manifest), { "tag put back": (r) => r.ok }));
  }
  seeding.add(seedMs, { kind: "tags" });

  // Repositories: each mounts the two blobs and gets the manifest.
  let repos = 0;
  for (const n of grid.catalog) {
    await inBatches(repos, n, async (i) => {
      const repo = `scale/r${String(i).padStart(5, "0")}`;
      for (const d of blobs) {
        const mounted = await client.asyncMountBlob(repo, d, tagsRepo);
        if (!mounted.ok) {
          return mounted;
        }
      }
      return client.asyncPutManifest(`${repo}:1`, manifest);
    });
    repos = n;
    time("catalog", n, () => {
      const res = client.catalog({ n: PAGE, all: true });
      return res.ok && res.repositories.filter((r) => r.startsWith("scale/r")).length === n;
    });
  }

  // Referrers: artifacts sharing one layer, pushed one by one, as the tag
  // schema's index of a registry without the referrers API is read and
  // written back on each.
  const subject = { digest: seed.digest, mediaType: manifest.mediaType, size: JSON.stringify(manifest).length };
  let referrers = 0;
  for (const n of grid.referrers) {
    for (; referrers < n; referrers++) {
      const artifact = registry.artifact({ artifactType: "application/vnd.example.sig", size: 64, seed: 2, subject,
        annotations: { "org.example.index": String(referrers) } });
      check(client.push(`${tagsRepo}@${artifact.digest}`, artifact, { skipExisting: true }), { "referrer pushed": (r) => r.ok });
    }
    time("referrers", n, () => {
      const res = client.referrers(tagsRepo, seed.digest);
      return res.ok && res.manifests.length === n;
    });
  }
}

const stat = (data, name, s) => (data.metrics[name] ? data.metrics[name].values[s] : NaN);

export function handleSummary(data) {
  const lines = ["metadata at scale: milliseconds of one whole listing (every page) or one delete, against N", ""];
  lines.push(`${"listing".padEnd(12)}${"N".padStart(8)}${"avg".padStart(10)}${"min".padStart(10)}${"max".padStart(10)}`);
  for (const [name, ns] of Object.entries(grid)) {
    for (const n of ns) {
      const m = `listing_duration{listing:${name},n:${n}}`;
      lines.push(`${name.padEnd(12)}${String(n).padStart(8)}${["avg", "min", "max"].map((s) => stat(data, m, s).toFixed(1).padStart(10)).join("")}`);
    }
  }
  lines.push("", `seeded ${TAGS} tags in ${(stat(data, "seed_duration{kind:tags}", "max") / 1000).toFixed(1)} s, between the listings`, "");
  const out = { stdout: lines.join("\n") };
  if (__ENV.SUMMARY_JSON) {
    out[__ENV.SUMMARY_JSON] = JSON.stringify(data.metrics);
  }
  return out;
}
