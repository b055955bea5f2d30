// Issue 10, finding 1, as an attacker who can write one Application or one team's repository:
// every operation is checked against its project at the moment it runs, and a missing project, a
// source or destination it does not allow, or a kind it cannot classify fails the operation with
// nothing written. Objects outside the project's destinations are never pruned or deleted, even
// when they carry the app's tracking annotation.
import { test } from "node:test";
import assert from "node:assert/strict";
import { stringify } from "yaml";
import type { KubeObject } from "../../operator/kube/client.js";
import { eventually } from "../support/eventually.js";
import { API, IN_CLUSTER, createWorld } from "../support/world.js";

interface OpState { phase?: string; message?: string }

test("operations fail closed against their project, and foreign objects are never pruned or deleted", async (t) => {
  const w = await createWorld(t, { name: "bypass", startOperator: false });
  const { client, git, ns, id } = w;
  const teamNs = `team-${id}`;
  const victimNs = `victim-${id}`;
  const group = `g${id}.example.com`;

  const adminBinding = {
    apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding", metadata: { name: `pwn-${id}` },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
    subjects: [{ kind: "ServiceAccount", name: "default", namespace: teamNs }],
  };
  const configMap = (name: string): unknown => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data: { a: "1" } });
  // A cluster-scoped kind whose CRD arrives in the same wave: discovery cannot classify it before the sync.
  const crd = {
    apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", metadata: { name: `gadgets.${group}` },
    spec: {
      group, scope: "Cluster", names: { kind: "Gadget", plural: "gadgets", singular: "gadget", listKind: "GadgetList" },
      versions: [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } } }],
    },
  };
  const gadget = { apiVersion: `${group}/v1`, kind: "Gadget", metadata: { name: "g", annotations: { "argocd.argoproj.io/sync-options": "SkipDryRunOnMissingResource=true" } } };
  await git.createRepo("escalate", { "app/crb.yaml": stringify(adminBinding), "app/cm.yaml": stringify(configMap("escalate")) });
  await git.createRepo("team", { "app/cm.yaml": stringify(configMap("team-config")) });
  await git.createRepo("gadget", { "app/crd.yaml": stringify(crd), "app/gadget.yaml": stringify(gadget) });

  await w.startOperator();
  await w.createNamespace(teamNs, victimNs);
  t.after(async () => {
    await client.delete({ apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", name: `gadgets.${group}` }).catch(() => undefined);
    await client.delete({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding", name: `pwn-${id}` }).catch(() => undefined);
  });
  // The team's project: its own namespace, no cluster-scoped kinds except CRDs, only this git server.
  await client.create({
    apiVersion: API, kind: "AppProject", metadata: { name: "team", namespace: ns },
    spec: {
      sourceRepos: [`${git.baseUrl("team").slice(0, -"team.git".length)}*`], destinations: [{ server: IN_CLUSTER, namespace: teamNs }],
      clusterResourceWhitelist: [{ group: "apiextensions.k8s.io", kind: "CustomResourceDefinition" }],
    },
  });
  await client.create({
    apiVersion: API, kind: "AppProject", metadata: { name: "elsewhere", namespace: ns },
    spec: { sourceRepos: ["http://127.0.0.1:9/*"], destinations: [{ server: "*", namespace: "*" }], clusterResourceWhitelist: [{ group: "*", kind: "*" }] },
  });

  const app = (name: string, project: string, repo: string, extra: Record<string, unknown> = {}): KubeObject => ({
    apiVersion: API, kind: "Application", metadata: { name, namespace: ns },
    spec: { project, source: { repoURL: git.baseUrl(repo), path: "app", targetRevision: "HEAD" }, destination: { server: IN_CLUSTER, namespace: teamNs } },
    ...extra,
  });
  const opState = async (name: string): Promise<OpState | undefined> => (await w.status<{ operationState?: OpState }>(name))?.operationState;
  const exists = async (apiVersion: string, kind: string, name: string, namespace?: string): Promise<boolean> => (await client.get(apiVersion, kind, name, namespace)) !== undefined;
  const ended = async (name: string): Promise<OpState> => {
    let state: OpState | undefined;
    await eventually(async () => {
      state = await opState(name);
      assert.ok(state?.phase && state.phase !== "Running", `operation of ${name} ended: ${JSON.stringify(state)}`);
    }, { timeoutMs: 90_000 });
    return state!;
  };

  await t.test("a sync of an app whose project does not exist writes nothing", async () => {
    await client.create(app("ghost", "no-such-project", "escalate", { operation: { sync: {}, initiatedBy: { username: "attacker" } } }));
    const state = await ended("ghost");
    assert.equal(state.phase, "Error", `refused: ${JSON.stringify(state)}`);
    assert.match(state.message ?? "", /Failed to load application project: AppProject "no-such-project" not found/, "Argo's message names the project");
    assert.equal(await exists("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", `pwn-${id}`), false, "no cluster-admin binding");
    assert.equal(await exists("v1", "ConfigMap", "escalate", teamNs), false, "nothing else either");
  });

  await t.test("a sync from a repository the project does not allow writes nothing", async () => {
    await client.create(app("foreign-repo", "elsewhere", "escalate", { operation: { sync: {} } }));
    const state = await ended("foreign-repo");
    assert.equal(state.phase, "Error", `refused: ${JSON.stringify(state)}`);
    assert.match(state.message ?? "", /InvalidSpecError: application repo .* is not permitted in project 'elsewhere'/, `names the rule: ${state.message}`);
    assert.equal(await exists("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", `pwn-${id}`), false, "no cluster-admin binding");
  });

  await t.test("a rollback-style operation naming its own source is checked too", async () => {
    // The spec's source is allowed; the operation's source is not.
    await client.create(app("sneaky-op", "elsewhere", "team", {
      spec: { project: "team", source: { repoURL: git.baseUrl("team"), path: "app", targetRevision: "HEAD" }, destination: { server: IN_CLUSTER, namespace: teamNs } },
      // A loopback address nothing listens on: the check must refuse it before any fetch.
      operation: { sync: { source: { repoURL: "http://127.0.0.1:9/other.git", path: "app", targetRevision: "HEAD" } } },
    }));
    const state = await ended("sneaky-op");
    assert.equal(state.phase, "Error", `refused: ${JSON.stringify(state)}`);
    assert.match(state.message ?? "", /is not permitted in project 'team'/, `names the rule: ${state.message}`);
  });

  await t.test("a kind that discovery cannot classify is classified from its CRD in the sync and refused", async () => {
    await client.create(app("gadget", "team", "gadget", { operation: { sync: {} } }));
    const state = await ended("gadget");
    assert.equal(state.phase, "Failed", `refused: ${JSON.stringify(state)}`);
    assert.match(state.message ?? "", new RegExp(`one or more synchronization tasks are not valid: resource ${group.replace(/\./g, "\\.")}:Gadget is not permitted in project team`), `names the kind: ${state.message}`);
    assert.equal(await exists("apiextensions.k8s.io/v1", "CustomResourceDefinition", `gadgets.${group}`), false, "not even the CRD was applied");
  });

  await t.test("an object outside the project's destinations is never pruned or deleted, whatever its tracking says", async () => {
    // Forged tracking: the victim claims to belong to app "team" of this installation.
    await client.create({
      apiVersion: "v1", kind: "ConfigMap", data: { keep: "me" },
      metadata: { name: "victim", namespace: victimNs, annotations: { "argocd.argoproj.io/tracking-id": `team:/ConfigMap:${victimNs}/victim`, "argocd.argoproj.io/installation-id": ns } },
    });
    await client.create(app("team", "team", "team", {
      metadata: { name: "team", namespace: ns, finalizers: ["resources-finalizer.argocd.argoproj.io"] },
      spec: {
        project: "team", source: { repoURL: git.baseUrl("team"), path: "app", targetRevision: "HEAD" },
        destination: { server: IN_CLUSTER, namespace: teamNs }, syncPolicy: { automated: { prune: true } },
      },
    }));
    await eventually(async () => {
      const a = await client.get(API, "Application", "team", ns);
      const s = a?.status as { sync?: { status?: string }; resources?: Array<{ name?: string }> } | undefined;
      assert.equal(s?.sync?.status, "Synced", `synced: ${JSON.stringify(s?.sync)}`);
      assert.ok(!(s?.resources ?? []).some((r) => r.name === "victim"), "the victim is not listed as the app's");
    }, { timeoutMs: 90_000 });
    assert.equal(await exists("v1", "ConfigMap", "team-config", teamNs), true, "the app's own object was created");
    assert.equal(await exists("v1", "ConfigMap", "victim", victimNs), true, "an automated sync with prune left the victim alone");

    await client.delete({ apiVersion: API, kind: "Application", name: "team", namespace: ns });
    await eventually(async () => {
      assert.equal(await exists(API, "Application", "team", ns), false, "the app is gone");
    }, { timeoutMs: 90_000 });
    assert.equal(await exists("v1", "ConfigMap", "team-config", teamNs), false, "cascade deletion removed the app's own object");
    assert.equal(await exists("v1", "ConfigMap", "victim", victimNs), true, "and not the victim");
  });

  await t.test("deleting an app whose project is gone deletes nothing and says why", async () => {
    await client.create({ apiVersion: API, kind: "AppProject", metadata: { name: "doomed", namespace: ns }, spec: { sourceRepos: ["*"], destinations: [{ server: "*", namespace: teamNs }] } });
    await client.create(app("orphaned", "doomed", "team", {
      metadata: { name: "orphaned", namespace: ns, finalizers: ["resources-finalizer.argocd.argoproj.io"] },
      spec: { project: "doomed", source: { repoURL: git.baseUrl("team"), path: "app", targetRevision: "HEAD" }, destination: { server: IN_CLUSTER, namespace: teamNs }, syncPolicy: { automated: {} } },
    }));
    await eventually(async () => {
      assert.equal(await exists("v1", "ConfigMap", "team-config", teamNs), true, "synced");
    }, { timeoutMs: 90_000 });
    await client.delete({ apiVersion: API, kind: "AppProject", name: "doomed", namespace: ns });
    await client.delete({ apiVersion: API, kind: "Application", name: "orphaned", namespace: ns });
    await eventually(async () => {
      const a = await client.get(API, "Application", "orphaned", ns);
      const conditions = (a?.status as { conditions?: Array<{ type: string; message: string }> } | undefined)?.conditions ?? [];
      assert.ok(conditions.some((c) => c.type === "DeletionError" && c.message.includes('AppProject "doomed" not found')), `DeletionError names the project: ${JSON.stringify(conditions)}`);
    }, { timeoutMs: 90_000 });
    assert.equal(await exists("v1", "ConfigMap", "team-config", teamNs), true, "nothing was deleted");
    await client.patch({ apiVersion: API, kind: "Application", name: "orphaned", namespace: ns }, { metadata: { finalizers: null } });
  });
});
