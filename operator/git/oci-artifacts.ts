// OCI artifacts as Application sources (Argo's `repoURL: oci://registry/repo` without `chart`):
// `targetRevision` (a tag, a `sha256:` digest or a semver constraint over the tags; empty means
// `latest`) resolves to the manifest's digest, which is the source's revision as a commit SHA is
// for git. The artifact must be one image manifest with a single tar (or tar+gzip) layer; that
// layer is pulled, checked against its digest and unpacked into the cache keyed by repository and
// digest, as git trees are keyed by commit. An artifact is hostile input: sizes and entry counts
// are bounded, only files, directories and symlinks that stay inside are unpacked (no absolute or
// `..` paths, nothing written through a symlink, no link chains), and other media types are refused.
//
// The cache is bounded (artifact-eviction.ts): a checkout is a lease a render holds while it reads
// the tree; released trees beyond the bound go least recently used first, renamed away before they
// are deleted, and only after checking on disk that the path is a tree of this cache.
import { createHash, randomBytes } from "node:crypto";
import { lstat, mkdir, readdir, realpath, rename, rm, stat, symlink, writeFile } from "node:fs/promises";
import { constants as bufferConstants } from "node:buffer";
import { basename, dirname, join, posix } from "node:path";
import { gunzipSync } from "node:zlib";
import semver from "semver";
import type { Logger } from "../runtime/logger.js";
import { redactUrl } from "../runtime/redact.js";
import { errorMessage } from "../util/index.js";
import { artifactsToEvict, DEFAULT_ARTIFACT_CACHE_BOUNDS, isArtifactTreePath, type ArtifactCacheBounds } from "./artifact-eviction.js";
import type { RepoCredentials } from "./credentials.js";
import { getBlob, getManifest, listTags, OciRegistryError, parseOciReference, type OciAuth, type OciReference } from "./oci-registry.js";
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

export const DEFAULT_OCI_LIMITS: OciLimits = { maxLayerBytes: 64 * 1024 * 1024, maxExtractedBytes: 256 * 1024 * 1024, maxEntries: 20_000 };

/** Named in the messages of the limit it sets. */
const SIZE_KEY = "argocd-cmd-params-cm reposerver.oci.manifest.max.extracted.size";

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
 * file content an artifact may unpack to; the layer as pulled (held in memory) may then be as large
 * too, and never less than the default. Disabling the check lifts the unpacked size limit only:
 * the layer bound and the entry count stay (the unpacked archive is held in memory too, so memory
 * is the remaining bound). Pure.
 */
export function ociLimitsFrom(params: OciSourceParams): OciLimits {
  const extracted = params.maxExtractedBytes ?? DEFAULT_OCI_LIMITS.maxExtractedBytes;
  return {
    maxLayerBytes: Math.max(DEFAULT_OCI_LIMITS.maxLayerBytes, params.maxExtractedBytes ?? 0),
    maxExtractedBytes: params.disableMaxExtractedSize ? Number.POSITIVE_INFINITY : extracted,
    maxEntries: DEFAULT_OCI_LIMITS.maxEntries,
  };
}

/** An artifact the source cannot use (its manifest, media type, size or content). */
export class OciArtifactError extends GitError {
  constructor(repoURL: string, message: string) {
    super(repoURL, message);
    this.name = "OciArtifactError";
  }
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
  /** How many unpacked trees, and how many bytes of them, stay once released. */
  bounds?: Partial<ArtifactCacheBounds>;
  logger?: Logger;
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
}

export class OciArtifactStore {
  private readonly limits: OciLimits;
  private readonly bounds: ArtifactCacheBounds;
  private readonly layerMediaTypes: readonly string[];
  /** Trees on disk or being pulled, by path. */
  private readonly entries = new Map<string, ArtifactEntry>();
  /** Evictions in progress, by the path they free: a new pull of that digest waits for it. */
  private readonly removing = new Map<string, Promise<void>>();
  private rootReady: Promise<{ dir: string; owner: boolean }> | undefined;

  constructor(private readonly opts: OciArtifactStoreOptions) {
    this.limits = { ...DEFAULT_OCI_LIMITS, ...opts.limits };
    this.bounds = { ...DEFAULT_ARTIFACT_CACHE_BOUNDS, ...opts.bounds };
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
    if (manifest.digest !== digest) throw new OciArtifactError(redactUrl(repoURL), `OCI artifact ${redactUrl(repoURL)}@${digest}: the registry's manifest has digest ${manifest.digest}: refused`);
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
    if (!entry) {
      const created: ArtifactEntry = { path, refs: 0, lastUsed: Date.now(), bytes: 0, ready: Promise.resolve() };
      created.ready = this.pull(repoURL, ref, digest, path, opts.signal).then((bytes) => {
        created.bytes = bytes;
      });
      created.ready.catch(() => {
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
    this.evict(dir);
    let released = false;
    return {
      path,
      release: () => {
        if (released) return;
        released = true;
        e.refs--;
        e.lastUsed = Date.now();
        this.evict(dir);
      },
    };
  }

  /** Forgets every tree (the cache's directory is being given up); leases still out stay valid until their tree is gone. */
  reset(): void {
    this.entries.clear();
    this.rootReady = undefined;
  }

  /** Settles once every eviction begun so far has finished (tests, shutdown). */
  async idle(): Promise<void> {
    await Promise.all([...this.removing.values()]);
  }

  /** Trees known to this store and their sizes (metrics, tests). */
  usage(): { entries: number; bytes: number } {
    let bytes = 0;
    for (const e of this.entries.values()) bytes += e.bytes;
    return { entries: this.entries.size, bytes };
  }

  private root(): Promise<{ dir: string; owner: boolean }> {
    if (!this.rootReady) {
      const p = (async () => {
        const r = this.opts.root ? await this.opts.root() : { dir: this.opts.dir!, owner: true };
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
        this.entries.set(path, { path, refs: 0, lastUsed: st.mtimeMs, bytes: await treeBytes(path), ready: Promise.resolve() });
      }
    }
    this.evict(dir);
  }

  private evict(dir: string): void {
    const settled = [...this.entries.values()].map((e) => ({ key: e.path, bytes: e.bytes, refs: e.refs, lastUsed: e.lastUsed }));
    for (const path of artifactsToEvict(settled, this.bounds)) {
      this.entries.delete(path);
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

  /** Pulls and unpacks the artifact into `path` unless it is there; the unpacked bytes. */
  private async pull(repoURL: string, ref: OciReference, digest: string, path: string, signal?: AbortSignal): Promise<number> {
    // An eviction of this very tree may still be renaming it away.
    await this.removing.get(path);
    if (await exists(path)) return treeBytes(path);
    const auth = await this.opts.auth(repoURL);
    const where = `OCI artifact ${redactUrl(repoURL)}@${digest}`;
    const manifest = await registryCall(repoURL, () => getManifest(ref, digest, auth, { signal }));
    if (manifest.digest !== digest) throw new OciArtifactError(redactUrl(repoURL), `${where}: the registry's manifest has digest ${manifest.digest}: refused`);
    let layer: ReturnType<typeof artifactLayer>;
    try {
      layer = artifactLayer(manifest.mediaType, manifest.body, this.limits, where, this.layerMediaTypes);
    } catch (err) {
      throw new OciArtifactError(redactUrl(repoURL), errorMessage(err));
    }
    const blob = await registryCall(repoURL, () => getBlob(ref, layer.digest, layer.size, auth, { signal }));
    if (blob.length !== layer.size) throw new OciArtifactError(redactUrl(repoURL), `${where}: the layer is ${blob.length} bytes, the manifest says ${layer.size}`);
    let tar: Buffer;
    // A type naming gzip is gzip; another listed type (reposerver.oci.layer.media.types) is taken
    // as gzip when it starts with gzip's magic bytes, else as a plain tar.
    const gzip = /gzip$/.test(layer.mediaType) || (!/tar$/.test(layer.mediaType) && blob[0] === 0x1f && blob[1] === 0x8b);
    if (gzip) {
      try {
        // The tar headers come on top of the content the limit counts; the buffer cap bounds an unlimited one.
        tar = gunzipSync(blob, { maxOutputLength: Math.min(this.limits.maxExtractedBytes + 1024 * 1024, bufferConstants.MAX_LENGTH) });
      } catch (err) {
        const limit = Number.isFinite(this.limits.maxExtractedBytes) ? `the ${this.limits.maxExtractedBytes}-byte limit (${SIZE_KEY})` : "a buffer can hold (the size check is off)";
        const why = err instanceof RangeError ? `unpacks to more than ${limit}` : `is not valid gzip (${errorMessage(err)})`;
        throw new OciArtifactError(redactUrl(repoURL), `${where}: the layer ${why}`);
      }
    } else {
      tar = blob;
    }
    const tmp = `${path}.tmp-${randomBytes(6).toString("hex")}`;
    await mkdir(tmp, { recursive: true });
    let bytes: number;
    try {
      bytes = await extractTar(tar, tmp, this.limits);
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw new OciArtifactError(redactUrl(repoURL), `${where}: ${errorMessage(err)}`);
    }
    try {
      await rename(tmp, path);
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      // Another process unpacked the same digest first: its tree is the same content.
      if (!(await exists(path))) throw err;
    }
    return bytes;
  }
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
  if (l.size > limits.maxLayerBytes) throw new Error(`${where}: the layer is ${l.size} bytes, over the ${limits.maxLayerBytes}-byte limit (at least 64 MiB, and ${SIZE_KEY} when larger)`);
  return { mediaType: l.mediaType, digest: l.digest, size: l.size };
}

/** One archive entry after pax/GNU long names are applied. */
export interface TarEntry {
  path: string;
  type: "file" | "dir" | "symlink";
  mode: number;
  /** Symlink target. */
  target?: string;
  data?: Buffer;
}

/**
 * Reads a tar archive (ustar, pax and GNU long names) into entries, refusing what an artifact must
 * not hold: hard links, devices, FIFOs, absolute or `..` paths, a path twice, more entries or bytes
 * than the limits. Paths come back normalised (no leading `./`). Pure.
 */
export function parseTar(buf: Buffer, limits: Pick<OciLimits, "maxEntries" | "maxExtractedBytes"> = DEFAULT_OCI_LIMITS): TarEntry[] {
  const out: TarEntry[] = [];
  const seen = new Set<string>();
  let total = 0;
  let off = 0;
  let pax: Record<string, string> = {};
  let longName: string | undefined;
  let longLink: string | undefined;
  while (off + 512 <= buf.length) {
    const h = buf.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    checkChecksum(h);
    const type = String.fromCharCode(h[156]!);
    const meta = type === "x" || type === "g" || type === "L" || type === "K";
    // A pax `size` record applies to the member after it, not to another extended header.
    const size = meta ? headerNumber(h.subarray(124, 136)) : Number(pax.size ?? headerNumber(h.subarray(124, 136)));
    if (!Number.isSafeInteger(size) || size < 0) throw new Error("a tar entry has an invalid size");
    const dataStart = off + 512;
    if (dataStart + size > buf.length) throw new Error("the tar archive is truncated");
    if (meta && size > 1024 * 1024) throw new Error("a tar extended header is larger than 1 MiB");
    const data = buf.subarray(dataStart, dataStart + size);
    off = dataStart + Math.ceil(size / 512) * 512;
    if (type === "x") { pax = parsePax(data); continue; }
    if (type === "g") continue;
    if (type === "L") { longName = cString(data); continue; }
    if (type === "K") { longLink = cString(data); continue; }
    const magic = h.subarray(257, 262).toString("latin1");
    const prefix = magic === "ustar" ? cString(h.subarray(345, 500)) : "";
    const rawName = pax.path ?? longName ?? (prefix ? `${prefix}/${cString(h.subarray(0, 100))}` : cString(h.subarray(0, 100)));
    const rawLink = pax.linkpath ?? longLink ?? cString(h.subarray(157, 257));
    pax = {};
    longName = undefined;
    longLink = undefined;
    const path = entryPath(rawName);
    if (path === undefined) continue; // the archive's root directory ("./")
    const mode = Number(headerNumber(h.subarray(100, 108))) & 0o777;
    if (seen.has(path)) throw new Error(`"${path}" appears twice in the archive`);
    seen.add(path);
    if (out.length >= limits.maxEntries) throw new Error(`the archive has more than ${limits.maxEntries} entries`);
    if (type === "0" || type === "\0" || type === "7") {
      total += size;
      if (total > limits.maxExtractedBytes) throw new Error(`the archive unpacks to more than the ${limits.maxExtractedBytes}-byte limit (${SIZE_KEY})`);
      out.push({ path, type: "file", mode, data });
    } else if (type === "5") {
      out.push({ path, type: "dir", mode });
    } else if (type === "2") {
      out.push({ path, type: "symlink", mode, target: rawLink });
    } else if (type === "1") {
      throw new Error(`"${path}" is a hard link: refused`);
    } else {
      throw new Error(`"${path}" is a ${({ 3: "character device", 4: "block device", 6: "FIFO" } as Record<string, string>)[type] ?? `tar entry of type ${JSON.stringify(type)}`}: refused`);
    }
  }
  return out;
}

/** A member path made relative and normal, or undefined for the root; escaping paths throw. */
function entryPath(raw: string): string | undefined {
  if (raw.includes("\0") || raw.length > 4096) throw new Error("a tar entry has an invalid path");
  if (raw.startsWith("/")) throw new Error(`"${raw.slice(0, 200)}" is an absolute path: refused`);
  if (raw.split("/").includes("..")) throw new Error(`"${raw.slice(0, 200)}" climbs out with "..": refused`);
  const p = posix.normalize(raw).replace(/\/+$/, "");
  return p === "." || p === "" ? undefined : p;
}

/**
 * Refuses the symlinks that could lead out: absolute targets, targets that climb above the root,
 * and targets that pass through another symlink (a chain like `a -> .`, `b -> a/..` escapes although
 * each looks inside on its own). Pure.
 */
export function checkSymlinks(entries: TarEntry[]): void {
  const links = new Set(entries.filter((e) => e.type === "symlink").map((e) => e.path));
  for (const e of entries) {
    const parts = e.path.split("/");
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join("/");
      if (links.has(parent)) throw new Error(`"${e.path}" lies below the symlink "${parent}": refused`);
    }
    if (e.type !== "symlink") continue;
    const target = e.target ?? "";
    if (target === "" || target.includes("\0")) throw new Error(`symlink "${e.path}" has no target`);
    if (target.startsWith("/")) throw new Error(`symlink "${e.path}" points to the absolute path ${JSON.stringify(target.slice(0, 200))}: refused`);
    const walked: string[] = posix.dirname(e.path) === "." ? [] : posix.dirname(e.path).split("/");
    const steps = target.split("/").filter((s) => s !== "" && s !== ".");
    for (const [i, step] of steps.entries()) {
      if (step === "..") {
        if (walked.length === 0) throw new Error(`symlink "${e.path}" points outside the artifact (${JSON.stringify(target.slice(0, 200))}): refused`);
        walked.pop();
        continue;
      }
      walked.push(step);
      if (i < steps.length - 1 && links.has(walked.join("/"))) throw new Error(`symlink "${e.path}" points through the symlink "${walked.join("/")}": refused`);
    }
  }
}

/** Unpacks `tar` into the empty directory `dest` after every check has passed; the bytes of file content written. */
export async function extractTar(tar: Buffer, dest: string, limits: Pick<OciLimits, "maxEntries" | "maxExtractedBytes"> = DEFAULT_OCI_LIMITS): Promise<number> {
  const entries = parseTar(tar, limits);
  checkSymlinks(entries);
  const dirs = new Set<string>();
  const ensureDir = async (rel: string): Promise<void> => {
    if (rel === "." || rel === "" || dirs.has(rel)) return;
    await mkdir(join(dest, rel), { recursive: true, mode: 0o755 });
    for (let p = rel; p !== "." && p !== ""; p = posix.dirname(p)) dirs.add(p);
  };
  const types = new Map(entries.map((e) => [e.path, e.type]));
  for (const e of entries) {
    // A member below a file would be written through it (or fail half-way): refuse it up front.
    for (let p = posix.dirname(e.path); p !== "."; p = posix.dirname(p)) {
      const t = types.get(p);
      if (t !== undefined && t !== "dir") throw new Error(`"${e.path}" lies below the ${t} "${p}": refused`);
    }
  }
  for (const e of entries) {
    if (e.type === "dir") await ensureDir(e.path);
  }
  let bytes = 0;
  for (const e of entries) {
    if (e.type === "dir") continue;
    await ensureDir(posix.dirname(e.path));
    if (e.type === "file") {
      await writeFile(join(dest, e.path), e.data ?? Buffer.alloc(0), { flag: "wx", mode: e.mode & 0o111 ? 0o755 : 0o644 });
      bytes += e.data?.length ?? 0;
    } else {
      await symlink(e.target!, join(dest, e.path));
    }
  }
  return bytes;
}

function cString(b: Buffer): string {
  const nul = b.indexOf(0);
  return b.subarray(0, nul < 0 ? b.length : nul).toString("utf8");
}

/** An octal header field, or GNU base-256 (high bit set) for large values. */
function headerNumber(b: Buffer): number {
  if (b[0]! & 0x80) {
    let n = b[0]! & 0x7f;
    for (let i = 1; i < b.length; i++) n = n * 256 + b[i]!;
    return n;
  }
  const s = cString(b).trim();
  if (s === "") return 0;
  if (!/^[0-7]+$/.test(s)) throw new Error("a tar header has a malformed number: not a tar archive");
  return parseInt(s, 8);
}

function checkChecksum(h: Buffer): void {
  const want = headerNumber(h.subarray(148, 156));
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
  if (sum !== want) throw new Error("a tar header's checksum does not match: not a tar archive");
}

/** pax records: "<len> <key>=<value>\n". */
function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let off = 0;
  while (off < data.length) {
    const sp = data.indexOf(0x20, off);
    if (sp < 0) break;
    const len = Number(data.subarray(off, sp).toString("latin1"));
    if (!Number.isSafeInteger(len) || len <= 0 || off + len > data.length) throw new Error("a pax header is malformed");
    const rec = data.subarray(sp + 1, off + len - 1).toString("utf8");
    const eq = rec.indexOf("=");
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    off += len;
  }
  if (out.size !== undefined && !/^\d+$/.test(out.size)) throw new Error("a pax header has an invalid size");
  return out;
}
