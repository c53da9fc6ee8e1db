// Smoke test: the module loads in k6 and its content sources, checks and
// init-context rules work. It needs no registry: no request leaves k6.
import registry from "k6/x/registry";
import { check } from "k6";

export const options = {
  iterations: 1,
  thresholds: { checks: ["rate==1"] },
};

// thrown runs fn and returns the message it threw, or "" if it did not.
function thrown(fn) {
  try {
    fn();
  } catch (e) {
    return String(e.message || e);
  }
  return "";
}

const client = new registry.Client({ url: "http://127.0.0.1:1" });
const initRefusal = thrown(() => client.ping());

// load() in the init context, relative to this script; a docker save's
// plain tar layers are gzipped by default, as docker push sends them.
const saved = registry.load("../examples/testdata/app.tar");
const savedAsIs = registry.load("../examples/testdata/app.tar", { ref: "example/app:1.0", compress: "none" });
const loadRefusals = {
  compress: thrown(() => registry.load("../examples/testdata/app.tar", { compress: "zip" })),
  ref: thrown(() => registry.load("../examples/testdata/app.tar", { ref: "example/other:1" })),
  platform: thrown(() => registry.load("../examples/testdata/app.tar", { platform: "linux/arm64" })),
  relative: thrown(() => registry.load("./testdata/app.tar")),
};

export default function () {
  const image = registry.generate({ layers: 2, layerSize: "8KiB", seed: 7 });
  const again = registry.generate({ layers: 2, layerSize: "8KiB", seed: 7 });
  const blob = registry.blob({ size: "4KiB", seed: 1 });
  const literal = registry.blob("hello");
  const artifact = registry.artifact({ artifactType: "application/spdx+json", size: "1KiB", subject: image });
  const own = registry.generate({ layers: 1, layerSize: "1MiB", seed: 7, body: "unique" });
  const shared = registry.generate({ layers: 1, layerSize: "1MiB", seed: 7 });
  const huge = registry.generate({ layers: 2, layerSize: "1024TiB" }); // returns at once: nothing is hashed yet

  check(image, {
    "generate makes an image of two layers": (i) => i.layers.length === 2 && i.digest.startsWith("sha256:"),
    "generate is a pure function of its seed": (i) => i.digest === again.digest,
  });
  check(own, { "a body of its own is other content": (i) => i.layers[0].digest !== shared.layers[0].digest });
  check(huge, { "generate returns at once, whatever the size": (i) => i.mediaType === "application/vnd.oci.image.manifest.v1+json" });
  check(blob, { "blob has its size and digest": (b) => b.size === 4096 && b.digest.startsWith("sha256:") });
  check(literal, { "a literal blob": (b) => b.size === 5 });
  check(artifact, { "artifact is a manifest": (a) => a.mediaType === "application/vnd.oci.image.manifest.v1+json" });
  check(initRefusal, { "network calls are refused in the init context": (m) => m.includes("init context") });
  check(saved, {
    "load gzips a docker save's layers": (i) =>
      i.layers.length === 2 && i.layers.every((l) => l.mediaType === "application/vnd.docker.image.rootfs.diff.tar.gzip"),
    "load says what the image is": (i) =>
      i.mediaType === "application/vnd.docker.distribution.manifest.v2+json" && i.platforms.join() === "linux/amd64",
    "the config is the file's, whatever the compression": (i) => i.config.digest === savedAsIs.config.digest,
  });
  check(savedAsIs, {
    'compress: "none" keeps the file\'s bytes': (i) =>
      i.layers[0].mediaType === "application/vnd.docker.image.rootfs.diff.tar" &&
      i.layers[0].digest === "sha256:0e787c14d086a4081de1c6bf08b3b7dc0aa16d47dcef55d694ef54171ba005a7",
  });
  check(loadRefusals, {
    "a bad compress is named": (r) => r.compress.includes('compress "zip"'),
    "a ref the file lacks is named, with what it holds": (r) => r.ref.includes('"example/other:1"') && r.ref.includes('"example/app:1.0"'),
    "a platform the image is not": (r) => r.platform.includes("it is linux/amd64"),
    "a relative path is the script's": (r) => r.relative.includes("relative to the script's directory"),
  });
  check(null, {
    "a client needs a url": () => thrown(() => new registry.Client({})).includes('"url"'),
    "an unknown option is named": () => thrown(() => registry.generate({ layres: 1 })).includes('unknown option "layres"'),
    "a bad size is named": () => thrown(() => registry.blob({ size: "5XB" })).includes('"5XB"'),
    "a bad reference is named": () => thrown(() => client.pull("Team/App:1")).includes('"Team/App"'),
  });
}
