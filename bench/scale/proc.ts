// What the harness reads about a process and the apiserver: CPU-seconds and peak RSS from /proc
// (benchmarks.md §8.1 rule 4), and Prometheus text scrapes parsed into name{labels} → value.
import { execFileSync } from "node:child_process";
import { readFile } from "node:fs/promises";

// Clock ticks per second for /proc/<pid>/stat; 100 on every Linux this runs on, asked once anyway.
let ticks: number | undefined;
function clockTicks(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

/** utime + stime in ticks from the text of /proc/<pid>/stat (the command name may hold spaces and parens). */
export function parseStatTicks(stat: string): number {
  // Fields after the last ")" start at field 3 (state); utime and stime are fields 14 and 15.
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`unexpected /proc stat line: ${stat.slice(0, 80)}`);
  return utime + stime;
}

/** VmHWM from the text of /proc/<pid>/status, in bytes. */
export function parseVmHwmBytes(status: string): number {
  const m = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status);
  if (!m) throw new Error("no VmHWM line in /proc status");
  return Number(m[1]) * 1024;
}

export async function cpuSeconds(pid: number): Promise<number> {
  return parseStatTicks(await readFile(`/proc/${pid}/stat`, "utf8")) / clockTicks();
}

export async function peakRssBytes(pid: number): Promise<number> {
  return parseVmHwmBytes(await readFile(`/proc/${pid}/status`, "utf8"));
}

/**
 * Parses Prometheus text exposition into `name{labels}` → value, labels as written by the
 * exporter (prom-client and the apiserver both sort them stably). Histogram buckets are kept too.
 */
export function parsePrometheus(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    // The value is the last space-separated field unless a timestamp follows it.
    const brace = line.lastIndexOf("}");
    const head = brace >= 0 ? line.slice(0, brace + 1) : line.slice(0, line.indexOf(" "));
    const fields = line.slice(head.length).trim().split(/\s+/);
    const value = Number(fields[0]);
    if (head && Number.isFinite(value)) out.set(head, value);
  }
  return out;
}

/** The value of one label in a `name{a="x",b="y"}` key, or undefined. */
export function labelOf(key: string, label: string): string | undefined {
  const m = new RegExp(`[{,]${label}="((?:[^"\\\\]|\\\\.)*)"`).exec(key);
  return m?.[1];
}

/** Sums a counter over every series, grouped by one label (e.g. apiserver_request_total by verb). */
export function sumBy(metrics: Map<string, number>, name: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of metrics) {
    if (key !== name && !key.startsWith(`${name}{`)) continue;
    const v = labelOf(key, label) ?? "";
    out[v] = (out[v] ?? 0) + value;
  }
  return out;
}

/** after − before per key (keys only in `after` count from 0). */
export function diffCounts(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) {
    const d = v - (before[k] ?? 0);
    if (d !== 0) out[k] = d;
  }
  return out;
}

const MUTATING = new Set(["POST", "PUT", "PATCH", "DELETE", "APPLY", "CREATE", "UPDATE", "DELETECOLLECTION"]);

/** The mutating requests of a by-verb count (the apiserver's verbs or HTTP methods, any case). */
export function mutating(byVerb: Record<string, number>): number {
  return Object.entries(byVerb).reduce((sum, [verb, n]) => sum + (MUTATING.has(verb.toUpperCase()) ? n : 0), 0);
}
