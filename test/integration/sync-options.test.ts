// Sync options that change how an object is written, against a real kube-apiserver: the plan and
// step engine decide (as the operation reconciler does), the executor writes with a real client.
//   - Validate: by default an unknown field is refused by the apiserver (fieldValidation=Strict)
//     and its message lands in the resource's sync result; with Validate=false the object is
//     applied and the apiserver drops the field.
//   - Replace=true with Force=true: the object is deleted and created anew (a new uid), where
//     Replace=true alone keeps it (same uid).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { OperationState, ResourceResult } from "../../operator/api/index.js";
import { executeActions } from "../../operator/controllers/application/executor.js";
import { buildSyncPlan, type PlanInput } from "../../operator/engine/sync/plan.js";
import { nextSyncStep, recordActionOutcomes, recordValidationFailure } from "../../operator/engine/sync/step.js";
import { KubeApiError, KubeClient, type KubeObject } from "../../operator/kube/client.js";
import { sharedCluster } from "../support/cluster.js";

let client: KubeClient;
const ns = `sync-options-${process.pid}`;
const limiter = { run: <T>(f: () => Promise<T>): Promise<T> => f() };

before(async () => {
  const { kubeConfig } = await sharedCluster();
  client = new KubeClient(kubeConfig);
  try {
    await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  } catch (err) {
    if (!(err instanceof KubeApiError && err.isConflict)) throw err;
  }
});

after(async () => {
  await client?.delete({ apiVersion: "v1", kind: "Namespace", name: ns }).catch(() => undefined);
  client?.close();
});

/**
 * A sync as the operation reconciler runs it: plan, step, the first-pass dry run (which stops the
 * sync when anything fails), then the step's actions. A failed action reopens the operation and
 * the next pass fails it (a one-resource sync has no dry run: its apply is the check), so that
 * pass is taken too. Returns the operation state.
 */
async function syncOnce(input: Omit<PlanInput, "destinationNamespace" | "startedAt">): Promise<OperationState> {
  const startedAt = new Date().toISOString();
  const plan = buildSyncPlan({ ...input, destinationNamespace: ns, startedAt });
  const state: OperationState = { operation: { sync: {} }, phase: "Running", startedAt };
  const step = nextSyncStep(plan, state, new Map(), { now: startedAt });
  if (step.validation && step.validation.length > 0) {
    const checks = await executeActions(client, step.validation, limiter, () => undefined);
    const failures = checks.filter((o) => !o.ok).map((o) => ({ taskId: o.taskId, message: o.message ?? "dry run failed" }));
    if (failures.length > 0) return recordValidationFailure(plan, step.state, failures, startedAt);
  }
  const outcomes = await executeActions(client, step.actions, limiter, () => undefined);
  const done = recordActionOutcomes(step.state, outcomes);
  return done.phase === "Running" ? nextSyncStep(plan, done, new Map(), { now: startedAt }).state : done;
}

function resultOf(state: OperationState, name: string): ResourceResult {
  const r = state.syncResult?.resources?.find((x) => x.name === name);
  assert.ok(r, `no sync result for ${name}: ${JSON.stringify(state.syncResult?.resources)}`);
  return r;
}

function configMap(name: string, extra: Record<string, unknown>, syncOptions?: string): KubeObject {
  const annotations = syncOptions ? { "argocd.argoproj.io/sync-options": syncOptions } : undefined;
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: ns, ...(annotations ? { annotations } : {}) }, data: { a: "1" }, ...extra };
}

describe("Validate", () => {
  it("refuses an unknown field by default, with the apiserver's message in the sync result", async () => {
    const state = await syncOnce({ target: [configMap("strict", { bogusField: "x" })], live: [] });
    assert.equal(state.phase, "Failed", state.message);
    const r = resultOf(state, "strict");
    assert.equal(r.status, "SyncFailed", JSON.stringify(r));
    assert.match(r.message ?? "", /\.bogusField: field not declared in schema/);
    assert.equal(await client.get("v1", "ConfigMap", "strict", ns), undefined, "the refused ConfigMap must not have been created");
  });

  it("refuses an unknown field in a Deployment's pod template on update too", async () => {
    const deployment = (extraContainerField: Record<string, unknown>): KubeObject => ({
      apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", namespace: ns },
      spec: {
        replicas: 1, selector: { matchLabels: { app: "web" } },
        template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "registry.invalid/web:1", ...extraContainerField }] } },
      },
    });
    const created = await syncOnce({ target: [deployment({})], live: [] });
    assert.equal(created.phase, "Succeeded", created.message);
    const live = await client.get("apps/v1", "Deployment", "web", ns);
    assert.ok(live, "the Deployment was created");
    const refused = await syncOnce({ target: [deployment({ imagePullPolice: "Always" })], live: [live] });
    assert.equal(refused.phase, "Failed", refused.message);
    assert.match(resultOf(refused, "web").message ?? "", /imagePullPolice: field not declared in schema/);
  });

  it("refuses an unknown field on the create/replace path too (Strict, not the server's silent Warn)", async () => {
    const state = await syncOnce({ target: [configMap("strict-replace", { bogusField: "x" }, "Replace=true")], live: [] });
    assert.equal(state.phase, "Failed", state.message);
    assert.match(resultOf(state, "strict-replace").message ?? "", /unknown field "bogusField"/);
  });

  it("applies the object without the unknown field with Validate=false on the resource", async () => {
    const state = await syncOnce({ target: [configMap("loose", { bogusField: "x" }, "Validate=false")], live: [] });
    assert.equal(state.phase, "Succeeded", state.message);
    const live = await client.get("v1", "ConfigMap", "loose", ns);
    assert.ok(live, "the ConfigMap was created");
    assert.deepEqual(live.data, { a: "1" });
    assert.equal((live as Record<string, unknown>).bogusField, undefined, "the apiserver drops the unknown field");
  });

  it("applies with Validate=false in the app's sync options, with Replace=true as well", async () => {
    const state = await syncOnce({ target: [configMap("loose-app", { bogusField: "x" })], live: [], appSyncOptions: ["Validate=false", "Replace=true"] });
    assert.equal(state.phase, "Succeeded", state.message);
    const live = await client.get("v1", "ConfigMap", "loose-app", ns);
    assert.ok(live, "the ConfigMap was created");
    const again = await syncOnce({ target: [configMap("loose-app", { bogusField: "y", data: { a: "2" } })], live: [live], appSyncOptions: ["Validate=false", "Replace=true"] });
    assert.equal(again.phase, "Succeeded", again.message);
    assert.equal(resultOf(again, "loose-app").message, "replaced");
    assert.deepEqual((await client.get("v1", "ConfigMap", "loose-app", ns))?.data, { a: "2" });
  });
});

describe("Replace=true with Force=true", () => {
  it("deletes and re-creates the object (new uid), where Replace=true alone replaces it in place", async () => {
    const first = await syncOnce({ target: [configMap("replaced", {}, "Replace=true")], live: [] });
    assert.equal(first.phase, "Succeeded", first.message);
    const original = await client.get("v1", "ConfigMap", "replaced", ns);
    assert.ok(original?.metadata.uid, "the ConfigMap was created");

    const plain = await syncOnce({ target: [configMap("replaced", { data: { a: "2" } }, "Replace=true")], live: [original] });
    assert.equal(resultOf(plain, "replaced").message, "replaced");
    const inPlace = await client.get("v1", "ConfigMap", "replaced", ns);
    assert.ok(inPlace, "the ConfigMap is still there after the replace");
    assert.equal(inPlace.metadata.uid, original.metadata.uid, "Replace=true alone keeps the object");
    assert.deepEqual(inPlace.data, { a: "2" });

    const forced = await syncOnce({ target: [configMap("replaced", { data: { a: "3" } }, "Replace=true,Force=true")], live: [inPlace] });
    assert.equal(forced.phase, "Succeeded", forced.message);
    assert.equal(resultOf(forced, "replaced").message, "replaced (forced)");
    const recreated = await client.get("v1", "ConfigMap", "replaced", ns);
    assert.ok(recreated?.metadata.uid, "the ConfigMap exists after the forced replace");
    assert.notEqual(recreated.metadata.uid, original.metadata.uid, "Force=true re-creates the object");
    assert.deepEqual(recreated.data, { a: "3" });
  });

  it("re-creates a Deployment whose immutable selector changed, which a plain replace cannot", async () => {
    const deployment = (label: string, syncOptions: string): KubeObject => ({
      apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "immutable", namespace: ns, annotations: { "argocd.argoproj.io/sync-options": syncOptions } },
      spec: {
        replicas: 1, selector: { matchLabels: { app: label } },
        template: { metadata: { labels: { app: label } }, spec: { containers: [{ name: "c", image: "registry.invalid/web:1" }] } },
      },
    });
    const created = await syncOnce({ target: [deployment("one", "Replace=true")], live: [] });
    assert.equal(created.phase, "Succeeded", created.message);
    const live = await client.get("apps/v1", "Deployment", "immutable", ns);
    assert.ok(live, "the Deployment was created");

    // A plain replace meets the immutable field (in its apply: one resource has no dry run first).
    const refused = await syncOnce({ target: [deployment("two", "Replace=true")], live: [live] });
    assert.equal(refused.phase, "Failed", refused.message);
    assert.match(resultOf(refused, "immutable").message ?? "", /field is immutable/);

    const forced = await syncOnce({ target: [deployment("two", "Replace=true,Force=true")], live: [live] });
    assert.equal(forced.phase, "Succeeded", forced.message);
    const after = await client.get("apps/v1", "Deployment", "immutable", ns);
    assert.deepEqual((after?.spec as { selector?: unknown } | undefined)?.selector, { matchLabels: { app: "two" } });
    assert.notEqual(after?.metadata.uid, live.metadata.uid, "the Deployment was re-created");
  });

  it("re-creates a CRD, whose name the dry-run create under another name cannot check", async () => {
    const group = `so${process.pid}.hawser.test`;
    const crd = (description: string): KubeObject => ({
      apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition",
      metadata: { name: `widgets.${group}`, annotations: { "argocd.argoproj.io/sync-options": "Replace=true,Force=true" } },
      spec: {
        group, scope: "Namespaced", names: { plural: "widgets", singular: "widget", kind: "Widget" },
        versions: [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object", description } } }],
      },
    });
    const ref = { apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", name: `widgets.${group}` };
    try {
      const created = await syncOnce({ target: [crd("one")], live: [] });
      assert.equal(created.phase, "Succeeded", created.message);
      const live = await client.get(ref.apiVersion, ref.kind, ref.name);
      assert.ok(live, "the CRD was created");
      const forced = await syncOnce({ target: [crd("two")], live: [live] });
      assert.equal(forced.phase, "Succeeded", `${forced.message}: ${JSON.stringify(forced.syncResult?.resources)}`);
      assert.equal(resultOf(forced, ref.name).message, "replaced (forced)");
      const after = await client.get(ref.apiVersion, ref.kind, ref.name);
      assert.ok(after, "the CRD exists after the forced replace");
      assert.notEqual(after.metadata.uid, live.metadata.uid, "the CRD was re-created");
    } finally {
      await client.delete(ref).catch(() => undefined);
    }
  });
});

describe("Force=true without Replace", () => {
  const deployment = (name: string, selector: string, template: string): KubeObject => ({
    apiVersion: "apps/v1", kind: "Deployment", metadata: { name, namespace: ns, annotations: { "argocd.argoproj.io/sync-options": "Force=true" } },
    spec: {
      replicas: 1, selector: { matchLabels: { app: selector } },
      template: { metadata: { labels: { app: template } }, spec: { containers: [{ name: "c", image: "registry.invalid/web:1" }] } },
    },
  });

  it("deletes and re-creates when the apply is refused on an immutable field", async () => {
    const created = await syncOnce({ target: [deployment("forced", "one", "one")], live: [] });
    assert.equal(created.phase, "Succeeded", created.message);
    const live = await client.get("apps/v1", "Deployment", "forced", ns);
    assert.ok(live, "the Deployment was created");
    const forced = await syncOnce({ target: [deployment("forced", "two", "two")], live: [live] });
    assert.equal(forced.phase, "Succeeded", `${forced.message}: ${JSON.stringify(forced.syncResult?.resources)}`);
    assert.equal(resultOf(forced, "forced").message, "replaced (forced)");
    const after = await client.get("apps/v1", "Deployment", "forced", ns);
    assert.ok(after, "the Deployment exists after the forced apply");
    assert.notEqual(after.metadata.uid, live.metadata.uid, "the Deployment was re-created");
  });

  it("keeps the live object when the new one would be invalid too, and reports the apply's refusal", async () => {
    const created = await syncOnce({ target: [deployment("kept", "one", "one")], live: [] });
    assert.equal(created.phase, "Succeeded", created.message);
    const live = await client.get("apps/v1", "Deployment", "kept", ns);
    assert.ok(live, "the Deployment was created");
    // A selector that does not match the template's labels is invalid for a new object as well.
    const refused = await syncOnce({ target: [deployment("kept", "two", "three")], live: [live] });
    assert.equal(refused.phase, "Failed", refused.message);
    assert.match(resultOf(refused, "kept").message ?? "", /selector/);
    assert.doesNotMatch(resultOf(refused, "kept").message ?? "", /kept-[a-z0-9]{5}/, "the message names the object, not the probe's generated name");
    const after = await client.get("apps/v1", "Deployment", "kept", ns);
    assert.equal(after?.metadata.uid, live.metadata.uid, "the live Deployment was not deleted");
  });
});
