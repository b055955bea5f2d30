// P2 (shared/spec/benchmarks.md): many apps sync. N Applications of one 2 KB ConfigMap each, one
// repository, one path per app, automated sync. Created concurrently (so the client is not the
// bottleneck) → all Synced/Healthy; then one commit changes every app, announced by a webhook → all
// Synced at the new revision; then SIGTERM → exit.
import { AppWatch, application, counter, forEachBounded, operatorAppWrites, operatorRequests, repoFiles, syncedHealthy, waitBoundMs } from "../apps.js";
import { diffCounts, mutating } from "../proc.js";
import type { PhaseResult, Scenario, ScenarioContext, ScenarioResult } from "../scenario.js";
import { percentile } from "../stats.js";
import { pushWebhook } from "../webhook.js";

/** Creations in flight: enough that the apiserver, not the client, sets the pace. */
const CREATE_PARALLEL = 32;

export const scenario: Scenario = {
  id: "p2",
  title: "many Applications of one ConfigMap each: create → Synced, one commit → Synced",
  defaultN: 1000,
  run,
};

async function run(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { n, client } = ctx;
  const timeoutMs = waitBoundMs(n);
  const dest = `${ctx.controlNamespace}-dest`;
  await ctx.createNamespace(dest);
  const repoUrl = await ctx.git.createRepo("apps");
  const firstSha = await ctx.git.commit(repoUrl, repoFiles(n, dest, "a"), `${n} apps`);
  const op = await ctx.startOperator();
  const watch = new AppWatch(ctx);
  await watch.start();
  const checks: ScenarioResult["checks"] = [];
  const phases: PhaseResult[] = [];
  // A wait cut short says how far it got (the last error of ctx.until).
  const reached = (stamps: Map<string, number>): Promise<boolean> => {
    if (stamps.size >= n) return Promise.resolve(true);
    return Promise.reject(new Error(`${stamps.size}/${n} so far`));
  };
  const ratio = (rate: number): Record<string, number> => (ctx.wMax > 0 ? { writesFractionOfWMax: rate / ctx.wMax } : {});
  try {
    // Create: every app, CREATE_PARALLEL at a time; the per-app latency is creation returned → first seen Synced/Healthy.
    const synced = watch.reached(syncedHealthy(firstSha));
    const createdAt = new Map<string, number>();
    const cpu0 = await op.cpuSeconds();
    const req0 = await operatorRequests(op);
    const appWrites0 = await operatorAppWrites(op);
    const t0 = performance.now();
    await forEachBounded(n, CREATE_PARALLEL, async (i) => {
      const app = application(ctx, i, repoUrl, dest);
      await client.create(app);
      createdAt.set(app.metadata.name!, performance.now());
    });
    const createdAll = performance.now();
    ctx.progress(`p2: ${n} apps created in ${((createdAll - t0) / 1000).toFixed(1)} s`);
    await ctx.until(`${n} apps Synced/Healthy at ${firstSha.slice(0, 7)}`, () => reached(synced), { timeoutMs, everyMs: 100 });
    const createSeconds = (Math.max(...synced.values()) - t0) / 1000;
    const createWrites = mutating(diffCounts(req0, await operatorRequests(op)));
    const createAppWrites = (await operatorAppWrites(op)) - appWrites0;
    const latencies = [...createdAt].map(([name, at]) => Math.max(0, (synced.get(name) ?? Infinity) - at));
    const maxLatency = Math.max(...latencies);
    const createTarget = n >= 10_000 ? 240 : n >= 1000 ? 30 : undefined;
    phases.push({
      phase: "create",
      runs: [{
        seconds: createSeconds, clientCreateSeconds: (createdAll - t0) / 1000, appsPerSec: n / createSeconds,
        operatorWrites: createWrites, operatorWritesPerSec: createWrites / createSeconds, ...ratio(createWrites / createSeconds),
        applicationWritesPerApp: createAppWrites / n,
        operatorCpuSeconds: (await op.cpuSeconds()) - cpu0, operatorPeakRssMiB: (await op.peakRssBytes()) / 2 ** 20,
      }],
      ...(createTarget ? { target: { text: `≤ ${createTarget} s`, met: createSeconds <= createTarget } } : {}),
    });
    phases.push({
      phase: "creation → Synced per app",
      runs: [{ p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), maxMs: maxLatency }],
      target: { text: "any app ≤ 2 s", met: maxLatency <= 2000 },
    });
    checks.push({ name: `all ${n} apps Synced/Healthy after creation`, ok: synced.size >= n, detail: `${synced.size}/${n}` });

    // Update: one commit changing every app's ConfigMap, announced by webhook.
    const newSha = await ctx.git.commit(repoUrl, repoFiles(n, dest, "b"), `change all ${n} apps`);
    const updated = watch.reached(syncedHealthy(newSha));
    const cpu1 = await op.cpuSeconds();
    const req1 = await operatorRequests(op);
    const appWrites1 = await operatorAppWrites(op);
    const syncs0 = await counter(op, "argocd_app_sync_total", "phase", "Succeeded");
    const t1 = performance.now();
    await pushWebhook(op, { repoUrl, after: newSha });
    await ctx.until(`${n} apps Synced at ${newSha.slice(0, 7)}`, () => reached(updated), { timeoutMs, everyMs: 100 });
    const updateSeconds = (Math.max(...updated.values()) - t1) / 1000;
    const updateWrites = mutating(diffCounts(req1, await operatorRequests(op)));
    const updateAppWrites = (await operatorAppWrites(op)) - appWrites1;
    const updateTarget = n >= 10_000 ? 240 : n >= 1000 ? 30 : undefined;
    phases.push({
      phase: "update (push → all Synced)",
      runs: [{
        seconds: updateSeconds, appsPerSec: n / updateSeconds,
        operatorWrites: updateWrites, operatorWritesPerSec: updateWrites / updateSeconds, ...ratio(updateWrites / updateSeconds),
        applicationWritesPerApp: updateAppWrites / n,
        syncs: (await counter(op, "argocd_app_sync_total", "phase", "Succeeded")) - syncs0,
        operatorCpuSeconds: (await op.cpuSeconds()) - cpu1, operatorPeakRssMiB: (await op.peakRssBytes()) / 2 ** 20,
      }],
      ...(updateTarget ? { target: { text: `≤ ${updateTarget} s`, met: updateSeconds <= updateTarget } } : {}),
    });
    checks.push({ name: `all ${n} apps Synced at the new revision after one commit`, ok: updated.size >= n, detail: `${updated.size}/${n}` });
    const cm = await client.get("v1", "ConfigMap", "cm-app-00000", dest);
    checks.push({ name: "the new content is applied", ok: (cm?.data as { round?: string } | undefined)?.round === "b" });
  } finally {
    await watch.stop();
  }

  // Shutdown: SIGTERM → exit, with every app still cached.
  const exitMs = await op.stop();
  phases.push({ phase: "SIGTERM → exit", runs: [{ ms: exitMs }], target: { text: "≤ 2 s", met: exitMs <= 2000 } });
  checks.push({ name: "the operator exits after SIGTERM", ok: exitMs < 60_000, detail: `${exitMs.toFixed(0)} ms` });
  return {
    inputs: { apps: n, createParallelism: CREATE_PARALLEL, objectsPerApp: 1, configMapBytes: 2048, trigger: "GitHub push webhook" },
    phases, checks,
    notes: [
      "Operator writes are its own mutating requests (hawser_kube_requests_total: POST/PUT/PATCH/DELETE), so the harness's creations are not counted.",
      "Application writes per app: those of them to applications and applications/status (the counter's resource label), counted until the last app is Synced, so a last refresh's write may come after.",
      "Per-app latency: the moment the client's create returned → the moment an Application watch first saw it Synced and Healthy at the commit.",
    ],
  };
}
