import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { csaMigrationManager, DEFAULT_CSA_MIGRATION_MANAGER, migratedManagedFields, planCsaMigration, unionFieldSets, type ManagedFieldsEntry } from "./csa-migration.js";
import type { KubeObject } from "./types.js";
import { loadYaml } from "./testdata/fixtures.js";

const fixture = (name: string): KubeObject => loadYaml<KubeObject>(`csa-migration/${name}`);
const at = (v: unknown, path: string[]): Record<string, unknown> => path.reduce<Record<string, unknown>>((o, k) => (o[k] ?? {}) as Record<string, unknown>, (v ?? {}) as Record<string, unknown>);
const entriesOf = (o: KubeObject): ManagedFieldsEntry[] => o.metadata.managedFields as ManagedFieldsEntry[];

describe("planCsaMigration", () => {
  it("turns the client-side entry into Hawser's Apply entry when Hawser has none", () => {
    const live = fixture("configmap-kubectl-applied.yaml");
    const patch = planCsaMigration(live, DEFAULT_CSA_MIGRATION_MANAGER, "hawser");
    assert.ok(patch, "a patch is planned");
    assert.deepEqual(patch[0], { op: "test", path: "/metadata/resourceVersion", value: "4242" }, "guarded by the resourceVersion read");
    assert.equal(patch[1]?.op, "replace", "replaces managedFields whole");
    const [first, second] = patch[1]?.value as ManagedFieldsEntry[];
    const [csa, label] = entriesOf(live);
    assert.deepEqual(first, { ...csa, manager: "hawser", operation: "Apply" }, "same fields, same place, now Hawser's Apply entry");
    assert.deepEqual(second, label, "the kubectl-label entry is untouched");
    assert.equal((patch[1]?.value as unknown[]).length, 2, "nothing added");
  });

  it("merges the client-side fields into an existing Apply entry and drops the Update entry", () => {
    const live = fixture("deployment-partly-applied.yaml");
    const migrated = migratedManagedFields(entriesOf(live), DEFAULT_CSA_MIGRATION_MANAGER, "hawser");
    assert.ok(migrated, "something to migrate");
    assert.deepEqual(migrated.map((e) => `${e.manager}/${e.operation}`), ["hawser/Apply", "kube-controller-manager/Update"], "the client-side entry is gone");
    const container = at(migrated[0]?.fieldsV1, ["f:spec", "f:template", "f:spec", "f:containers", 'k:{"name":"web"}']);
    assert.deepEqual(Object.keys(container).sort(), [".", "f:env", "f:image", "f:name"], "union of both field sets");
    assert.deepEqual(Object.keys(container["f:env"] as object).sort(), [".", 'k:{"name":"DEBUG"}'], "the env entry only kubectl owned is now Hawser's");
    assert.deepEqual(migrated[1], entriesOf(live)[2], "the status subresource entry is untouched");
  });

  it("plans nothing when there is no client-side Update entry, or the manager differs", () => {
    const live = fixture("configmap-kubectl-applied.yaml");
    assert.equal(planCsaMigration(live, "someone-else", "hawser"), undefined, "another manager named");
    const applied = { ...live, metadata: { ...live.metadata, managedFields: [{ ...entriesOf(live)[0], operation: "Apply" }] } };
    assert.equal(planCsaMigration(applied, DEFAULT_CSA_MIGRATION_MANAGER, "hawser"), undefined, "an Apply entry of that name is not client-side");
    const bare = { ...live, metadata: { ...live.metadata, managedFields: undefined } };
    assert.equal(planCsaMigration(bare, DEFAULT_CSA_MIGRATION_MANAGER, "hawser"), undefined, "no managedFields at all");
    const subresource = { ...live, metadata: { ...live.metadata, managedFields: [{ ...entriesOf(live)[0], subresource: "status" }] } };
    assert.equal(planCsaMigration(subresource, DEFAULT_CSA_MIGRATION_MANAGER, "hawser"), undefined, "a subresource entry is not moved");
  });

  it("migrates the manager the annotation names", () => {
    const live = fixture("configmap-kubectl-applied.yaml");
    const renamed = { ...live, metadata: { ...live.metadata, managedFields: entriesOf(live).map((e, i) => (i === 0 ? { ...e, manager: "argocd-controller" } : e)) } };
    const patch = planCsaMigration(renamed, "argocd-controller", "hawser");
    assert.equal((patch?.[1]?.value as ManagedFieldsEntry[] | undefined)?.[0]?.manager, "hawser", "argocd-controller's fields move");
  });
});

describe("unionFieldSets", () => {
  it("merges nested sets without losing either side", () => {
    assert.deepEqual(unionFieldSets({ "f:a": { "f:x": {} } }, { "f:a": { "f:y": {} }, "f:b": {} }), { "f:a": { "f:x": {}, "f:y": {} }, "f:b": {} }, "both sides kept");
    assert.deepEqual(unionFieldSets(undefined, { "f:b": {} }), { "f:b": {} }, "a missing set is empty");
  });
});

describe("csaMigrationManager", () => {
  const app = (annotations?: Record<string, string>, syncOptions?: string[]) => ({ metadata: { ...(annotations ? { annotations } : {}) }, spec: { syncPolicy: { ...(syncOptions ? { syncOptions } : {}) } } });
  it("is on by default with kubectl's client-side manager", () => {
    assert.equal(csaMigrationManager(app(), undefined), "kubectl-client-side-apply", "Argo's default");
  });
  it("takes the manager from the Application's annotation", () => {
    assert.equal(csaMigrationManager(app({ "argocd.argoproj.io/client-side-apply-migration-manager": "my-manager" }), undefined), "my-manager", "annotation wins");
  });
  it("is off with ClientSideApplyMigration=false on the app or the operation; the operation wins", () => {
    assert.equal(csaMigrationManager(app(undefined, ["ClientSideApplyMigration=false"]), undefined), undefined, "off on the app");
    assert.equal(csaMigrationManager(app(), ["ClientSideApplyMigration=false"]), undefined, "off on the operation");
    assert.equal(csaMigrationManager(app(undefined, ["ClientSideApplyMigration=false"]), ["ClientSideApplyMigration=true"]), "kubectl-client-side-apply", "the operation turns it back on");
  });
});
