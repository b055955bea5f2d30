// Issue 5's ordering acceptance on the real control plane: the three wave/hook seeds
// (000/repo-waves-and-hooks, 004/repo-sync-waves, 004/repo-blue-green-hooks) are synced by the
// operator while the test watches the cluster. Every (phase, wave) step of the plan that
// `hawser sync-plan` prints must be observed in order: no object of a later step appears before
// every object of the earlier steps exists, PreSync Jobs complete before the first Sync-phase
// object, PostSync Jobs start after the last one, and hooks are deleted per their policy.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseAllDocuments, stringify } from "yaml";
import { buildSyncPlan } from "../../operator/engine/sync/plan.js";
import { SYNC_PHASES, type KubeObject as SyncObject } from "../../operator/engine/sync/types.js";
import type { KubeObject } from "../../operator/kube/client.js";
import { Informer } from "../../operator/runtime/informer.js";
import { createLogger } from "../../operator/runtime/logger.js";
import { seedsDir } from "../crds/seeds.js";
import { eventually } from "../support/eventually.js";
import { API, createWorld } from "../support/world.js";

interface Case {
  name: string;
  file: string;
  /** Namespaces named in the seed, renamed to unique ones so runs never collide. */
  renames: Record<string, string>;
  destination: string;
  createNamespace: boolean;
}

function seedPath(file: string): string {
  const dir = seedsDir();
  if (!dir) throw new Error("seed fixtures not found");
  return join(dir, file);
}

/** The seed's documents with its namespaces renamed (names of Namespace objects and references). */
async function loadSeed(c: Case): Promise<SyncObject[]> {
  const docs = parseAllDocuments(await readFile(seedPath(c.file), "utf8")).map((d) => d.toJS() as SyncObject | null).filter((d): d is SyncObject => !!d);
  for (const d of docs) {
    if (d.kind === "Namespace" && d.metadata.name && c.renames[d.metadata.name]) d.metadata.name = c.renames[d.metadata.name];
    if (d.metadata.namespace && c.renames[d.metadata.namespace]) d.metadata.namespace = c.renames[d.metadata.namespace];
  }
  return docs;
}

test("wave and hook seeds: observed apply order matches the plan; hooks complete and are deleted per policy", async (t) => {
  // The seeds' namespaces are renamed with the world's id; the operator starts once the watchers run.
  const w = await createWorld(t, { name: "order", startOperator: false });
  const { client, git, ns, id } = w;
  const cases: Case[] = [
    { name: "waves-hooks", file: "000/repo-waves-and-hooks.yaml", renames: { production: `prod-${id}` }, destination: `prod-${id}`, createNamespace: true },
    { name: "sync-waves", file: "004/repo-sync-waves.yaml", renames: { "my-app": `myapp-${id}` }, destination: `myapp-${id}`, createNamespace: false },
    { name: "blue-green", file: "004/repo-blue-green-hooks.yaml", renames: {}, destination: `bg-${id}`, createNamespace: true },
  ];
  const seeds = new Map<string, SyncObject[]>();
  for (const c of cases) {
    const docs = await loadSeed(c);
    seeds.set(c.name, docs);
    await git.createRepo(c.name, { "manifests.yaml": docs.map((d) => stringify(d)).join("---\n") });
  }

  // Watch what appears, completes and goes, in the order the apiserver reports it.
  const log = createLogger({ level: "error" });
  const seen: string[] = [];
  const namespaces = new Set(cases.map((c) => c.destination));
  const key = (o: KubeObject): string => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name ?? ""}`;
  const watchers = [
    new Informer(client, { apiVersion: "v1", kind: "Namespace", log }),
    ...[...namespaces].flatMap((n) => [
      new Informer(client, { apiVersion: "v1", kind: "ConfigMap", namespace: n, log }),
      new Informer(client, { apiVersion: "apps/v1", kind: "Deployment", namespace: n, log }),
      new Informer(client, { apiVersion: "batch/v1", kind: "Job", namespace: n, log }),
    ]),
  ];
  for (const w of watchers) {
    w.addHandler({
      add: (o) => { if (o.kind !== "Namespace" || namespaces.has(o.metadata.name ?? "")) seen.push(`add ${key(o)}`); },
      update: (_old, o) => {
        const st = o.status as { succeeded?: number } | undefined;
        if (o.kind === "Job" && (st?.succeeded ?? 0) > 0 && !seen.includes(`complete ${key(o)}`)) seen.push(`complete ${key(o)}`);
      },
      delete: (o) => { if (o.kind !== "Namespace" || namespaces.has(o.metadata.name ?? "")) seen.push(`delete ${key(o)}`); },
    });
    w.start();
    await w.waitForSync();
  }
  t.after(async () => { await Promise.all(watchers.map((w) => w.stop())); });

  await w.startOperator();
  for (const c of cases) {
    await client.create(w.application(c.name, {
      repo: c.name, path: ".", dest: c.destination,
      syncPolicy: c.createNamespace ? { syncOptions: ["CreateNamespace=true"] } : {},
      extra: { operation: { sync: { prune: true }, initiatedBy: { username: "test" } } },
    }));
  }
  for (const c of cases) {
    await eventually(async () => {
      const app = await client.get(API, "Application", c.name, ns);
      const st = (app?.status as { operationState?: { phase?: string; message?: string } } | undefined)?.operationState;
      assert.equal(st?.phase, "Succeeded", `${c.name}: sync succeeded (${JSON.stringify(st)})`);
    }, { timeoutMs: 180_000, intervalMs: 1000 });
  }
  // Let deletions of HookSucceeded hooks reach the watchers.
  await new Promise((r) => setTimeout(r, 2000));
  t.diagnostic(`observed: ${seen.join(" | ")}`);

  for (const c of cases) {
    const docs = seeds.get(c.name)!;
    const target = docs.map((d) => ({ ...d, metadata: { ...d.metadata, namespace: d.kind === "Namespace" ? undefined : (d.metadata.namespace ?? c.destination) } }));
    const plan = buildSyncPlan({ target, live: [], destinationNamespace: c.destination, operation: { prune: true } });
    // Steps in execution order; the auto-created destination namespace exists before the sync.
    const stepKey = (phase: string, wave: number): string => `${SYNC_PHASES.indexOf(phase as never)}:${wave}`;
    const steps = [...new Set(plan.tasks.filter((x) => !x.managedNamespace).map((x) => stepKey(x.phase, x.wave)))];
    const firstSeen = (k: string): number => seen.indexOf(`add ${k}`);
    const tasks = plan.tasks.filter((x) => !x.managedNamespace && !(x.ref.kind === "Namespace" && x.ref.name === c.destination && c.createNamespace));
    for (const x of tasks) assert.ok(firstSeen(`${x.ref.kind}/${x.ref.namespace}/${x.ref.name}`) >= 0, `${c.name}: ${x.ref.kind} ${x.ref.name} was created`);
    for (const a of tasks) {
      for (const b of tasks) {
        const ia = steps.indexOf(stepKey(a.phase, a.wave));
        const ib = steps.indexOf(stepKey(b.phase, b.wave));
        if (ia >= ib) continue;
        const ka = `${a.ref.kind}/${a.ref.namespace}/${a.ref.name}`;
        const kb = `${b.ref.kind}/${b.ref.namespace}/${b.ref.name}`;
        assert.ok(firstSeen(ka) < firstSeen(kb), `${c.name}: ${ka} (step ${ia}) must appear before ${kb} (step ${ib})`);
        // A hook must have completed before the next step starts.
        if (a.hookType && a.ref.kind === "Job") {
          const done = seen.indexOf(`complete ${ka}`);
          assert.ok(done >= 0 && done < firstSeen(kb), `${c.name}: hook ${ka} completed before ${kb} appeared`);
        }
      }
    }
    // Delete policies: HookSucceeded hooks are gone; BeforeHookCreation hooks stay until the next sync.
    for (const x of plan.tasks.filter((task) => task.hookType)) {
      const live = await client.get("batch/v1", "Job", x.ref.name, x.ref.namespace);
      if (x.deletePolicies?.includes("HookSucceeded")) assert.equal(live, undefined, `${c.name}: ${x.ref.name} deleted after success`);
      else assert.ok(live, `${c.name}: ${x.ref.name} kept (BeforeHookCreation)`);
    }
  }

  // A second sync of the blue-green seed re-creates its BeforeHookCreation hooks (old one deleted first).
  const before = await client.get("batch/v1", "Job", "pre-deploy-check", `bg-${id}`);
  await client.patch({ apiVersion: API, kind: "Application", name: "blue-green", namespace: ns }, { operation: { sync: { prune: true }, initiatedBy: { username: "test" } } });
  await eventually(async () => {
    const app = await client.get(API, "Application", "blue-green", ns);
    const st = (app?.status as { operationState?: { phase?: string; startedAt?: string } } | undefined)?.operationState;
    assert.equal(st?.phase, "Succeeded", "second sync succeeded");
    const after = await client.get("batch/v1", "Job", "pre-deploy-check", `bg-${id}`);
    assert.ok(after && after.metadata.uid !== before?.metadata.uid, "the PreSync hook was re-created");
  }, { timeoutMs: 120_000, intervalMs: 1000 });
});
