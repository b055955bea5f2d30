// One long-lived `git cat-file --batch` per bare repository, so reading N files costs N pipe round
// trips instead of N process spawns. Requests are answered in order; the process is closed after a
// quiet period and restarted after every fetch (so new packs are always visible).
//
// Objects are size-checked from git's header before their content is kept: a blob over the
// request's `maxBytes` streams past without being buffered (a repository writer controls sizes),
// and content is gathered as a chunk list, so a large blob costs one copy, not one per chunk.
import { spawn, type ChildProcessByStdio } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import { redact } from "../runtime/redact.js";
import { baseGitEnv } from "./exec.js";

export interface BatchObject {
  oid: string;
  type: string;
  content: Buffer;
}

/** The object was larger than the caller allows; its content was never held in memory. */
export class ObjectTooLargeError extends Error {
  constructor(readonly size: number, readonly maxBytes: number) {
    super(`object is ${size} bytes, over the ${maxBytes}-byte limit`);
    this.name = "ObjectTooLargeError";
  }
}

interface Pending {
  maxBytes: number;
  resolve(o: BatchObject | undefined): void;
  reject(e: Error): void;
}

/** The object whose content is arriving: its header is parsed, `need` bytes (content + LF) remain. */
interface Receiving {
  oid: string;
  type: string;
  size: number;
  need: number;
  /** Undefined when the content is skipped (over the limit). */
  chunks?: Buffer[];
}

export class CatFileBatch {
  private child: ChildProcessByStdio<Writable, Readable, Readable> | undefined;
  private pending: Pending[] = [];
  /** Bytes not yet parsed (at most a header line plus the start of content). */
  private buf: Buffer = Buffer.alloc(0);
  private receiving: Receiving | undefined;
  private idle: NodeJS.Timeout | undefined;
  private retiring = false;

  constructor(
    private readonly gitDir: string,
    private readonly idleMs = 30_000,
  ) {}

  /**
   * Reads `<rev>` (e.g. `<sha>:<path>`); undefined when missing or ambiguous. An object over
   * `maxBytes` rejects with ObjectTooLargeError.
   */
  read(rev: string, opts: { maxBytes?: number } = {}): Promise<BatchObject | undefined> {
    if (/[\n\r]/.test(rev)) return Promise.reject(new Error("object name contains a newline"));
    const child = this.ensure();
    if (this.idle) clearTimeout(this.idle);
    return new Promise((resolve, reject) => {
      this.pending.push({ maxBytes: opts.maxBytes ?? Infinity, resolve, reject });
      child.stdin.write(`${rev}\n`);
    });
  }

  /** Starts the process ahead of the first read. */
  warm(): void {
    this.ensure();
    if (this.pending.length === 0) {
      if (this.idle) clearTimeout(this.idle);
      this.idle = setTimeout(() => this.close(), this.idleMs);
      this.idle.unref();
    }
  }

  /** Closes once every request already sent has been answered (used after a fetch). */
  retire(): void {
    if (this.pending.length === 0) this.close();
    else this.retiring = true;
  }

  close(): void {
    if (this.idle) clearTimeout(this.idle);
    this.idle = undefined;
    const c = this.child;
    this.child = undefined;
    if (c) {
      c.stdin.end();
      c.kill();
    }
    this.failAll(new Error("git cat-file closed"));
  }

  private ensure(): ChildProcessByStdio<Writable, Readable, Readable> {
    if (this.child) return this.child;
    const child = spawn("git", ["cat-file", "--batch"], { cwd: this.gitDir, env: baseGitEnv(), stdio: ["pipe", "pipe", "pipe"] });
    this.child = child;
    this.buf = Buffer.alloc(0);
    this.receiving = undefined;
    let stderr = "";
    child.stdin.on("error", () => undefined);
    child.stderr.on("data", (d: Buffer) => {
      if (stderr.length < 4096) stderr += d.toString("utf8");
    });
    child.stdout.on("data", (d: Buffer) => this.onData(d));
    const onGone = (why: string): void => {
      if (this.child === child) {
        this.child = undefined;
        this.failAll(new Error(redact(`git cat-file ${why}${stderr ? `: ${stderr.trim()}` : ""}`)));
      }
    };
    child.on("error", (e) => onGone(e.message));
    child.on("close", (code) => onGone(`exited (${code ?? "signal"})`));
    return child;
  }

  private onData(d: Buffer): void {
    let data = d;
    while (data.length > 0) {
      const r = this.receiving;
      if (r) {
        // Content (and its trailing LF) of the object in flight: kept or skipped, never re-copied.
        const take = Math.min(r.need, data.length);
        r.chunks?.push(data.subarray(0, take));
        r.need -= take;
        data = data.subarray(take);
        if (r.need === 0) this.finishObject(r);
        continue;
      }
      this.buf = this.buf.length ? Buffer.concat([this.buf, data]) : data;
      data = Buffer.alloc(0);
      const rest = this.parseHeaders();
      if (rest === undefined) break;
      data = rest;
    }
    this.idleIfDone();
  }

  /**
   * Answers missing objects and starts receiving the next one; returns the bytes after the header
   * that starts content, or undefined when more bytes are needed (or the stream is broken).
   */
  private parseHeaders(): Buffer | undefined {
    for (;;) {
      const head = this.pending[0];
      if (!head) {
        if (this.buf.length > 0) {
          this.failAll(new Error("unexpected git cat-file output with no request waiting"));
          this.close();
        }
        return undefined;
      }
      const nl = this.buf.indexOf(10);
      if (nl < 0) {
        if (this.buf.length > 4096) {
          this.failAll(new Error("git cat-file header too long"));
          this.close();
        }
        return undefined;
      }
      const header = this.buf.subarray(0, nl).toString("utf8");
      const parts = header.split(" ");
      if (parts.length === 2 && (parts[1] === "missing" || parts[1] === "ambiguous")) {
        this.buf = this.buf.subarray(nl + 1);
        this.pending.shift();
        head.resolve(undefined);
        continue;
      }
      const size = Number(parts[2]);
      if (parts.length !== 3 || !Number.isSafeInteger(size) || size < 0) {
        this.failAll(new Error(`unexpected git cat-file output: ${header.slice(0, 200)}`));
        this.close();
        return undefined;
      }
      this.receiving = { oid: parts[0] ?? "", type: parts[1] ?? "", size, need: size + 1, ...(size <= head.maxBytes ? { chunks: [] } : {}) };
      const rest = this.buf.subarray(nl + 1);
      this.buf = Buffer.alloc(0);
      return rest;
    }
  }

  private finishObject(r: Receiving): void {
    this.receiving = undefined;
    const head = this.pending.shift();
    if (!head) return;
    if (!r.chunks) {
      head.reject(new ObjectTooLargeError(r.size, head.maxBytes));
      return;
    }
    // The last byte is git's LF after the content.
    const content = Buffer.concat(r.chunks, r.size + 1).subarray(0, r.size);
    head.resolve({ oid: r.oid, type: r.type, content });
  }

  private idleIfDone(): void {
    if (this.pending.length > 0) return;
    if (this.retiring) {
      this.close();
      return;
    }
    if (this.idle) clearTimeout(this.idle);
    this.idle = setTimeout(() => this.close(), this.idleMs);
    this.idle.unref();
  }

  private failAll(err: Error): void {
    const p = this.pending;
    this.pending = [];
    for (const x of p) x.reject(err);
  }
}
