// What the scale scenarios share about Applications: the one-ConfigMap-per-app repository, creating
// apps with bounded parallelism, and a watch that stamps when each app first reached a state.
import { ARGO_API_VERSION } from "../../operator/api/annotations.js";
import type { KubeObject } from "../../operator/kube/client.js";
import { Informer } from "../../operator/runtime/informer.js";
import { createLogger } from "../../operator/runtime/logger.js";
import { payload2k } from "./p0.js";
import { labelOf, mutating, sumBy } from "./proc.js";
import type { SampledProcess, ScenarioContext } from "./scenario.js";

export const IN_CLUSTER = "https://kubernetes.default.svc";

/**
 * The bound of a wait over n apps: generous (0.5 s per app, 20× the target pace) so a loaded
 * machine or a shared CI cluster slows a run down without failing it, yet a stuck run still ends.
 */
export const waitBoundMs = (n: number): number => 120_000 + n * 500;

export const appName = (i: number): string => `app-${String(i).padStart(5, "0")}`;
export const appPath = (i: number): string => `apps/${appName(i)}`;

/** The manifest of app i: one 2 KB ConfigMap whose content depends on `round`. */
export function configMapYaml(i: number, dest: string, round: string): string {
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${appName(i)}\n  namespace: ${dest}\ndata:\n  round: "${round}"\n  v: "${payload2k(`${round}${i}`)}"\n`;
}

export function repoFiles(n: number, dest: string, round: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < n; i++) files[`${appPath(i)}/cm.yaml`] = configMapYaml(i, dest, round);
  return files;
}

export function application(ctx: ScenarioContext, i: number, repoUrl: string, dest: string, syncPolicy: Record<string, unknown> = { automated: { selfHeal: true } }): KubeObject {
  return {
    apiVersion: ARGO_API_VERSION, kind: "Application",
    metadata: { name: appName(i), namespace: ctx.controlNamespace },
    spec: {
      project: "default",
      source: { repoURL: repoUrl, path: appPath(i), targetRevision: "HEAD" },
      destination: { server: IN_CLUSTER, namespace: dest },
      syncPolicy,
    },
  };
}

/** Runs `work(i)` for i in [0, n), `parallel` at a time; resolves when all are done, rejects on the first error. */
export async function forEachBounded(n: number, parallel: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.min(parallel, n) }, worker));
}

export interface AppState {
  sync?: string;
  health?: string;
  revision?: string;
  /** status.operationState.phase: an automated sync's Running start is the refresh's write. */
  phase?: string;
  /** status.operationState.startedAt: when the operator decided to sync (its clock, ms precision). */
  startedAt?: string;
}

/** Just what the scenarios read of an Application, so 10,000 cached apps stay small. */
function slim(obj: KubeObject): KubeObject & { state: AppState } {
  const status = (obj as { status?: { sync?: { status?: string; revision?: string }; health?: { status?: string }; operationState?: { phase?: string; startedAt?: string } } }).status;
  return {
    apiVersion: obj.apiVersion, kind: obj.kind, metadata: { name: obj.metadata.name, namespace: obj.metadata.namespace },
    state: { sync: status?.sync?.status, health: status?.health?.status, revision: status?.sync?.revision, phase: status?.operationState?.phase, startedAt: status?.operationState?.startedAt },
  };
}

/**
 * Watches the control namespace's Applications. `reached(pred)` returns, per app name, the
 * performance.now() when the app was first seen satisfying `pred` after the call.
 */
export class AppWatch {
  private readonly informer: Informer<KubeObject & { state: AppState }>;
  private readonly trackers: Array<{ pred: (s: AppState) => boolean; at: Map<string, number> }> = [];

  constructor(ctx: ScenarioContext) {
    this.informer = new Informer(ctx.client, {
      apiVersion: ARGO_API_VERSION, kind: "Application", namespace: ctx.controlNamespace,
      transform: slim, log: createLogger({ level: "error" }), pageSize: 2000,
    });
    const seen = (obj: KubeObject & { state: AppState }): void => {
      const now = performance.now();
      for (const t of this.trackers) if (!t.at.has(obj.metadata.name!) && t.pred(obj.state)) t.at.set(obj.metadata.name!, now);
    };
    this.informer.addHandler({ add: seen, update: (_, o) => seen(o) });
  }

  async start(): Promise<void> {
    this.informer.start();
    await this.informer.waitForSync();
  }

  /** From now on, stamps each app the first time `pred` holds (apps already satisfying it are stamped now). */
  reached(pred: (s: AppState) => boolean): Map<string, number> {
    const at = new Map<string, number>();
    const now = performance.now();
    for (const o of this.informer.list()) if (pred(o.state)) at.set(o.metadata.name!, now);
    this.trackers.push({ pred, at });
    return at;
  }

  /** The app's state as last seen, by name. */
  state(namespace: string, name: string): AppState | undefined {
    return this.informer.get(`${namespace}/${name}`)?.state;
  }

  states(): AppState[] {
    return this.informer.list().map((o) => o.state);
  }

  stop(): Promise<void> {
    return this.informer.stop();
  }
}

export const syncedHealthy = (revision?: string) => (s: AppState): boolean =>
  s.sync === "Synced" && s.health === "Healthy" && (revision === undefined || s.revision === revision);

/** The operator's own requests to the apiserver by HTTP method (its hawser_kube_requests_total). */
export async function operatorRequests(op: SampledProcess): Promise<Record<string, number>> {
  return sumBy(await op.scrape(["hawser_kube_requests_total"]), "hawser_kube_requests_total", "verb");
}

/**
 * The operator's mutating requests to Applications and their status (hawser_kube_requests_total
 * by resource): what a sync costs the apiserver in Application writes.
 */
export async function operatorAppWrites(op: SampledProcess): Promise<number> {
  let total = 0;
  for (const [key, value] of await op.scrape()) {
    if (!key.startsWith("hawser_kube_requests_total{")) continue;
    const resource = labelOf(key, "resource");
    if (resource === "applications" || resource === "applications/status") total += mutating({ [labelOf(key, "verb") ?? ""]: value });
  }
  return total;
}

/**
 * The operator's mutating requests keyed `VERB resource` (hawser_kube_requests_total), for a check's
 * detail: which writes, not only how many.
 */
export async function operatorWritesByResource(op: SampledProcess): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [key, value] of await op.scrape(["hawser_kube_requests_total"])) {
    const verb = labelOf(key, "verb") ?? "";
    if (mutating({ [verb]: 1 }) === 0) continue;
    const id = `${verb} ${labelOf(key, "resource") ?? ""}`;
    out[id] = (out[id] ?? 0) + value;
  }
  return out;
}

/**
 * The cluster info publisher's writes so far (hawser_cluster_info_writes_total): its own periodic
 * job, which rewrites the cluster's info ConfigMap when the cached object count moved (at most once a
 * minute), so a phase right after many objects were created can see one that no app caused.
 */
export async function clusterInfoWrites(op: SampledProcess): Promise<number> {
  return Object.values(sumBy(await op.scrape(["hawser_cluster_info_writes_total"]), "hawser_cluster_info_writes_total", "verb")).reduce((a, b) => a + b, 0);
}

/**
 * Mean wait in each of the operator's write limiters, in ms, since `before` (a scrape of
 * hawser_write_limiter_wait_seconds), keyed `limiter/priority`.
 */
export async function limiterWaits(op: SampledProcess, before?: Map<string, number>): Promise<{ now: Map<string, number>; meanMs: Record<string, number> }> {
  const name = "hawser_write_limiter_wait_seconds";
  const now = await op.scrape([name]);
  const sums: Record<string, { sum: number; count: number }> = {};
  for (const [key, value] of now) {
    const kind = key.startsWith(`${name}_sum{`) ? "sum" : key.startsWith(`${name}_count{`) ? "count" : undefined;
    if (!kind) continue;
    const id = `${labelOf(key, "limiter") ?? ""}/${labelOf(key, "priority") ?? ""}`;
    const entry = (sums[id] ??= { sum: 0, count: 0 });
    entry[kind] += value - (before?.get(key) ?? 0);
  }
  const meanMs: Record<string, number> = {};
  for (const [id, { sum, count }] of Object.entries(sums)) if (count > 0) meanMs[id] = (sum / count) * 1000;
  return { now, meanMs };
}

/** Sum of one counter over the series whose label `label` is `value` (e.g. reconciles of one controller). */
export async function counter(op: SampledProcess, name: string, label: string, value: string): Promise<number> {
  return sumBy(await op.scrape([name]), name, label)[value] ?? 0;
}

export interface SyncedApps {
  repoUrl: string;
  /** The commit every app is Synced at. */
  sha: string;
  dest: string;
  op: SampledProcess;
  watch: AppWatch;
}

/**
 * The common start of P3 and P10: a repository of `n` one-ConfigMap apps, the operator, the apps
 * created (32 at a time) and waited for until all are Synced/Healthy. The caller stops `watch`.
 */
export async function createSyncedApps(ctx: ScenarioContext, n: number, opts: { extraFiles?: Record<string, string>; operatorArgs?: string[] } = {}): Promise<SyncedApps> {
  const dest = `${ctx.controlNamespace}-dest`;
  await ctx.createNamespace(dest);
  const repoUrl = await ctx.git.createRepo("apps");
  const sha = await ctx.git.commit(repoUrl, { ...repoFiles(n, dest, "a"), ...opts.extraFiles }, `${n} apps`);
  const op = await ctx.startOperator(opts.operatorArgs ? { args: opts.operatorArgs } : {});
  const watch = new AppWatch(ctx);
  await watch.start();
  const synced = watch.reached(syncedHealthy(sha));
  await forEachBounded(n, 32, (i) => ctx.client.create(application(ctx, i, repoUrl, dest)).then(() => undefined));
  await ctx.until(`${n} apps Synced/Healthy`, () => Promise.resolve(synced.size >= n), { timeoutMs: waitBoundMs(n), everyMs: 200 });
  ctx.progress(`${n} apps Synced/Healthy`);
  return { repoUrl, sha, dest, op, watch };
}

/** Waits until the operator sent no request for `quietMs` (bounded by `timeoutMs`): its work after a burst is done. */
export async function operatorQuiet(ctx: ScenarioContext, op: SampledProcess, quietMs: number, timeoutMs: number): Promise<void> {
  let last = JSON.stringify(await operatorRequests(op));
  let since = performance.now();
  await ctx.until("the operator to go quiet", async () => {
    const now = JSON.stringify(await operatorRequests(op));
    if (now !== last) {
      last = now;
      since = performance.now();
    }
    return performance.now() - since >= quietMs;
  }, { timeoutMs, everyMs: 250 });
}
