// OCI artifacts as Application sources (Argo's `repoURL: oci://registry/repo` without `chart`):
// `targetRevision` (a tag, a `sha256:` digest or a semver constraint over the tags; empty means
// `latest`) resolves to the manifest's digest, which is the source's revision as a commit SHA is
// for git. The artifact must be one image manifest with a single tar (or tar+gzip) layer; that
// layer is streamed from the registry, checked against its digest and unpacked (oci-unpack.ts) into
// the cache keyed by repository and digest, as git trees are keyed by commit; a tree is published
// (renamed into place) only after its digest matched. An artifact is hostile input: sizes and entry
// counts are bounded, only files, directories and symlinks that stay inside are unpacked (no
// absolute or `..` paths, nothing written through a symlink, no link chains), and other media types
// are refused.
//
// The cache is bounded (artifact-eviction.ts): a checkout is a lease a render holds while it reads
// the tree; released trees beyond the bound go least recently used first, renamed away before they
// are deleted, and only after checking on disk that the path is a tree of this cache. The bound is
// the process's (processArtifactBudget): every store the operator and the API server make shares
// one budget, whatever the number of git caches (one per credential scope) and of servers in it.
//
// A refused artifact (its manifest, media type, size, content or digest) is remembered for its
// digest for REFUSAL_MEMORY_MS: a render reads an artifact several times (path checks, files, the
// tree), and each would otherwise pull the hostile layer again.
import { createHash, randomBytes } from "node:crypto";
import { lstat, mkdir, readdir, realpath, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import semver from "semver";
import type { Logger } from "../runtime/logger.js";
import { redact, redactUrl } from "../runtime/redact.js";
import { errorMessage } from "../util/index.js";
import { ArtifactCacheBudget, DEFAULT_ARTIFACT_CACHE_ENTRIES, isArtifactTreePath, type ArtifactCacheBounds, type CachedArtifact } from "./artifact-eviction.js";
import type { RepoCredentials } from "./credentials.js";
import { getManifest, listTags, openBlob, OciRegistryError, parseOciReference, type OciAuth, type OciReference } from "./oci-registry.js";
import { SIZE_KEY, UnpackError, unpackLayer } from "./oci-unpack.js";
import { GitError, RevisionNotFoundError } from "./types.js";

/** Layer media types an artifact source may have (Argo's default `--oci-layer-media-types`). */
export const LAYER_MEDIA_TYPES = [
  "application/vnd.oci.image.layer.v1.tar",
  "application/vnd.oci.image.layer.v1.tar+gzip",
  "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
];

export interface OciLimits {
  /** The layer as pulled (compressed). */
  maxLayerBytes: number;
  /** Everything unpacked together. */
  maxExtractedBytes: number;
  maxEntries: number;
}

/** Argo's default size limit, `1G` (a decimal quantity). */
const ARGO_MAX_EXTRACTED_BYTES = 1_000_000_000;
/** The layer bound never goes below this, whatever the size key says. */
const MIN_LAYER_BYTES = 64 * 1024 * 1024;

/**
 * Argo's 1G: the layer streams to disk (oci-unpack.ts), so neither bound costs memory, and the layer
 * as pulled may be as large as what it unpacks to.
 */
export const DEFAULT_OCI_LIMITS: OciLimits = { maxLayerBytes: ARGO_MAX_EXTRACTED_BYTES, maxExtractedBytes: ARGO_MAX_EXTRACTED_BYTES, maxEntries: 20_000 };

/** argocd-cmd-params-cm's OCI keys, parsed (config.ts). */
export interface OciSourceParams {
  /** `reposerver.oci.manifest.max.extracted.size`. */
  maxExtractedBytes?: number;
  /** `reposerver.disable.oci.manifest.max.extracted.size`. */
  disableMaxExtractedSize?: boolean;
  /** `reposerver.oci.layer.media.types`. */
  layerMediaTypes?: string[];
}

/**
 * The limits an artifact is unpacked under, from argocd-cmd-params-cm. The size key is the most
 * file content an artifact may unpack to; the layer as pulled may then be as large too, and never
 * less than 64 MiB. Disabling the check lifts the unpacked size limit only: the layer bound and the
 * entry count stay (the disk is the remaining bound). Pure.
 */
export function ociLimitsFrom(params: OciSourceParams): OciLimits {
  const extracted = params.maxExtractedBytes ?? DEFAULT_OCI_LIMITS.maxExtractedBytes;
  return {
    maxLayerBytes: Math.max(MIN_LAYER_BYTES, extracted),
    maxExtractedBytes: params.disableMaxExtractedSize ? Number.POSITIVE_INFINITY : extracted,
    maxEntries: DEFAULT_OCI_LIMITS.maxEntries,
  };
}

/** How long a refused pull of a digest is answered from memory (REFUSED_REASONS; not the registry's failures). */
export const REFUSAL_MEMORY_MS = 60_000;
/** Refusals remembered at most (the oldest go first). */
const REFUSALS_KEPT = 1000;
/** Failures that say the artifact at a digest is unusable, not that the registry or the disk failed. */
const REFUSED_REASONS: ReadonlySet<string> = new Set(["manifest", "digest", "limit", "content"]);

/** How many artifacts of the largest size the limits allow the default cache bound keeps. */
export const ARTIFACT_CACHE_LARGEST_KEPT = 4;

/**
 * The bytes of unpacked artifact content a cache keeps (`--oci-artifact-cache-size`): the value
 * given, else room for ARTIFACT_CACHE_LARGEST_KEPT artifacts as large as the limits allow (the
 * layer bound, which stays finite when the unpacked limit is disabled): 4 GB at Argo's 1G, so one
 * large artifact does not evict the others apps use. Pure.
 */
export function artifactCacheBytes(limits: OciLimits, explicit?: number): number {
  return explicit ?? ARTIFACT_CACHE_LARGEST_KEPT * limits.maxLayerBytes;
}

/**
 * A bound below the unpacked size limit keeps no artifact of that size once released (each render
 * of it pulls again): legal, but worth a line at start.
 */
export function warnSmallArtifactCache(log: Pick<Logger, "warn">, bytes: number, limits: OciLimits): void {
  const largest = Math.min(limits.maxExtractedBytes, limits.maxLayerBytes);
  if (bytes < largest) log.warn("the OCI artifact cache (--oci-artifact-cache-size) is smaller than one artifact may unpack to: released artifacts that large are pulled again on every use", { cacheBytes: bytes, largestArtifactBytes: largest });
}

/**
 * Why a pull failed, for `hawser_oci_artifact_pull_failures_total{reason}`: the registry (transport,
 * HTTP status, credentials), the manifest (not a usable artifact: an index, several layers, another
 * media type), the digest (manifest or layer not what was asked for), a limit (the layer's size,
 * the unpacked size, entries, a gzip bomb), the content (paths, links, devices, not a tar or
 * not gzip), aborted (the caller gave up), or the local disk.
 */
export const OCI_PULL_FAILURE_REASONS = ["registry", "manifest", "digest", "limit", "content", "aborted", "disk"] as const;
export type OciPullFailureReason = (typeof OCI_PULL_FAILURE_REASONS)[number];

/** An artifact the source cannot use (its manifest, media type, size or content). */
export class OciArtifactError extends GitError {
  constructor(repoURL: string, message: string, readonly reason: OciPullFailureReason = "content") {
    super(repoURL, message);
    this.name = "OciArtifactError";
  }
}

/** What the cache reports as it works (wired to Prometheus in runtime/metrics.ts); every call is cheap. */
export interface OciArtifactCacheMetrics {
  /** A checkout served by a tree on disk or a pull already under way. */
  hit(): void;
  /** A checkout that pulled from the registry. */
  miss(): void;
  /** A released tree removed to keep the cache within its bounds. */
  evicted(): void;
  pullFailed(reason: OciPullFailureReason): void;
}

export const isOciSourceURL = (url: string): boolean => /^oci:\/\//i.test(url.trim());
const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** The registry access of a repository's credentials and its host's CA. */
export function ociAuthFrom(creds: RepoCredentials | undefined, caPem?: string): OciAuth {
  const auth: OciAuth = {};
  if (creds?.username !== undefined) auth.username = creds.username;
  if (creds?.password !== undefined) auth.password = creds.password;
  if (creds?.insecure) auth.insecureSkipTLSVerify = true;
  if (creds?.insecureOCIForceHttp) auth.plainHttp = true;
  if (creds?.tlsClientCertData && creds.tlsClientCertKey) {
    auth.tlsClientCertData = creds.tlsClientCertData;
    auth.tlsClientCertKey = creds.tlsClientCertKey;
  }
  if (caPem && !auth.plainHttp) auth.caData = caPem;
  return auth;
}

export interface OciArtifactStoreOptions {
  /**
   * Where unpacked artifacts live (`<dir>/<repository key>/<digest hex>`), and whether this process
   * owns it: only an owner picks up the trees a previous run left and sweeps its leftovers (the git
   * work trees' rule, trees-owner.ts). `dir` alone is a directory this store owns.
   */
  root?: () => Promise<{ dir: string; owner: boolean }>;
  dir?: string;
  /** The registry access for a repository URL (credentials, CA). */
  auth: (repoURL: string) => Promise<OciAuth>;
  limits?: Partial<OciLimits>;
  /** Layer media types accepted (argocd-cmd-params-cm `reposerver.oci.layer.media.types`). Default LAYER_MEDIA_TYPES. */
  layerMediaTypes?: readonly string[];
  /**
   * How many unpacked trees, and how many bytes of them, stay once released, for this store alone
   * (tests, throw-away caches). Default 32 trees and artifactCacheBytes of the limits. Ignored with
   * `budget`.
   */
  bounds?: Partial<ArtifactCacheBounds>;
  /** The bound shared with other stores (processArtifactBudget); without it the store has its own. */
  budget?: ArtifactCacheBudget;
  /** Clock for the refusal memory (tests). */
  now?: () => number;
  logger?: Logger;
  metrics?: OciArtifactCacheMetrics;
}

/** An unpacked artifact held by a reader: it is not evicted before `release()`. */
export interface ArtifactLease {
  path: string;
  release(): void;
}

interface ArtifactEntry {
  path: string;
  refs: number;
  lastUsed: number;
  /** Unpacked file bytes; known once `ready` settles. */
  bytes: number;
  ready: Promise<void>;
  /** On disk (pulled, or found there); false while a pull runs. */
  present: boolean;
}

let processBudget: ArtifactCacheBudget | undefined;

/**
 * The process's one OCI artifact budget. The operator and the API server (both run in one process
 * by `hawser dev demo`) take it for every git cache they make; a second caller with a smaller bound
 * lowers it, a larger one never raises it, so `--oci-artifact-cache-size` holds for the process.
 */
export function processArtifactBudget(maxBytes: number, maxEntries = DEFAULT_ARTIFACT_CACHE_ENTRIES): ArtifactCacheBudget {
  if (processBudget) processBudget.tighten({ maxBytes, maxEntries });
  else processBudget = new ArtifactCacheBudget({ maxBytes, maxEntries });
  return processBudget;
}

export class OciArtifactStore {
  private readonly limits: OciLimits;
  private readonly budget: ArtifactCacheBudget;
  /** Refused pulls by tree path, until when they are answered from memory. */
  private readonly refusals = new Map<string, { error: OciArtifactError; until: number }>();
  /** The cache directory once claimed (evictions need it). */
  private dir: string | undefined;
  private readonly layerMediaTypes: readonly string[];
  /** Trees on disk or being pulled, by path. */
  private readonly entries = new Map<string, ArtifactEntry>();
  /** Evictions in progress, by the path they free: a new pull of that digest waits for it. */
  private readonly removing = new Map<string, Promise<void>>();
  private rootReady: Promise<{ dir: string; owner: boolean }> | undefined;
  /** This store's place in the budget, taken with its root and given up on reset(): a closed store is no member. */
  private leaveBudget: (() => void) | undefined;

  constructor(private readonly opts: OciArtifactStoreOptions) {
    this.limits = { ...DEFAULT_OCI_LIMITS, ...opts.limits };
    this.budget = opts.budget ?? new ArtifactCacheBudget({ maxEntries: DEFAULT_ARTIFACT_CACHE_ENTRIES, maxBytes: artifactCacheBytes(this.limits), ...opts.bounds });
    this.layerMediaTypes = opts.layerMediaTypes ?? LAYER_MEDIA_TYPES;
    if (!opts.root && opts.dir === undefined) throw new Error("OciArtifactStore needs a dir or a root");
  }

  private reference(repoURL: string): OciReference {
    const ref = parseOciReference(repoURL);
    if ("problem" in ref) throw new GitError(redactUrl(repoURL), `the OCI reference ${redactUrl(repoURL)} ${ref.problem}`);
    if (!ref.repository) throw new GitError(redactUrl(repoURL), `${redactUrl(repoURL)} names a registry, not a repository in it`);
    return ref;
  }

  /** `targetRevision` → the manifest digest (`sha256:…`). */
  async resolveRevision(repoURL: string, targetRevision: string | undefined, opts: { signal?: AbortSignal } = {}): Promise<string> {
    const ref = this.reference(repoURL);
    const rev = (targetRevision ?? "").trim();
    if (DIGEST.test(rev)) return rev;
    const auth = await this.opts.auth(repoURL);
    const where = `OCI repository ${redactUrl(repoURL)}`;
    const tag = rev === "" || rev === "HEAD" ? "latest" : rev;
    const isTag = /^[\w][\w.-]{0,127}$/.test(tag);
    const isConstraint = !!semver.validRange(tag);
    // As Argo: the revision as a tag first; one that is no tag but a semver range picks among the tags.
    if (isTag) {
      try {
        return (await getManifest(ref, tag, auth, { signal: opts.signal })).digest;
      } catch (err) {
        const missing = err instanceof OciRegistryError && err.status === 404;
        if (!missing) throw asGitError(repoURL, err);
        if (!isConstraint) throw new RevisionNotFoundError(redactUrl(repoURL), `tag "${tag}" not found in ${where}`);
      }
    } else if (!isConstraint) {
      throw new RevisionNotFoundError(redactUrl(repoURL), `"${tag}" is neither a tag, a sha256 digest nor a semver constraint`);
    }
    const tags = await registryCall(repoURL, () => listTags(ref, auth, { signal: opts.signal }));
    const picked = semver.maxSatisfying(tags.filter((t) => semver.valid(t)), tag);
    if (!picked) throw new RevisionNotFoundError(redactUrl(repoURL), `no tag of ${where} matches "${tag}" (tags: ${tags.slice(0, 10).join(", ") || "none"})`);
    return registryCall(repoURL, async () => (await getManifest(ref, picked, auth, { signal: opts.signal })).digest);
  }

  /** The manifest annotations of the artifact at `digest` (its OCI metadata). */
  async annotations(repoURL: string, digest: string, opts: { signal?: AbortSignal } = {}): Promise<Record<string, string>> {
    if (!DIGEST.test(digest)) throw new GitError(redactUrl(repoURL), `"${digest}" is not a sha256 digest`);
    const ref = this.reference(repoURL);
    const auth = await this.opts.auth(repoURL);
    const manifest = await registryCall(repoURL, () => getManifest(ref, digest, auth, opts));
    if (manifest.digest !== digest) throw new OciArtifactError(redactUrl(repoURL), `OCI artifact ${redactUrl(repoURL)}@${digest}: the registry's manifest has digest ${manifest.digest}: refused`, "digest");
    const a = (JSON.parse(manifest.body.toString("utf8")) as { annotations?: unknown }).annotations;
    const out: Record<string, string> = {};
    if (a && typeof a === "object" && !Array.isArray(a)) for (const [k, v] of Object.entries(a)) if (typeof v === "string") out[k] = v;
    return out;
  }

  /**
   * The unpacked artifact at `digest`, held until `release()` (pulled once; concurrent callers
   * share the pull and the tree).
   */
  async checkout(repoURL: string, digest: string, opts: { signal?: AbortSignal } = {}): Promise<ArtifactLease> {
    if (!DIGEST.test(digest)) throw new GitError(redactUrl(repoURL), `"${digest}" is not a sha256 digest`);
    const ref = this.reference(repoURL);
    const { dir } = await this.root();
    const key = createHash("sha256").update(`${ref.registry}/${ref.repository}`).digest("hex").slice(0, 24);
    const path = join(dir, key, digest.slice("sha256:".length));
    let entry = this.entries.get(path);
    const now = this.opts.now ?? Date.now;
    const refused = entry ? undefined : this.refusals.get(path);
    if (refused && refused.until > now()) throw refused.error;
    if (refused) this.refusals.delete(path);
    if (entry) {
      this.opts.metrics?.hit();
    } else {
      const created: ArtifactEntry = { path, refs: 0, lastUsed: Date.now(), bytes: 0, ready: Promise.resolve(), present: false };
      created.ready = this.pull(repoURL, ref, digest, path, opts.signal).then((bytes) => {
        created.bytes = bytes;
        created.present = true;
      });
      created.ready.catch((err: unknown) => {
        this.opts.metrics?.pullFailed(err instanceof OciArtifactError ? err.reason : failureReason(err));
        if (err instanceof OciArtifactError && REFUSED_REASONS.has(err.reason)) {
          this.refusals.set(path, { error: err, until: now() + REFUSAL_MEMORY_MS });
          if (this.refusals.size > REFUSALS_KEPT) this.refusals.delete(this.refusals.keys().next().value!);
        }
        if (this.entries.get(path) === created) this.entries.delete(path);
      });
      this.entries.set(path, created);
      entry = created;
    }
    entry.refs++;
    try {
      await entry.ready;
    } catch (err) {
      entry.refs--;
      throw err;
    }
    const e = entry;
    e.lastUsed = Date.now();
    // A new tree may take the cache over its bound: older released ones make room.
    this.budget.rebalance();
    let released = false;
    return {
      path,
      release: () => {
        if (released) return;
        released = true;
        e.refs--;
        e.lastUsed = Date.now();
        this.budget.rebalance();
      },
    };
  }

  /** Forgets every tree (the cache's directory is being given up); leases still out stay valid until their tree is gone. */
  reset(): void {
    this.leaveBudget?.();
    this.leaveBudget = undefined;
    this.entries.clear();
    this.refusals.clear();
    this.rootReady = undefined;
    this.dir = undefined;
  }

  /** Settles once every eviction begun so far has finished (tests, shutdown). */
  async idle(): Promise<void> {
    await Promise.all([...this.removing.values()]);
  }

  /** Trees on disk known to this store and their unpacked bytes (metrics, tests); pulls under way are not counted. */
  usage(): { entries: number; bytes: number } {
    let bytes = 0;
    let entries = 0;
    for (const e of this.entries.values()) {
      if (!e.present) continue;
      entries++;
      bytes += e.bytes;
    }
    return { entries, bytes };
  }

  private root(): Promise<{ dir: string; owner: boolean }> {
    this.leaveBudget ??= this.budget.join({
      artifacts: (): CachedArtifact[] => [...this.entries.values()].map((e) => ({ key: e.path, bytes: e.bytes, refs: e.refs, lastUsed: e.lastUsed })),
      evict: (keys) => this.evictPaths(keys),
    });
    if (!this.rootReady) {
      const p = (async () => {
        const r = this.opts.root ? await this.opts.root() : { dir: this.opts.dir!, owner: true };
        this.dir = r.dir;
        if (r.owner) await this.scan(r.dir);
        return r;
      })();
      this.rootReady = p;
      p.catch(() => {
        if (this.rootReady === p) this.rootReady = undefined;
      });
    }
    return this.rootReady;
  }

  /**
   * The owner's first look at its directory: trees a previous run left (complete by construction:
   * they were renamed in) join the LRU as last used at their mtime; temp and trash directories
   * from a crash are removed.
   */
  private async scan(dir: string): Promise<void> {
    for (const key of await readdir(dir).catch(() => [] as string[])) {
      const keyDir = join(dir, key);
      const ks = await lstat(keyDir).catch(() => undefined);
      if (!/^[0-9a-f]{24}$/.test(key) || !ks?.isDirectory()) continue;
      for (const name of await readdir(keyDir).catch(() => [] as string[])) {
        const path = join(keyDir, name);
        if (/^[0-9a-f]{64}\.(tmp|trash)-[0-9a-f]+$/.test(name)) {
          await rm(path, { recursive: true, force: true }).catch(() => undefined);
          continue;
        }
        const st = await lstat(path).catch(() => undefined);
        if (!isArtifactTreePath(dir, path) || !st?.isDirectory() || this.entries.has(path)) continue;
        this.entries.set(path, { path, refs: 0, lastUsed: st.mtimeMs, bytes: await treeBytes(path), ready: Promise.resolve(), present: true });
      }
    }
    this.budget.rebalance();
  }

  /** Gives up the trees the budget chose (they are unreferenced: artifactsToEvict). */
  private evictPaths(paths: readonly string[]): void {
    const dir = this.dir;
    if (dir === undefined) return;
    for (const path of paths) {
      this.entries.delete(path);
      this.opts.metrics?.evicted();
      const p = this.remove(dir, path).finally(() => {
        if (this.removing.get(path) === p) this.removing.delete(path);
      });
      this.removing.set(path, p);
    }
  }

  /**
   * Removes a tree: only one of this cache's (`<dir>/<key>/<digest>`, neither part a symlink, the
   * parent really inside `dir`), renamed away first so no reader ever walks a half-deleted tree.
   */
  private async remove(dir: string, path: string): Promise<void> {
    try {
      const st = await lstat(path).catch(() => undefined);
      if (!st) return;
      const [realDir, realParent] = await Promise.all([realpath(dir), realpath(dirname(path))]);
      const owned = isArtifactTreePath(dir, path) && st.isDirectory() && !st.isSymbolicLink() && realParent === join(realDir, basename(dirname(path)));
      if (!owned) {
        this.opts.logger?.warn("not removing an OCI artifact cache entry that is not a directory of the cache", { path });
        return;
      }
      const trash = `${path}.trash-${randomBytes(4).toString("hex")}`;
      await rename(path, trash);
      await rm(trash, { recursive: true, force: true });
    } catch (err) {
      this.opts.logger?.warn("removing an unpacked OCI artifact failed", { path, error: errorMessage(err) });
    }
  }

  /**
   * Pulls and unpacks the artifact into `path` unless it is there; the unpacked bytes. The layer
   * streams into a temporary directory, renamed to `path` only once its digest matched: a refused
   * or failed pull leaves nothing in the cache.
   */
  private async pull(repoURL: string, ref: OciReference, digest: string, path: string, signal?: AbortSignal): Promise<number> {
    // An eviction of this very tree may still be renaming it away.
    await this.removing.get(path);
    if (await exists(path)) {
      this.opts.metrics?.hit();
      return treeBytes(path);
    }
    this.opts.metrics?.miss();
    const auth = await this.opts.auth(repoURL);
    const where = `OCI artifact ${redactUrl(repoURL)}@${digest}`;
    const manifest = await registryCall(repoURL, () => getManifest(ref, digest, auth, { signal }));
    if (manifest.digest !== digest) throw new OciArtifactError(redactUrl(repoURL), `${where}: the registry's manifest has digest ${manifest.digest}: refused`, "digest");
    let layer: ReturnType<typeof artifactLayer>;
    try {
      layer = artifactLayer(manifest.mediaType, manifest.body, this.limits, where, this.layerMediaTypes);
    } catch (err) {
      throw new OciArtifactError(redactUrl(repoURL), errorMessage(err), err instanceof UnpackError ? err.kind : "manifest");
    }
    const body = await registryCall(repoURL, () => openBlob(ref, layer.digest, auth, { signal }));
    // Until the pipeline listens, a connection error must not go unhandled; the pipeline still
    // sees it (the stream is then destroyed with it).
    body.on("error", () => undefined);
    const tmp = `${path}.tmp-${randomBytes(6).toString("hex")}`;
    let bytes: number;
    try {
      await mkdir(tmp, { recursive: true });
      bytes = await unpackLayer(body, layer, tmp, { limits: this.limits, blobName: ref.repository, ...(signal ? { signal } : {}) });
    } catch (err) {
      body.destroy();
      await rm(tmp, { recursive: true, force: true });
      if (err instanceof UnpackError) throw new OciArtifactError(redactUrl(repoURL), `${where}: ${err.message}`, err.kind);
      const reason = failureReason(err);
      throw new OciArtifactError(redactUrl(repoURL), `${where}: ${reason === "aborted" ? "the pull was aborted" : reason === "registry" ? "reading the layer from the registry failed" : "unpacking failed"} (${redact(errorMessage(err))})`, reason);
    }
    try {
      await rename(tmp, path);
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      // Another process unpacked the same digest first: its tree is the same content.
      if (!(await exists(path))) throw new OciArtifactError(redactUrl(repoURL), `${where}: publishing the unpacked tree failed (${errorMessage(err)})`, "disk");
    }
    return bytes;
  }
}

/** The reason of a failure that is not one of the store's own refusals. */
function failureReason(err: unknown): OciPullFailureReason {
  if (err instanceof OciArtifactError) return err.reason;
  const e = err as { name?: unknown; code?: unknown; cause?: unknown };
  if (e?.name === "AbortError" || e?.code === "ABORT_ERR") return "aborted";
  if (e?.cause && failureReason(e.cause) === "aborted") return "aborted";
  if (err instanceof GitError || err instanceof OciRegistryError) return "registry";
  // A file system error (ENOSPC, EACCES, …) is the disk's; anything else while reading is the connection's.
  if (typeof e?.code === "string" && /^E[A-Z]+$/.test(e.code) && e.code !== "ECONNRESET" && e.code !== "ETIMEDOUT" && e.code !== "EPIPE") return "disk";
  return "registry";
}

/** Bytes of file content under `path`, symlinks not followed. */
async function treeBytes(path: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(path, { recursive: true, withFileTypes: true }).catch(() => [])) {
    if (e.isFile()) total += (await lstat(join(e.parentPath, e.name)).catch(() => undefined))?.size ?? 0;
  }
  return total;
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(() => true, () => false);
}

function asGitError(repoURL: string, err: unknown): GitError {
  return err instanceof GitError ? err : new GitError(redactUrl(repoURL), `OCI repository ${redactUrl(repoURL)}: ${errorMessage(err)}`, { cause: err });
}

async function registryCall<T>(repoURL: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw asGitError(repoURL, err);
  }
}

/** Argo's OCIMetadata from a manifest's `org.opencontainers.image.*` annotations (absent ones left out). Pure. */
export function ociMetadata(annotations: Record<string, string>): Record<string, string> {
  const fields: Array<[string, string]> = [
    ["createdAt", "created"], ["authors", "authors"], ["imageUrl", "url"], ["docsUrl", "documentation"],
    ["sourceUrl", "source"], ["version", "version"], ["description", "description"],
  ];
  const out: Record<string, string> = {};
  for (const [field, key] of fields) {
    const v = annotations[`org.opencontainers.image.${key}`];
    if (v) out[field] = v;
  }
  return out;
}

/**
 * The single layer of an artifact manifest, or why the artifact is not a source: an image index
 * (several platforms), another manifest type, no layer or several, a layer of another media type
 * or over the size limit. Pure.
 */
export function artifactLayer(mediaType: string, body: Buffer, limits: Pick<OciLimits, "maxLayerBytes">, where: string, layerMediaTypes: readonly string[] = LAYER_MEDIA_TYPES): { mediaType: string; digest: string; size: number } {
  if (/image\.index|manifest\.list/.test(mediaType)) throw new Error(`${where} is an image index (one manifest per platform), not an artifact: give the digest of one manifest`);
  if (mediaType !== "application/vnd.oci.image.manifest.v1+json" && mediaType !== "application/vnd.docker.distribution.manifest.v2+json") {
    throw new Error(`${where} has manifest media type ${JSON.stringify(mediaType.slice(0, 100))}, not an OCI image manifest`);
  }
  const m = JSON.parse(body.toString("utf8")) as { layers?: unknown };
  const layers = Array.isArray(m.layers) ? (m.layers as Array<{ mediaType?: unknown; digest?: unknown; size?: unknown }>) : [];
  if (layers.length !== 1) throw new Error(`${where} has ${layers.length} layers: an OCI source must have exactly one (a tar or tar+gzip of manifests)`);
  const l = layers[0]!;
  if (typeof l.mediaType !== "string" || !layerMediaTypes.includes(l.mediaType)) {
    throw new Error(`${where}: layer media type ${JSON.stringify(String(l.mediaType).slice(0, 100))} is not one of ${layerMediaTypes.join(", ")} (argocd-cmd-params-cm reposerver.oci.layer.media.types)`);
  }
  if (typeof l.digest !== "string" || !DIGEST.test(l.digest)) throw new Error(`${where}: the layer's digest is not a sha256 digest`);
  if (typeof l.size !== "number" || !Number.isSafeInteger(l.size) || l.size < 0) throw new Error(`${where}: the layer has no valid size`);
  if (l.size > limits.maxLayerBytes) throw new UnpackError("limit", `${where}: the layer is ${l.size} bytes, over the ${limits.maxLayerBytes}-byte limit (${SIZE_KEY}, at least 64 MiB)`);
  return { mediaType: l.mediaType, digest: l.digest, size: l.size };
}
