import { test } from "node:test";
import assert from "node:assert/strict";
import type { SyncAction } from "../../engine/sync/step.js";
import type { KubeObject } from "../../kube/client.js";
import type { DestinationClient } from "./destinations.js";
import { executeActions } from "./executor.js";

const passThrough = { run: <T>(fn: () => Promise<T>) => fn() };

function action(kind: string, group: string, name: string, namespace: string, type: SyncAction["type"]): SyncAction {
  const apiVersion = group ? `${group}/v1` : "v1";
  return {
    type, taskId: `${group}/${kind}/${namespace}/${name}:PreSync`, ref: { group, kind, namespace, name }, version: "v1",
    phase: "PreSync", wave: -1, dryRun: false, object: { apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) } },
  };
}

test("a step's Namespace and CRD are written before the objects that need them start", async () => {
  // A cluster that refuses objects in a namespace it has not finished creating, as the apiserver does.
  const namespaces = new Set<string>();
  const started: string[] = [];
  const write = async (obj: KubeObject): Promise<KubeObject> => {
    started.push(`${obj.kind}/${obj.metadata.name ?? ""}`);
    if (obj.kind === "Namespace" || obj.kind === "CustomResourceDefinition") {
      await new Promise((r) => setTimeout(r, 20));
      if (obj.kind === "Namespace") namespaces.add(obj.metadata.name ?? "");
      return obj;
    }
    if (obj.metadata.namespace && !namespaces.has(obj.metadata.namespace)) throw new Error(`namespaces "${obj.metadata.namespace}" not found`);
    return obj;
  };
  const client = { apply: write, create: write } as unknown as DestinationClient;
  // The plan's order within the step puts the hook first here; the executor must not rely on it.
  const actions = [
    action("Job", "batch", "pre-deploy-check", "bg", "create-hook"),
    action("ConfigMap", "", "settings", "bg", "apply"),
    action("Namespace", "", "bg", "", "apply"),
    action("CustomResourceDefinition", "apiextensions.k8s.io", "widgets.example.com", "", "apply"),
  ];
  const outcomes = await executeActions(client, actions, passThrough, () => undefined);
  assert.deepEqual(outcomes.map((o) => [o.taskId.split("/")[1], o.ok, o.message]), [
    ["Job", true, "hook created"],
    ["ConfigMap", true, "configured"],
    ["Namespace", true, "configured"],
    ["CustomResourceDefinition", true, "configured"],
  ]);
  assert.deepEqual(started.slice(0, 2).sort(), ["CustomResourceDefinition/widgets.example.com", "Namespace/bg"]);
});

test("a sync's writes wait in the destination's limiter in the app's group", async () => {
  const asked: Array<string | undefined> = [];
  const recording = { run: <T>(fn: () => Promise<T>, opts: { group?: string } = {}) => { asked.push(opts.group); return fn(); } };
  const write = (obj: KubeObject): Promise<KubeObject> => Promise.resolve(obj);
  const client = { apply: write, create: write } as unknown as DestinationClient;
  await executeActions(client, [action("ConfigMap", "", "a", "ns", "apply"), action("ConfigMap", "", "b", "ns", "apply")], recording, () => undefined, { group: "AppProject/probe" });
  assert.deepEqual(asked, ["AppProject/probe", "AppProject/probe"]);
});
