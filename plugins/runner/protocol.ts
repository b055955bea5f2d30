// The tool runner's wire format, shared by server.ts and client.ts. A connection carries one
// request. Every message is a frame: a type byte, a 4-byte big-endian length, then the payload.
//
//   client → runner: REQUEST (JSON header), then for a run one STDIN frame (raw bytes, maybe empty)
//   runner → client: STDOUT / STDERR chunks as the tool prints them, then one RESULT (JSON)
//
// Each frame type has a maximum length that the decoder checks from the 5-byte prefix, before it
// buffers the payload, so neither side can be made to hold more than it allows. Closing the
// connection before the RESULT cancels the run (the runner kills the tool's process group).
import type { ExecFailure, ToolRun } from "../exec.js";

export const FRAME_REQUEST = 0x01;
export const FRAME_STDIN = 0x02;
export const FRAME_STDOUT = 0x11;
export const FRAME_STDERR = 0x12;
export const FRAME_RESULT = 0x13;

const MiB = 1024 * 1024;
/** The JSON header: argv and environment, never near this. */
export const MAX_REQUEST_BYTES = MiB;
/** Tool input (a password for `--password-stdin`, a CMP's parameters). */
export const MAX_STDIN_BYTES = 16 * MiB;
/** One output chunk; the runner splits larger ones. */
export const MAX_CHUNK_BYTES = MiB;
export const MAX_RESULT_BYTES = MiB;
/** Limits a request may ask for; anything larger is refused as malformed. */
export const MAX_TIMEOUT_MS = 24 * 60 * 60 * 1000;
export const MAX_KILL_GRACE_MS = 5 * 60 * 1000;
export const MAX_OUTPUT_BYTES = 1024 * MiB;

export const REQUEST_FRAME_LIMITS: Readonly<Record<number, number>> = { [FRAME_REQUEST]: MAX_REQUEST_BYTES, [FRAME_STDIN]: MAX_STDIN_BYTES };
export const RESPONSE_FRAME_LIMITS: Readonly<Record<number, number>> = {
  [FRAME_STDOUT]: MAX_CHUNK_BYTES, [FRAME_STDERR]: MAX_CHUNK_BYTES, [FRAME_RESULT]: MAX_RESULT_BYTES,
};

/**
 * A run request: runTool's prepared ToolRun on the wire, without what cannot travel (the abort
 * signal, the output callback, stdin, which follows in its own frames).
 */
export type RunRequest = { op: "run"; /** false: stdin is closed without writing (runTool's `input: undefined`). */ hasInput: boolean }
  & Omit<ToolRun, "signal" | "onOutput" | "input">;

/** Asks the runner how it isolates tools; the operator logs the answer at start-up. */
export interface PingRequest {
  op: "ping";
}

export interface RunnerInfo {
  isolation: string;
  limits: boolean;
  /** Whether the runner itself can read a service-account token (it should not). */
  tokenReadable: boolean;
  pid: number;
}

export type RunnerResult =
  | { ok: true; info?: RunnerInfo }
  | { ok: false; reason: ExecFailure; message: string; exitCode?: number | null };

export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProtocolError";
  }
}

export function encodeFrame(type: number, payload: Buffer | string): Buffer {
  const body = typeof payload === "string" ? Buffer.from(payload, "utf8") : payload;
  const head = Buffer.alloc(5);
  head[0] = type;
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

export interface Frame {
  type: number;
  payload: Buffer;
}

/**
 * Splits a byte stream into frames. Bytes are kept as received and joined once per complete frame,
 * so a large payload arriving in many chunks is copied once; a length over the type's maximum or an
 * unknown type is a ProtocolError as soon as the 5-byte prefix is in.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly limits: Readonly<Record<number, number>>) {}

  push(chunk: Buffer): Frame[] {
    this.chunks.push(chunk);
    this.size += chunk.length;
    const frames: Frame[] = [];
    while (this.size >= 5) {
      const head = this.peek5();
      const type = head[0]!;
      const length = head.readUInt32BE(1);
      const max = this.limits[type];
      if (max === undefined) throw new ProtocolError(`unexpected frame type 0x${type.toString(16)}`);
      if (length > max) throw new ProtocolError(`frame type 0x${type.toString(16)} announces ${length} bytes, more than its ${max}-byte limit`);
      if (this.size < 5 + length) break;
      const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
      frames.push({ type, payload: all.subarray(5, 5 + length) });
      const rest = all.subarray(5 + length);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.size = rest.length;
    }
    return frames;
  }

  /** Bytes received that do not yet form a frame. */
  get pending(): number {
    return this.size;
  }

  private peek5(): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= 5) return first;
    const head = Buffer.alloc(5);
    let n = 0;
    for (const c of this.chunks) {
      n += c.copy(head, n, 0, Math.min(c.length, 5 - n));
      if (n === 5) break;
    }
    return head;
  }
}

// ---- request validation -----------------------------------------------------------------------

function isInt(v: unknown, min: number, max: number): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= min && v <= max;
}

/** argv and environment strings must survive execve: no NUL bytes. */
function isCString(v: unknown): v is string {
  return typeof v === "string" && !v.includes("\0");
}

const RUN_KEYS = new Set(["op", "cmd", "args", "env", "cwd", "label", "timeoutMs", "killGraceMs", "maxStdoutBytes", "maxStderrBytes", "outputLimitMessage", "memoryBytes", "cpuSeconds", "hasInput"]);

/** Parses a REQUEST payload; anything not exactly a ping or a well-formed run is refused. */
export function parseRequest(payload: Buffer): RunRequest | PingRequest {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString("utf8"));
  } catch {
    throw new ProtocolError("the request header is not JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new ProtocolError("the request header is not an object");
  const r = value as Record<string, unknown>;
  if (r.op === "ping") {
    if (Object.keys(r).length !== 1) throw new ProtocolError("a ping carries nothing else");
    return { op: "ping" };
  }
  if (r.op !== "run") throw new ProtocolError(`unknown op ${JSON.stringify(r.op)}`);
  const unknown = Object.keys(r).filter((k) => !RUN_KEYS.has(k));
  if (unknown.length > 0) throw new ProtocolError(`unknown fields: ${unknown.join(", ")}`);
  const bad = (field: string): never => {
    throw new ProtocolError(`field ${field} is missing or invalid`);
  };
  if (!isCString(r.cmd) || r.cmd === "") bad("cmd");
  if (!Array.isArray(r.args) || !r.args.every(isCString)) bad("args");
  if (typeof r.env !== "object" || r.env === null || Array.isArray(r.env)) bad("env");
  for (const [k, v] of Object.entries(r.env as object)) {
    if (k === "" || k.includes("=") || !isCString(k) || !isCString(v)) bad(`env.${k}`);
  }
  if (r.cwd !== undefined && (!isCString(r.cwd) || !r.cwd.startsWith("/"))) bad("cwd (an absolute path)");
  if (!isCString(r.label)) bad("label");
  if (!isInt(r.timeoutMs, 1, MAX_TIMEOUT_MS)) bad("timeoutMs");
  if (!isInt(r.killGraceMs, 0, MAX_KILL_GRACE_MS)) bad("killGraceMs");
  if (!isInt(r.maxStdoutBytes, 0, MAX_OUTPUT_BYTES)) bad("maxStdoutBytes");
  if (!isInt(r.maxStderrBytes, 0, MAX_OUTPUT_BYTES)) bad("maxStderrBytes");
  if (r.outputLimitMessage !== undefined && typeof r.outputLimitMessage !== "string") bad("outputLimitMessage");
  if (!isInt(r.memoryBytes, 0, Number.MAX_SAFE_INTEGER)) bad("memoryBytes");
  if (!isInt(r.cpuSeconds, 0, Number.MAX_SAFE_INTEGER)) bad("cpuSeconds");
  if (typeof r.hasInput !== "boolean") bad("hasInput");
  return r as unknown as RunRequest;
}
