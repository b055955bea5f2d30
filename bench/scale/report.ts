// The results of one harness invocation for one scenario: merged over the repetitions, written as
// bench/results/<scenario>.json (everything) and .md (the table a reader wants), and printed.
import type { PhaseResult, RequestsByVerb, ScenarioResult } from "./scenario.js";
import { spread } from "./stats.js";

export interface MachineFacts {
  cores: number;
  cpuModel: string;
  memoryBytes: number;
  /** 1-minute load average at the start and the end of the scenario's runs. */
  loadStart: number;
  loadEnd: number;
}

export interface ProcessFigures {
  pid: number;
  cpuSeconds: number;
  peakRssBytes: number;
}

/** What the harness measured around one repetition, beside what the scenario returned. */
export interface RunFigures {
  wallMs: number;
  /** Operators still running when the scenario returned (a scenario that stopped its own measured that itself). */
  operators: ProcessFigures[];
  /** apiserver_request_total by verb over the repetition (everything: the harness's writes too). */
  apiserverRequests: RequestsByVerb;
  /** Selected series of the last operator's metrics scrape (reconciles, queue adds, kube requests). */
  hawserMetrics: Record<string, number>;
}

export interface ResultRecord {
  scenario: string;
  title: string;
  command: string;
  n: number;
  repetitions: number;
  startedAt: string;
  finishedAt: string;
  versions: Record<string, string>;
  machine: MachineFacts;
  /** W_max (P0) of this invocation, with its two passes. */
  p0: { wMax: number; createRps: number; updateRps: number; createP99Ms: number; updateP99Ms: number; count: number } | undefined;
  runs: RunFigures[];
  result: ScenarioResult;
}

/** Merges the repetitions' results: phases by name (runs concatenated, a target met only if met every time), checks and notes appended. */
export function mergeResults(results: readonly ScenarioResult[]): ScenarioResult {
  const phases = new Map<string, PhaseResult>();
  for (const r of results) {
    for (const p of r.phases) {
      const seen = phases.get(p.phase);
      if (!seen) {
        phases.set(p.phase, { phase: p.phase, runs: [...p.runs], ...(p.target ? { target: { ...p.target } } : {}) });
        continue;
      }
      seen.runs.push(...p.runs);
      if (p.target) seen.target = { text: p.target.text, met: (seen.target?.met ?? true) && p.target.met };
    }
  }
  return {
    inputs: results[0]?.inputs ?? {},
    phases: [...phases.values()],
    checks: results.flatMap((r) => r.checks),
    notes: [...new Set(results.flatMap((r) => r.notes ?? []))],
  };
}

const fmt = (v: number): string => (Math.abs(v) >= 100 || Number.isInteger(v) ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toFixed(3));

/** One row per phase and figure: median and min–max over the repetitions. */
export function figureRows(result: ScenarioResult): string[][] {
  const rows: string[][] = [];
  for (const p of result.phases) {
    const keys = [...new Set(p.runs.flatMap((r) => Object.keys(r)))];
    keys.forEach((key, i) => {
      const values = p.runs.map((r) => r[key]).filter((v): v is number => typeof v === "number");
      const s = spread(values);
      const target = i === 0 && p.target ? `${p.target.text}: ${p.target.met ? "met" : "NOT met"}` : "";
      rows.push([i === 0 ? p.phase : "", key, fmt(s.median), values.length > 1 ? `${fmt(s.min)}–${fmt(s.max)}` : "", target]);
    });
  }
  return rows;
}

/** The figures as a plain-text table for the terminal. */
export function textTable(result: ScenarioResult): string {
  const header = ["phase", "figure", "median", "min–max", "target"];
  const rows = [header, ...figureRows(result)];
  const widths = header.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join("  ").trimEnd()).join("\n");
}

export function renderMarkdown(rec: ResultRecord): string {
  const gib = (b: number): string => `${(b / 2 ** 30).toFixed(1)} GiB`;
  const mib = (b: number): string => `${(b / 2 ** 20).toFixed(0)} MiB`;
  const lines: string[] = [];
  lines.push(`# ${rec.scenario.toUpperCase()}: ${rec.title}`, "");
  lines.push(`Run ${rec.startedAt} → ${rec.finishedAt}: \`${rec.command}\`, n = ${rec.n}, ${rec.repetitions} repetition(s).`, "");
  lines.push(`Machine: ${rec.machine.cores} cores (${rec.machine.cpuModel}), ${gib(rec.machine.memoryBytes)}; load average ${rec.machine.loadStart.toFixed(2)} at the start, ${rec.machine.loadEnd.toFixed(2)} at the end.`);
  lines.push(`Versions: ${Object.entries(rec.versions).map(([k, v]) => `${k} ${v}`).join(", ")}.`, "");
  if (rec.p0) {
    lines.push(`W_max (P0, ${rec.p0.count} ConfigMaps of 2 KB, SSA, 32 in flight): **${rec.p0.wMax.toFixed(0)} writes/s** (create ${rec.p0.createRps.toFixed(0)}/s p99 ${rec.p0.createP99Ms.toFixed(0)} ms; update ${rec.p0.updateRps.toFixed(0)}/s p99 ${rec.p0.updateP99Ms.toFixed(0)} ms).`, "");
  } else {
    lines.push("W_max: not measured in this run (ratios to it are omitted).", "");
  }
  const inputs = Object.entries(rec.result.inputs);
  if (inputs.length) lines.push(`Inputs: ${inputs.map(([k, v]) => `${k} = ${v}`).join(", ")}.`, "");
  lines.push("| phase | figure | median | min–max | target |", "|---|---|---|---|---|");
  for (const r of figureRows(rec.result)) lines.push(`| ${r.join(" | ")} |`);
  lines.push("", "## Checks", "");
  for (const c of rec.result.checks) lines.push(`- ${c.ok ? "ok" : "FAILED"}: ${c.name}${c.detail ? ` (${c.detail})` : ""}`);
  lines.push("", "## Per repetition", "", "| # | wall | operator CPU-s | operator peak RSS | apiserver requests by verb |", "|---|---|---|---|---|");
  rec.runs.forEach((r, i) => {
    const cpu = r.operators.map((o) => o.cpuSeconds.toFixed(1)).join(" + ") || "–";
    const rss = r.operators.map((o) => mib(o.peakRssBytes)).join(", ") || "–";
    const verbs = Object.entries(r.apiserverRequests).sort(([a], [b]) => a.localeCompare(b)).map(([v, n]) => `${v} ${n}`).join(", ");
    lines.push(`| ${i + 1} | ${(r.wallMs / 1000).toFixed(1)} s | ${cpu} | ${rss} | ${verbs} |`);
  });
  if (rec.result.notes?.length) {
    lines.push("", "## Notes", "");
    for (const n of rec.result.notes) lines.push(`- ${n}`);
  }
  return lines.join("\n") + "\n";
}
