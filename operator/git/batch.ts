// One long-lived `git cat-file --batch` per bare repository, so reading N files costs N pipe round
// trips instead of N process spawns. Requests are answered in order; the process is closed after a
// quiet period and restarted after every fetch (so new packs are always visible).
import { spawn, type ChildProcessByStdio } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import { redact } from "../runtime/redact.js";
import { baseGitEnv } from "./exec.js";

export interface BatchObject {
  oid: string;
  type: string;
  content: Buffer;
}

interface Pending {
  resolve(o: BatchObject | undefined): void;
  reject(e: Error): void;
}

export class CatFileBatch {
  private child: ChildProcessByStdio<Writable, Readable, Readable> | undefined;
  private pending: Pending[] = [];
  private buf: Buffer = Buffer.alloc(0);
  private idle: NodeJS.Timeout | undefined;
  private retiring = false;

  constructor(
    private readonly gitDir: string,
    private readonly idleMs = 30_000,
  ) {}

  /** Reads `<rev>` (e.g. `<sha>:<path>`); undefined when missing or ambiguous. */
  read(rev: string): Promise<BatchObject | undefined> {
    if (/[\n\r]/.test(rev)) return Promise.reject(new Error("object name contains a newline"));
    const child = this.ensure();
    if (this.idle) clearTimeout(this.idle);
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
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
    let stderr = "";
    child.stdin.on("error", () => undefined);
    child.stderr.on("data", (d: Buffer) => {
      if (stderr.length < 4096) stderr += d.toString("utf8");
    });
    child.stdout.on("data", (d: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      this.drain();
    });
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

  private drain(): void {
    for (;;) {
      const head = this.pending[0];
      if (!head) {
        if (this.retiring) {
          this.close();
          return;
        }
        if (this.idle) clearTimeout(this.idle);
        this.idle = setTimeout(() => this.close(), this.idleMs);
        this.idle.unref();
        return;
      }
      const nl = this.buf.indexOf(10);
      if (nl < 0) return;
      const header = this.buf.subarray(0, nl).toString("utf8");
      const parts = header.split(" ");
      if (parts.length === 2 && (parts[1] === "missing" || parts[1] === "ambiguous")) {
        this.buf = this.buf.subarray(nl + 1);
        this.pending.shift();
        head.resolve(undefined);
        continue;
      }
      const size = Number(parts[2]);
      if (parts.length !== 3 || !Number.isFinite(size)) {
        this.failAll(new Error(`unexpected git cat-file output: ${header.slice(0, 200)}`));
        this.close();
        return;
      }
      if (this.buf.length < nl + 1 + size + 1) return;
      const content = Buffer.from(this.buf.subarray(nl + 1, nl + 1 + size));
      this.buf = this.buf.subarray(nl + 1 + size + 1);
      this.pending.shift();
      head.resolve({ oid: parts[0] ?? "", type: parts[1] ?? "", content });
    }
  }

  private failAll(err: Error): void {
    const p = this.pending;
    this.pending = [];
    for (const x of p) x.reject(err);
  }
}
