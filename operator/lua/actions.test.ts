import { test } from "node:test";
import assert from "node:assert/strict";
import { parseArgoSettings } from "../engine/settings.js";
import { actionResult, LuaResourceActions, mergePatchBetween, parseActionsConfig, ResourceActionError, restoreEmptyLists, type ActionTree } from "./actions.js";
import { loadActionTree, bundledCustomizationsDir } from "./load.js";

const deployment = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", namespace: "shop" }, spec: { replicas: 1, template: { spec: { containers: [] } } } };
const bundled: ActionTree[] = [loadActionTree(bundledCustomizationsDir())];

const scaleConfig = `discovery.lua: |
  local actions = {}
  actions["scale-to"] = { displayName = "Scale to", params = { { name = "replicas", type = "number", default = "1" } } }
  return actions
definitions:
- name: scale-to
  action.lua: |
    obj.spec.replicas = tonumber(actionParams["replicas"])
    return obj
- name: broken
  action.lua: |
    return obj.spec.nothing.here
`;

const withCm = (data: Record<string, string>): LuaResourceActions => new LuaResourceActions({ resourceOverrides: parseArgoSettings(data).resourceOverrides, trees: bundled });

test("argocd-cm actions replace the built-in ones unless mergeBuiltinActions is set", () => {
  const only = withCm({ "resource.customizations.actions.apps_Deployment": scaleConfig });
  assert.deepEqual(only.discover(deployment), [{ name: "scale-to", displayName: "Scale to", params: [{ name: "replicas", type: "number", default: "1" }] }]);
  assert.throws(() => only.execute(deployment, "restart"), /action "restart" is not defined for apps\/Deployment/);
  const merged = withCm({ "resource.customizations.actions.apps_Deployment": `mergeBuiltinActions: true\n${scaleConfig}` });
  assert.deepEqual(merged.discover(deployment).map((a) => a.name), ["pause", "restart", "resume", "scale-to"]);
  assert.equal(merged.execute(structuredClone(deployment), "restart").length, 1, "the built-in restart still runs");
});

test("an argocd-cm action gets actionParams and returns the patched object", () => {
  const a = withCm({ "resource.customizations.actions.apps_Deployment": scaleConfig });
  const [out] = a.execute(structuredClone(deployment), "scale-to", { replicas: "5" });
  assert.equal(out?.operation, "patch");
  assert.equal((out?.resource.spec as { replicas: number }).replicas, 5);
  // The empty containers list of the input stays a list.
  assert.deepEqual((out?.resource.spec as { template: { spec: { containers: unknown } } }).template.spec.containers, []);
});

test("the legacy resource.customizations blob's actions key works too", () => {
  const blob = `apps/Deployment:\n  actions: |\n${scaleConfig.split("\n").map((l) => `    ${l}`).join("\n")}\n`;
  assert.deepEqual(withCm({ "resource.customizations": blob }).discover(deployment).map((a) => a.name), ["scale-to"]);
});

test("a Lua error names the action and the argocd-cm key", () => {
  const a = withCm({ "resource.customizations.actions.apps_Deployment": scaleConfig });
  assert.throws(() => a.execute(deployment, "broken"), (e: unknown) => e instanceof ResourceActionError
    && /^action "broken" failed \(argocd-cm resource\.customizations\.actions\.apps_Deployment\): broken\/action\.lua:1: attempt to index a nil value \(field 'nothing'\)$/.test(e.message));
});

test("bad configuration and bad discovery results are errors naming where", () => {
  assert.throws(() => parseActionsConfig("definitions: {}", "k"), /k: definitions must be a list/);
  assert.throws(() => parseActionsConfig("definitions:\n- name: x\n", "k"), /k: definitions\[0\] needs a name and an action.lua string/);
  assert.throws(() => parseActionsConfig(": : :", "k"), /k: not valid YAML/);
  const bad = withCm({ "resource.customizations.actions.apps_Deployment": `discovery.lua: |\n  return { x = { disabled = "yes" } }\n` });
  assert.throws(() => bad.discover(deployment), /discovery\.lua: action "x": disabled must be a boolean/);
  const notTable = withCm({ "resource.customizations.actions.apps_Deployment": `discovery.lua: return "restart"\n` });
  assert.throws(() => notTable.discover(deployment), /expected a table of actions keyed by name, got string/);
});

test("action results: the same object, or a list of create/patch operations", () => {
  assert.throws(() => actionResult(deployment, undefined, "action"), /must return the modified object or a list of \{operation, resource\}, got nothing/);
  assert.throws(() => actionResult(deployment, { ...deployment, metadata: { name: "other", namespace: "shop" } }, "action"), /returned a different object \(Deployment shop\/other\)/);
  assert.throws(() => actionResult(deployment, [{ operation: "delete", resource: deployment }], "action"), /unsupported operation "delete"/);
  assert.throws(() => actionResult(deployment, [{ operation: "create", resource: { kind: "Job" } }], "action"), /needs apiVersion, kind and metadata.name/);
  const job = { apiVersion: "batch/v1", kind: "Job", metadata: { name: "j", namespace: "shop" } };
  assert.deepEqual(actionResult(deployment, [{ operation: "create", resource: job }], "action"), [{ operation: "create", resource: job }]);
});

test("merge patches: changed, added and removed fields; lists whole; nothing when equal", () => {
  assert.equal(mergePatchBetween(deployment, structuredClone(deployment)), undefined);
  const from = { spec: { paused: true, replicas: 1, list: [1, 2] }, status: { a: 1 } };
  const to = { spec: { replicas: 2, list: [1] }, status: { a: 1 }, extra: "x" };
  assert.deepEqual(mergePatchBetween(from, to), { spec: { paused: null, replicas: 2, list: [1] }, extra: "x" });
  assert.deepEqual(restoreEmptyLists({ a: {}, b: { c: {} } }, { a: [], b: { c: {} } }), { a: [], b: { c: {} } });
});

test("a live object with deeply nested managedFields goes to Lua and back intact", () => {
  let fields: Record<string, unknown> = { "f:restartedAt": {} };
  for (let i = 0; i < 30; i++) fields = { [`f:level${i}`]: fields };
  const live = { ...structuredClone(deployment), metadata: { ...deployment.metadata, managedFields: [{ manager: "kubectl", fieldsV1: fields }] } };
  const [out] = new LuaResourceActions({ trees: bundled }).execute(structuredClone(live), "pause");
  assert.deepEqual((out?.resource.metadata as { managedFields: unknown }).managedFields, live.metadata.managedFields);
  assert.equal((out?.resource.spec as { paused: boolean }).paused, true);
});
