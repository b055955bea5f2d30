// Issue 12: with `application.resourceTrackingMethod: label` the app's tracking key is a label
// value, which Kubernetes limits to 63 characters. An Application outside the control namespace
// has the key `<namespace>_<name>`, which can pass that. Such an app is refused as a whole, with an
// InvalidSpecError naming the limit and the tracking method, and applies nothing: neither its
// automated sync nor an explicit operation writes a single object (a half-applied sync, or
// objects labelled with a cut key that no app recognises, is what this prevents). A same-named
// app in the control namespace, whose key is the name alone, syncs normally under label tracking.
import { test } from "node:test";
import assert from "node:assert/strict";
import { stringify } from "yaml";
import type { KubeObject } from "../../operator/kube/client.js";
import { eventually } from "../support/eventually.js";
import { API, createWorld } from "../support/world.js";

interface AppStatus {
  sync?: { status?: string };
  conditions?: Array<{ type?: string; message?: string }>;
  operationState?: { phase?: string; message?: string };
}

test("label tracking: an app whose <namespace>_<name> passes 63 characters is InvalidSpecError and applies nothing", async (t) => {
  const configMap = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "long-key-config" }, data: { a: "1" } };
  const w = await createWorld(t, {
    name: "lkey", repos: { web: { "app/cm.yaml": stringify(configMap) } }, startOperator: false,
    argocdCm: { "application.resourceTrackingMethod": "label" },
  });
  const { client, ns, id } = w;
  const team = `team-${id}`; // 11 characters
  const name = "payments-reconciliation-service-with-a-rather-long-name"; // 55: fits alone, not with the namespace
  const key = `${team}_${name}`;
  assert.ok(key.length > 63 && name.length <= 63, `the key is ${key.length} characters, the name ${name.length}`);
  const destTeam = w.dest("lk-team");
  const destControl = w.dest("lk-ctl");
  await w.createNamespace(team, destTeam, destControl);
  await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-cmd-params-cm", namespace: ns }, data: { "application.namespaces": team } });
  await client.create({
    apiVersion: API, kind: "AppProject", metadata: { name: "teams", namespace: ns },
    spec: { sourceRepos: ["*"], destinations: [{ server: "*", namespace: "*" }], sourceNamespaces: [team] },
  });
  await w.startOperator();

  const app = (appNs: string, dest: string): KubeObject => {
    const a = w.application(name, { repo: "web", path: "app", dest, project: "teams", syncPolicy: { automated: { prune: true } } });
    a.metadata.namespace = appNs;
    return a;
  };
  const status = async (appNs: string): Promise<AppStatus | undefined> => (await client.get(API, "Application", name, appNs))?.status as AppStatus | undefined;
  const message = `application tracking key '${key}' is ${key.length} characters long, but application.resourceTrackingMethod 'label' stores it in a label value, which Kubernetes limits to 63 characters; shorten the application's name or namespace, or use annotation tracking`;

  await client.create(app(ns, destControl));
  await client.create(app(team, destTeam));

  await t.test("the control namespace's app (key = its name) syncs under label tracking", async () => {
    await eventually(async () => {
      const s = await status(ns);
      assert.equal(s?.sync?.status, "Synced", `synced: ${JSON.stringify(s)}`);
      const cm = await client.get("v1", "ConfigMap", "long-key-config", destControl);
      assert.equal(cm?.metadata.labels?.["app.kubernetes.io/instance"], name, "labelled with the name");
    }, { timeoutMs: 120_000, message: "control-namespace app synced" });
  });

  await t.test("the team's app gets the InvalidSpecError and its automated sync writes nothing", async () => {
    await eventually(async () => {
      const s = await status(team);
      const c = s?.conditions?.find((x) => x.type === "InvalidSpecError");
      assert.equal(c?.message, message, `the condition names the limit and the method: ${JSON.stringify(s?.conditions)}`);
    }, { timeoutMs: 60_000, message: "team app refused" });
    assert.equal(await client.get("v1", "ConfigMap", "long-key-config", destTeam), undefined, "nothing applied");
  });

  await t.test("an explicit sync of the team's app is refused before anything is written", async () => {
    await client.patch({ apiVersion: API, kind: "Application", name, namespace: team }, { operation: { sync: {}, initiatedBy: { username: "team" } } });
    await eventually(async () => {
      const op = (await status(team))?.operationState;
      assert.equal(op?.phase, "Error", `refused: ${JSON.stringify(op)}`);
      assert.equal(op?.message, `InvalidSpecError: ${message}`);
    }, { timeoutMs: 60_000, message: "operation refused" });
    assert.equal(await client.get("v1", "ConfigMap", "long-key-config", destTeam), undefined, "still nothing applied");
  });
});
