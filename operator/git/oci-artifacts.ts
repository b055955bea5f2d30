// OCI artifacts as Application sources (Argo's `repoURL: oci://registry/repo` without `chart`):
// `targetRevision` (a tag, a `sha256:` digest or a semver constraint over the tags; empty means
// `latest`) resolves to the manifest's digest, which is the source's revision as a commit SHA is
// for git. The artifact must be one image manifest with a single tar (or tar+gzip) layer; that
// layer is pulled, checked against its digest and unpacked into the cache keyed by repository and
// digest, as git trees are keyed by commit. An artifact is hostile input: sizes and entry counts
// are bounded, only files, directories and symlinks that stay inside are unpacked (no absolute or
// `..` paths, nothing written through a symlink, no link chains), and other media types are refused.
import { createHash, randomBytes } from "node:crypto";
import { mkdir, rename, rm, stat, symlink, writeFile } from "node:fs/promises";
import { join, posix } from "node:path";
import { gunzipSync } from "node:zlib";
import semver from "semver";
import { redactUrl } from "../runtime/redact.js";
import { errorMessage } from "../util/index.js";
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
  /** Unpacked artifacts live in `<dir>/<repository key>/<digest hex>`. */
  dir: string;
  /** The registry access for a repository URL (credentials, CA). */
  auth: (repoURL: string) => Promise<OciAuth>;
  limits?: Partial<OciLimits>;
}

export class OciArtifactStore {
  private readonly limits: OciLimits;
  private readonly inflight = new Map<string, Promise<string>>();

  constructor(private readonly opts: OciArtifactStoreOptions) {
    this.limits = { ...DEFAULT_OCI_LIMITS, ...opts.limits };
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

  /** The unpacked artifact at `digest` (pulled once; concurrent callers share the pull). */
  checkout(repoURL: string, digest: string, opts: { signal?: AbortSignal } = {}): Promise<string> {
    if (!DIGEST.test(digest)) return Promise.reject(new GitError(redactUrl(repoURL), `"${digest}" is not a sha256 digest`));
    const ref = this.reference(repoURL);
    const key = createHash("sha256").update(`${ref.registry}/${ref.repository}`).digest("hex").slice(0, 24);
    const path = join(this.opts.dir, key, digest.slice("sha256:".length));
    let p = this.inflight.get(path);
    if (!p) {
      p = this.pull(repoURL, ref, digest, path, opts.signal).finally(() => this.inflight.delete(path));
      this.inflight.set(path, p);
    }
    return p;
  }

  private async pull(repoURL: string, ref: OciReference, digest: string, path: string, signal?: AbortSignal): Promise<string> {
    if (await exists(path)) return path;
    const auth = await this.opts.auth(repoURL);
    const where = `OCI artifact ${redactUrl(repoURL)}@${digest}`;
    const manifest = await registryCall(repoURL, () => getManifest(ref, digest, auth, { signal }));
    if (manifest.digest !== digest) throw new OciArtifactError(redactUrl(repoURL), `${where}: the registry's manifest has digest ${manifest.digest}: refused`);
    let layer: ReturnType<typeof artifactLayer>;
    try {
      layer = artifactLayer(manifest.mediaType, manifest.body, this.limits, where);
    } catch (err) {
      throw new OciArtifactError(redactUrl(repoURL), errorMessage(err));
    }
    const blob = await registryCall(repoURL, () => getBlob(ref, layer.digest, layer.size, auth, { signal }));
    if (blob.length !== layer.size) throw new OciArtifactError(redactUrl(repoURL), `${where}: the layer is ${blob.length} bytes, the manifest says ${layer.size}`);
    let tar: Buffer;
    if (layer.mediaType.endsWith("+gzip")) {
      try {
        tar = gunzipSync(blob, { maxOutputLength: this.limits.maxExtractedBytes + 1024 * 1024 });
      } catch (err) {
        const why = err instanceof RangeError ? `unpacks to more than the ${this.limits.maxExtractedBytes}-byte limit` : `is not valid gzip (${errorMessage(err)})`;
        throw new OciArtifactError(redactUrl(repoURL), `${where}: the layer ${why}`);
      }
    } else {
      tar = blob;
    }
    const tmp = `${path}.tmp-${randomBytes(6).toString("hex")}`;
    await mkdir(tmp, { recursive: true });
    try {
      await extractTar(tar, tmp, this.limits);
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
    return path;
  }
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
export function artifactLayer(mediaType: string, body: Buffer, limits: Pick<OciLimits, "maxLayerBytes">, where: string): { mediaType: string; digest: string; size: number } {
  if (/image\.index|manifest\.list/.test(mediaType)) throw new Error(`${where} is an image index (one manifest per platform), not an artifact: give the digest of one manifest`);
  if (mediaType !== "application/vnd.oci.image.manifest.v1+json" && mediaType !== "application/vnd.docker.distribution.manifest.v2+json") {
    throw new Error(`${where} has manifest media type ${JSON.stringify(mediaType.slice(0, 100))}, not an OCI image manifest`);
  }
  const m = JSON.parse(body.toString("utf8")) as { layers?: unknown };
  const layers = Array.isArray(m.layers) ? (m.layers as Array<{ mediaType?: unknown; digest?: unknown; size?: unknown }>) : [];
  if (layers.length !== 1) throw new Error(`${where} has ${layers.length} layers: an OCI source must have exactly one (a tar or tar+gzip of manifests)`);
  const l = layers[0]!;
  if (typeof l.mediaType !== "string" || !LAYER_MEDIA_TYPES.includes(l.mediaType)) {
    throw new Error(`${where}: layer media type ${JSON.stringify(String(l.mediaType).slice(0, 100))} is not one of ${LAYER_MEDIA_TYPES.join(", ")}`);
  }
  if (typeof l.digest !== "string" || !DIGEST.test(l.digest)) throw new Error(`${where}: the layer's digest is not a sha256 digest`);
  if (typeof l.size !== "number" || !Number.isSafeInteger(l.size) || l.size < 0) throw new Error(`${where}: the layer has no valid size`);
  if (l.size > limits.maxLayerBytes) throw new Error(`${where}: the layer is ${l.size} bytes, over the ${limits.maxLayerBytes}-byte limit`);
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
      if (total > limits.maxExtractedBytes) throw new Error(`the archive unpacks to more than the ${limits.maxExtractedBytes}-byte limit`);
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

/** Unpacks `tar` into the empty directory `dest` after every check has passed. */
export async function extractTar(tar: Buffer, dest: string, limits: Pick<OciLimits, "maxEntries" | "maxExtractedBytes"> = DEFAULT_OCI_LIMITS): Promise<void> {
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
  for (const e of entries) {
    if (e.type === "dir") continue;
    await ensureDir(posix.dirname(e.path));
    if (e.type === "file") await writeFile(join(dest, e.path), e.data ?? Buffer.alloc(0), { flag: "wx", mode: e.mode & 0o111 ? 0o755 : 0o644 });
    else await symlink(e.target!, join(dest, e.path));
  }
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
