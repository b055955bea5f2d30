// P9 (shared/spec/benchmarks.md): memory. The operator caches every object of each kind some
// Application manages (operator/cluster/cluster-cache.ts). Two apps make it watch ConfigMaps and
// Pods; the scenario then creates 2 KB ConfigMaps and kwok Pods (one Pod per 10 objects) in three
// steps up to N (the spec's 10k, 50k, 100k at N = 100,000) and, at each, once the cache holds them
// (argocd_cluster_api_resource_objects), reads the operator's heap (nodejs_heap_size_used_bytes)
// and RSS (/proc VmRSS via process_resident_memory_bytes): heap bytes per cached object over the
// baseline (target ≤ 3 KB). The cache watches those kinds cluster-wide, as Argo's does, so the
// gauge counts every ConfigMap and Pod of the cluster: objects of a namespace still being deleted
// (P0's 5,000 ConfigMaps, an earlier repetition's) would leave the cache while the scenario waits
// for its own to arrive. The harness therefore deletes a scenario's namespaces and waits until they
// are gone before the next one starts (context.ts `awaitCleanup`, run.ts after P0), so the baseline
// is taken on a settled cluster. Then, with the operator stopped, min(N / 10, 10,000) Applications exist
// and a fresh operator is timed from its start to its first reconcile.
import type { KubeObject } from "../../../operator/kube/client.js";
import { application, forEachBounded, repoFiles } from "../apps.js";
import { payload2k } from "../p0.js";
import { sumBy } from "../proc.js";
import type { PhaseResult, SampledProcess, Scenario, ScenarioContext, ScenarioResult } from "../scenario.js";

const PARALLEL = 32;

export const scenario: Scenario = {
  id: "p9",
  title: "memory: heap and RSS at 10k/50k/100k cached live objects; cold start at 10,000 apps",
  defaultN: 100_000,
  run,
};

const metric = async (op: SampledProcess, name: string): Promise<number> => {
  let total = 0;
  for (const [k, v] of await op.scrape([name])) if (k === name || k.startsWith(`${name}{`)) total += v;
  return total;
};

function pod(name: string, ns: string): KubeObject {
  return {
    apiVersion: "v1", kind: "Pod", metadata: { name, namespace: ns, labels: { app: "p9" } },
    spec: {
      containers: [{ name: "c", image: "registry.invalid/p9:1" }],
      // kwok's fake nodes carry this taint; the pods run there and kwok writes their status.
      tolerations: [{ key: "kwok.x-k8s.io/node", operator: "Exists", effect: "NoSchedule" }],
    },
  };
}

async function run(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { n, client } = ctx;
  const dest = `${ctx.controlNamespace}-dest`;
  await ctx.createNamespace(dest);
  const repoUrl = await ctx.git.createRepo("apps");
  const podYaml = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: watched-pod\nspec:\n  containers: [{name: c, image: registry.invalid/p9:1}]\n  tolerations: [{key: kwok.x-k8s.io/node, operator: Exists, effect: NoSchedule}]\n";
  await ctx.git.commit(repoUrl, { ...repoFiles(1, dest, "a"), "pods/pod.yaml": podYaml }, "one ConfigMap and one Pod");
  let op = await ctx.startOperator();
  const phases: PhaseResult[] = [];
  const checks: ScenarioResult["checks"] = [];
  try {
    // Two apps: the operator now watches ConfigMaps and Pods cluster-wide.
    await client.create(application(ctx, 0, repoUrl, dest));
    const podApp = application(ctx, 1, repoUrl, dest);
    (podApp.spec as { source: { path: string } }).source.path = "pods";
    await client.create(podApp);
    // Waiting for the watches, not for Synced: whether the Pod app syncs (a Pod's spec is
    // immutable and defaulted) does not change what is cached.
    await ctx.until("ConfigMaps and Pods watched", async () => (await metric(op, "argocd_cluster_api_resources")) >= 2, { timeoutMs: 120_000, everyMs: 500 });
    const objects = (): Promise<number> => metric(op, "argocd_cluster_api_resource_objects");
    const base = { objects: await objects(), heap: await metric(op, "nodejs_heap_size_used_bytes") };
    ctx.progress(`p9: baseline ${base.objects} cached objects, heap ${(base.heap / 2 ** 20).toFixed(0)} MiB`);
    let created = 0;
    const steps = [Math.round(n / 10), Math.round(n / 2), n];
    for (const target of steps) {
      const from = created;
      await forEachBounded(target - from, PARALLEL, async (k) => {
        const i = from + k;
        if (i % 10 === 9) await client.create(pod(`p9-${i}`, dest));
        else await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: `p9-${i}`, namespace: dest }, data: { v: payload2k(String(i)) } });
      });
      created = target;
      await ctx.until(`${target} objects cached`, async () => {
        const cached = (await objects()) - base.objects;
        if (cached < target) throw new Error(`${cached} over the baseline of ${base.objects} so far`);
        return true;
      }, { timeoutMs: 60_000 + target * 10, everyMs: 1000 });
      // Let the informers' garbage settle before reading the heap (no forced GC in the operator).
      await new Promise((r) => setTimeout(r, 5000));
      const cached = (await objects()) - base.objects;
      const heap = await metric(op, "nodejs_heap_size_used_bytes");
      const rss = await metric(op, "process_resident_memory_bytes");
      const perObject = (heap - base.heap) / cached;
      phases.push({ phase: `${target} cached objects`, runs: [{ cachedObjects: cached, heapMiB: heap / 2 ** 20, rssMiB: rss / 2 ** 20, heapBytesPerObject: perObject, peakRssMiB: (await op.peakRssBytes()) / 2 ** 20 }], target: { text: "≤ 3 KB heap per cached object", met: perObject <= 3072 } });
      ctx.progress(`p9: ${cached} cached, heap ${(heap / 2 ** 20).toFixed(0)} MiB, ${perObject.toFixed(0)} B/object`);
    }
    checks.push({ name: `${n} objects cached`, ok: created === n });

    // Cold start: the operator stopped, many Applications present, then a fresh start.
    await op.stop();
    const apps = Math.min(Math.round(n / 10), 10_000);
    await ctx.git.commit(repoUrl, repoFiles(apps, dest, "a"), `${apps} apps`);
    await forEachBounded(apps - 2, PARALLEL, async (k) => { await client.create(application(ctx, k + 2, repoUrl, dest, {})); });
    const t0 = performance.now();
    op = await ctx.startOperator();
    const started = performance.now();
    await ctx.until("the first Application reconcile", async () => (sumBy(await op.scrape(["controller_runtime_reconcile_total"]), "controller_runtime_reconcile_total", "controller")["application-refresh"] ?? 0) > 0, { timeoutMs: 300_000, everyMs: 100 });
    const first = performance.now();
    const rss = (await op.peakRssBytes()) / 2 ** 20;
    phases.push({ phase: `cold start at ${apps} apps`, runs: [{ toControllersStartedSeconds: (started - t0) / 1000, toFirstReconcileSeconds: (first - t0) / 1000, peakRssMiB: rss }], target: { text: "RSS at 10,000 apps ≤ 1 GiB", met: rss <= 1024 } });
    checks.push({ name: "a fresh operator reconciles after a cold start", ok: first > t0 });
  } finally {
    await op.stop();
  }
  return {
    inputs: { objects: n, podsShare: "1 in 10", configMapBytes: 2048, coldStartApps: Math.min(Math.round(n / 10), 10_000) },
    phases, checks,
    notes: [
      "Heap is nodejs_heap_size_used_bytes as scraped (no forced GC), so it includes garbage not yet collected; bytes per object is over the baseline taken with two apps and nothing else created.",
      "The scenario's objects are not tracked by any app, so the cache drops their managedFields; tracked ones keep them with identical field sets shared (operator/cluster/trim.ts).",
    ],
  };
}
