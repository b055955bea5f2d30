// P2 (shared/spec/benchmarks.md): many apps sync. N Applications of one 2 KB ConfigMap each, one
// repository, one path per app, automated sync. Created concurrently (so the client is not the
// bottleneck) → all Synced/Healthy; then one commit changes every app, announced by a webhook → all
// Synced at the new revision; then SIGTERM → exit. While the burst is being processed, a few
// "probe" apps of another project are created one by one, as another team (or a user by hand)
// would: their creation → Synced latency shows whether the operator's queues are fair, i.e. whether
// an app waits for its own work only or behind the whole burst.
import { ARGO_API_VERSION } from "../../../operator/api/annotations.js";
import type { KubeObject } from "../../../operator/kube/client.js";
import { AppWatch, IN_CLUSTER, application, configMapYaml, counter, forEachBounded, limiterWaits, operatorAppWrites, operatorRequests, repoFiles, syncedHealthy, waitBoundMs } from "../apps.js";
import { diffCounts, mutating } from "../proc.js";
import type { PhaseResult, Scenario, ScenarioContext, ScenarioResult } from "../scenario.js";
import { percentile } from "../stats.js";
import { pushWebhook } from "../webhook.js";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Creations in flight: enough that the apiserver, not the client, sets the pace. */
const CREATE_PARALLEL = 32;

/** Probe apps: PROBES of them, the first PROBE_START_MS after the burst's creation starts, then one every PROBE_EVERY_MS. */
const PROBES = 10;
const PROBE_START_MS = 2000;
const PROBE_EVERY_MS = 1000;
const PROBE_PROJECT = "probe";
const probeName = (i: number): string => `probe-${String(i).padStart(2, "0")}`;
/** The burst's apps are appName(i) = app-NNNNN; the probes are not among them. */
const isBurstApp = (name: string): boolean => name.startsWith("app-");

function probeFiles(dest: string, round: string): Record<string, string> {
  const files: Record<string, string> = {};
  // configMapYaml names its ConfigMap after app i; probes use indexes past the burst's.
  for (let i = 0; i < PROBES; i++) files[`probes/${probeName(i)}/cm.yaml`] = configMapYaml(1_000_000 + i, dest, round);
  return files;
}

function probeApplication(namespace: string, i: number, repoUrl: string, dest: string): KubeObject {
  return {
    apiVersion: ARGO_API_VERSION, kind: "Application",
    metadata: { name: probeName(i), namespace },
    spec: {
      project: PROBE_PROJECT,
      source: { repoURL: repoUrl, path: `probes/${probeName(i)}`, targetRevision: "HEAD" },
      destination: { server: IN_CLUSTER, namespace: dest },
      syncPolicy: { automated: { selfHeal: true } },
    },
  };
}

const countBurst = (stamps: Map<string, number>): number => {
  let k = 0;
  for (const name of stamps.keys()) if (isBurstApp(name)) k++;
  return k;
};
const lastBurst = (stamps: Map<string, number>): number => {
  let last = -Infinity;
  for (const [name, at] of stamps) if (isBurstApp(name) && at > last) last = at;
  return last;
};

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
  const firstSha = await ctx.git.commit(repoUrl, { ...repoFiles(n, dest, "a"), ...probeFiles(dest, "a") }, `${n} apps and ${PROBES} probes`);
  // The probes' own project (another tenant than the burst's "default").
  await client.create({
    apiVersion: ARGO_API_VERSION, kind: "AppProject", metadata: { name: PROBE_PROJECT, namespace: ctx.controlNamespace },
    spec: { sourceRepos: ["*"], destinations: [{ server: "*", namespace: "*" }] },
  });
  const op = await ctx.startOperator();
  const watch = new AppWatch(ctx);
  await watch.start();
  const checks: ScenarioResult["checks"] = [];
  const phases: PhaseResult[] = [];
  // A wait cut short says how far it got (the last error of ctx.until).
  const reached = (stamps: Map<string, number>): Promise<boolean> => {
    const k = countBurst(stamps);
    if (k >= n) return Promise.resolve(true);
    return Promise.reject(new Error(`${k}/${n} so far`));
  };
  const ratio = (rate: number): Record<string, number> => (ctx.wMax > 0 ? { writesFractionOfWMax: rate / ctx.wMax } : {});
  try {
    // Create: every app, CREATE_PARALLEL at a time; the per-app latency is creation returned → first seen Synced/Healthy.
    const synced = watch.reached(syncedHealthy(firstSha));
    // The sync's start (the refresh's Running write) splits each app's wait in two: its refresh
    // (queue, render, the write, its watch event) and its operation (queue, apply, the end write).
    const started = watch.reached((s) => s.phase !== undefined);
    const waits0 = await limiterWaits(op);
    const createdAt = new Map<string, number>();
    const cpu0 = await op.cpuSeconds();
    const apiCpu0 = await ctx.apiserverCpuSeconds();
    const req0 = await operatorRequests(op);
    const appWrites0 = await operatorAppWrites(op);
    const t0 = performance.now();
    // The probes, one by one while the burst is created and processed: created → Synced each, and
    // how many of the burst's apps were Synced when it was created (so a reader sees it was during the burst).
    const probeCreatedAt = new Map<string, number>();
    const burstSyncedAtProbe: number[] = [];
    const createProbes = async (): Promise<void> => {
      await sleep(PROBE_START_MS);
      for (let i = 0; i < PROBES; i++) {
        if (i > 0) await sleep(PROBE_EVERY_MS);
        const app = probeApplication(ctx.controlNamespace, i, repoUrl, dest);
        await client.create(app);
        probeCreatedAt.set(app.metadata.name!, performance.now());
        burstSyncedAtProbe.push(countBurst(synced));
      }
    };
    const probesDone = createProbes();
    probesDone.catch(() => undefined); // awaited below; a failure must not go unhandled while the burst is created
    await forEachBounded(n, CREATE_PARALLEL, async (i) => {
      const app = application(ctx, i, repoUrl, dest);
      await client.create(app);
      createdAt.set(app.metadata.name!, performance.now());
    });
    const createdAll = performance.now();
    ctx.progress(`p2: ${n} apps created in ${((createdAll - t0) / 1000).toFixed(1)} s`);
    await ctx.until(`${n} apps Synced/Healthy at ${firstSha.slice(0, 7)}`, () => reached(synced), { timeoutMs, everyMs: 100 });
    const burstDoneAt = lastBurst(synced);
    await probesDone;
    // A probe never Synced is a failed check below (its latency stays infinite), not a thrown run.
    await ctx.until(`${PROBES} probe apps Synced/Healthy`, () => Promise.resolve([...probeCreatedAt.keys()].every((name) => synced.has(name))), { timeoutMs: waitBoundMs(PROBES), everyMs: 100 })
      .catch((err: unknown) => ctx.progress(`p2: ${String(err)}`));
    const createSeconds = (burstDoneAt - t0) / 1000;
    const createWrites = mutating(diffCounts(req0, await operatorRequests(op)));
    const createAppWrites = (await operatorAppWrites(op)) - appWrites0;
    const waits = (await limiterWaits(op, waits0.now)).meanMs;
    const latencies = [...createdAt].map(([name, at]) => Math.max(0, (synced.get(name) ?? Infinity) - at));
    const maxLatency = Math.max(...latencies);
    const createTarget = n >= 10_000 ? 240 : n >= 1000 ? 30 : undefined;
    phases.push({
      phase: "create",
      runs: [{
        seconds: createSeconds, clientCreateSeconds: (createdAll - t0) / 1000, appsPerSec: n / createSeconds,
        operatorWrites: createWrites, operatorWritesPerSec: createWrites / createSeconds, ...ratio(createWrites / createSeconds),
        applicationWritesPerApp: createAppWrites / (n + probeCreatedAt.size),
        operatorCpuSeconds: (await op.cpuSeconds()) - cpu0, operatorPeakRssMiB: (await op.peakRssBytes()) / 2 ** 20,
        apiserverCpuSeconds: (await ctx.apiserverCpuSeconds()) - apiCpu0,
        // Mean wait for a slot in the operator's write limiters (FIFO within a group, so a burst app's wait).
        ...Object.fromEntries(Object.entries(waits).map(([id, ms]) => [`limiterWaitMeanMs ${id}`, ms])),
      }],
      ...(createTarget ? { target: { text: `≤ ${createTarget} s`, met: createSeconds <= createTarget } } : {}),
    });
    // creation → sync started, and sync started → Synced (the watch's stamps of each).
    const split = (created: Iterable<[string, number]>): { toStart: number[]; toSynced: number[] } => {
      const toStart: number[] = [];
      const toSynced: number[] = [];
      for (const [name, at] of created) {
        const s = started.get(name);
        const d = synced.get(name);
        if (s === undefined || d === undefined) continue;
        toStart.push(Math.max(0, s - at));
        toSynced.push(Math.max(0, d - s));
      }
      return { toStart, toSynced };
    };
    const burstSplit = split(createdAt);
    phases.push({
      phase: "creation → Synced per app",
      runs: [{
        p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), maxMs: maxLatency,
        toSyncStartP50Ms: percentile(burstSplit.toStart, 50), syncStartToSyncedP50Ms: percentile(burstSplit.toSynced, 50),
      }],
      target: { text: "any app ≤ 2 s", met: maxLatency <= 2000 },
    });
    // The probes: created one by one in another project while the burst was processed.
    const probeLatencies = [...probeCreatedAt].map(([name, at]) => Math.max(0, (synced.get(name) ?? Infinity) - at));
    const probesDuringBurst = [...probeCreatedAt.values()].filter((at) => at < burstDoneAt).length;
    const probeSplit = split(probeCreatedAt);
    // Of creation → sync started: up to the operator's decision (operationState.startedAt, its own
    // clock: the watch, the refresh queue, the refresh) and the rest (the Running write, its watch event).
    const probeDecided = [...probeCreatedAt].flatMap(([name, at]) => {
      const decided = Date.parse(watch.state(ctx.controlNamespace, name)?.startedAt ?? "");
      return Number.isFinite(decided) ? [Math.max(0, decided - (performance.timeOrigin + at))] : [];
    });
    phases.push({
      phase: `probe apps (another project) creation → Synced, during the burst`,
      runs: [{
        probes: probeLatencies.length, probesCreatedBeforeBurstDone: probesDuringBurst,
        p50Ms: percentile(probeLatencies, 50), maxMs: Math.max(...probeLatencies),
        toSyncStartP50Ms: percentile(probeSplit.toStart, 50), toSyncStartMaxMs: Math.max(...probeSplit.toStart),
        toSyncDecidedP50Ms: percentile(probeDecided, 50), toSyncDecidedMaxMs: Math.max(...probeDecided),
        syncStartToSyncedP50Ms: percentile(probeSplit.toSynced, 50), syncStartToSyncedMaxMs: Math.max(...probeSplit.toSynced),
        burstSyncedAtFirstProbe: burstSyncedAtProbe[0] ?? 0, burstSyncedAtLastProbe: burstSyncedAtProbe.at(-1) ?? 0,
      }],
      target: { text: "any app ≤ 2 s while others are processed", met: Math.max(...probeLatencies) <= 2000 },
    });
    checks.push({ name: `all ${n} apps Synced/Healthy after creation`, ok: countBurst(synced) >= n, detail: `${countBurst(synced)}/${n}` });
    checks.push({ name: `all ${PROBES} probe apps Synced/Healthy`, ok: probeLatencies.every(Number.isFinite), detail: `${probeLatencies.filter(Number.isFinite).length}/${PROBES}` });

    // Update: one commit changing every app's ConfigMap, announced by webhook.
    const newSha = await ctx.git.commit(repoUrl, { ...repoFiles(n, dest, "b"), ...probeFiles(dest, "b") }, `change all ${n} apps and the probes`);
    const updated = watch.reached(syncedHealthy(newSha));
    const cpu1 = await op.cpuSeconds();
    const apiCpu1 = await ctx.apiserverCpuSeconds();
    const req1 = await operatorRequests(op);
    const appWrites1 = await operatorAppWrites(op);
    const syncs0 = await counter(op, "argocd_app_sync_total", "phase", "Succeeded");
    const t1 = performance.now();
    await pushWebhook(op, { repoUrl, after: newSha });
    await ctx.until(`${n} apps Synced at ${newSha.slice(0, 7)}`, () => reached(updated), { timeoutMs, everyMs: 100 });
    const updateSeconds = (lastBurst(updated) - t1) / 1000;
    const updateWrites = mutating(diffCounts(req1, await operatorRequests(op)));
    const updateAppWrites = (await operatorAppWrites(op)) - appWrites1;
    const updateTarget = n >= 10_000 ? 240 : n >= 1000 ? 30 : undefined;
    phases.push({
      phase: "update (push → all Synced)",
      runs: [{
        seconds: updateSeconds, appsPerSec: n / updateSeconds,
        operatorWrites: updateWrites, operatorWritesPerSec: updateWrites / updateSeconds, ...ratio(updateWrites / updateSeconds),
        applicationWritesPerApp: updateAppWrites / (n + PROBES),
        syncs: (await counter(op, "argocd_app_sync_total", "phase", "Succeeded")) - syncs0,
        operatorCpuSeconds: (await op.cpuSeconds()) - cpu1, operatorPeakRssMiB: (await op.peakRssBytes()) / 2 ** 20,
        apiserverCpuSeconds: (await ctx.apiserverCpuSeconds()) - apiCpu1,
      }],
      ...(updateTarget ? { target: { text: `≤ ${updateTarget} s`, met: updateSeconds <= updateTarget } } : {}),
    });
    checks.push({ name: `all ${n} apps Synced at the new revision after one commit`, ok: countBurst(updated) >= n, detail: `${countBurst(updated)}/${n}` });
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
    inputs: {
      apps: n, createParallelism: CREATE_PARALLEL, objectsPerApp: 1, configMapBytes: 2048, trigger: "GitHub push webhook",
      probeApps: PROBES, probeProject: PROBE_PROJECT, probeStartMs: PROBE_START_MS, probeEveryMs: PROBE_EVERY_MS,
    },
    phases, checks,
    notes: [
      "Operator writes are its own mutating requests (hawser_kube_requests_total: POST/PUT/PATCH/DELETE), so the harness's creations are not counted.",
      "Application writes per app: those of them to applications and applications/status (the counter's resource label), counted until the last app is Synced, so a last refresh's write may come after; divided by the burst's apps and the probes (their writes are in the count). Operator writes per second include the probes' too (1% at 1,000 apps).",
      "Per-app latency: the moment the client's create returned → the moment an Application watch first saw it Synced and Healthy at the commit.",
      `Probe apps: ${PROBES} one-ConfigMap apps in project "${PROBE_PROJECT}" (the burst is in "default"), created one by one, the first ${PROBE_START_MS / 1000} s after the burst's creation started, then one every ${PROBE_EVERY_MS / 1000} s, each measured as the burst's apps are (create returned → first seen Synced/Healthy). They stand for another team's app, or one a user creates by hand, while a burst is processed: the operator's queues take turns per project (or owning ApplicationSet), so a probe should wait for its own refresh, sync and status writes only. The burst's figures (create, per app, update) count the burst's apps only; burstSyncedAt{First,Last}Probe is how many of them were Synced when the first and last probe were created.`,
    ],
  };
}
