import assert from "node:assert/strict";
import { test } from "node:test";
import { FlagError } from "../../flags.js";
import { parseServerFlags } from "../api/command.js";
import { isServerUrl } from "../cluster.js";
import { applySet, planSet, updatedSecret } from "./set.js";

const setFlags = (...args: string[]) => parseServerFlags(args, {
  values: ["name", "project", "shard", "kubeconfig", "control-namespace"],
  repeatable: ["namespace", "label", "annotation"],
  booleans: ["cluster-resources"],
});

test("cluster set by server URL: only the given flags become updatedFields, in the body as the PUT takes them", () => {
  const plan = planSet(setFlags("https://10.0.0.1:6443/", "--name", "prod", "--namespace", "a", "--namespace", "b,c", "--cluster-resources", "--project", "team", "--shard", "2", "--label", "env=prod", "--annotation", "note=x=y"), isServerUrl);
  assert.deepEqual(plan, {
    id: "https://10.0.0.1:6443/", byName: false,
    updatedFields: ["name", "namespaces", "labels", "annotations", "project", "shard", "clusterResources"],
    cluster: { server: "https://10.0.0.1:6443", name: "prod", namespaces: ["a", "b", "c"], labels: { env: "prod" }, annotations: { note: "x=y" }, project: "team", shard: 2, clusterResources: true },
  }, "every flag maps to its Argo field");
});

test("cluster set by name: no server in the body; --cluster-resources=false, --namespace '*', --project '' and --shard -1 clear", () => {
  const plan = planSet(setFlags("lab", "--cluster-resources=false", "--namespace", "*", "--project", "", "--shard", "-1"), isServerUrl);
  assert.deepEqual(plan, {
    id: "lab", byName: true,
    updatedFields: ["namespaces", "project", "shard", "clusterResources"],
    cluster: { namespaces: [], project: "", clusterResources: false },
  }, "the clearing values are sent as empty");
});

test("cluster set refuses bad input, naming the flag", () => {
  const cases: Array<[string[], RegExp]> = [
    [["lab"], /Specify the cluster field to be updated/],
    [[], /exactly one cluster/],
    [["a", "b", "--name", "x"], /exactly one cluster/],
    [["lab", "--shard", "two"], /--shard wants a shard number/],
    [["lab", "--label", "novalue"], /--label wants KEY=VALUE/],
    [["lab", "--annotation", "=v"], /--annotation wants KEY=VALUE/],
    [["lab", "--namespace", "*", "--namespace", "a"], /cannot be combined/],
    [["lab", "--name", " "], /--name must not be empty/],
    [["lab", "--label", "argocd.argoproj.io/secret-type=repository"], /kept by Hawser/],
  ];
  for (const [args, message] of cases) {
    assert.throws(() => planSet(setFlags(...args), isServerUrl), (err: unknown) => err instanceof FlagError && message.test(err.message), `hawser cluster set ${args.join(" ")} is refused with ${String(message)}`);
  }
});

test("--core: applySet changes only the named fields; config (the credentials) and other keys stay", () => {
  const stored = {
    data: { server: "https://10.0.0.1:6443", name: "old", config: '{"bearerToken":"t0k"}', namespaces: "x,y", shard: "1", clusterResources: "true", project: "p" },
    labels: { "argocd.argoproj.io/secret-type": "cluster", team: "a" },
    annotations: { keep: "me" },
  };
  const renamed = applySet(planSet(setFlags("old", "--name", "new"), isServerUrl), stored);
  assert.deepEqual(renamed, { ...stored, data: { ...stored.data, name: "new" } }, "only name changed");

  const cleared = applySet(planSet(setFlags("old", "--namespace", "*", "--cluster-resources=false", "--project", "", "--shard", "-1", "--label", "env=dev"), isServerUrl), stored);
  assert.deepEqual(cleared.data, { server: "https://10.0.0.1:6443", name: "old", config: '{"bearerToken":"t0k"}' }, "namespaces, shard, clusterResources and project removed; config kept");
  assert.deepEqual(cleared.labels, { env: "dev", "argocd.argoproj.io/secret-type": "cluster" }, "labels replaced whole, the secret-type label kept");
  assert.deepEqual(cleared.annotations, { keep: "me" }, "annotations untouched without --annotation");
});

test("updatedSecret writes data (base64) over the stored Secret, keeping its name and resourceVersion", () => {
  const secret = updatedSecret(
    { apiVersion: "v1", kind: "Secret", metadata: { name: "c1", namespace: "argocd", resourceVersion: "42" }, data: { name: "b2xk" } },
    { data: { name: "new" }, labels: { "argocd.argoproj.io/secret-type": "cluster" }, annotations: {} },
  );
  assert.deepEqual(secret, {
    apiVersion: "v1", kind: "Secret",
    metadata: { name: "c1", namespace: "argocd", resourceVersion: "42", labels: { "argocd.argoproj.io/secret-type": "cluster" }, annotations: {} },
    data: { name: Buffer.from("new").toString("base64") },
  }, "the whole Secret as replaced");
});
