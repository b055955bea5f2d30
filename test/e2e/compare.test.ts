// Issue 4's acceptance on the real control plane, with one operator and several Applications:
//   - manifests applied by hand (identical to git, carrying Argo's tracking annotation) show Synced
//     without any sync; a hand edit of the managed Deployment turns the app OutOfSync (the latency
//     is printed, not asserted); the kwok-backed Deployment goes Progressing → Healthy;
//   - a Job whose pod fails makes the app Degraded, and seed 004's blue-green PreSync hook, made to
//     fail, fails the sync with the hook's Job Degraded;
//   - seed 004's app-ignore-differences keeps the app Synced through live differences in replicas
//     and clusterIP (a twin without the rules goes OutOfSync); managedFieldsManagers ignores the
//     fields another field manager took over;
//   - seed 003's argocd-cm: the Ingress gets the Lua-computed health, the excluded Tekton kinds are
//     not managed and ExcludedResourceWarning appears;
//   - objects applied by hand without tracking (plain kubectl apply) are compared as Argo does
//     (OutOfSync for the missing tracking annotation, their real health) and a sync adopts them;
//   - a refresh (normal and hard) with nothing changed writes nothing but the clearing of the
//     refresh annotation itself (the operator's request counter, hawser_kube_requests_total), and
//     periodic refreshes per argocd-cm timeout.reconciliation write nothing at all; "0" stops them.
//     Spans in which nothing may happen are counted in the refreshes of an app with its own 500 ms
//     interval (the operator's debug "reconcile completed" lines, per app), not slept.
// Jobs fail through the dev cluster's `pod-fail` kwok stage (annotation hawser.dev/kwok-fail).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { parseAllDocuments, parse, stringify } from "yaml";
import { ANNOTATION_INSTALLATION_ID } from "../../operator/api/annotations.js";
import type { KubeObject } from "../../operator/kube/client.js";
import { trackingId } from "../../operator/engine/tracking.js";
import { evaluateResourceHealth } from "../../operator/engine/health/index.js";
import { seedsDir } from "../crds/seeds.js";
import { eventually } from "../support/eventually.js";
import { API, createWorld } from "../support/world.js";

const FAIL_ANNOTATION = "hawser.dev/kwok-fail";

interface ResourceStatus { group?: string; kind: string; name: string; namespace?: string; status?: string; hook?: boolean; health?: { status?: string; message?: string } }
interface AppStatus {
  sync?: { status?: string; revision?: string };
  health?: { status?: string; message?: string };
  resources?: ResourceStatus[];
  conditions?: Array<{ type: string; message: string }>;
  operationState?: { phase?: string; message?: string; syncResult?: { resources?: Array<{ kind: string; name: string; hookPhase?: string; status?: string; message?: string }> } };
  reconciledAt?: string;
}

// ---- the repository ----

const webDeployment = {
  apiVersion: "apps/v1", kind: "Deployment",
  metadata: { name: "web", labels: { app: "web" } },
  spec: {
    replicas: 1,
    // Pods are Ready at once under kwok; minReadySeconds keeps the rollout Progressing for a
    // while, so the Application's health is seen in both states.
    minReadySeconds: 12,
    selector: { matchLabels: { app: "web" } },
    template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "web", image: "nginx:1.27" }] } },
  },
};
const webConfig = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "web-config" }, data: { greeting: "hello" } };

const igDeployment = {
  apiVersion: "apps/v1", kind: "Deployment",
  metadata: { name: "ig" },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: "ig" } },
    template: { metadata: { labels: { app: "ig" } }, spec: { containers: [{ name: "ig", image: "nginx:1.27" }] } },
  },
};
// git pins a clusterIP the cluster will not have allocated (the Service is created by hand).
const igService = {
  apiVersion: "v1", kind: "Service",
  metadata: { name: "ig" },
  spec: { clusterIP: "10.0.0.200", selector: { app: "ig" }, ports: [{ port: 80, targetPort: 8080 }] },
};

const ingress = {
  apiVersion: "networking.k8s.io/v1", kind: "Ingress",
  metadata: { name: "front" },
  spec: { rules: [{ host: "front.example", http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "front", port: { number: 80 } } } }] } }] },
};
const pipelineRun = { apiVersion: "tekton.dev/v1", kind: "PipelineRun", metadata: { name: "build" }, spec: { pipelineRef: { name: "build" } } };

const failingJob = {
  apiVersion: "batch/v1", kind: "Job",
  metadata: { name: "migrate" },
  spec: {
    backoffLimit: 0,
    template: {
      metadata: { annotations: { [FAIL_ANNOTATION]: "true" } },
      spec: { restartPolicy: "Never", containers: [{ name: "migrate", image: "busybox:1.36" }] },
    },
  },
};

/** Seed 004's blue-green hooks, the elided Deployment body filled in and the PreSync check made to fail. */
async function blueGreenHooks(): Promise<string> {
  const docs = parseAllDocuments(await readFile(`${SEEDS!}/004/repo-blue-green-hooks.yaml`, "utf8")).map((d) => d.toJSON() as KubeObject);
  for (const d of docs) {
    if (d.kind === "Job" && d.metadata.name === "pre-deploy-check") {
      const tpl = (d.spec as { template: { metadata?: { annotations?: Record<string, string> } } }).template;
      tpl.metadata = { ...(tpl.metadata ?? {}), annotations: { ...(tpl.metadata?.annotations ?? {}), [FAIL_ANNOTATION]: "true" } };
      (d.spec as { backoffLimit?: number }).backoffLimit = 0;
    }
  }
  assert.ok(docs.some((d) => d.kind === "Deployment" && d.metadata.name === "my-app-green"), "the seed has the green Deployment");
  return docs.map((d) => stringify(d)).join("---\n");
}

const yamlDocs = (...objs: object[]): string => objs.map((o) => stringify(o)).join("---\n");

// ---- helpers ----

/** The test operator's installation id (operator-process passes --installation-id <namespace>). */
let installationId = "";

/**
 * What `kubectl apply` of git's manifest would create, plus the marks Hawser itself would set:
 * Argo's tracking annotation and this instance's installation id.
 */
function handApplied(appName: string, obj: KubeObject, namespace: string): KubeObject {
  const out = structuredClone(obj);
  out.metadata.namespace = namespace;
  out.metadata.annotations = { ...(out.metadata.annotations ?? {}), "argocd.argoproj.io/tracking-id": trackingId(appName, out), [ANNOTATION_INSTALLATION_ID]: installationId };
  return out;
}

function resource(s: AppStatus | undefined, kind: string, name: string): ResourceStatus | undefined {
  return s?.resources?.find((r) => r.kind === kind && r.name === name);
}

/**
 * Sum of the operator's write requests (anything but GET/LIST/WATCH) from its /metrics text, less
 * the cluster info publisher's (hawser_cluster_info_writes_total: a cluster's connection state,
 * written on its own 10 s cycle, which is not what these checks are about).
 */
function writesFrom(metrics: string): { total: number; byVerb: Record<string, number> } {
  const byVerb: Record<string, number> = {};
  let total = 0;
  const add = (verb: string, n: number): void => {
    byVerb[verb] = (byVerb[verb] ?? 0) + n;
    total += n;
    if (byVerb[verb] === 0) delete byVerb[verb];
  };
  for (const line of metrics.split("\n")) {
    const info = /^hawser_cluster_info_writes_total\{verb="([^"]*)"\} (\S+)$/.exec(line);
    if (info) add(info[1] === "apply" ? "PATCH" : "DELETE", -Number(info[2]));
    const m = /^hawser_kube_requests_total\{([^}]*)\} (\S+)$/.exec(line);
    if (!m) continue;
    const verb = /verb="([^"]*)"/.exec(m[1]!)?.[1] ?? "";
    if (["GET", "LIST", "WATCH", "HEAD"].includes(verb.toUpperCase())) continue;
    add(verb, Number(m[2]));
  }
  return { total, byVerb };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const SEEDS = seedsDir();

test("compare on the real control plane: hand-applied Synced, drift, health, hooks, ignoreDifferences, argocd-cm, refresh without writes", { skip: !SEEDS }, async (t) => {
  // Seed 003's argocd-cm, in the operator's namespace, before the operator starts. Without leader
  // election: lease renewals are writes too, and would blur the write count below.
  const seedCm = parse(await readFile(`${SEEDS!}/003/argocd-cm.yaml`, "utf8")) as { data: Record<string, string> };
  const w = await createWorld(t, {
    name: "cmp",
    argocdCm: seedCm.data,
    // debug: each reconcile's "reconcile completed" line, by app (step 6 counts refreshes per app).
    operatorArgs: ["--leader-elect=false", "--log-level", "debug"],
    repos: {
      cmp: {
        "web/manifests.yaml": yamlDocs(webConfig, webDeployment),
        "ignore/manifests.yaml": yamlDocs(igDeployment, igService),
        "ingress/manifests.yaml": yamlDocs(ingress, pipelineRun),
        "job/manifests.yaml": yamlDocs(failingJob),
        "hooks/manifests.yaml": await blueGreenHooks(),
        "adopt/manifests.yaml": yamlDocs(webConfig, igDeployment),
      },
    },
    beforeOperator: (world) => world.createNamespace(...["hand", "ig", "igc", "mfm", "ing", "job", "hooks", "adopt", "clock"].map((what) => world.dest(`cmp-${what}`))),
  });
  const { client, ns, op } = w;
  installationId = ns;
  const dest = (what: string): string => w.dest(`cmp-${what}`);
  const application = (name: string, path: string, destNs: string, spec: Record<string, unknown> = {}): KubeObject => w.application(name, { repo: "cmp", path, dest: destNs, spec });
  const status = (name: string): Promise<AppStatus | undefined> => w.status<AppStatus>(name);

  // Applications: "hand" is never synced by Hawser; the others sync automatically.
  const auto = { syncPolicy: { automated: {} } };
  const seedIgnore = parse(await readFile(`${SEEDS!}/004/app-ignore-differences.yaml`, "utf8")) as { spec: { ignoreDifferences: unknown[] } };
  await client.create(application("hand", "web", dest("hand")));
  await client.create(application("ig", "ignore", dest("ig"), { ignoreDifferences: seedIgnore.spec.ignoreDifferences }));
  await client.create(application("igc", "ignore", dest("igc")));
  await client.create(application("ing", "ingress", dest("ing"), auto));
  await client.create(application("job", "job", dest("job"), auto));
  // No retries (auto-sync would retry a failed sync 5 times by default): one failed attempt is the point.
  await client.create(application("hooks", "hooks", dest("hooks"), { syncPolicy: { automated: {}, retry: { limit: 0 } } }));

  // ---- 1. applied by hand: Synced with no sync; Progressing → Healthy; a hand edit → OutOfSync ----
  await t.test("manifests applied by hand show Synced, the kwok Deployment goes Progressing → Healthy", async () => {
    await eventually(async () => {
      const s = await status("hand");
      assert.equal(s?.sync?.status, "OutOfSync", "nothing applied yet");
      assert.equal(s?.health?.status, "Missing", "nothing exists yet");
    }, { timeoutMs: 60_000 });
    const seen: string[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const h = (await status("hand"))?.health?.status;
        if (h && seen[seen.length - 1] !== h) seen.push(h);
        await sleep(150);
      }
    })();
    try {
      for (const o of [webConfig, webDeployment]) await client.create(handApplied("hand", o as KubeObject, dest("hand")), { fieldManager: "kubectl-client-side-apply" });
      await eventually(async () => {
        const s = await status("hand");
        assert.equal(s?.sync?.status, "Synced", `synced (resources: ${JSON.stringify(s?.resources)})`);
        assert.equal(s?.health?.status, "Healthy", `healthy (seen so far: ${seen.join(" → ")})`);
      }, { timeoutMs: 90_000 });
    } finally {
      polling = false;
      await poller;
    }
    t.diagnostic(`hand app health states seen: ${seen.join(" → ")}`);
    assert.ok(seen.includes("Progressing"), `Progressing was observed (${seen.join(" → ")})`);
    assert.ok(seen.indexOf("Progressing") < seen.lastIndexOf("Healthy"), `Progressing before Healthy (${seen.join(" → ")})`);
    const s = await status("hand");
    assert.equal(s?.operationState, undefined, "no sync operation ran");
    assert.deepEqual(s?.resources?.map((r) => `${r.kind}/${r.name}:${r.status}`).sort(), ["ConfigMap/web-config:Synced", "Deployment/web:Synced"], "both resources Synced");
  });

  await t.test("a hand edit of the managed Deployment turns the app OutOfSync", async () => {
    const started = Date.now();
    await client.patch({ apiVersion: "apps/v1", kind: "Deployment", name: "web", namespace: dest("hand") }, { spec: { template: { spec: { containers: [{ name: "web", image: "nginx:1.28" }] } } } });
    await eventually(async () => {
      const s = await status("hand");
      assert.equal(s?.sync?.status, "OutOfSync", "out of sync after the edit");
      assert.equal(resource(s, "Deployment", "web")?.status, "OutOfSync", "the Deployment is the OutOfSync resource");
      assert.equal(resource(s, "ConfigMap", "web-config")?.status, "Synced", "the ConfigMap is still Synced");
    }, { timeoutMs: 30_000, intervalMs: 50, maxIntervalMs: 100 });
    t.diagnostic(`hand edit → OutOfSync seen after ${Date.now() - started} ms (status polled every ≤100 ms)`);
    // Put git's image back: Synced again, still without any sync.
    await client.patch({ apiVersion: "apps/v1", kind: "Deployment", name: "web", namespace: dest("hand") }, { spec: { template: { spec: { containers: [{ name: "web", image: "nginx:1.27" }] } } } });
    await eventually(async () => assert.equal((await status("hand"))?.sync?.status, "Synced", "Synced again"), { timeoutMs: 30_000 });
  });

  // ---- 2. a failing Job; seed 004's PreSync hook made to fail ----
  await t.test("a Job whose pod fails makes the app Degraded", async () => {
    await eventually(async () => {
      const s = await status("job");
      assert.equal(resource(s, "Job", "migrate")?.health?.status, "Degraded", `the Job is Degraded (${JSON.stringify(s?.resources)})`);
      assert.equal(s?.health?.status, "Degraded", "the app is Degraded");
      assert.equal(s?.sync?.status, "Synced", "and Synced");
    }, { timeoutMs: 90_000 });
  });

  await t.test("seed 004's PreSync hook fails: the sync fails, the hook's Job is Degraded, the Deployment is not created", async () => {
    const s = await eventually(async () => {
      const s = await status("hooks");
      assert.equal(s?.operationState?.phase, "Failed", `the sync failed (${JSON.stringify(s?.operationState)})`);
      return s;
    }, { timeoutMs: 90_000 });
    const hook = s?.operationState?.syncResult?.resources?.find((r) => r.kind === "Job" && r.name === "pre-deploy-check");
    assert.equal(hook?.hookPhase, "Failed", `the hook's phase is Failed (${JSON.stringify(hook)})`);
    const job = await client.get("batch/v1", "Job", "pre-deploy-check", dest("hooks"));
    assert.ok(job, "the hook Job exists");
    assert.equal(evaluateResourceHealth(job).health?.status, "Degraded", "the hook Job's health is Degraded");
    assert.equal(await client.get("apps/v1", "Deployment", "my-app-green", dest("hooks")), undefined, "wave 0 was not applied after the failed PreSync hook");
    assert.notEqual(s?.health?.status, "Degraded", "hooks do not count in the app's health (Argo)");
  });

  // ---- 3. seed 004 ignoreDifferences ----
  await t.test("seed 004 app-ignore-differences ignores replicas and clusterIP; managedFieldsManagers ignores another manager's fields", async () => {
    for (const [app, where] of [["ig", dest("ig")], ["igc", dest("igc")]] as const) {
      for (const o of [igDeployment, { ...igService, spec: { ...igService.spec, clusterIP: undefined } }]) {
        const obj = handApplied(app, JSON.parse(JSON.stringify(o)) as KubeObject, where);
        await client.create(obj);
      }
    }
    const svc = await client.get("v1", "Service", "ig", dest("ig"));
    const allocated = (svc?.spec as { clusterIP?: string } | undefined)?.clusterIP;
    assert.ok(allocated && allocated !== igService.spec.clusterIP, `the cluster allocated another clusterIP (${allocated})`);
    await client.patch({ apiVersion: "apps/v1", kind: "Deployment", name: "ig", namespace: dest("ig") }, { spec: { replicas: 3 } });
    await client.patch({ apiVersion: "apps/v1", kind: "Deployment", name: "ig", namespace: dest("igc") }, { spec: { replicas: 3 } });
    // managedFieldsManagers: replicas taken over by another field manager (an autoscaler, say).
    await client.create(application("mfm", "ignore", dest("mfm"), { ignoreDifferences: [{ group: "apps", kind: "Deployment", managedFieldsManagers: ["hpa-sim"] }] }));
    await client.create(handApplied("mfm", JSON.parse(JSON.stringify(igDeployment)) as KubeObject, dest("mfm")));
    await eventually(async () => assert.equal(resource(await status("mfm"), "Deployment", "ig")?.status, "Synced", "the hand-applied Deployment is Synced"), { timeoutMs: 60_000 });
    await client.apply({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "ig", namespace: dest("mfm") }, spec: { replicas: 4 } }, { fieldManager: "hpa-sim", force: true });
    await eventually(async () => {
      const c = await status("igc");
      assert.equal(resource(c, "Deployment", "ig")?.status, "OutOfSync", "without the rules, replicas differ");
      assert.equal(resource(c, "Service", "ig")?.status, "OutOfSync", "without the rules, clusterIP differs");
      const s = await status("ig");
      assert.equal(s?.sync?.status, "Synced", `with seed 004's rules the app is Synced (${JSON.stringify(s?.resources)})`);
      const live = await client.get("apps/v1", "Deployment", "ig", dest("mfm"));
      assert.equal((live?.spec as { replicas?: number } | undefined)?.replicas, 4, "hpa-sim set 4 replicas");
      assert.equal(resource(await status("mfm"), "Deployment", "ig")?.status, "Synced", "fields owned by hpa-sim are ignored (managedFieldsManagers)");
      assert.equal(((await client.get("apps/v1", "Deployment", "ig", dest("ig")))?.spec as { replicas?: number } | undefined)?.replicas, 3, "live keeps 3 replicas");
    }, { timeoutMs: 60_000 });
  });

  // ---- 4. seed 003 argocd-cm ----
  await t.test("seed 003 argocd-cm: the Ingress Lua health override and the resource exclusions apply", async () => {
    const s = await eventually(async () => {
      const s = await status("ing");
      assert.equal(s?.sync?.status, "Synced", `synced (${JSON.stringify(s)})`);
      assert.equal(resource(s, "Ingress", "front")?.health?.status, "Healthy", "the Lua override says Healthy");
      return s;
    }, { timeoutMs: 90_000 });
    const live = await client.get("networking.k8s.io/v1", "Ingress", "front", dest("ing"));
    assert.ok(live, "the Ingress was synced");
    assert.equal(evaluateResourceHealth(live).health?.status, "Progressing", "without the override an Ingress without an address is Progressing");
    assert.equal(resource(s, "PipelineRun", "build"), undefined, "the excluded PipelineRun is not managed");
    const warning = s?.conditions?.find((c) => c.type === "ExcludedResourceWarning");
    assert.ok(warning && /tekton\.dev\/PipelineRun/.test(warning.message), `ExcludedResourceWarning names the kind (${JSON.stringify(s?.conditions)})`);
  });

  // ---- 5. applied by hand without tracking (plain kubectl apply), then adopted by a sync ----
  await t.test("untracked objects applied by hand are compared (OutOfSync, real health) and adopted by a sync", async () => {
    const uids: Record<string, string | undefined> = {};
    for (const o of [webConfig, igDeployment]) {
      const obj = JSON.parse(JSON.stringify(o)) as KubeObject;
      obj.metadata.namespace = dest("adopt");
      obj.metadata.annotations = { "kubectl.kubernetes.io/last-applied-configuration": JSON.stringify(obj) };
      uids[obj.kind] = (await client.create(obj, { fieldManager: "kubectl-client-side-apply" })).metadata.uid;
    }
    await client.create(application("adopt", "adopt", dest("adopt")));
    await eventually(async () => {
      const s = await status("adopt");
      assert.equal(s?.sync?.status, "OutOfSync", "the tracking annotation is missing, as in Argo");
      // Changes to untracked objects do not trigger a refresh, so the health may be from an early compare.
      const h = resource(s, "Deployment", "ig")?.health?.status;
      assert.ok(h && h !== "Missing", `the live Deployment's health is shown (${JSON.stringify(s?.resources)})`);
      assert.ok(s?.health?.status && s.health.status !== "Missing", "the app's health is the live objects', not Missing");
      assert.ok(!s?.resources?.some((r) => (r as { requiresPruning?: boolean }).requiresPruning), "nothing to prune");
    }, { timeoutMs: 60_000 });
    await client.patch({ apiVersion: API, kind: "Application", name: "adopt", namespace: ns }, { operation: { initiatedBy: { username: "test" }, sync: { revision: "HEAD" } } });
    await eventually(async () => {
      const s = await status("adopt");
      assert.equal(s?.operationState?.phase, "Succeeded", `the sync succeeded (${JSON.stringify(s?.operationState)})`);
      assert.equal(s?.sync?.status, "Synced", "Synced after adopting");
    }, { timeoutMs: 60_000 });
    const d = await client.get("apps/v1", "Deployment", "ig", dest("adopt"));
    assert.equal(d?.metadata.uid, uids.Deployment, "adopted in place, not re-created");
    assert.ok(d?.metadata.annotations?.["argocd.argoproj.io/tracking-id"], "now carries the tracking annotation");
  });

  // ---- 6. a refresh with nothing changed writes nothing ----
  await t.test("a refresh with nothing changed issues no write beyond clearing the refresh annotation; periodic refreshes per timeout.reconciliation write nothing", async () => {
    const metricsUrl = `${await op.probeUrl()}/metrics`;
    const scrape = async (): Promise<string> => (await fetch(metricsUrl)).text();
    const apps = ["hand", "ig", "igc", "ing", "job", "hooks", "mfm", "adopt"];
    /** Reconciles the operator finished (its debug line) from log line `from` on, of this world's Applications. */
    const reconciledSince = (from: number): Array<{ controller: string; app: string }> => op.logs.slice(from)
      .filter((l) => l.msg === "reconcile completed" && typeof l.key === "string" && l.key.startsWith(`${ns}/`))
      .map((l) => ({ controller: String(l.controller), app: String(l.key).slice(ns.length + 1) }));
    const refreshesOf = (from: number, app: string): number => reconciledSince(from).filter((r) => r.controller === "application-refresh" && r.app === app).length;
    /** Full rounds since `from`: how many times every one of `apps` was refreshed, at least. */
    const rounds = (from: number): number => Math.min(...apps.map((a) => refreshesOf(from, a)));
    // A clock: an app of its own refreshed every TICK_MS (Hawser's timeout.reconcile sync option),
    // whatever timeout.reconciliation says. A span in which something must NOT happen is counted
    // in its refreshes, each at least TICK_MS after the one before, rather than slept: a stalled
    // operator stops the clock too, and cannot pass for a quiet one.
    const TICK_MS = 500;
    await client.create(application("clock", "web", dest("clock"), { syncPolicy: { syncOptions: [`timeout.reconcile=${TICK_MS}ms`] } }));
    // Polled often: these waits are counted in seconds, and a slow poll only lengthens them.
    const often = { intervalMs: 50, maxIntervalMs: 250 };
    /** Waits until at least `ms` have passed by the clock (n + 1 refreshes of it span n ticks). */
    const span = async (ms: number): Promise<void> => {
      const from = op.logs.length;
      const n = Math.ceil(ms / TICK_MS) + 1;
      await eventually(() => assert.ok(refreshesOf(from, "clock") >= n, `the clock app refreshed ${n} times`), { timeoutMs: 30_000, ...often });
    };
    /** Waits for a span of at least `ms` in which nothing but the clock was reconciled and nothing written. */
    const quiet = async (ms: number): Promise<void> => {
      await eventually(async () => {
        const from = op.logs.length;
        const before = writesFrom(await scrape());
        await span(ms);
        const others = reconciledSince(from).filter((r) => r.app !== "clock");
        const after = writesFrom(await scrape());
        assert.ok(others.length === 0 && after.total === before.total, `quiet for ${ms} ms (reconciled ${JSON.stringify(others)}; writes before ${JSON.stringify(before.byVerb)}, after ${JSON.stringify(after.byVerb)})`);
      }, { timeoutMs: 60_000, ...often });
    };
    // The earlier steps' syncs, hooks and kwok's status updates have played out.
    await quiet(2000);
    for (const kind of ["normal", "hard"] as const) {
      const app = await status("hand");
      const start = writesFrom(await scrape());
      const from = op.logs.length;
      await w.refresh("hand", kind);
      await eventually(async () => {
        const a = await client.get(API, "Application", "hand", ns);
        assert.equal(a?.metadata.annotations?.["argocd.argoproj.io/refresh"], undefined, "the refresh annotation was cleared");
        assert.ok(refreshesOf(from, "hand") >= 1, "a refresh reconcile of the app ran");
      }, { timeoutMs: 30_000 });
      // Whatever the refresh set off (the watch event of its own annotation patch, an Event) is
      // done once the operator is quiet again.
      await quiet(1000);
      const end = writesFrom(await scrape());
      const delta: Record<string, number> = {};
      for (const [verb, n] of Object.entries(end.byVerb)) if (n - (start.byVerb[verb] ?? 0) > 0) delta[verb] = n - (start.byVerb[verb] ?? 0);
      t.diagnostic(`${kind} refresh: operator writes ${JSON.stringify(delta)}`);
      assert.deepEqual(delta, { PATCH: 1 }, `${kind} refresh: the one write is clearing the annotation`);
      const after = await status("hand");
      assert.equal(after?.sync?.status, "Synced", "still Synced");
      assert.deepEqual(after, app, "status untouched");
    }

    // Periodic refresh from argocd-cm's timeout.reconciliation: every app is compared again and
    // again, and none of these refreshes writes anything.
    const cmRef = { apiVersion: "v1", kind: "ConfigMap", name: "argocd-cm", namespace: ns };
    const PERIOD_MS = 1000;
    const on = op.logs.length;
    await client.patch(cmRef, { data: { "timeout.reconciliation": `${PERIOD_MS}ms`, "timeout.reconciliation.jitter": "0s" } });
    // The refresh the settings change sets off, and the first periodic one, may legitimately
    // write: changes to objects an app does not track (the hand-applied ones above) trigger no
    // refresh, so an app's health can be stale until then. A third round lets what they wrote
    // (an Event is recorded in the background) land before writes are counted.
    await eventually(() => assert.ok(rounds(on) >= 3, `every app refreshed 3 times since the change (${apps.map((a) => `${a}: ${refreshesOf(on, a)}`).join(", ")})`), { timeoutMs: 30_000, ...often });
    const startWrites = writesFrom(await scrape());
    const r0 = op.logs.length;
    const started = Date.now();
    await eventually(() => assert.ok(rounds(r0) >= 2, `two periodic rounds (${apps.map((a) => `${a}: ${refreshesOf(r0, a)}`).join(", ")})`), { timeoutMs: 30_000, ...often });
    t.diagnostic(`timeout.reconciliation=${PERIOD_MS}ms: every app refreshed twice in ${Date.now() - started} ms`);
    const endWrites = writesFrom(await scrape());
    assert.deepEqual(endWrites, startWrites, `periodic refreshes with nothing changed write nothing (before ${JSON.stringify(startWrites.byVerb)}, after ${JSON.stringify(endWrites.byVerb)})`);

    // "0" turns polling off again (seed 003's value). The change itself refreshes every app; a
    // refresh scheduled under the old period before the operator saw the change may still come,
    // at most one period later. Past that, two of the former periods go by without one.
    const off = op.logs.length;
    await client.patch(cmRef, { data: { "timeout.reconciliation": "0" } });
    await eventually(() => assert.ok(rounds(off) >= 1, "every app refreshed for the change"), { timeoutMs: 30_000, ...often });
    await span(PERIOD_MS + TICK_MS);
    const r1 = op.logs.length;
    await span(2 * PERIOD_MS);
    const late = reconciledSince(r1).filter((r) => r.controller === "application-refresh" && apps.includes(r.app));
    assert.deepEqual(late, [], `no periodic refresh with timeout.reconciliation: "0" over ${2 * PERIOD_MS} ms of the clock app's own refreshes`);
  });
});
