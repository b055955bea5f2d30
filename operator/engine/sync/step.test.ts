import { test } from "node:test";
import assert from "node:assert/strict";
import type { ManagedNamespaceMetadata, OperationState, ResourceResult, SyncOperation } from "../../api/index.js";
import { buildSyncPlan } from "./plan.js";
import { nextSyncStep, recordActionOutcomes, recordValidationFailure, type Observation, type StepDecision, type SyncAction } from "./step.js";
import { loadSeed, loadYaml, yamlFiles } from "./testdata/fixtures.js";
import type { HealthCode, KubeObject } from "./types.js";

interface StepFixture {
  plan: {
    seed?: string;
    target?: KubeObject[];
    live?: KubeObject[];
    namespace?: string;
    revision?: string;
    startedAt?: string;
    syncOptions?: string[];
    operation?: Pick<SyncOperation, "prune" | "dryRun" | "resources" | "syncStrategy" | "syncOptions">;
    managedNamespaceMetadata?: ManagedNamespaceMetadata;
  };
  state?: OperationState;
  options?: { waveDelayMs?: number; pollIntervalMs?: number };
  steps: Array<{
    observe?: Record<string, HealthCode | Observation>;
    setPhase?: OperationState["phase"];
    pruneConfirmed?: boolean;
    expect: {
      decision: StepDecision;
      phase?: OperationState["phase"];
      message?: string;
      requeueAfterMs?: number;
      actions: string[];
      /** The first-pass dry run; once anything has run there is none. */
      validation?: string[];
      results?: string[];
    };
    outcomes?: Array<{ task: string; ok: boolean; message?: string }>;
    validationFailures?: Array<{ task: string; message: string }>;
  }>;
}

/** `<type> <Kind> [<ns>/]<name>` plus the flags that are not defaults. */
function describeAction(a: SyncAction): string {
  const parts = [a.type, a.ref.kind, a.ref.namespace ? `${a.ref.namespace}/${a.ref.name}` : a.ref.name];
  if (a.strategy && a.strategy !== "apply") parts.push(`[${a.strategy}]`);
  if (a.force) parts.push("[force]");
  if (a.validate === false) parts.push("[no-validate]");
  if (a.propagationPolicy && a.propagationPolicy !== "foreground") parts.push(`[${a.propagationPolicy}]`);
  if (a.deleteBeforeCreate) parts.push("[recreate]");
  if (a.reason) parts.push(`[${a.reason}]`);
  if (a.dryRun) parts.push("[dry-run]");
  if (a.skipIfKindUnknown) parts.push("[skip-if-unknown]");
  return parts.join(" ");
}

/** `<syncPhase> <Kind> <name> <status> <hookPhase>[ hook=<type>][ <message>]`. */
function describeResult(r: ResourceResult): string {
  const parts: string[] = [r.syncPhase ?? "", r.kind, r.name, r.status ?? "", r.hookPhase ?? ""];
  if (r.hookType) parts.push(`hook=${r.hookType}`);
  if (r.message) parts.push(r.message);
  return parts.join(" ");
}

const NOW = "2026-11-23T10:05:00Z";

for (const file of yamlFiles("step")) {
  const fx = loadYaml<StepFixture>(`step/${file}`);
  const seed = fx.plan.seed ? loadSeed(fx.plan.seed) : [];
  test(`sync step: ${file}`, { skip: seed === undefined ? "seed fixtures not found" : false }, () => {
    const startedAt = fx.plan.startedAt ?? "2026-11-23T10:00:00Z";
    // Built afresh for every step, as each reconcile (or a restarted operator) does.
    const plan = (): ReturnType<typeof buildSyncPlan> => buildSyncPlan({
      target: [...(seed ?? []), ...(fx.plan.target ?? [])],
      live: fx.plan.live ?? [],
      appSyncOptions: fx.plan.syncOptions,
      operation: fx.plan.operation,
      revision: fx.plan.revision,
      startedAt,
      destinationNamespace: fx.plan.namespace,
      managedNamespaceMetadata: fx.plan.managedNamespaceMetadata,
    });
    let serialised = JSON.stringify(fx.state ?? {
      operation: { sync: { revision: fx.plan.revision ?? "", ...fx.plan.operation } },
      phase: "Running",
      startedAt,
    } satisfies OperationState);
    fx.steps.forEach((step, i) => {
      const where = `step ${i + 1}`;
      const state = JSON.parse(serialised) as OperationState;
      if (step.setPhase) state.phase = step.setPhase;
      const observations = new Map(Object.entries(step.observe ?? {}).map(([k, v]) => [k, typeof v === "string" ? { health: v } : v]));
      const before = JSON.stringify(state);
      const out = nextSyncStep(plan(), state, observations, { now: NOW, pruneConfirmed: step.pruneConfirmed, ...fx.options });
      assert.equal(JSON.stringify(state), before, `${where}: the input state is not modified`);
      assert.equal(out.decision, step.expect.decision, `${where}: decision (${out.state.message})`);
      assert.deepEqual(out.actions.map(describeAction), step.expect.actions, `${where}: actions`);
      if (step.expect.phase) assert.equal(out.state.phase, step.expect.phase, `${where}: phase`);
      if (step.expect.message !== undefined) assert.equal(out.state.message, step.expect.message, `${where}: message`);
      if (step.expect.requeueAfterMs !== undefined) assert.equal(out.requeueAfterMs, step.expect.requeueAfterMs, `${where}: requeue`);
      if (out.state.phase === "Running") assert.ok(out.requeueAfterMs !== undefined && out.requeueAfterMs > 0, `${where}: Running requeues`);
      const terminal = out.state.phase === "Succeeded" || out.state.phase === "Failed";
      assert.equal(out.state.finishedAt, terminal ? NOW : undefined, `${where}: finishedAt iff finished`);
      if (step.expect.validation !== undefined) assert.deepEqual(out.validation?.map(describeAction), step.expect.validation, `${where}: validation`);
      else if ((state.syncResult?.resources ?? []).length > 0) assert.equal(out.validation, undefined, `${where}: validation only until something ran`);
      let next = out.state;
      if (step.validationFailures) {
        next = recordValidationFailure(plan(), state, step.validationFailures.map((f) => ({ taskId: f.task, message: f.message })), NOW);
      }
      if (step.outcomes) next = recordActionOutcomes(next, step.outcomes.map((o) => ({ taskId: o.task, ok: o.ok, message: o.message })));
      if (step.expect.results) assert.deepEqual((next.syncResult?.resources ?? []).map(describeResult), step.expect.results, `${where}: results`);
      serialised = JSON.stringify(next);
    });
  });
}
