/**
 * **k6/x/registry**: load test container registries over the OCI distribution protocol.
 *
 * Every registry request is recorded in k6's `http_reqs`, `http_req_duration` (with its phases)
 * and `http_req_failed`, tagged `registry_op` and a bounded `name`; the extension adds
 * `registry_pull_duration`, `registry_push_duration`, `registry_upload_duration`,
 * `registry_blob_throughput` (tags `direction`, `size_class`), `registry_errors` (tags `registry_op`,
 * `registry_error_code`, and k6's numeric `error_code` when the failure was a request's) and
 * `registry_retries` (tags `registry_op`, `reason`) and `registry_warnings` (the registry's `Warning`
 * headers, tag `registry_op`). k6's system tags keep k6/http's meanings.
 *
 * @example
 * ```js
 * import registry from "k6/x/registry";
 * import { check } from "k6";
 *
 * export const options = {
 *   vus: 10,
 *   duration: "30s",
 *   thresholds: { checks: ["rate==1"], registry_errors: ["count==0"] },
 * };
 *
 * const client = new registry.Client({ url: __ENV.REGISTRY_URL, username: "u", password: "p" });
 *
 * export function setup() {
 *   const image = registry.generate({ layers: 3, layerSize: "4MiB", seed: 42 });
 *   check(client.push("load/app:1.0", image, { concurrency: 3 }), { pushed: (r) => r.ok });
 * }
 *
 * export default function () {
 *   const res = client.pull("load/app:1.0", { concurrency: 3 });
 *   check(res, { pulled: (r) => r.ok });
 * }
 * ```
 *
 * @module registry
 */
export as namespace registry;

/** A byte count: a number of bytes, or a string such as `"512KiB"`, `"4MB"`, `"1GiB"` (B, KB, MB, GB, TB, PB in powers of 1000; KiB to PiB in powers of 1024; at most 16 PiB). */
export type Size = number | string;

/** How a blob's bytes are sent. */
export type UploadMode =
  /** POST, then PUT `?digest=` with the whole body. */
  | "monolithic"
  /** POST, one PATCH with the whole body, PUT `?digest=`: what the docker client does. The default. */
  | "stream"
  /** POST, PATCHes of `chunkSize` with `Content-Range`, PUT `?digest=`. */
  | "chunked"
  /** One POST `?digest=` with the body; PUT when the registry answers 202. */
  | "post";

/** Options of {@link Client}. */
export interface ClientOptions {
  /** Registry base URL: scheme, host[:port] and an optional path prefix. Required. */
  url: string;
  /** Basic credentials, also sent to a token realm. */
  username?: string;
  password?: string;
  /** A static bearer token, sent up front. */
  token?: string;
  /**
   * `"cached"` (the default): a token fetched from the registry's realm serves every request of its
   * scope until it expires, as registry clients do. `"per-request"`: every registry request that
   * needs a token fetches one of its own, so the token service sees one token request (`registry_op`
   * `token`) per registry request, the load a cache hides; a client's first request still meets the
   * registry's challenge without one. Not with `token`, which is never fetched.
   */
  tokens?: "cached" | "per-request";
  /** Headers added to every request to the registry's own origin (not to token realms, upload fronts or redirects elsewhere). */
  headers?: Record<string, string>;
  /** Per HTTP request, its body included: `"60s"` or milliseconds; `0` means none. Default `"60s"`. */
  timeout?: string | number;
  /**
   * The HTTP version for a registry on https: `"1.1"`, or `"2"` (when the registry offers it, by
   * ALPN). Default: as k6 negotiates, HTTP/2 when offered. Plain-http registries speak HTTP/1.1.
   */
  http?: "1.1" | "2";
  /** Tags added to every metric sample of this client. */
  tags?: Record<string, string>;
  /**
   * Send failed requests again, as real clients do. Off by default, so a test measures every
   * refusal. A number is the attempts; an object overrides the defaults shown. Each retry is its
   * own request in k6's HTTP metrics and counts in `registry_retries`.
   */
  retry?: number | RetryOptions;
  /**
   * The source host a mirror or pull-through cache should fetch from (e.g. `docker.io`), sent as the
   * distribution spec's `ns` query parameter on pulls: manifest and blob GET and HEAD. Send it only
   * to a mirror; the registries tested here ignore it (the interoperability matrix).
   */
  ns?: string;
}

/** When and how a failed request is sent again. */
export interface RetryOptions {
  /** Tries of one request in all, 1 to 10. Default 3. */
  attempts?: number;
  /** Statuses worth another try. Default `[429, 500, 502, 503, 504]`. */
  statuses?: number[];
  /** Retry resets, refusals, timeouts and bodies cut short. Default `true`. */
  network?: boolean;
  /** First wait, doubled each retry, with jitter; a `Retry-After` wins. Default `"200ms"`. */
  backoff?: string | number;
  /** Longest single wait, `Retry-After` included. Default `"30s"`. */
  maxDelay?: string | number;
}

/** A failed registry call. */
export interface RegistryError {
  /** The request that failed, a `registry_op`: `manifest_get`, `blob_get`, `upload_chunk`, `token`, ... */
  op: string;
  /** HTTP status, 0 when no response came. */
  status: number;
  /**
   * The OCI error code (`BLOB_UNKNOWN`, `DENIED`, ...) as the registry sent it, or ours
   * (`DIGEST_MISMATCH`, `TIMEOUT`, `CONNECTION_REFUSED`, `FOREIGN_CHALLENGE`, ...). The
   * `registry_error_code` tag is this code when it is a known one, else `OTHER`.
   */
  code: string;
  /** Human-readable, free of credentials. */
  message: string;
}

/** What every network call returns. Registry and network failures are values, never exceptions. */
export interface Result {
  ok: boolean;
  /** The last HTTP status of the call. */
  status: number;
  error: RegistryError | null;
  /** Requests the call sent again under the client's `retry` option; 0 without it. */
  retries: number;
  /**
   * The registry's warnings (`Warning: 299 - "..."` headers, distribution spec "Warnings") on any
   * response of the call, its token requests included: each text once, in the order they came, at
   * most 16, each cut at 1024 bytes. A value that is not `code agent "text"` is listed as it came.
   * Empty when there were none. Each warning also counts in `registry_warnings`.
   */
  warnings: string[];
}

/** What calls that open upload sessions (push, uploadLayer, mountBlob) return besides. */
export interface SessionResult extends Result {
  /**
   * Upload sessions the call abandoned and could not close: the registry kept refusing the
   * `DELETE` for 5 s. 0 but for a registry or proxy that refuses clean-up.
   */
  sessionsLeftOpen: number;
}

export interface PullOptions {
  /** Check every body against its digest. Default true. */
  verify?: boolean;
  /** Blobs fetched at once, 1 to 64. Default 1; the docker client uses 3. */
  concurrency?: number;
  /**
   * The manifest of an index to pull: `"os/arch[/variant]"`, or `"all"` for every one. Default
   * `"linux/amd64"`. Nested indexes are followed, 4 levels deep at most; each manifest is fetched
   * once however often an index names it; a pull fetches at most 1024 images and 65,536 blobs.
   */
  platform?: string;
}

export interface PullResult extends Result {
  ref: string;
  /** Digest of the manifest asked for (the index, for a multi-platform image). */
  digest: string;
  mediaType: string;
  /** Blob bytes received: config and layers. */
  bytes: number;
  /** Blobs fetched. */
  blobs: number;
}

export interface UploadOptions {
  /** Default `"stream"`. */
  upload?: UploadMode;
  /** Chunk size of `chunked` uploads. Default `"5MiB"`. */
  chunkSize?: Size;
  /** HEAD first and skip blobs the repository already has. */
  skipExisting?: boolean;
  /** Try a cross-repository mount from this repository before uploading. */
  mountFrom?: string;
}

export interface PushOptions extends UploadOptions {
  /** Blobs uploaded at once, 1 to 64. Default 1. */
  concurrency?: number;
}

export interface PushResult extends SessionResult {
  ref: string;
  /** The manifest digest. */
  digest: string;
  /** Blob bytes uploaded. */
  bytes: number;
  uploaded: number;
  skipped: number;
  mounted: number;
  /** For an artifact with a subject on a registry without the referrers API: the tag-schema tag updated. */
  fallbackTag: string | null;
}

export interface UploadResult extends SessionResult {
  digest: string;
  size: number;
  /** The blob's location as the registry gave it. */
  location: string;
  mounted: boolean;
  /** `skipExisting` found the blob in the repository: nothing was uploaded. */
  skipped: boolean;
}

/** A blob's descriptor. */
export interface Descriptor {
  digest: string;
  size: number;
  mediaType: string;
}

/**
 * An image from {@link generate}, {@link load} or {@link artifact}, ready to push; or an index of
 * images. A generated image's `digest`, `size`, `config` and `layers` are computed when first
 * read, or by the push that needs them: generating returns at once, whatever the sizes.
 */
export interface Image {
  /** The manifest digest. */
  digest: string;
  mediaType: string;
  /** Manifest size in bytes. */
  size: number;
  config: Descriptor;
  layers: Descriptor[];
  /** An index's images, each with its `platform`; empty for a single image. */
  manifests: Image[];
  /** `"os/arch[/variant]"` of an index's image; empty otherwise. */
  platform: string;
  /**
   * What the image is for: an index's images' platforms, in its order; a single image's, as its
   * config names it (empty if it names none). A generated image's config is made from its layers'
   * digests, so reading this first may compute them, as reading `config` does.
   */
  platforms: string[];
}

/** A descriptor as registries list them (referrers, indexes). */
export interface ListedDescriptor extends Descriptor {
  artifactType?: string;
  annotations?: Record<string, string>;
}

export interface ManifestResult extends Result {
  /** The OCI-Namespace the registry answered with, scoping the request by the client's `ns`; "" when it ignored it. */
  namespace?: string;
  digest: string;
  mediaType: string;
  size: number;
}

export interface GetManifestResult extends ManifestResult {
  /**
   * The manifest, parsed on first read (a call that reads only `status` or `digest` parses
   * nothing); key order kept, so putting it back gives the same digest. `null` if the body is
   * not a JSON object.
   */
  manifest: any;
}

/** Options of {@link Client.putManifest}. */
export interface PutManifestOptions {
  /** The manifest's Content-Type; by default its own mediaType field. */
  mediaType?: string;
  /** Up to 100 more tags for the manifest, which `ref` then names by digest. */
  tags?: string[];
  /**
   * `auto` (the default): one PUT with a `?tag=` per tag, then one PUT per tag the registry did not
   * confirm in an `OCI-Tag` header (`tagFallback` says so); `query`: `?tag=` only, a registry that did
   * not confirm every tag is `UNSUPPORTED`; `each`: one PUT per tag.
   */
  tagMode?: "auto" | "query" | "each";
}

export interface ListOptions {
  /** Page size asked for. */
  n?: number;
  /** List after this entry. */
  last?: string;
  /**
   * Follow `Link` headers to the end. Bounded, so a registry cannot loop a list or fill memory:
   * a `Link` back to a page already read, or more than 10,000 pages, 1,000,000 entries or 64 MiB of
   * pages, stops the list with `INVALID_RESPONSE` naming the bound, and the entries read so far.
   */
  all?: boolean;
}

/** A blob from {@link blob}, ready for {@link Client.uploadLayer}. */
export interface Blob extends Descriptor {}

/**
 * A client of one registry. Create it in the init context; its network calls run in VU code
 * (`default`, `setup`, `teardown`) and throw if called in the init context.
 */
export class Client {
  constructor(options: ClientOptions);
  /** `GET /v2/`, answering an auth challenge. */
  ping(): Result;
  /**
   * Fetch `ref`'s manifest (resolving an index to `platform`), its config and every layer,
   * streaming each body through its digest check.
   * @param ref `"repo:tag"` or `"repo@sha256:..."`, relative to the client's registry.
   */
  pull(ref: string, options?: PullOptions): PullResult;
  /** Upload an image's blobs into `ref`'s repository, then put its manifest at `ref`. */
  push(ref: string, image: Image, options?: PushOptions): PushResult;
  /** Upload one blob into `repository`. */
  uploadLayer(repository: string, blob: Blob, options?: UploadOptions): UploadResult;

  /** `GET` a manifest; `accept` overrides the media types asked for. */
  getManifest(ref: string, options?: { accept?: string | string[] }): GetManifestResult;
  /** `HEAD` a manifest. */
  headManifest(ref: string): ManifestResult;
  /** `PUT` a manifest, an object or a JSON string; `mediaType` defaults to the manifest's field. */
  putManifest(ref: string, manifest: object | string, options?: PutManifestOptions): Result & { digest: string; location: string; tags: string[] | null; tagFallback: boolean };
  /** `DELETE` a manifest by digest, or a tag by tag. */
  deleteManifest(ref: string): Result;
  /** `GET` a blob; `range: [start, end]` (inclusive) asks for part of it (206). */
  getBlob(repository: string, digest: string, options?: { verify?: boolean; range?: [number, number] }): Result & { bytes: number };
  /** `HEAD` a blob. */
  headBlob(repository: string, digest: string): Result & { size: number };
  /** `DELETE` a blob. */
  deleteBlob(repository: string, digest: string): Result;
  /** Cross-repository mount; when the registry opens a session instead, it is cancelled and `mounted` is false. */
  mountBlob(repository: string, digest: string, fromRepository: string): SessionResult & { mounted: boolean; location: string };
  /** List tags; `next` is the next page's URL, `null` at the end. */
  tags(repository: string, options?: ListOptions): Result & { tags: string[]; next: string | null; pages: number };
  /** List repositories. */
  catalog(options?: ListOptions): Result & { repositories: string[]; next: string | null; pages: number };
  /**
   * Manifests whose subject is `digest`. Falls back to the referrers tag schema on a 404; `fallback` says so.
   * `filtered` says the registry applied `artifactType` itself; the client filters otherwise.
   */
  referrers(repository: string, digest: string, options?: { artifactType?: string }): Result & { manifests: ListedDescriptor[]; filtered: boolean; fallback: boolean };
  /** `DELETE` an upload session. */
  cancelUpload(location: string): Result;
  /** `GET` an upload session: the bytes it holds and where it continues. */
  uploadStatus(location: string): Result & { offset: number; location: string };
  /**
   * Ask the registry's token realm for one fresh token granting `actions` (`pull`, `push`, `delete`,
   * `*`: a list, or one string such as `"pull,push"`) on `repository`, as a client starting a pull or
   * a push does: one request, `registry_op` `token`, never cached. The realm is the one the
   * registry's bearer challenge names, learned from one `GET /v2/` (`registry_op` `ping`) the first
   * time. The token itself is not returned; `expiresIn` is its lifetime in seconds. A registry
   * whose challenge names no token realm is `UNSUPPORTED`.
   */
  token(repository: string, actions: string[] | string): Result & { expiresIn: number };

  // Async twins, named as k6 names its own (`http.asyncRequest`): each resolves to exactly what
  // its blocking call returns (a registry or network failure is `ok: false`, not a rejection); a
  // script mistake in the arguments rejects the promise with the error the blocking call throws,
  // as k6's own async calls do, and sends nothing. Awaited together, they run at once, each
  // measured with the VU's tags as they were when it was called. In the init context they throw.

  /** {@link ping}, as a Promise. */
  asyncPing(): Promise<Result>;
  /** {@link pull}, as a Promise: `await Promise.all([...])` pulls several images at once. */
  asyncPull(ref: string, options?: PullOptions): Promise<PullResult>;
  /** {@link push}, as a Promise. */
  asyncPush(ref: string, image: Image, options?: PushOptions): Promise<PushResult>;
  /** {@link uploadLayer}, as a Promise. */
  asyncUploadLayer(repository: string, blob: Blob, options?: UploadOptions): Promise<UploadResult>;
  /** {@link getManifest}, as a Promise. */
  asyncGetManifest(ref: string, options?: { accept?: string | string[] }): Promise<GetManifestResult>;
  /** {@link headManifest}, as a Promise. */
  asyncHeadManifest(ref: string): Promise<ManifestResult>;
  /** {@link putManifest}, as a Promise. */
  asyncPutManifest(ref: string, manifest: object | string, options?: PutManifestOptions): Promise<Result & { digest: string; location: string; tags: string[] | null; tagFallback: boolean }>;
  /** {@link deleteManifest}, as a Promise. */
  asyncDeleteManifest(ref: string): Promise<Result>;
  /** {@link getBlob}, as a Promise. */
  asyncGetBlob(repository: string, digest: string, options?: { verify?: boolean; range?: [number, number] }): Promise<Result & { bytes: number }>;
  /** {@link headBlob}, as a Promise. */
  asyncHeadBlob(repository: string, digest: string): Promise<Result & { size: number }>;
  /** {@link deleteBlob}, as a Promise. */
  asyncDeleteBlob(repository: string, digest: string): Promise<Result>;
  /** {@link mountBlob}, as a Promise. */
  asyncMountBlob(repository: string, digest: string, fromRepository: string): Promise<SessionResult & { mounted: boolean; location: string }>;
  /** {@link tags}, as a Promise. */
  asyncTags(repository: string, options?: ListOptions): Promise<Result & { tags: string[]; next: string | null; pages: number }>;
  /** {@link catalog}, as a Promise. */
  asyncCatalog(options?: ListOptions): Promise<Result & { repositories: string[]; next: string | null; pages: number }>;
  /** {@link referrers}, as a Promise. */
  asyncReferrers(repository: string, digest: string, options?: { artifactType?: string }): Promise<Result & { manifests: ListedDescriptor[]; filtered: boolean; fallback: boolean }>;
  /** {@link cancelUpload}, as a Promise. */
  asyncCancelUpload(location: string): Promise<Result>;
  /** {@link uploadStatus}, as a Promise. */
  asyncUploadStatus(location: string): Promise<Result & { offset: number; location: string }>;
  /** {@link token}, as a Promise. */
  asyncToken(repository: string, actions: string[] | string): Promise<Result & { expiresIn: number }>;
}

/** Options of {@link ServerMetrics}. */
export interface ServerMetricsOptions {
  /** The registry's Prometheus metrics, e.g. distribution's debug server: `http://127.0.0.1:5001/metrics`. */
  url: string;
  /** A regular expression: families no rule maps whose name it matches are recorded as `registry_server_<name>`. */
  include?: string;
  /** The distinct tag sets each metric may have (200); changes of later ones are dropped and counted in `dropped`. */
  maxSeries?: number;
  /** Bounds each scrape (10s). */
  timeout?: string | number;
  /** Tags added to every sample a scrape records. */
  tags?: Record<string, string>;
}

/** One change a scrape recorded. */
export interface ServerMetricsChange {
  metric: string;
  tags: Record<string, string>;
  /** A counter's increase, a gauge's value, or a trend's mean; seconds as milliseconds. */
  value: number;
}

/**
 * The registry's own metrics in the run. Each `scrape()` reads the metrics
 * and records what changed since the last scrape of the same url, by any VU
 * of the run, as `registry_server_*` metrics: `requests` (counter, by
 * handler, method, status and the client's `registry_op`), `request_duration`
 * (a trend of each scrape interval's mean), `in_flight`, `request_bytes`,
 * `response_bytes`, `storage_actions` and `storage_duration` (by action),
 * `storage_calls_per_request`, `proxy_requests`, `proxy_hits`, `proxy_misses`,
 * `proxy_pulled_bytes`, `proxy_pushed_bytes`. The first scrape is the baseline.
 * Meant for setup(), one VU scraping every few seconds, and teardown().
 *
 * @example
 * const server = new registry.ServerMetrics({ url: __ENV.METRICS_URL });
 * export function setup() { server.scrape(); }
 * export function scrapeServer() { server.scrape(); sleep(2); }
 * export function teardown() { server.scrape(); }
 */
export class ServerMetrics {
  constructor(options: ServerMetricsOptions);
  scrape(): Result & {
    /** The first scrape: counters start here, only gauges are recorded. */
    baseline: boolean;
    families: number;
    changes: ServerMetricsChange[];
    /** Families neither mapped nor included, and the first of their names. */
    skipped: number;
    skippedNames: string[];
    dropped: number;
  };
}

export interface GenerateOptions {
  /** Layers, 0 to 1000. Default 1. */
  layers?: number;
  /** Bytes of each layer blob. Default `"1MiB"`; at least 1536 (a tar of one file). */
  layerSize?: Size;
  /**
   * Instead of layerSize, each layer's size drawn from a mix: weights by size, such as
   * `{ "1MiB": 20, "10MiB": 70, "100MiB": 10 }`, or a preset: `zb-mixed` (that mix, from zot's zb
   * benchmark, cmd/zb) or `zb-even` (a third each). With a seed, the sizes are the same every run.
   */
  layerSizes?: Record<string, number> | "zb-mixed" | "zb-even";
  /** Content is a pure function of the seed; without one every call makes new blobs. 0 to 2^53. */
  seed?: number;
  /** `"oci"` (uncompressed tar layers, the default) or `"docker"` (gzip-wrapped). */
  format?: "oci" | "docker";
  /**
   * `"shared"` (the default): layers share a body and differ in a part of their own of 64 to
   * 320 KiB, so a digest costs that part. `"unique"`: every byte of every layer is its own, for
   * storage that deduplicates blocks; each digest costs a sha256 pass over the layer.
   */
  body?: "shared" | "unique";
  /** One image per platform (`"os/arch[/variant]"`) under an index. */
  platforms?: string[];
  /** An image whose layers come first, shared with every image built on it. */
  base?: Image;
  /**
   * The digest algorithm of the config and layers: `"sha256"` (the default) or `"sha512"`. A push
   * of sha512 blobs names the algorithm in the POST that opens each session (`?digest-algorithm=`,
   * distribution spec end-4c) and the digest in the PUT, and a pull verifies each body by its
   * sha512. It costs a full sha512 pass over every blob, when its digest is first needed: a shared
   * body's cheap sha256 has no sha512 twin. The manifest keeps sha256, the digest registries name
   * manifests by, and so do the config's `diff_ids`. A registry that refuses the algorithm is
   * `UNSUPPORTED`, saying so.
   */
  digest?: "sha256" | "sha512";
}

export interface ArtifactOptions {
  /** Required, e.g. `"application/spdx+json"`. */
  artifactType: string;
  /** Bytes of its one layer of random content. Default 512. */
  size?: Size;
  /** The image it refers to: an {@link Image}, or `{ digest, mediaType, size }`. */
  subject?: Image | Descriptor;
  annotations?: Record<string, string>;
  seed?: number;
  /** As in {@link GenerateOptions.body}. */
  body?: "shared" | "unique";
  /** A small JSON config blob of this type; the empty descriptor when unset. */
  configMediaType?: string;
}

/** An OCI artifact manifest with a subject: a signature, an SBOM, an attestation. Push it by digest. */
export function artifact(options: ArtifactOptions): Image;

/** Make a valid image of pseudorandom tar layers, made again on each push, never held whole. */
export function generate(options?: GenerateOptions): Image;

/** A picker of the next request of a mix, from {@link mix}. */
export interface Mix {
  /** The next choice, drawn from this VU's own sequence (from the seed and the VU's id). */
  pick(): string;
  /** The weights, as given or as the preset has them. */
  readonly weights: Record<string, number>;
}

/**
 * A request mix, so a script names its mix instead of rolling dice: weights by name (shares of
 * their sum), or a published preset: `zb` is zot's zb benchmark's 75% pulls and 25% pushes.
 *
 * @example
 * const mix = registry.mix({ pull: 75, push: 25 });
 * export default function () {
 *   if (mix.pick() === "pull") { client.pull(ref); } else { client.push(next(), registry.generate()); }
 * }
 */
export function mix(weights: Record<string, number> | "zb", options?: { seed?: number }): Mix;

/**
 * Pseudorandom bytes: `{ size, seed, body, digest }` (digest computed on first read); or literal
 * content: a string, an ArrayBuffer or a Uint8Array, with `{ digest }`. `digest` is as in
 * {@link GenerateOptions.digest}: `"sha256"` (the default) or `"sha512"`.
 */
export function blob(source: { size: Size; seed?: number; body?: "shared" | "unique"; digest?: "sha256" | "sha512" }): Blob;
export function blob(source: string | ArrayBuffer | Uint8Array, options?: { digest?: "sha256" | "sha512" }): Blob;

/** What {@link load} makes of a file: which image, and what happens to its uncompressed layers. */
export interface LoadOptions {
  /**
   * The image to load, by the name the file gives it, written as the file writes it: a docker save
   * `RepoTags` entry (`"example/app:1.0"`), an OCI layout's `org.opencontainers.image.ref.name` or
   * `io.containerd.image.name`; or its digest (a layout's manifest digest, a docker save image's
   * config digest: the image ID docker shows). Required when the file holds several images: without
   * it, load throws, listing the names the file holds.
   */
  ref?: string;
  /**
   * `"os/arch[/variant]"`: one image of an index, loaded alone. Without it, a file whose image is
   * an index loads as that index, pushed as the file has it (its images by digest, then the index).
   * For a single image, it must be the platform its config names.
   */
  platform?: string;
  /**
   * `"auto"` (default): a docker save's uncompressed layers are gzipped, as `docker push` sends
   * them; an OCI layout is pushed as it is, as crane and skopeo push one. `"gzip"`: every
   * uncompressed layer is gzipped. `"none"`: every layer as the file holds it. A layer is
   * compressed once per k6 process, when a push or the script first needs its digest, into a
   * temporary file that no name leads to (freed when k6 exits). docs/images.md has the costs.
   */
  compress?: "auto" | "gzip" | "none";
}

/**
 * Read a `docker save` tarball or an OCI image layout (directory or tar) once per process, in the
 * init context; pushes stream its layers from it. Relative paths resolve against the script, as
 * k6's `open()` does, not against the directory k6 runs in. It reads through k6's file system, as
 * `open()` does, so `k6 archive` bundles it and an archived run loads it from the archive. In a
 * local run, a file or directory over 64 MiB is streamed from the disk instead, not bundled (k6
 * keeps a copy of what it bundles in memory). Only regular files are read (links inside the file's
 * tree are followed); a FIFO or a device is refused, naming it. See docs/images.md.
 */
export function load(path: string, options?: LoadOptions & {
  /** `true`: always through k6's file system (bundled, held in memory); `false`: from the disk. */
  bundle?: boolean;
}): Image;
/**
 * Read a `docker save` tarball or OCI layout tar from bytes, such as `open(path, "b")` returns. The
 * bytes are read in place, not copied (k6 already gives each VU its own copy of what `open()`
 * returns): do not write into them afterwards, or pushes send other bytes than the digests say.
 * `load(path)` reads a file once per process instead of once per VU.
 */
export function load(tarball: ArrayBuffer | Uint8Array, options?: LoadOptions): Image;

/** Options of a replay, beside the client options its requests go out with. */
export interface ReplayOptions {
  /** Divides every offset of the trace: 2 replays an hour in half an hour. Default 1. */
  speed?: number;
  /** Replay only the steps that started in the first `until` seconds of the trace. */
  until?: number;
}

/** What {@link Replay.warmUp} made; pass it to {@link Replay.client}. */
export interface WarmUpResult {
  blobs: number;
  /** Blobs the target had already (another instance of a split replay warmed them up). */
  skipped: number;
  bytes: number;
  /** Manifest PUTs, one per tag. */
  manifests: number;
  /** The replay's time zero, ms since the epoch: a second after the warm-up. */
  start: number;
}

/** What one client's replay did. */
export interface ReplayClientResult {
  /** The plan's id of the source client, `"c1"`... */
  client: string;
  steps: number;
  /** Steps whose status differed from the source's (also in `registry_replay_mismatches`). */
  mismatches: number;
  /** Steps that got no response. */
  failed: number;
  /** Waits for a step of a client another instance replays that gave up at its time. */
  unmet: number;
}

/**
 * A plan of a registry's own traffic, made by `go run ./cmd/replay plan` from its log (see
 * docs/replay.md). Each step is a measured call with its `registry_op`; the replay adds
 * `registry_replay_lag` (Trend: how late each step started) and `registry_replay_mismatches`
 * (Counter of steps whose status differed from the source's), both tagged `registry_op`.
 */
export interface Replay {
  /** Source clients: one VU each. */
  readonly clients: number;
  /** Source requests the steps stand for. */
  readonly requests: number;
  readonly steps: number;
  /** Reads that raced another client's write in the source: a bound on the mismatches to expect. */
  readonly races: number;
  /** Seconds the replay takes at its speed. */
  readonly duration: number;
  /** In `setup()`: make on the target what existed before the trace. */
  warmUp(): WarmUpResult;
  /**
   * In `default()`: replay source client `index` (0-based; `exec.scenario.iterationInTest` splits
   * clients across execution segments) from `start`, open loop; returns when its last step ended.
   */
  client(index: number, start: number): ReplayClientResult;
}

/**
 * Load a replay plan in the init context: pass what `open(path)` returns, so `k6 archive` bundles
 * it; every VU of the process shares one parsed copy.
 *
 * @example
 * ```js
 * const replay = registry.replay(open(__ENV.PLAN), { url: __ENV.REGISTRY_URL }, { speed: 1 });
 * export const options = { scenarios: { replay: { executor: "shared-iterations",
 *   vus: replay.clients, iterations: replay.clients, maxDuration: `${Math.ceil(replay.duration) + 120}s` } } };
 * export function setup() { return replay.warmUp(); }
 * export default function (warm) { replay.client(exec.scenario.iterationInTest, warm.start); }
 * ```
 */
export function replay(plan: string | ArrayBuffer, client: ClientOptions, options?: ReplayOptions): Replay;
