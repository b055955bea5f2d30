// Shared by the commands that exist only through the API server (proj role, account, cluster,
// repo list...): flag parsing with the connection flags, the client, and the pieces they print.
import { stringify } from "yaml";
import { FlagError, parseFlags, type FlagSpec, type ParsedFlags } from "../../flags.js";
import type { ApiClient } from "./client.js";
import { chooseTarget, CONNECTION_FLAGS } from "./connection.js";

/** Parses with the connection flags (and -o for --output) added. */
export function parseServerFlags(args: string[], spec: FlagSpec): ParsedFlags {
  const normalized = args.map((a) => (a === "-o" ? "--output" : a.startsWith("-o=") ? `--output=${a.slice(3)}` : a === "-f" ? "--file" : a));
  return parseFlags(normalized, {
    values: [...CONNECTION_FLAGS.values, ...(spec.values ?? [])],
    repeatable: spec.repeatable ?? [],
    booleans: ["help", ...CONNECTION_FLAGS.booleans, ...(spec.booleans ?? [])],
  });
}

/** The server's client; a command without a server (or with --core) is refused, naming the command. */
export async function serverClient(flags: ParsedFlags, what: string): Promise<ApiClient> {
  const target = await chooseTarget(flags);
  if (target.kind !== "api") throw new FlagError(`${what} needs the API server: log in with hawser login SERVER, or give --server${flags.booleans.get("core") ? " (it has no --core form)" : ""}`);
  return target.client;
}

export function printObject(obj: unknown, format: string): void {
  process.stdout.write(format === "json" ? JSON.stringify(obj, null, 2) + "\n" : stringify(obj, { lineWidth: 0 }));
}

/** `-o` limited to `allowed`. */
export function outputFlag(flags: ParsedFlags, allowed: string[]): string | undefined {
  const o = flags.values.get("output")?.at(-1);
  if (o !== undefined && !allowed.includes(o)) throw new FlagError(`-o must be ${allowed.join(", ")}; got "${o}"`);
  return o;
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/**
 * A duration in whole seconds, as argocd's --expires-in takes it: "0" (never), "3600", or units
 * s/m/h/d combined ("1h30m", "7d").
 */
export function parseDurationSeconds(raw: string, flag: string): number {
  const text = raw.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const re = /(\d+)([smhd])/gy;
  let total = 0;
  let m: RegExpExecArray | null;
  let pos = 0;
  while ((m = re.exec(text)) !== null) {
    total += Number(m[1]) * UNITS[m[2]!]!;
    pos = re.lastIndex;
  }
  if (pos !== text.length || text === "") throw new FlagError(`${flag} wants a duration such as 24h, 7d, 1h30m or 0 (no expiry); got "${raw}"`);
  return total;
}

/** The claims of a JWT, for showing its id and times (nothing is verified here). */
export function jwtClaims(token: string): { jti?: string; iat?: number; exp?: number; sub?: string } {
  const part = token.split(".")[1];
  if (!part) return {};
  try {
    return JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as { jti?: string; iat?: number; exp?: number; sub?: string };
  } catch {
    return {};
  }
}
