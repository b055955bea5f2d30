// P8 (shared/spec/benchmarks.md), ApplicationSets, with the operator as its own process (its
// ApplicationSet controller: informers, workqueue, writes paced by an adaptive limiter):
//   create:      one set with a list generator of N elements → N Applications;
//   update:      a template change → N updated (target: 10,000 in ≤ 60 s at ≥ 0.6 × W_max);
//   no-op:       an annotation change re-evaluates the set and writes no Application;
//   clusters:    100 cluster Secrets × 10 sets with a clusters generator → 1,000 Applications;
//   cluster add: one more Secret, labelled for one set, re-evaluates only that set
//                (argocd_appset_reconcile_count per set).
// Moved here from bench/appset/bench.ts, which ran the controller in-process.
import { ARGO_API_VERSION, LABEL_SECRET_TYPE } from "../../../operator/api/annotations.js";
import type { KubeObject } from "../../../operator/kube/client.js";
import { Informer } from "../../../operator/runtime/informer.js";
import { createLogger } from "../../../operator/runtime/logger.js";
import { operatorRequests } from "../apps.js";
import { diffCounts, mutating, sumBy } from "../proc.js";
import type { PhaseResult, SampledProcess, Scenario, ScenarioContext, ScenarioResult } from "../scenario.js";

/** The spec's 100 cluster Secrets; 10 below --n 1000, for quick checks. */
const clustersFor = (n: number): number => (n >= 1000 ? 100 : 10);
const CLUSTER_SETS = 10;
const IN_CLUSTER = "https://kubernetes.default.svc";

export const scenario: Scenario = {
  id: "p8",
  title: "ApplicationSet: N-element list create/update/no-op; 100 clusters × 10 templates; cluster add",
  defaultN: 10_000,
  run,
};

export function listAppSet(name: string, ns: string, n: number, pathPrefix: string): KubeObject {
  return {
    apiVersion: ARGO_API_VERSION, kind: "ApplicationSet", metadata: { name, namespace: ns },
    spec: {
      goTemplate: true,
      generators: [{ list: { elements: Array.from({ length: n }, (_, i) => ({ name: `${name}-${i}`, shard: String(i % 16) })) } }],
      template: {
        metadata: { name: "{{ .name }}", labels: { shard: "{{ .shard }}" } },
        spec: {
          project: "default",
          source: { repoURL: "https://git.example/apps.git", path: `${pathPrefix}/{{ .name }}`, targetRevision: "main" },
          destination: { server: IN_CLUSTER, namespace: "{{ .name }}" },
        },
      },
      syncPolicy: { preserveResourcesOnDeletion: true },
    },
  };
}

function clusterAppSet(i: number, ns: string): KubeObject {
  return {
    apiVersion: ARGO_API_VERSION, kind: "ApplicationSet", metadata: { name: `clusters-${i}`, namespace: ns },
    spec: {
      generators: [{ clusters: { selector: { matchLabels: { fleet: "bench" } } } }],
      template: { metadata: { name: `t${i}-{{name}}` }, spec: { project: "default", source: { repoURL: "https://git.example/apps.git", path: `t${i}` }, destination: { server: "{{server}}", namespace: `t${i}` } } },
    },
  };
}

function clusterSecret(name: string, ns: string, labels: Record<string, string>): KubeObject {
  return {
    apiVersion: "v1", kind: "Secret",
    metadata: { name: `cluster-${name}`, namespace: ns, labels: { [LABEL_SECRET_TYPE]: "cluster", ...labels } },
    stringData: { name, server: `https://${name}.bench.invalid:6443`, config: "{}" },
  };
}

interface Slim extends KubeObject { path: string; owner: string }

/** The Applications of the namespace: name, owning set and source path only. */
function appCache(ctx: ScenarioContext): Informer<Slim> {
  return new Informer<Slim>(ctx.client, {
    apiVersion: ARGO_API_VERSION, kind: "Application", namespace: ctx.controlNamespace, log: createLogger({ level: "error" }), pageSize: 2000,
    transform: (o) => ({
      apiVersion: o.apiVersion, kind: o.kind, metadata: { name: o.metadata.name, namespace: o.metadata.namespace },
      path: (o.spec as { source?: { path?: string } } | undefined)?.source?.path ?? "",
      owner: o.metadata.ownerReferences?.find((r) => r.kind === "ApplicationSet")?.name ?? "",
    }),
  });
}

const reconciles = async (op: SampledProcess): Promise<Record<string, number>> => sumBy(await op.scrape(["argocd_appset_reconcile_count"]), "argocd_appset_reconcile_count", "name");

async function run(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { n, client } = ctx;
  const ns = ctx.controlNamespace;
  const CLUSTERS = clustersFor(n);
  const timeoutMs = 60_000 + n * 60;
  const op = await ctx.startOperator();
  const apps = appCache(ctx);
  apps.start();
  await apps.waitForSync();
  const count = (pred: (a: Slim) => boolean): number => { let c = 0; for (const a of apps.list()) if (pred(a)) c++; return c; };
  const phases: PhaseResult[] = [];
  const checks: ScenarioResult["checks"] = [];
  const ratio = (rate: number): Record<string, number> => (ctx.wMax > 0 ? { writesFractionOfWMax: rate / ctx.wMax } : {});
  const measure = async (what: string, start: () => Promise<unknown>, done: () => boolean, limitMs = timeoutMs): Promise<Record<string, number>> => {
    const req0 = await operatorRequests(op);
    const cpu0 = await op.cpuSeconds();
    const t0 = performance.now();
    await start();
    await ctx.until(what, () => Promise.resolve(done()), { timeoutMs: limitMs, everyMs: 100 });
    const seconds = (performance.now() - t0) / 1000;
    const counts = diffCounts(req0, await operatorRequests(op));
    // The set's Application writes are POST/PUT/DELETE; PATCHes are status (the set's, and the
    // Application controller's for the generated apps, whose fake sources fail to compare).
    const appWrites = (counts.POST ?? 0) + (counts.PUT ?? 0) + (counts.DELETE ?? 0);
    return { seconds, applicationWrites: appWrites, writesPerSec: appWrites / seconds, ...ratio(appWrites / seconds), statusPatches: counts.PATCH ?? 0, operatorWrites: mutating(counts), operatorCpuSeconds: (await op.cpuSeconds()) - cpu0 };
  };
  try {
    await client.create({ apiVersion: ARGO_API_VERSION, kind: "AppProject", metadata: { name: "default", namespace: ns }, spec: { sourceRepos: ["*"], destinations: [{ server: "*", namespace: "*" }] } }).catch(() => undefined);

    const create = await measure(`${n} Applications created`, () => client.create(listAppSet("big", ns, n, "v1")), () => count((a) => a.owner === "big") >= n);
    phases.push({ phase: `create (list of ${n})`, runs: [create] });
    ctx.progress(`p8: create ${JSON.stringify(create)}`);

    // A merge patch: the set's status is written concurrently, so a replace could conflict.
    const update = await measure(`${n} Applications updated`, () => client.patch({ apiVersion: ARGO_API_VERSION, kind: "ApplicationSet", name: "big", namespace: ns }, { spec: { template: { spec: { source: { path: "v2/{{ .name }}" } } } } }, { type: "merge" }), () => count((a) => a.owner === "big" && a.path.startsWith("v2/")) >= n);
    phases.push({ phase: `update (template change, ${n})`, runs: [update], target: { text: "10,000 in ≤ 60 s at ≥ 0.6 × W_max", met: update.seconds! <= 60 * (n / 10_000) && (ctx.wMax === 0 || (update.writesFractionOfWMax ?? 0) >= 0.6) } });
    checks.push({ name: `all ${n} Applications updated`, ok: count((a) => a.path.startsWith("v2/")) >= n });
    ctx.progress(`p8: update ${JSON.stringify(update)}`);

    // No-op: an annotation change re-evaluates the set; nothing may be written but its status.
    const before = (await reconciles(op)).big ?? 0;
    const req0 = await operatorRequests(op);
    await client.patch({ apiVersion: ARGO_API_VERSION, kind: "ApplicationSet", name: "big", namespace: ns }, { metadata: { annotations: { "bench/poke": String(Date.now()) } } }, { type: "merge" });
    await ctx.until("the set re-evaluated", async () => ((await reconciles(op)).big ?? 0) > before, { timeoutMs: 60_000, everyMs: 200 });
    const noop = diffCounts(req0, await operatorRequests(op));
    const appWrites = (noop.POST ?? 0) + (noop.PUT ?? 0) + (noop.DELETE ?? 0);
    phases.push({ phase: "no-op reconcile", runs: [{ applicationWrites: appWrites, patches: noop.PATCH ?? 0 }], target: { text: "0 Application writes", met: appWrites === 0 } });
    checks.push({ name: "a no-op reconcile writes no Application", ok: appWrites === 0, detail: JSON.stringify(noop) });

    // Clusters: 100 cluster Secrets, then 10 sets with a clusters generator → 1,000 Applications.
    for (let c = 0; c < CLUSTERS; c++) await client.create(clusterSecret(`c${c}`, ns, { fleet: "bench" }));
    const clusterApps = CLUSTERS * CLUSTER_SETS;
    const clusters = await measure(`${clusterApps} cluster Applications created`, async () => {
      for (let s = 0; s < CLUSTER_SETS; s++) await client.create(clusterAppSet(s, ns));
    }, () => count((a) => a.owner.startsWith("clusters-")) >= clusterApps);
    phases.push({ phase: `${CLUSTERS} clusters × ${CLUSTER_SETS} templates → ${clusterApps} Applications`, runs: [clusters] });
    checks.push({ name: `${clusterApps} Applications from the clusters generator`, ok: count((a) => a.owner.startsWith("clusters-")) >= clusterApps });

    // Cluster add: one more set selects `fleet: other`, which no Secret has yet; a Secret labelled
    // so must re-evaluate that set alone, not the 10 selecting `fleet: bench` nor the list set.
    await client.create({ ...clusterAppSet(CLUSTER_SETS, ns), spec: { ...(clusterAppSet(CLUSTER_SETS, ns).spec as object), generators: [{ clusters: { selector: { matchLabels: { fleet: "other" } } } }] } });
    await ctx.until("the extra set reconciled once", async () => ((await reconciles(op))[`clusters-${CLUSTER_SETS}`] ?? 0) > 0, { timeoutMs: 60_000, everyMs: 200 });
    await new Promise((r) => setTimeout(r, 3000));
    const r0 = await reconciles(op);
    await client.create(clusterSecret("extra", ns, { fleet: "other" }));
    await ctx.until("the extra cluster's Application", () => Promise.resolve(count((a) => a.metadata.name === `t${CLUSTER_SETS}-extra`) > 0), { timeoutMs: 60_000, everyMs: 100 });
    await new Promise((r) => setTimeout(r, 3000));
    const r1 = await reconciles(op);
    const evaluated = Object.keys(r1).filter((k) => (r1[k] ?? 0) > (r0[k] ?? 0)).sort();
    phases.push({ phase: "cluster add: sets re-evaluated", runs: [{ sets: evaluated.length, of: CLUSTER_SETS + 2 }], target: { text: "only the set selecting it", met: evaluated.length === 1 && evaluated[0] === `clusters-${CLUSTER_SETS}` } });
    checks.push({ name: "a cluster add re-evaluates only the set it concerns", ok: evaluated.length === 1, detail: evaluated.join(", ") });
  } finally {
    await apps.stop();
    await op.stop();
  }
  return {
    inputs: { elements: n, clusters: clustersFor(n), clusterTemplates: CLUSTER_SETS, goTemplate: "yes" },
    phases, checks,
    notes: [
      "Application writes are the operator's POST/PUT/DELETE (hawser_kube_requests_total); the W_max ratio is of those. The operator's Application controller also refreshes the generated apps (their repository does not exist, so each gets a ComparisonError status PATCH), which loads the apiserver during the phases: the in-process bench/appset run had no such load.",
      "Application writes go through an AdaptiveLimiter (starts at 32 in flight, up to 128; halves on 429s or answers slower than 1 s).",
    ],
  };
}
