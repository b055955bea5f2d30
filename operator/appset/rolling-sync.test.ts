import { test } from "node:test";
import assert from "node:assert/strict";
import { disableAutoSync, maxUpdateOf, parseRollingSync, planRollout, rolloutSyncOperation, RolloutConfigError, stepMatches, type AppRolloutStatus, type RolloutApp, type RolloutStep } from "./rolling-sync.js";

const steps: RolloutStep[] = parseRollingSync({
  strategy: {
    type: "RollingSync",
    rollingSync: {
      steps: [
        { matchExpressions: [{ key: "env", operator: "In", values: ["dev"] }] },
        { matchExpressions: [{ key: "env", operator: "In", values: ["prod"] }], maxUpdate: "50%" },
      ],
    },
  },
}) as RolloutStep[];

const app = (name: string, env: string | undefined, state: Partial<RolloutApp> = {}): RolloutApp => ({ name, labels: env ? { env } : {}, ...state });
const outOfSync = { syncStatus: "OutOfSync", healthStatus: "Healthy" };
const healthy = { syncStatus: "Synced", healthStatus: "Healthy", operationPhase: "Succeeded" };
const view = (st: AppRolloutStatus[]): string[] => st.map((s) => `${s.application}:${s.step}:${s.status}`);

test("parse: AllAtOnce is undefined; bad operators and maxUpdate values are config errors", () => {
  assert.equal(parseRollingSync({}), undefined);
  assert.equal(parseRollingSync({ strategy: { type: "AllAtOnce" } }), undefined);
  assert.deepEqual(parseRollingSync({ strategy: { type: "RollingSync" } }), []);
  assert.throws(() => parseRollingSync({ strategy: { type: "RollingSync", rollingSync: { steps: [{ matchExpressions: [{ key: "a", operator: "Exists" }] }] } } }), RolloutConfigError);
  assert.throws(() => parseRollingSync({ strategy: { type: "RollingSync", rollingSync: { steps: [{ maxUpdate: "ten" }] } } }), /maxUpdate/);
});

test("step selection: In, NotIn, and a missing label matches neither", () => {
  const notIn: RolloutStep = { matchExpressions: [{ key: "env", operator: "NotIn", values: ["prod"] }] };
  assert.equal(stepMatches(notIn, { env: "dev" }), true);
  assert.equal(stepMatches(notIn, { env: "prod" }), false);
  assert.equal(stepMatches(notIn, {}), false);
  assert.equal(stepMatches({ matchExpressions: [] }, {}), true, "no expressions: every Application");
});

test("maxUpdate: unset is all, integers as given, percentages round down with a floor of 1 unless 0%", () => {
  const table: [number | string | undefined, number, number][] = [[undefined, 7, 7], [2, 7, 2], [0, 7, 0], ["50%", 7, 3], ["10%", 3, 1], ["0%", 3, 0], ["100%", 4, 4]];
  for (const [max, total, want] of table) assert.equal(maxUpdateOf(max, total), want, `${String(max)} of ${total}`);
});

test("a rollout walks step by step: step 2 waits until step 1 is Healthy, then syncs 50% at a time", () => {
  const t = (n: number): string => new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString();
  // Round 1: everything is new and OutOfSync. Only step 1 (dev) syncs.
  let apps = [app("d1", "dev", outOfSync), app("p1", "prod", outOfSync), app("p2", "prod", outOfSync), app("p3", "prod", outOfSync), app("x", "qa", outOfSync)];
  let plan = planRollout(steps, apps, undefined, t(1));
  assert.deepEqual(view(plan.statuses), ["d1:1:Pending", "p1:2:Waiting", "p2:2:Waiting", "p3:2:Waiting"], "x matches no step and gets no status");
  assert.deepEqual(plan.toSync, ["d1"]);
  assert.deepEqual([plan.condition.status, plan.condition.reason, plan.condition.message], ["True", "ApplicationSetModified", "ApplicationSet is performing rollout of step 1"]);

  // Round 2: the sync was requested but not started: nothing new; not requested twice.
  apps[0] = app("d1", "dev", { ...outOfSync, operationRequested: true });
  plan = planRollout(steps, apps, plan.statuses, t(2));
  assert.deepEqual(view(plan.statuses), ["d1:1:Pending", "p1:2:Waiting", "p2:2:Waiting", "p3:2:Waiting"]);
  assert.deepEqual(plan.toSync, []);

  // Round 3: running → Progressing; round 4: synced and healthy → Healthy, and step 2 starts with 1 of 3 (50% of 3 rounds down).
  apps[0] = app("d1", "dev", { syncStatus: "OutOfSync", healthStatus: "Progressing", operationPhase: "Running", operationStartedAt: t(3) });
  plan = planRollout(steps, apps, plan.statuses, t(3));
  assert.equal(plan.statuses[0]?.status, "Progressing");
  apps[0] = app("d1", "dev", { ...healthy, operationStartedAt: t(3) });
  plan = planRollout(steps, apps, plan.statuses, t(4));
  assert.deepEqual(view(plan.statuses), ["d1:1:Healthy", "p1:2:Pending", "p2:2:Waiting", "p3:2:Waiting"]);
  assert.deepEqual(plan.toSync, ["p1"]);
  assert.equal(plan.condition.message, "ApplicationSet is performing rollout of step 2");

  // p1 done: the next prod one goes; then all done.
  apps = apps.map((a) => (a.name === "p1" ? app("p1", "prod", { ...healthy, operationStartedAt: t(5) }) : a));
  plan = planRollout(steps, apps, plan.statuses, t(6));
  assert.deepEqual(view(plan.statuses), ["d1:1:Healthy", "p1:2:Healthy", "p2:2:Pending", "p3:2:Waiting"]);
  apps = apps.map((a) => (a.name.startsWith("p") ? app(a.name, "prod", { ...healthy, operationStartedAt: t(7) }) : a));
  plan = planRollout(steps, apps, plan.statuses, t(8));
  // p3 was Waiting and is already Healthy (someone synced it by hand): Healthy without a sync.
  assert.deepEqual(view(plan.statuses), ["d1:1:Healthy", "p1:2:Healthy", "p2:2:Healthy", "p3:2:Healthy"]);
  assert.deepEqual([plan.condition.status, plan.condition.reason], ["False", "ApplicationSetRolloutComplete"]);

  // A new change makes d1 OutOfSync: it waits again and the rollout restarts at step 1.
  apps[0] = app("d1", "dev", outOfSync);
  plan = planRollout(steps, apps, plan.statuses, t(9));
  assert.deepEqual(view(plan.statuses).slice(0, 2), ["d1:1:Pending", "p1:2:Healthy"]);
  assert.deepEqual(plan.toSync, ["d1"]);
});

test("a Pending Application whose sync request was lost is synced again; a stale old operation does not count", () => {
  const prev: AppRolloutStatus[] = [{ application: "d1", status: "Pending", step: "1", lastTransitionTime: "2026-01-01T00:00:10Z" }];
  const plan = planRollout(steps, [app("d1", "dev", { syncStatus: "OutOfSync", operationPhase: "Succeeded", operationStartedAt: "2026-01-01T00:00:01Z" })], prev, "2026-01-01T00:00:20Z");
  assert.deepEqual(view(plan.statuses), ["d1:1:Pending"]);
  assert.deepEqual(plan.toSync, ["d1"]);
});

test("maxUpdate 0 leaves a step's Applications Waiting and holds later steps", () => {
  const zero = [{ matchExpressions: [{ key: "env", operator: "In", values: ["dev"] }], maxUpdate: 0 }, { matchExpressions: [] }];
  const plan = planRollout(zero, [app("d1", "dev", outOfSync), app("p1", "prod", outOfSync)], undefined, "2026-01-01T00:00:00Z");
  assert.deepEqual(view(plan.statuses), ["d1:1:Waiting", "p1:2:Waiting"]);
  assert.deepEqual(plan.toSync, []);
});

test("sync operation and autosync removal follow the Application's policy", () => {
  const spec: Record<string, unknown> = { source: { repoURL: "r", targetRevision: "v1" }, syncPolicy: { automated: { prune: true }, syncOptions: ["CreateNamespace=true"], retry: { limit: 2 } } };
  assert.equal(disableAutoSync(spec), true);
  assert.deepEqual(spec.syncPolicy, { syncOptions: ["CreateNamespace=true"], retry: { limit: 2 } });
  assert.deepEqual(rolloutSyncOperation(spec, true), {
    initiatedBy: { username: "applicationset-controller", automated: true },
    info: [{ name: "Reason", value: "ApplicationSet RollingSync triggered a sync of this Application resource." }],
    sync: { revision: "v1", syncOptions: ["CreateNamespace=true"], prune: true },
    retry: { limit: 2 },
  });
  assert.deepEqual(rolloutSyncOperation({ sources: [{ targetRevision: "a" }, {}] }, false).sync, { revisions: ["a", ""] });
  assert.equal(disableAutoSync({}), false);
});
