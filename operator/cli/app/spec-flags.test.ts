import { test } from "node:test";
import assert from "node:assert/strict";
import type { ApplicationSpec } from "../../api/index.js";
import { FlagError } from "../../flags.js";
import { appFromFlags, appFromText, applySpecFlags } from "./spec-flags.js";
import { manifestsYaml, resourcesTable } from "./server-views.js";

const refused = (fn: () => unknown, want: RegExp, why: string): void => {
  assert.throws(fn, (e: unknown) => e instanceof FlagError && want.test(e.message), why);
};

test("app create from flags: argocd's flags make the Application; missing ones are named", () => {
  const app = appFromFlags("guestbook", undefined, { repo: "https://git.example/r.git", path: "guestbook", destServer: "https://kubernetes.default.svc", destNamespace: "default", syncPolicy: "automated", selfHeal: true });
  assert.deepEqual(app, {
    apiVersion: "argoproj.io/v1alpha1", kind: "Application", metadata: { name: "guestbook" },
    spec: {
      project: "default", source: { repoURL: "https://git.example/r.git", targetRevision: "HEAD", path: "guestbook" },
      destination: { server: "https://kubernetes.default.svc", namespace: "default" }, syncPolicy: { automated: { selfHeal: true } },
    },
  }, "project default and revision HEAD unless given");
  assert.equal(appFromFlags("a", "team-a", { repo: "r", destName: "in-cluster" }).metadata.namespace, "team-a", "-N sets the app's namespace");
  refused(() => appFromFlags("a", undefined, { destServer: "s" }), /--repo/, "no repo");
  refused(() => appFromFlags("a", undefined, { repo: "r" }), /--dest-server URL or --dest-name/, "no destination");
  refused(() => appFromFlags("a", undefined, { repo: "r", destServer: "s", destName: "n" }), /exclude each other/, "two destinations");
  refused(() => appFromFlags("a", undefined, { repo: "r", destServer: "s", syncPolicy: "sometimes" }), /--sync-policy must be automated or none/, "an unknown policy");
});

test("app create -f: exactly one Application with a name and a spec", () => {
  assert.equal(appFromText("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: x}\nspec: {project: default, destination: {}}\n", "f.yaml").metadata.name, "x", "a valid file");
  refused(() => appFromText("kind: AppProject\nmetadata: {name: x}\nspec: {}\n", "f.yaml"), /^f\.yaml: kind must be Application/, "another kind");
  refused(() => appFromText("kind: Application\nspec: {}\n", "f.yaml"), /metadata\.name is missing/, "no name");
  refused(() => appFromText("kind: Application\nmetadata: {name: x}\n", "f.yaml"), /spec is missing/, "no spec");
  refused(() => appFromText("kind: Application\n---\nkind: Application\n", "f.yaml"), /found 2 documents/, "two documents");
});

test("app set changes only what its flags name", () => {
  const spec: ApplicationSpec = {
    project: "default", source: { repoURL: "r", path: "p", targetRevision: "HEAD" }, destination: { server: "s", namespace: "n" },
    syncPolicy: { automated: { prune: true }, syncOptions: ["CreateNamespace=true", "Validate=false"] },
  };
  const out = applySpecFlags(spec, { revision: "v2", destName: "prod", selfHeal: true, syncOptions: ["Validate=true"] });
  assert.deepEqual(out, {
    project: "default", source: { repoURL: "r", path: "p", targetRevision: "v2" }, destination: { name: "prod", namespace: "n" },
    syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ["CreateNamespace=true", "Validate=true"] },
  }, "revision, destination by name, self-heal added, a sync option replaced by key");
  assert.equal(spec.source?.targetRevision, "HEAD", "the input is not changed");
  assert.equal(applySpecFlags(spec, { syncPolicy: "none" }).syncPolicy?.automated, undefined, "--sync-policy none turns auto-sync off");
  refused(() => applySpecFlags({ ...spec, syncPolicy: {} }, { autoPrune: true }), /need --sync-policy automated/, "auto-prune on a manual app");
  refused(() => applySpecFlags({ ...spec, source: undefined, sources: [{ repoURL: "r" }] }, { revision: "x" }), /spec\.sources/, "multi-source apps");
  refused(() => applySpecFlags(spec, { syncOptions: ["nope"] }), /Key=value/, "a malformed sync option");
});

test("manifests print as a YAML stream; resources list the app's own and orphaned resources", () => {
  assert.equal(manifestsYaml(['{"kind":"Service","metadata":{"name":"a"}}', '{"kind":"Deployment"}']), "---\nkind: Service\nmetadata:\n  name: a\n---\nkind: Deployment\n", "one document per manifest");
  assert.throws(() => manifestsYaml(["{"]), /manifest 1 that is not JSON/, "a broken manifest is named");
  const tree = {
    nodes: [
      { group: "apps", kind: "Deployment", namespace: "web", name: "web" },
      { group: "apps", kind: "ReplicaSet", namespace: "web", name: "web-1", parentRefs: [{ kind: "Deployment" }] },
      { group: "", kind: "Service", namespace: "web", name: "web", parentRefs: null },
    ],
    orphanedNodes: [{ group: "", kind: "ConfigMap", namespace: "web", name: "stray" }],
  };
  assert.equal(resourcesTable(tree, false), "GROUP  KIND        NAMESPACE  NAME   ORPHANED\napps   Deployment  web        web    No\n       Service     web        web    No\n       ConfigMap   web        stray  Yes\n", "children are left to their parents");
  assert.equal(resourcesTable(tree, true).split("\n").length, 3, "--orphaned: the header and the orphan");
});
