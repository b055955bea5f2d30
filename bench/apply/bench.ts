// Benchmarks P0 (apiserver write ceiling, bench/scale/p0.ts) and P1 (bulk apply of one app's objects) from
// shared/spec/benchmarks.md, on a local control plane, in one process run:
//   P0: raw server-side apply of 5,000 2 KB ConfigMaps, 32 in flight (create, then update);
//       gives W_max, mutating requests/s, and the p99 latency.
//   P1: N mixed objects (70 % ConfigMap/Secret, 20 % Deployment+Service, 10 % RBAC) applied by
//       `kubectl apply --server-side --force-conflicts -f DIR` (baseline) and by Hawser's bulk
//       apply (server-side apply through the adaptive limiter), interleaved A B A B A B, each run
//       into a fresh namespace (cold create), then an update of every object.
// Usage: node --import tsx bench/apply/bench.ts [--n 1000] [--pairs 3] [--p0 5000] [--out FILE]
import { execFile } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { stringify } from "yaml";
import { startCluster, stopCluster } from "../../operator/devcluster/index.js";
import { AdaptiveLimiter } from "../../operator/kube/adaptive.js";
import { KubeClient, type KubeObject } from "../../operator/kube/client.js";
import { loadKubeConfig } from "../../operator/operator.js";
import { p0Pass, payload2k } from "../scale/p0.js";
import { median } from "../scale/stats.js";

const run = promisify(execFile);
const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const outIdx = process.argv.indexOf("--out");
const outFile = outIdx >= 0 ? process.argv[outIdx + 1]! : join("bench", "results", "apply-p0-p1.md");
const N = arg("n", 1000);
const PAIRS = arg("pairs", 3);
const P0_COUNT = arg("p0", 5000);

const payload = payload2k;

/** P1's object mix for one namespace. */
function mixedObjects(ns: string, round: string): KubeObject[] {
  const objs: KubeObject[] = [];
  for (let i = 0; i < N; i++) {
    const r = i % 10;
    const name = `obj-${i}`;
    if (r < 4) objs.push({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: ns }, data: { v: payload(`${round}${i}`) } });
    else if (r < 7) objs.push({ apiVersion: "v1", kind: "Secret", metadata: { name, namespace: ns }, stringData: { v: payload(`${round}${i}`) } });
    else if (r === 7) {
      objs.push({
        apiVersion: "apps/v1", kind: "Deployment", metadata: { name, namespace: ns },
        spec: {
          replicas: 0, selector: { matchLabels: { app: name } },
          template: { metadata: { labels: { app: name }, annotations: { round } }, spec: { containers: [{ name: "c", image: "registry.invalid/app:1" }] } },
        },
      });
    } else if (r === 8) {
      objs.push({ apiVersion: "v1", kind: "Service", metadata: { name, namespace: ns, annotations: { round } }, spec: { selector: { app: name }, ports: [{ port: 80 }] } });
    } else {
      objs.push({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata: { name, namespace: ns, annotations: { round } }, rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get"] }] });
    }
  }
  return objs;
}

async function kubectlApply(kubeconfig: string, objs: KubeObject[]): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), "bench-p1-"));
  await writeFile(join(dir, "objects.yaml"), objs.map((o) => stringify(o)).join("---\n"));
  const t = performance.now();
  await run("kubectl", ["--kubeconfig", kubeconfig, "apply", "--server-side", "--force-conflicts", "--field-manager", "bench-kubectl", "-f", dir], { maxBuffer: 64 << 20 });
  return performance.now() - t;
}

async function hawserApply(client: KubeClient, objs: KubeObject[]): Promise<{ ms: number; limit: number }> {
  const limiter = new AdaptiveLimiter({ initial: 16, max: 64 });
  const t = performance.now();
  await Promise.all(objs.map((o) => limiter.run(() => client.apply(o, { fieldManager: "hawser", force: true }))));
  return { ms: performance.now() - t, limit: limiter.currentLimit };
}

async function main(): Promise<void> {
  const name = `bench-apply-${process.pid}`;
  const cluster = await startCluster({ name, nodes: 1 });
  const client = new KubeClient(loadKubeConfig(cluster.kubeconfigPath), { maxSockets: 128 });
  const lines: string[] = [];
  // Results are written after every line so an interrupted run still leaves what it measured.
  const say = (s: string): void => { console.log(s); lines.push(s); void writeFile(outFile, lines.join("\n") + "\n"); };
  try {
    const mkns = async (ns: string): Promise<void> => { await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } }); };
    say(`# Apply benchmarks (P0, P1)\n`);
    say(`Run ${new Date().toISOString()} on ${process.platform}, 2 cores; kube-apiserver v1.36.3 + etcd 3.4 (Debian), local dev cluster; kubectl ${(await run("kubectl", ["version", "--client", "-o", "json"])).stdout.match(/"gitVersion": "([^"]+)"/)?.[1] ?? "?"}.\n`);

    await mkns("p0");
    const create = await p0Pass(client, "p0", "a", P0_COUNT);
    const update = await p0Pass(client, "p0", "b", P0_COUNT);
    say(`## P0: apiserver ceiling (${P0_COUNT} ConfigMaps, 2 KB, SSA, 32 in flight)\n`);
    say(`| phase | mutating req/s | p99 latency |\n|---|---|---|`);
    say(`| create | ${create.rps.toFixed(0)} | ${create.p99.toFixed(0)} ms |`);
    say(`| update | ${update.rps.toFixed(0)} | ${update.p99.toFixed(0)} ms |\n`);
    const wMax = Math.max(create.rps, update.rps);

    const coldRatios: number[] = [];
    const warmRatios: number[] = [];
    const rows: string[] = [];
    for (let pair = 0; pair < PAIRS; pair++) {
      const nsK = `p1-kubectl-${pair}`;
      const nsH = `p1-hawser-${pair}`;
      await mkns(nsK);
      await mkns(nsH);
      const kCold = await kubectlApply(cluster.kubeconfigPath, mixedObjects(nsK, "a"));
      const hCold = await hawserApply(client, mixedObjects(nsH, "a"));
      const kWarm = await kubectlApply(cluster.kubeconfigPath, mixedObjects(nsK, "b"));
      const hWarm = await hawserApply(client, mixedObjects(nsH, "b"));
      coldRatios.push(hCold.ms / kCold);
      warmRatios.push(hWarm.ms / kWarm);
      rows.push(`| ${pair + 1} | ${(kCold / 1000).toFixed(2)} s | ${(hCold.ms / 1000).toFixed(2)} s (limit ${hCold.limit}) | ${(kWarm / 1000).toFixed(2)} s | ${(hWarm.ms / 1000).toFixed(2)} s | ${(N / (hCold.ms / 1000) / wMax).toFixed(2)} |`);
    }
    say(`## P1: bulk apply of ${N} mixed objects (kubectl apply --server-side vs Hawser)\n`);
    say(`| pair | kubectl cold | Hawser cold | kubectl update | Hawser update | Hawser cold rate / W_max |\n|---|---|---|---|---|---|`);
    for (const r of rows) say(r);
    const range = (v: number[]): string => `${median(v).toFixed(3)} (range ${Math.min(...v).toFixed(3)}–${Math.max(...v).toFixed(3)})`;
    say(`\nRatio Hawser / kubectl, cold create: median ${range(coldRatios)}; update: median ${range(warmRatios)}.`);
    say(`Target (benchmarks.md P1): ≤ 0.5× kubectl, write rate ≥ 0.8 × W_max.`);
  } finally {
    client.close();
    await stopCluster(name);
  }
  await writeFile(outFile, lines.join("\n") + "\n");
  console.log(`wrote ${outFile}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
