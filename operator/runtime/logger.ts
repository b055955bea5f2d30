// Structured logging: one JSON object per line on stderr (or, with format "text", logrus-style
// `key=value` lines, as Argo's --logformat text), child loggers with fixed fields, and redaction
// applied to every message and field so credentials never reach a log line.
import { redact } from "./redact.js";

export type LogLevel = "debug" | "info" | "warn" | "error";

const levelRank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, unknown>;

export interface LogSink {
  write(line: string): void;
}

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
  enabled(level: LogLevel): boolean;
  /** Changes the level of this logger and every logger sharing its root (children included). */
  setLevel(level: LogLevel): void;
}

export type LogFormat = "json" | "text";

export interface LoggerOptions {
  level?: LogLevel;
  /** Default json. */
  format?: LogFormat;
  sink?: LogSink;
  fields?: LogFields;
}

const stderrSink: LogSink = { write: (line) => process.stderr.write(line) };

export function createLogger(opts: LoggerOptions = {}): Logger {
  return new JsonLogger({ minRank: levelRank[opts.level ?? "info"] }, opts.sink ?? stderrSink, opts.fields ?? {}, opts.format === "text" ? textLine : jsonLine);
}

/** Parses Argo's --logformat values (json, text). */
export function parseLogFormat(value: string | undefined, fallback: LogFormat = "json"): LogFormat {
  if (value === undefined) return fallback;
  if (value === "json" || value === "text") return value;
  throw new Error(`unknown log format "${value}" (json, text)`);
}

type Format = (entry: LogFields) => string;

const jsonLine: Format = (entry) => JSON.stringify(entry) + "\n";

/**
 * logrus's text layout: `time="…" level=info msg="…" key=value`, a value quoted when it holds
 * anything but word characters and `-._/@^+:`, objects as JSON.
 */
const textLine: Format = (entry) => {
  const { ts, level, msg, ...rest } = entry;
  const parts = [`time=${textValue(ts)}`, `level=${textValue(level)}`, `msg=${textValue(msg)}`];
  for (const [k, v] of Object.entries(rest)) parts.push(`${k}=${textValue(v)}`);
  return parts.join(" ") + "\n";
};

function textValue(v: unknown): string {
  const s = typeof v === "string" ? v : v === undefined ? "" : JSON.stringify(v);
  return /^[\w\-./@^+:]+$/.test(s) ? s : JSON.stringify(s);
}

/** Parses `--log-level` / HAWSER_LOG_LEVEL values. */
export function parseLogLevel(value: string | undefined, fallback: LogLevel = "info"): LogLevel {
  if (value === undefined) return fallback;
  if (value in levelRank) return value as LogLevel;
  throw new Error(`unknown log level "${value}" (debug, info, warn, error)`);
}

class JsonLogger implements Logger {
  constructor(
    // Shared with children, so a level read later (argocd-cmd-params-cm) reaches them all.
    private readonly threshold: { minRank: number },
    private readonly sink: LogSink,
    private readonly fields: LogFields,
    private readonly format: Format = jsonLine,
  ) {}

  enabled(level: LogLevel): boolean { return levelRank[level] >= this.threshold.minRank; }
  setLevel(level: LogLevel): void { this.threshold.minRank = levelRank[level]; }
  debug(msg: string, fields?: LogFields): void { this.log("debug", msg, fields); }
  info(msg: string, fields?: LogFields): void { this.log("info", msg, fields); }
  warn(msg: string, fields?: LogFields): void { this.log("warn", msg, fields); }
  error(msg: string, fields?: LogFields): void { this.log("error", msg, fields); }

  child(fields: LogFields): Logger {
    return new JsonLogger(this.threshold, this.sink, { ...this.fields, ...fields }, this.format);
  }

  private log(level: LogLevel, msg: string, fields?: LogFields): void {
    if (levelRank[level] < this.threshold.minRank) return;
    const entry: LogFields = { ts: new Date().toISOString(), level, msg: redact(msg) };
    for (const [k, v] of Object.entries({ ...this.fields, ...fields })) {
      entry[k] = sanitize(k, v);
    }
    this.sink.write(this.format(entry));
  }
}

const secretKeyPattern = /pass(word)?|secret|token|private.?key|credential|authorization|bearer|sshPrivateKey|tlsClientCertKey/i;

/** Values of secret-looking keys are dropped; strings are scrubbed; errors become message+stack. */
function sanitize(key: string, value: unknown, depth = 0): unknown {
  if (secretKeyPattern.test(key)) return "[REDACTED]";
  if (typeof value === "string") return redact(value);
  if (value instanceof Error) {
    return { message: redact(value.message), name: value.name, ...(value.stack ? { stack: redact(value.stack) } : {}) };
  }
  if (value === null || typeof value !== "object") return value;
  if (depth > 6) return "[…]";
  if (Array.isArray(value)) return value.map((v) => sanitize("", v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = sanitize(k, v, depth + 1);
  return out;
}

/** A logger that records entries in memory, for tests. */
export function memoryLogger(level: LogLevel = "debug"): { logger: Logger; lines: LogFields[] } {
  const lines: LogFields[] = [];
  const logger = createLogger({ level, sink: { write: (line) => lines.push(JSON.parse(line) as LogFields) } });
  return { logger, lines };
}
