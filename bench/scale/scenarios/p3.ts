// P3 (shared/spec/benchmarks.md): no-op refresh. N synced one-ConfigMap Applications; every app is
// refreshed while nothing changed: the wall clock until all refreshes are done, the operator's
// CPU-seconds, the apiserver's requests by verb, and the check that the operator wrote nothing.
//
// The refresh is triggered WITHOUT writing: a git push webhook naming the repository at the commit
// the apps already are at (every app of the repo is refreshed, as Argo does for a push without
// manifest-generate-paths). Setting the refresh annotation on each app would be N writes by the
// harness mixed into the counts. The operator's own writes are its hawser_kube_requests_total by
// method; the apiserver's counts also hold the control plane's background writes (leases, kwok node
// heartbeats), measured in an idle window of the same length just before for comparison.
import { APP_REFRESH_QUEUE } from "../../../operator/controllers/application/queue-names.js";
import { clusterInfoWrites, counter, createSyncedApps, operatorQuiet, operatorRequests, operatorWritesByResource, waitBoundMs } from "../apps.js";
import { diffCounts, mutating, sumBy } from "../proc.js";
import type { Scenario, ScenarioContext, ScenarioResult } from "../scenario.js";
import { pushWebhook } from "../webhook.js";

export const scenario: Scenario = {
  id: "p3",
  title: "no-op refresh of N synced Applications",
  defaultN: 10_000,
  run,
};

const REFRESH = "application-refresh";

async function run(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { n } = ctx;
  const { repoUrl, sha, op, watch } = await createSyncedApps(ctx, n);
  await watch.stop();
  // Whatever the sync left (status after the sync's own refresh) is done before the phase starts.
  await operatorQuiet(ctx, op, 3000, waitBoundMs(n));

  const cpu0 = await op.cpuSeconds();
  const req0 = await operatorRequests(op);
  const writes0 = await operatorWritesByResource(op);
  const info0 = await clusterInfoWrites(op);
  const reconciles0 = await counter(op, "controller_runtime_reconcile_total", "controller", REFRESH);
  const api0 = await ctx.apiserverRequests();
  const t0 = performance.now();
  await pushWebhook(op, { repoUrl, after: sha });
  let reconciles = 0;
  await ctx.until(`${n} refreshes`, async () => {
    const m = await op.scrape(["controller_runtime_reconcile_total", "workqueue_depth"]);
    reconciles = (sumBy(m, "controller_runtime_reconcile_total", "controller")[REFRESH] ?? 0) - reconciles0;
    return reconciles >= n && (sumBy(m, "workqueue_depth", "name")[APP_REFRESH_QUEUE] ?? 0) === 0;
  }, { timeoutMs: waitBoundMs(n), everyMs: 100 });
  const wallMs = performance.now() - t0;
  const cpu = (await op.cpuSeconds()) - cpu0;
  const opRequests = diffCounts(req0, await operatorRequests(op));
  const writesByResource = diffCounts(writes0, await operatorWritesByResource(op));
  const infoWrites = (await clusterInfoWrites(op)) - info0;
  const api = diffCounts(api0, await ctx.apiserverRequests());

  // The same length of idle time, for the control plane's background writes.
  const idle0 = await ctx.apiserverRequests();
  await new Promise((r) => setTimeout(r, wallMs));
  const idle = diffCounts(idle0, await ctx.apiserverRequests());

  // The cluster info publisher's rewrite of its record is not a refresh's write (see clusterInfoWrites).
  const opWrites = mutating(opRequests) - infoWrites;
  const opReads = Object.values(opRequests).reduce((a, b) => a + b, 0) - mutating(opRequests);
  const cpuTarget = n >= 10_000 ? 20 : n >= 1000 ? 10 : undefined;
  const verbs = (c: Record<string, number>): Record<string, number> => Object.fromEntries(Object.entries(c).map(([v, k]) => [`apiserver ${v}`, k]));
  return {
    inputs: { apps: n, objectsPerApp: 1, trigger: "GitHub push webhook at the unchanged commit (no write by the harness)" },
    phases: [
      {
        phase: "no-op refresh",
        runs: [{ wallMs, refreshes: reconciles, operatorCpuSeconds: cpu, operatorWrites: opWrites, operatorReads: opReads, readsPerApp: opReads / n }],
        ...(cpuTarget ? { target: { text: `0 writes, ≤ ${cpuTarget} CPU-s`, met: opWrites === 0 && cpu <= cpuTarget } } : { target: { text: "0 writes", met: opWrites === 0 } }),
      },
      { phase: "apiserver requests during the refresh", runs: [verbs(api)] },
      { phase: "apiserver requests, idle window of the same length", runs: [verbs(idle)] },
    ],
    checks: [
      { name: `every one of the ${n} apps refreshed`, ok: reconciles >= n, detail: `${reconciles} refreshes` },
      { name: "zero mutating requests from the operator on a no-op refresh", ok: opWrites === 0, detail: `${JSON.stringify(opRequests)}; writes ${JSON.stringify(writesByResource)}, of which the cluster info publisher's ${infoWrites}` },
    ],
    notes: [
      "Triggered by a push webhook at the commit the apps are already at, so the harness writes nothing during the phase; operator writes are from its own request counter, less the cluster info publisher's own rewrites of its record (hawser_cluster_info_writes_total: its periodic job, not the refresh).",
      `apiserver mutating requests during the refresh ${mutating(api)}, in an idle window of the same length ${mutating(idle)} (control-plane background: leases, node heartbeats).`,
    ],
  };
}
