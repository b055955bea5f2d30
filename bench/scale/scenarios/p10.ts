// P10 (shared/spec/benchmarks.md): self-heal latency. Beside N synced one-ConfigMap apps, `drifts`
// times a client changes a managed object the way `kubectl edit` would (a merge patch): even drifts
// a ConfigMap's data, odd drifts a Deployment's replicas; the figure is drift written → the object
// back at git's value, p50/p99.
//
// Each drift hits an app not drifted before (ConfigMaps of the N apps in turn, Deployments of
// drifts/2 apps of their own), so what is measured is the reaction to a drift, not the self-heal
// backoff Argo applies to an app healed again and again.
import { errorMessage } from "../../../operator/util/index.js";
import { application, appName, createSyncedApps, forEachBounded, syncedHealthy, waitBoundMs } from "../apps.js";
import type { Scenario, ScenarioContext, ScenarioResult } from "../scenario.js";
import { percentile } from "../stats.js";

export const scenario: Scenario = {
  id: "p10",
  title: "self-heal latency of a drifted ConfigMap or Deployment",
  defaultN: 1000,
  run: (ctx) => runP10(ctx, { drifts: 50 }),
};

const deployApp = (k: number): string => `deploy-${String(k).padStart(3, "0")}`;

function deploymentYaml(name: string, dest: string): string {
  return `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\n  namespace: ${dest}\nspec:\n  replicas: 0\n  selector:\n    matchLabels: {app: ${name}}\n  template:\n    metadata:\n      labels: {app: ${name}}\n    spec:\n      containers:\n      - name: c\n        image: registry.invalid/app:1\n`;
}

export async function runP10(ctx: ScenarioContext, opts: { drifts: number }): Promise<ScenarioResult> {
  const { n, client } = ctx;
  const deployments = Math.ceil(opts.drifts / 2);
  const dest = `${ctx.controlNamespace}-dest`;
  const extra: Record<string, string> = {};
  for (let k = 0; k < deployments; k++) extra[`deploy/${deployApp(k)}/deploy.yaml`] = deploymentYaml(deployApp(k), dest);
  const { repoUrl, sha, watch } = await createSyncedApps(ctx, Math.max(n, 1), { extraFiles: extra });
  try {
    const deploySynced = watch.reached(syncedHealthy(sha));
    await forEachBounded(deployments, 16, async (k) => {
      const app = application(ctx, 0, repoUrl, dest);
      app.metadata.name = deployApp(k);
      (app.spec as { source: { path: string } }).source.path = `deploy/${deployApp(k)}`;
      await client.create(app);
    });
    await ctx.until(`${deployments} Deployment apps Synced/Healthy`, () => Promise.resolve([...Array(deployments).keys()].every((k) => deploySynced.has(deployApp(k)))), { timeoutMs: waitBoundMs(deployments) });
  } finally {
    await watch.stop();
  }

  const latencies: number[] = [];
  const failures: string[] = [];
  const healTimeoutMs = 30_000;
  for (let d = 0; d < opts.drifts; d++) {
    const cm = d % 2 === 0;
    const name = cm ? `cm-${appName((d / 2) % Math.max(n, 1))}` : deployApp((d - 1) / 2);
    const ref = cm ? { apiVersion: "v1", kind: "ConfigMap", name, namespace: dest } : { apiVersion: "apps/v1", kind: "Deployment", name, namespace: dest };
    const healed = async (): Promise<boolean> => {
      const o = await client.get(ref.apiVersion, ref.kind, name, dest);
      return cm ? (o?.data as { round?: string } | undefined)?.round === "a" : (o?.spec as { replicas?: number } | undefined)?.replicas === 0;
    };
    const t = performance.now();
    await client.patch(ref, cm ? { data: { round: `drift-${d}` } } : { spec: { replicas: 2 } });
    try {
      await ctx.until(`drift ${d} of ${ref.kind} ${name} healed`, healed, { timeoutMs: healTimeoutMs, everyMs: 10 });
      latencies.push(performance.now() - t);
    } catch (err) {
      failures.push(`${ref.kind} ${name}: ${errorMessage(err)}`);
    }
  }
  const p50 = percentile(latencies, 50);
  const p99 = percentile(latencies, 99);
  return {
    inputs: { apps: n, drifts: opts.drifts, configMapDrifts: Math.ceil(opts.drifts / 2), deploymentDrifts: Math.floor(opts.drifts / 2), drift: "merge patch by a client (as kubectl edit)" },
    phases: [{ phase: "drift → healed", runs: [{ p50Ms: p50, p99Ms: p99, maxMs: Math.max(0, ...latencies), healed: latencies.length }], target: { text: "p50 ≤ 300 ms, p99 ≤ 1 s", met: failures.length === 0 && p50 <= 300 && p99 <= 1000 } }],
    checks: [{ name: `all ${opts.drifts} drifts healed`, ok: failures.length === 0, ...(failures.length ? { detail: failures.slice(0, 3).join("; ") } : {}) }],
    notes: ["Healed = the object read back (polled every 10 ms) at git's value; the latency includes that read."],
  };
}
