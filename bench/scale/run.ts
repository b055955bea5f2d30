// The scale harness: `npm run bench -- [scenario...] [--n N] [--runs R] [--kubeconfig F]`.
//
// One invocation: a fresh local control plane (etcd, kube-apiserver, kwok nodes; or the cluster of
// --kubeconfig), the P0 probe for W_max, then each scenario `--runs` times, each repetition with a
// fresh control namespace, git server and operator process (createHarness). Around every
// repetition it records the wall clock, the apiserver's requests by verb, the operators'
// CPU-seconds and peak RSS from /proc and a few of Hawser's metrics; it prints a table and writes
// bench/results/<scenario>.json and .md (or under --out DIR).
//
// Flags: --n N (size; default: the scenario's), --runs R (default 1), --kubeconfig F (use that
// cluster; nothing is started or stopped), --p0 COUNT (ConfigMaps of the ceiling probe, default
// 5000; 0 skips it), --out DIR, --profile DIR (operators run with --cpu-prof into DIR; summarise
// with bench/tools/cpuprofile-summary.ts), --max-minutes M (bound of one repetition; default
// 10 + n/100).
import { execFileSync } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { cpus, loadavg, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startCluster, type DevCluster } from "../../operator/devcluster/index.js";
import { KubeClient } from "../../operator/kube/client.js";
import { loadKubeConfig } from "../../operator/operator.js";
import { apiserverRequests, createHarness, namespacesGone } from "./context.js";
import { measureWMax, type P0Result } from "./p0.js";
import { diffCounts } from "./proc.js";
import { mergeResults, renderMarkdown, textTable, type ResultRecord, type RunFigures } from "./report.js";
import type { Scenario, ScenarioResult } from "./scenario.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

export interface RunArgs {
  scenarios: string[];
  n?: number;
  runs: number;
  kubeconfig?: string;
  p0: number;
  out: string;
  profile?: string;
  maxMinutes?: number;
}

export function parseArgs(argv: readonly string[]): RunArgs {
  const args: RunArgs = { scenarios: [], runs: 1, p0: 5000, out: join(root, "bench", "results") };
  const num = (flag: string, v: string | undefined): number => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < 0) throw new Error(`${flag} needs a number ≥ 0, got ${v === undefined ? "nothing" : `"${v}"`}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = (): string | undefined => argv[++i];
    switch (a) {
      case "--n": args.n = num(a, v()); break;
      case "--runs": args.runs = Math.max(1, num(a, v())); break;
      case "--p0": args.p0 = num(a, v()); break;
      case "--max-minutes": args.maxMinutes = num(a, v()); break;
      case "--kubeconfig": { const f = v(); if (!f) throw new Error("--kubeconfig needs a file"); args.kubeconfig = resolve(f); break; }
      case "--out": { const d = v(); if (!d) throw new Error("--out needs a directory"); args.out = resolve(d); break; }
      case "--profile": { const d = v(); if (!d) throw new Error("--profile needs a directory"); args.profile = resolve(d); break; }
      default:
        if (a.startsWith("--")) throw new Error(`unknown flag ${a}`);
        if (!/^p\d+$/.test(a)) throw new Error(`scenario names are p0…p12, got "${a}"`);
        args.scenarios.push(a);
    }
  }
  if (args.scenarios.length === 0) throw new Error("name at least one scenario, e.g. `npm run bench -- p2 --n 1000`");
  return args;
}

export async function loadScenario(id: string): Promise<Scenario> {
  let mod: { scenario?: Scenario; default?: Scenario };
  try {
    mod = (await import(`./scenarios/${id}.js`)) as typeof mod;
  } catch (err) {
    throw new Error(`no scenario "${id}" in bench/scale/scenarios/ (${String(err)})`);
  }
  const s = mod.scenario ?? mod.default;
  if (!s) throw new Error(`bench/scale/scenarios/${id}.ts exports no \`scenario\``);
  return s;
}

const progress = (line: string): void => { process.stderr.write(`[bench ${new Date().toISOString()}] ${line}\n`); };

function withDeadline<T>(what: string, ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} exceeded its bound of ${Math.round(ms / 1000)} s`)), ms); });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

const KEPT_METRICS = ["controller_runtime_reconcile_total", "workqueue_adds_total", "hawser_kube_requests_total", "argocd_app_sync_total", "argocd_app_reconcile_count"];

async function versions(client: KubeClient): Promise<Record<string, string>> {
  const pkg = JSON.parse(await readFile(join(root, "package.json"), "utf8")) as { version: string };
  let commit = "?";
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" }).trim();
  } catch { /* not a checkout */ }
  return { hawser: `${pkg.version} (${commit})`, node: process.version, kubernetes: await client.serverVersion().catch(() => "?") };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const scenarios = await Promise.all(args.scenarios.map(loadScenario));
  let cluster: DevCluster | undefined;
  let kubeconfig = args.kubeconfig;
  if (!kubeconfig) {
    progress("starting a fresh local control plane");
    cluster = await startCluster({ name: `bench-scale-${process.pid}`, nodes: 2, stopWithProcess: process.pid, log: progress });
    kubeconfig = cluster.kubeconfigPath;
  }
  const client = new KubeClient(loadKubeConfig(kubeconfig), { maxSockets: 128 });
  let failed = false;
  try {
    let p0: P0Result | undefined;
    if (args.p0 > 0) {
      progress(`P0: ${args.p0} ConfigMaps, create then update`);
      const ns = `bench-p0-${process.pid}`;
      p0 = await measureWMax(client, ns, args.p0);
      await client.delete({ apiVersion: "v1", kind: "Namespace", name: ns }).catch(() => undefined);
      await namespacesGone(client, [ns], progress);
      progress(`W_max ${p0.wMax.toFixed(0)} writes/s`);
    }
    const vers = await versions(client);
    await mkdir(args.out, { recursive: true });
    for (const scenario of scenarios) {
      const n = args.n ?? scenario.defaultN;
      const startedAt = new Date().toISOString();
      const loadStart = loadavg()[0]!;
      const results: ScenarioResult[] = [];
      const runs: RunFigures[] = [];
      for (let rep = 0; rep < args.runs; rep++) {
        progress(`${scenario.id} n=${n} repetition ${rep + 1}/${args.runs}`);
        const harness = await createHarness({
          client, kubeconfig, n, wMax: p0?.wMax ?? 0, tag: scenario.id, progress, awaitCleanup: true,
          ...(args.profile ? { operatorNodeArgs: ["--cpu-prof", `--cpu-prof-dir=${args.profile}`] } : {}),
        });
        try {
          const before = await apiserverRequests(client);
          const t = performance.now();
          const result = await withDeadline(`${scenario.id} repetition ${rep + 1}`, (args.maxMinutes ?? 10 + n / 100) * 60_000, scenario.run(harness.ctx));
          const wallMs = performance.now() - t;
          const after = await apiserverRequests(client);
          const figures: RunFigures = { wallMs, operators: [], apiserverRequests: diffCounts(before, after), hawserMetrics: {} };
          for (const op of harness.operators) {
            try {
              figures.operators.push({ pid: op.pid, cpuSeconds: await op.cpuSeconds(), peakRssBytes: await op.peakRssBytes() });
              for (const [k, v] of await op.scrape()) if (KEPT_METRICS.some((m) => k.startsWith(m))) figures.hawserMetrics[k] = v;
            } catch { /* stopped by the scenario: it measured what it needed */ }
          }
          // Stopped gracefully so a --cpu-prof profile gets written.
          for (const op of harness.operators) await op.stop();
          results.push(result);
          runs.push(figures);
          if (result.checks.some((c) => !c.ok)) failed = true;
        } finally {
          await harness.close();
        }
      }
      const result = mergeResults(results);
      const record: ResultRecord = {
        scenario: scenario.id, title: scenario.title,
        command: `npm run bench -- ${process.argv.slice(2).join(" ")}`,
        n, repetitions: args.runs, startedAt, finishedAt: new Date().toISOString(), versions: vers,
        machine: { cores: cpus().length, cpuModel: cpus()[0]?.model ?? "?", memoryBytes: totalmem(), loadStart, loadEnd: loadavg()[0]! },
        p0: p0 && { wMax: p0.wMax, createRps: p0.create.rps, updateRps: p0.update.rps, createP99Ms: p0.create.p99, updateP99Ms: p0.update.p99, count: p0.count },
        runs, result,
      };
      await writeFile(join(args.out, `${scenario.id}.json`), JSON.stringify(record, null, 2) + "\n");
      await writeFile(join(args.out, `${scenario.id}.md`), renderMarkdown(record));
      console.log(`\n${scenario.id.toUpperCase()} ${scenario.title} (n = ${n}, W_max ${p0 ? p0.wMax.toFixed(0) : "not measured"})\n${textTable(result)}`);
      for (const c of result.checks) console.log(`  ${c.ok ? "ok    " : "FAILED"} ${c.name}${c.detail ? ` (${c.detail})` : ""}`);
      console.log(`wrote ${join(args.out, scenario.id)}.{json,md}`);
    }
  } finally {
    client.close();
    await cluster?.stop();
  }
  if (failed) process.exitCode = 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
