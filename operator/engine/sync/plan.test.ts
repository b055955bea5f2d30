import { test } from "node:test";
import assert from "node:assert/strict";
import type { ManagedNamespaceMetadata, SyncOperation } from "../../api/index.js";
import { buildSyncPlan, type SyncTask } from "./plan.js";
import { loadSeed, loadYaml, yamlFiles } from "./testdata/fixtures.js";
import type { KubeObject } from "./types.js";

/** A plan fixture: the planner's input and the expected task order, one line per task. */
interface PlanFixture {
  input: {
    seed?: string;
    target?: KubeObject[];
    live?: KubeObject[];
    namespace?: string;
    revision?: string;
    startedAt?: string;
    syncOptions?: string[];
    operation?: Pick<SyncOperation, "prune" | "dryRun" | "resources" | "syncStrategy" | "syncOptions">;
    managedNamespaceMetadata?: ManagedNamespaceMetadata;
    liveNamespace?: KubeObject;
  };
  expect?: { tasks: string[]; multiStep?: boolean; hooksSkipped?: boolean };
  expectError?: string;
}

/** `<phase>/<wave> <Kind>[.<group>] [<ns>/]<name> <operation>[ hook=…][ delete=…][ skipped=…][ confirm][ live]`. */
function describeTask(t: SyncTask): string {
  const parts = [
    `${t.phase}/${t.wave}`,
    t.ref.group ? `${t.ref.kind}.${t.ref.group}` : t.ref.kind,
    t.ref.namespace ? `${t.ref.namespace}/${t.ref.name}` : t.ref.name,
    t.operation,
  ];
  if (t.hookType) parts.push(`hook=${t.hookType}`, `delete=${(t.deletePolicies ?? []).join(",")}`);
  if (t.pruneSkipped) parts.push(`skipped=${t.pruneSkipped}`);
  if (t.requiresConfirmation) parts.push("confirm");
  if (t.hookType && t.live) parts.push("live");
  return parts.join(" ");
}

for (const file of yamlFiles("plan")) {
  const fx = loadYaml<PlanFixture>(`plan/${file}`);
  const seed = fx.input.seed ? loadSeed(fx.input.seed) : [];
  test(`plan: ${file}`, { skip: seed === undefined ? "seed fixtures not found" : false }, () => {
    const run = (): ReturnType<typeof buildSyncPlan> => buildSyncPlan({
      target: [...(seed ?? []), ...(fx.input.target ?? [])],
      live: fx.input.live ?? [],
      appSyncOptions: fx.input.syncOptions,
      operation: fx.input.operation,
      revision: fx.input.revision,
      startedAt: fx.input.startedAt,
      destinationNamespace: fx.input.namespace,
      managedNamespaceMetadata: fx.input.managedNamespaceMetadata,
      liveNamespace: fx.input.liveNamespace,
    });
    if (fx.expectError !== undefined) {
      assert.throws(run, { message: fx.expectError });
      return;
    }
    const plan = run();
    assert.deepEqual(plan.tasks.map(describeTask), fx.expect!.tasks);
    if (fx.expect!.multiStep !== undefined) assert.equal(plan.multiStep, fx.expect!.multiStep, "multiStep");
    assert.equal(plan.hooksSkipped, fx.expect!.hooksSkipped ?? false, "hooksSkipped");
    assert.deepEqual(plan.warnings, []);
  });
}

test("plan: generated hook names carry the start time, so every pass of an operation derives the same name", () => {
  const hook: KubeObject = { apiVersion: "batch/v1", kind: "Job", metadata: { generateName: "Seed-", annotations: { "argocd.argoproj.io/hook": "PreSync" } } };
  const plan = (startedAt: string): string[] => buildSyncPlan({ target: [hook], live: [], revision: "1234567", startedAt }).tasks.map((t) => t.ref.name);
  assert.deepEqual(plan("2026-11-23T10:00:00Z"), ["seed-1234567-presync-1795428000"]);
  assert.deepEqual(plan("2026-11-23T10:00:00Z"), plan("2026-11-23T10:00:00.900Z"));
  assert.notDeepEqual(plan("2026-11-23T10:00:00Z"), plan("2026-11-23T10:00:01Z"));
  assert.throws(() => buildSyncPlan({ target: [hook], live: [] }), /needs the operation's start time/);
});

test("plan: the namespace task, target objects and resource options", () => {
  const plan = buildSyncPlan({
    target: [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", annotations: { "argocd.argoproj.io/sync-options": "ServerSideApply=true,Bogus=1" } } }],
    live: [],
    appSyncOptions: ["CreateNamespace=true", "timeout.reconcile=30s"],
    destinationNamespace: "prod",
    managedNamespaceMetadata: { labels: { team: "api" }, annotations: { owner: "me" } },
  });
  const [ns, cm] = plan.tasks;
  assert.deepEqual(ns?.target, { apiVersion: "v1", kind: "Namespace", metadata: { name: "prod", labels: { team: "api" }, annotations: { owner: "me" } } });
  assert.equal(ns?.managedNamespace, true);
  assert.equal(cm?.target?.metadata.namespace, "prod", "destination namespace applied to namespaced objects");
  assert.equal(cm?.options.serverSideApply, true);
  assert.equal(plan.options.refreshIntervalMs, 30000);
  assert.deepEqual(plan.warnings, ['ConfigMap c: unknown sync option "Bogus=1"']);
});

test("plan: a non-hook without a name is an error", () => {
  assert.throws(() => buildSyncPlan({ target: [{ apiVersion: "v1", kind: "ConfigMap", metadata: { generateName: "x-" } }], live: [] }), /needs metadata.name/);
});

test("plan: ApplyOutOfSyncOnly skips in-sync resources but keeps hooks and prunes", () => {
  const plan = buildSyncPlan({
    target: [
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "same", namespace: "ns" } },
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "changed", namespace: "ns" } },
      { apiVersion: "batch/v1", kind: "Job", metadata: { name: "pre", namespace: "ns", annotations: { "argocd.argoproj.io/hook": "PreSync" } } },
    ],
    live: [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "gone", namespace: "ns" } }],
    appSyncOptions: ["ApplyOutOfSyncOnly=true"],
    operation: { prune: true },
    isOutOfSync: (ref) => ref.name !== "same",
  });
  assert.deepEqual(plan.tasks.map((t) => t.ref.name), ["pre", "changed", "gone"]);
});

test("plan: a repeated object is planned once, the last one winning, with a warning", () => {
  const plan = buildSyncPlan({
    target: [
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a", namespace: "ns" }, data: { from: "first" } },
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a", namespace: "ns" }, data: { from: "second" } },
    ],
    live: [],
  });
  assert.equal(plan.tasks.length, 1);
  assert.deepEqual(plan.tasks[0]?.target?.data, { from: "second" });
  assert.deepEqual(plan.warnings, ["ConfigMap ns/a appears more than once; the last one is used"]);
});
