// Summarises a V8 .cpuprofile (node --cpu-prof): the share of sampled time per function, by self
// time and by inclusive time (the function and what it called), optionally only the samples of the
// last `--last S` seconds of the profile (e.g. the stream phase of bench/server). Shares stay
// meaningful on a loaded machine where wall-clock figures do not. Usage:
//   node --import tsx bench/tools/cpuprofile-summary.ts FILE.cpuprofile [--top 25] [--last 20]
import { readFileSync } from "node:fs";

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

const file = process.argv[2];
if (!file) throw new Error("usage: cpuprofile-summary.ts FILE.cpuprofile [--top N] [--from S] [--to S] [--timeline]");
const opt = (name: string): number | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : undefined;
};
const top = opt("top") ?? 25;
const fromS = opt("from") ?? 0;
const toS = opt("to") ?? Infinity;
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const label = (n: ProfileNode): string => {
  const where = n.callFrame.url.replace(/^.*\/(node_modules|operator|bench)\//, "$1/").replace(/^file:\/\//, "");
  return `${n.callFrame.functionName || "(anonymous)"} ${where ? `${where}:${n.callFrame.lineNumber + 1}` : ""}`.trim();
};

// Sample times: startTime plus the running sum of deltas (µs).
let t = profile.startTime;
const perSecond: number[] = [];
const self = new Map<string, number>();
const total = new Map<string, number>();
let counted = 0;
let idle = 0;
for (let i = 0; i < profile.samples.length; i++) {
  t += profile.timeDeltas[i] ?? 0;
  const s = (t - profile.startTime) / 1e6;
  const node = byId.get(profile.samples[i]!)!;
  const isIdle = node.callFrame.functionName === "(idle)";
  if (!isIdle) perSecond[Math.floor(s)] = (perSecond[Math.floor(s)] ?? 0) + 1;
  if (s < fromS || s >= toS) continue;
  if (isIdle) { idle++; continue; }
  counted++;
  self.set(label(node), (self.get(label(node)) ?? 0) + 1);
  // Inclusive: each function once per sample, however deep the recursion.
  const seen = new Set<string>();
  for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
    const l = label(byId.get(id)!);
    if (seen.has(l)) continue;
    seen.add(l);
    total.set(l, (total.get(l) ?? 0) + 1);
  }
}
const show = (title: string, m: Map<string, number>): void => {
  process.stdout.write(`${title} (${counted} busy samples, ${idle} idle)\n`);
  for (const [l, n] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`  ${((100 * n) / counted).toFixed(1).padStart(5)}%  ${l}\n`);
};
if (process.argv.includes("--timeline")) process.stdout.write(`busy samples per second: ${Array.from(perSecond, (n, i) => `${i}:${n ?? 0}`).join(" ")}\n`);
show("self time", self);
show("inclusive time", total);
