// Unpacking an OCI artifact's layer as it streams in: registry body → size and sha256 check →
// gunzip (when gzip) → an incremental tar reader → files written into a temporary tree. Memory
// stays at a few chunks whatever the layer's size: file content goes to disk chunk by chunk, and
// only the members' names (bounded by the entry count) are kept for the checks that need the
// whole archive (links). The layer's digest is known only at the end of the body, so everything
// written before it is suspect: the caller unpacks into a temporary directory and publishes it
// only once `unpackLayer` resolved, which it does only after the digest matched.
//
// An artifact is hostile input. Refused, each with a message naming what was refused: absolute and
// `..` paths, hard links, devices, FIFOs, a path twice, a member below a file or a symlink,
// symlinks that lead out or through another symlink, more members or file bytes than the limits,
// a gzip stream that inflates past the size limit. No symlink exists on disk until every member
// has been read and checked, so nothing is ever written through one.
import { createHash } from "node:crypto";
import { mkdir, open, symlink, type FileHandle } from "node:fs/promises";
import { join, posix } from "node:path";
import { Readable, Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { errorMessage } from "../util/index.js";

export interface TarLimits {
  /** Members (files, directories, symlinks); also the most directories the paths may need. */
  maxEntries: number;
  /** File content in all; Infinity for none. */
  maxExtractedBytes: number;
}

/** Named in the messages of the size limit. */
export const SIZE_KEY = "argocd-cmd-params-cm reposerver.oci.manifest.max.extracted.size";

/** What went wrong, for the pull-failure metric: a size/count limit, or content an artifact must not have. */
export type UnpackFailureKind = "limit" | "content" | "digest";

/** A refusal while unpacking; `kind` says which defence refused. */
export class UnpackError extends Error {
  constructor(readonly kind: UnpackFailureKind, message: string) {
    super(message);
    this.name = "UnpackError";
  }
}

const limitError = (m: string): UnpackError => new UnpackError("limit", m);
const contentError = (m: string): UnpackError => new UnpackError("content", m);

/** One archive member after pax/GNU long names are applied. */
export interface TarEntry {
  path: string;
  type: "file" | "dir" | "symlink";
  mode: number;
  /** Symlink target. */
  target?: string;
}

/** What the reader found in the bytes pushed so far, in order. */
export type TarEvent =
  | { kind: "entry"; entry: TarEntry; size: number }
  /** File content of the last "entry": a slice of a pushed chunk, not a copy. */
  | { kind: "data"; chunk: Buffer }
  | { kind: "end" };

/** Extended headers (pax, GNU long names) are read whole: this is the most one may be. */
const MAX_META_BYTES = 1024 * 1024;

/**
 * An incremental reader of tar archives (ustar, pax and GNU long names): `push` chunks as they
 * arrive and get events back. Refuses what an artifact must not hold as soon as the member's
 * header is read. Holds at most one header and one extended header, never file content. Pure.
 */
export class TarReader {
  private header = Buffer.alloc(512);
  private headerFill = 0;
  /** File bytes still to come for the current member. */
  private dataLeft = 0;
  /** Padding to the next 512-byte block. */
  private skipLeft = 0;
  /** An extended header being collected. */
  private meta: { type: string; size: number; parts: Buffer[]; fill: number } | undefined;
  private pax: Record<string, string> = {};
  private longName: string | undefined;
  private longLink: string | undefined;
  private readonly seen = new Set<string>();
  private members = 0;
  private total = 0;
  private ended = false;

  constructor(private readonly limits: TarLimits) {}

  /** Whether the end-of-archive block has been read (whatever follows is ignored). */
  get done(): boolean {
    return this.ended;
  }

  push(chunk: Buffer): TarEvent[] {
    const events: TarEvent[] = [];
    let off = 0;
    while (off < chunk.length && !this.ended) {
      if (this.dataLeft > 0) {
        const n = Math.min(this.dataLeft, chunk.length - off);
        events.push({ kind: "data", chunk: chunk.subarray(off, off + n) });
        this.dataLeft -= n;
        off += n;
      } else if (this.meta) {
        const m = this.meta;
        const n = Math.min(m.size - m.fill, chunk.length - off);
        // Copied: the chunk's memory is not kept beyond this call.
        m.parts.push(Buffer.from(chunk.subarray(off, off + n)));
        m.fill += n;
        off += n;
        if (m.fill === m.size) {
          this.meta = undefined;
          this.applyMeta(m.type, Buffer.concat(m.parts));
        }
      } else if (this.skipLeft > 0) {
        const n = Math.min(this.skipLeft, chunk.length - off);
        this.skipLeft -= n;
        off += n;
      } else {
        const n = Math.min(512 - this.headerFill, chunk.length - off);
        chunk.copy(this.header, this.headerFill, off, off + n);
        this.headerFill += n;
        off += n;
        if (this.headerFill === 512) {
          this.headerFill = 0;
          const ev = this.readHeader(this.header);
          if (ev) events.push(ev);
        }
      }
    }
    return events;
  }

  /** The input has ended: throws if it stopped inside a member. A missing end-of-archive block is tolerated, as tar does. */
  finish(): void {
    if (this.ended) return;
    if (this.dataLeft > 0 || this.meta || this.headerFill > 0) throw contentError("the tar archive is truncated");
  }

  private readHeader(h: Buffer): TarEvent | undefined {
    if (h.every((b) => b === 0)) {
      this.ended = true;
      return { kind: "end" };
    }
    checkChecksum(h);
    const type = String.fromCharCode(h[156]!);
    const isMeta = type === "x" || type === "g" || type === "L" || type === "K";
    // A pax `size` record applies to the member after it, not to another extended header.
    const size = isMeta ? headerNumber(h.subarray(124, 136)) : Number(this.pax.size ?? headerNumber(h.subarray(124, 136)));
    if (!Number.isSafeInteger(size) || size < 0) throw contentError("a tar entry has an invalid size");
    const padding = (512 - (size % 512)) % 512;
    if (isMeta) {
      if (size > MAX_META_BYTES) throw limitError("a tar extended header is larger than 1 MiB");
      this.skipLeft = padding;
      if (size === 0) this.applyMeta(type, Buffer.alloc(0));
      else this.meta = { type, size, parts: [], fill: 0 };
      return undefined;
    }
    const magic = h.subarray(257, 262).toString("latin1");
    const prefix = magic === "ustar" ? cString(h.subarray(345, 500)) : "";
    const rawName = this.pax.path ?? this.longName ?? (prefix ? `${prefix}/${cString(h.subarray(0, 100))}` : cString(h.subarray(0, 100)));
    const rawLink = this.pax.linkpath ?? this.longLink ?? cString(h.subarray(157, 257));
    this.pax = {};
    this.longName = undefined;
    this.longLink = undefined;
    const path = entryPath(rawName);
    const isFile = type === "0" || type === "\0" || type === "7";
    // Only a file's size is content; another member's declared bytes are skipped.
    if (path === undefined) {
      // The archive's root directory ("./").
      this.skipLeft = size + padding;
      return undefined;
    }
    const mode = Number(headerNumber(h.subarray(100, 108))) & 0o777;
    if (this.seen.has(path)) throw contentError(`"${path}" appears twice in the archive`);
    this.seen.add(path);
    if (this.members >= this.limits.maxEntries) throw limitError(`the archive has more than ${this.limits.maxEntries} entries`);
    this.members++;
    if (isFile) {
      this.total += size;
      if (this.total > this.limits.maxExtractedBytes) throw limitError(`the archive unpacks to more than the ${this.limits.maxExtractedBytes}-byte limit (${SIZE_KEY})`);
      this.dataLeft = size;
      this.skipLeft = padding;
      return { kind: "entry", entry: { path, type: "file", mode }, size };
    }
    this.skipLeft = size + padding;
    if (type === "5") return { kind: "entry", entry: { path, type: "dir", mode }, size: 0 };
    if (type === "2") return { kind: "entry", entry: { path, type: "symlink", mode, target: rawLink }, size: 0 };
    if (type === "1") throw contentError(`"${path}" is a hard link: refused`);
    throw contentError(`"${path}" is a ${({ 3: "character device", 4: "block device", 6: "FIFO" } as Record<string, string>)[type] ?? `tar entry of type ${JSON.stringify(type)}`}: refused`);
  }

  private applyMeta(type: string, data: Buffer): void {
    if (type === "x") this.pax = parsePax(data);
    else if (type === "L") this.longName = cString(data);
    else if (type === "K") this.longLink = cString(data);
    // "g" (pax global header): ignored, as before and as GNU tar's extraction of names does.
  }
}

/** A member path made relative and normal, or undefined for the root; escaping paths throw. */
function entryPath(raw: string): string | undefined {
  if (raw.includes("\0") || raw.length > 4096) throw contentError("a tar entry has an invalid path");
  if (raw.startsWith("/")) throw contentError(`"${raw.slice(0, 200)}" is an absolute path: refused`);
  if (raw.split("/").includes("..")) throw contentError(`"${raw.slice(0, 200)}" climbs out with "..": refused`);
  const p = posix.normalize(raw).replace(/\/+$/, "");
  return p === "." || p === "" ? undefined : p;
}

/**
 * Refuses the symlinks that could lead out: absolute targets, targets that climb above the root,
 * and targets that pass through another symlink (a chain like `a -> .`, `b -> a/..` escapes although
 * each looks inside on its own); and any member below a symlink. Pure.
 */
export function checkSymlinks(entries: readonly TarEntry[]): void {
  const links = new Set(entries.filter((e) => e.type === "symlink").map((e) => e.path));
  for (const e of entries) {
    const parts = e.path.split("/");
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join("/");
      if (links.has(parent)) throw contentError(`"${e.path}" lies below the symlink "${parent}": refused`);
    }
    if (e.type !== "symlink") continue;
    const target = e.target ?? "";
    if (target === "" || target.includes("\0")) throw contentError(`symlink "${e.path}" has no target`);
    if (target.startsWith("/")) throw contentError(`symlink "${e.path}" points to the absolute path ${JSON.stringify(target.slice(0, 200))}: refused`);
    const walked: string[] = posix.dirname(e.path) === "." ? [] : posix.dirname(e.path).split("/");
    const steps = target.split("/").filter((s) => s !== "" && s !== ".");
    for (const [i, step] of steps.entries()) {
      if (step === "..") {
        if (walked.length === 0) throw contentError(`symlink "${e.path}" points outside the artifact (${JSON.stringify(target.slice(0, 200))}): refused`);
        walked.pop();
        continue;
      }
      walked.push(step);
      if (i < steps.length - 1 && links.has(walked.join("/"))) throw contentError(`symlink "${e.path}" points through the symlink "${walked.join("/")}": refused`);
    }
  }
}

/**
 * Writes a tar archive into the directory `dest` as its bytes are written to it: directories and
 * files at once (content chunk by chunk), symlinks only in `finish()`, after every member has been
 * read and the links checked. On a refusal the caller removes `dest`: what was written so far stays
 * until then.
 */
export class TarExtractor {
  private readonly reader: TarReader;
  /** Every member without content (for the link checks), and each path's type. */
  private readonly entries: TarEntry[] = [];
  private readonly types = new Map<string, TarEntry["type"]>();
  /** Directories the members need (explicit or implied), each mapped to the first member below it. */
  private readonly dirs = new Map<string, string>();
  private file: { handle: FileHandle; left: number } | undefined;
  private written = 0;

  constructor(private readonly dest: string, private readonly limits: TarLimits) {
    this.reader = new TarReader(limits);
  }

  /** Whether the archive's end-of-archive block has been read (what follows is not tar). */
  get done(): boolean {
    return this.reader.done;
  }

  async write(chunk: Buffer): Promise<void> {
    for (const ev of this.reader.push(chunk)) {
      if (ev.kind === "entry") await this.begin(ev.entry, ev.size);
      else if (ev.kind === "data") await this.data(ev.chunk);
    }
  }

  /** The input ended: checks the links, creates them, and says how many file bytes were written. */
  async finish(): Promise<number> {
    this.reader.finish();
    checkSymlinks(this.entries);
    for (const e of this.entries) {
      if (e.type === "symlink") await symlink(e.target!, join(this.dest, e.path));
    }
    return this.written;
  }

  /** Closes a file left open by a refusal. */
  async abort(): Promise<void> {
    const f = this.file;
    this.file = undefined;
    await f?.handle.close().catch(() => undefined);
  }

  private async begin(e: TarEntry, size: number): Promise<void> {
    // A member below a file or a symlink would be written through it (or fail half-way).
    for (let p = posix.dirname(e.path); p !== "."; p = posix.dirname(p)) {
      const t = this.types.get(p);
      if (t !== undefined && t !== "dir") throw contentError(`"${e.path}" lies below the ${t} "${p}": refused`);
    }
    const below = this.dirs.get(e.path);
    if (below !== undefined && e.type !== "dir") throw contentError(`"${below}" lies below the ${e.type} "${e.path}": refused`);
    this.types.set(e.path, e.type);
    this.entries.push({ path: e.path, type: e.type, mode: e.mode, ...(e.target !== undefined ? { target: e.target } : {}) });
    if (e.type === "dir") {
      this.needDirs(e.path, e.path);
      await mkdir(join(this.dest, e.path), { recursive: true, mode: 0o755 });
      return;
    }
    const parent = posix.dirname(e.path);
    if (parent !== ".") {
      this.needDirs(parent, e.path);
      await mkdir(join(this.dest, parent), { recursive: true, mode: 0o755 });
    }
    if (e.type !== "file") return;
    // "wx": a path that exists is never opened (nothing is written through anything).
    const handle = await open(join(this.dest, e.path), "wx", e.mode & 0o111 ? 0o755 : 0o644);
    if (size === 0) await handle.close();
    else this.file = { handle, left: size };
  }

  private async data(chunk: Buffer): Promise<void> {
    const f = this.file!;
    await f.handle.write(chunk);
    this.written += chunk.length;
    f.left -= chunk.length;
    if (f.left === 0) {
      this.file = undefined;
      await f.handle.close();
    }
  }

  /** Records `dir` and its ancestors as directories `member` needs; bounded like the members. */
  private needDirs(dir: string, member: string): void {
    for (let p = dir; p !== "." && !this.dirs.has(p); p = posix.dirname(p)) {
      if (this.dirs.size >= this.limits.maxEntries) throw limitError(`the archive's paths need more than ${this.limits.maxEntries} directories`);
      this.dirs.set(p, member);
    }
  }
}

/** The layer as the manifest describes it. */
export interface LayerDescriptor {
  mediaType: string;
  digest: string;
  size: number;
}

/**
 * Passes the layer's bytes through, counting and hashing them: more bytes than the manifest says
 * fail at once; fewer, or a different digest, fail at the end, before the stream ends, so nothing
 * downstream ever sees the end of a layer that is not the one asked for.
 */
class LayerCheck extends Transform {
  private readonly hash = createHash("sha256");
  private bytes = 0;

  constructor(private readonly layer: LayerDescriptor, private readonly blobName: string) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.layer.size) return cb(new UnpackError("digest", `the layer is more than ${this.layer.size} bytes, the size the manifest says`));
    this.hash.update(chunk);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    if (this.bytes !== this.layer.size) return cb(new UnpackError("digest", `the layer is ${this.bytes} bytes, the manifest says ${this.layer.size}`));
    const actual = `sha256:${this.hash.digest("hex")}`;
    if (actual !== this.layer.digest) return cb(new UnpackError("digest", `the blob ${this.layer.digest} of ${this.blobName} has digest ${actual}: refused`));
    cb();
  }
}

export interface UnpackOptions {
  limits: TarLimits;
  /** The repository, as messages name the blob. */
  blobName: string;
  signal?: AbortSignal;
  /** Largest chunk seen at each stage (tests: proof that nothing holds the layer whole). */
  onChunk?: (bytes: number) => void;
}

/** Decompressed bytes allowed beyond the file content: tar headers and padding (the former in-memory bound). */
const TAR_OVERHEAD = 1024 * 1024;

/**
 * Streams `body` (the layer's bytes from the registry) into the empty directory `dest`: checked
 * against the layer's size and digest, gunzipped when the layer is gzip (a type naming gzip, or
 * another type starting with gzip's magic bytes), and unpacked. A declared Content-Length over the
 * layer's size is refused before a byte is read. Resolves with the file bytes written
 * only once the digest matched; on any failure `dest` holds a partial tree for the caller to remove.
 */
export async function unpackLayer(body: Readable & { headers?: Record<string, string | string[] | undefined> }, layer: LayerDescriptor, dest: string, opts: UnpackOptions): Promise<number> {
  const declared = Number(body.headers?.["content-length"] ?? Number.NaN);
  if (declared > layer.size) {
    body.destroy();
    throw new UnpackError("digest", `the registry says the layer is ${declared} bytes, the manifest says ${layer.size}`);
  }
  await mkdir(dest, { recursive: true });
  let source: Readable = body;
  let gzip = /gzip$/.test(layer.mediaType);
  if (!gzip && !/tar$/.test(layer.mediaType)) {
    // Another listed type (reposerver.oci.layer.media.types): look at the first two bytes.
    const { head, rest } = await peek(body, 2);
    gzip = head[0] === 0x1f && head[1] === 0x8b;
    source = rest;
  }
  const extractor = new TarExtractor(dest, opts.limits);
  const inflatedLimit = opts.limits.maxExtractedBytes + TAR_OVERHEAD;
  let inflated = 0;
  let written = 0;
  // The first failure is the one to report: pipeline() itself may reject with an AbortError for
  // the stages it tore down because of it (Node 20 does when the last stage throws).
  let failure: unknown;
  const fail = (err: unknown): unknown => (failure ??= err);
  const sink = async (tar: AsyncIterable<Buffer>): Promise<void> => {
    for await (const chunk of tar) {
      try {
        opts.onChunk?.(chunk.length);
        if (gzip) {
          inflated += chunk.length;
          if (inflated > inflatedLimit) throw limitError(`the layer unpacks to more than the ${opts.limits.maxExtractedBytes}-byte limit (${SIZE_KEY})`);
        }
        // After the end-of-archive block the rest is only counted (and, upstream, hashed).
        if (!extractor.done) await extractor.write(chunk);
      } catch (err) {
        throw fail(err);
      }
    }
    try {
      written = await extractor.finish();
    } catch (err) {
      throw fail(err);
    }
  };
  const check = new LayerCheck(layer, opts.blobName).on("error", fail);
  const gunzip = gzip ? createGunzip().on("error", fail) : undefined;
  const popts = opts.signal ? { signal: opts.signal } : {};
  try {
    if (gunzip) await pipeline(source, check, gunzip, sink, popts);
    else await pipeline(source, check, sink, popts);
  } catch (err) {
    const first = failure ?? err;
    const code = (first as { code?: unknown }).code;
    if (typeof code === "string" && code.startsWith("Z_")) throw contentError(`the layer is not valid gzip (${errorMessage(first)})`);
    throw first;
  } finally {
    await extractor.abort();
  }
  return written;
}

/** The first `n` bytes of a stream (fewer if it is shorter), and a stream of all its bytes again. */
async function peek(stream: Readable, n: number): Promise<{ head: Buffer; rest: Readable }> {
  const it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const first: Buffer[] = [];
  let len = 0;
  let ended = false;
  while (len < n) {
    const r = await it.next();
    if (r.done) {
      ended = true;
      break;
    }
    first.push(r.value);
    len += r.value.length;
  }
  async function* replay(): AsyncGenerator<Buffer> {
    yield* first;
    if (!ended) yield* { [Symbol.asyncIterator]: () => it };
  }
  return { head: Buffer.concat(first).subarray(0, n), rest: Readable.from(replay(), { objectMode: false }) };
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
  if (!/^[0-7]+$/.test(s)) throw contentError("a tar header has a malformed number: not a tar archive");
  return parseInt(s, 8);
}

function checkChecksum(h: Buffer): void {
  const want = headerNumber(h.subarray(148, 156));
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
  if (sum !== want) throw contentError("a tar header's checksum does not match: not a tar archive");
}

/** pax records: "<len> <key>=<value>\n". */
function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let off = 0;
  while (off < data.length) {
    const sp = data.indexOf(0x20, off);
    if (sp < 0) break;
    const len = Number(data.subarray(off, sp).toString("latin1"));
    if (!Number.isSafeInteger(len) || len <= 0 || off + len > data.length) throw contentError("a pax header is malformed");
    const rec = data.subarray(sp + 1, off + len - 1).toString("utf8");
    const eq = rec.indexOf("=");
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    off += len;
  }
  if (out.size !== undefined && !/^\d+$/.test(out.size)) throw contentError("a pax header has an invalid size");
  return out;
}
