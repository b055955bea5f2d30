// Issue 12, item 3, on the real control plane: with argocd-cm `application.sync.impersonation.enabled`
// a sync writes as the project's destinationServiceAccounts entry, and Kubernetes RBAC decides.
// A team ServiceAccount whose Role allows ConfigMaps in its namespace only can sync a ConfigMap,
// but not a ClusterRole, even though the project would allow one; the apiserver's Forbidden
// answer, naming the service account, is the sync result. With impersonation off the same app
// syncs as the controller. An app whose project has no matching entry writes nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { stringify } from "yaml";
import { KubeClient, type KubeObject } from "../../operator/kube/client.js";
import { loadKubeConfig } from "../../operator/operator.js";
import { sharedCluster } from "../support/cluster.js";
import { eventually } from "../support/eventually.js";
import { startGitServer } from "../support/git-server.js";
import { startOperatorProcess } from "../support/operator-process.js";

const API = "argoproj.io/v1alpha1";
const IN_CLUSTER = "https://kubernetes.default.svc";
const RBAC = "rbac.authorization.k8s.io/v1";

interface OpState { phase?: string; message?: string; startedAt?: string; syncResult?: { resources?: Array<{ kind?: string; name?: string; status?: string; message?: string }> } }

test("sync impersonation: the team's service account and Kubernetes RBAC decide what a sync may write", async (t) => {
  const cluster = await sharedCluster();
  const client = new KubeClient(loadKubeConfig(cluster.kubeconfigPath));
  t.after(() => client.close());
  const id = randomBytes(3).toString("hex");
  const ns = `hawser-imp-${id}`;
  const teamNs = `team-imp-${id}`;
  const clusterRoleName = `hawser-imp-${id}`;
  const user = `system:serviceaccount:${teamNs}:deployer`;
  const git = await startGitServer();
  t.after(() => git.stop());

  await git.createRepo("config", { "app/cm.yaml": stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "team-config" }, data: { a: "1" } }) });
  await git.createRepo("role", {
    "app/role.yaml": stringify({ apiVersion: RBAC, kind: "ClusterRole", metadata: { name: clusterRoleName }, rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get"] }] }),
  });

  // The control namespace and argocd-cm exist before the operator starts, so its first sync
  // already sees impersonation on.
  for (const name of [ns, teamNs]) await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name } });
  t.after(async () => {
    for (const name of [ns, teamNs]) await client.delete({ apiVersion: "v1", kind: "Namespace", name }).catch(() => undefined);
    await client.delete({ apiVersion: RBAC, kind: "ClusterRole", name: clusterRoleName }).catch(() => undefined);
  });
  const argocdCm = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-cm", namespace: ns }, data: { "application.sync.impersonation.enabled": "true" } };
  await client.create(argocdCm);
  // The team: a ServiceAccount allowed everything on ConfigMaps in its namespace, nothing else.
  await client.create({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "deployer", namespace: teamNs } });
  await client.create({ apiVersion: RBAC, kind: "Role", metadata: { name: "configmaps", namespace: teamNs }, rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["*"] }] });
  await client.create({
    apiVersion: RBAC, kind: "RoleBinding", metadata: { name: "deployer-configmaps", namespace: teamNs },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "configmaps" },
    subjects: [{ kind: "ServiceAccount", name: "deployer", namespace: teamNs }],
  });
  const op = startOperatorProcess({ kubeconfig: cluster.kubeconfigPath, namespace: ns, args: ["--app-resync", "0"] });
  t.after(async () => { await op.stop("SIGKILL"); });
  await op.waitForLog((l) => l.msg === "controllers started", 90_000);
  // The operator installs the CRDs, so the projects come after it has started.
  // The project itself would allow a ClusterRole: only RBAC stands in the way.
  const projectSpec = { sourceRepos: ["*"], destinations: [{ server: IN_CLUSTER, namespace: teamNs }], clusterResourceWhitelist: [{ group: "*", kind: "*" }] };
  await client.create({
    apiVersion: API, kind: "AppProject", metadata: { name: "team", namespace: ns },
    spec: { ...projectSpec, destinationServiceAccounts: [{ server: IN_CLUSTER, namespace: teamNs, defaultServiceAccount: "deployer" }] },
  });
  await client.create({ apiVersion: API, kind: "AppProject", metadata: { name: "unmapped", namespace: ns }, spec: projectSpec });

  const app = (name: string, project: string, repo: string): KubeObject => ({
    apiVersion: API, kind: "Application", metadata: { name, namespace: ns },
    spec: { project, source: { repoURL: git.baseUrl(repo), path: "app", targetRevision: "HEAD" }, destination: { server: IN_CLUSTER, namespace: teamNs } },
    operation: { sync: {}, initiatedBy: { username: "team" } },
  });
  const opState = async (name: string): Promise<OpState | undefined> =>
    ((await client.get(API, "Application", name, ns))?.status as { operationState?: OpState } | undefined)?.operationState;
  /** The operation's final state, once it has one started at or after `since`. */
  const ended = async (name: string, since = 0): Promise<OpState> => {
    let state: OpState | undefined;
    await eventually(async () => {
      state = await opState(name);
      const started = Date.parse(state?.startedAt ?? "");
      assert.ok(state?.phase && state.phase !== "Running" && !(started < since), `operation of ${name} ended: ${JSON.stringify(state)}`);
    }, { timeoutMs: 90_000 });
    return state!;
  };
  const exists = async (apiVersion: string, kind: string, name: string, namespace?: string): Promise<boolean> => (await client.get(apiVersion, kind, name, namespace)) !== undefined;

  await t.test("a ConfigMap in the team's namespace syncs as the team's service account", async () => {
    await client.create(app("config", "team", "config"));
    const state = await ended("config");
    assert.equal(state.phase, "Succeeded", `synced: ${JSON.stringify(state)}`);
    assert.equal(await exists("v1", "ConfigMap", "team-config", teamNs), true, "the ConfigMap was created");
  });

  await t.test("a ClusterRole is refused by the apiserver, naming the service account, and is not created", async () => {
    await client.create(app("role", "team", "role"));
    const state = await ended("role");
    assert.equal(state.phase, "Failed", `refused: ${JSON.stringify(state)}`);
    const result = (state.syncResult?.resources ?? []).find((r) => r.kind === "ClusterRole");
    assert.ok(result, `the sync result lists the ClusterRole: ${JSON.stringify(state.syncResult)}`);
    assert.equal(result.status, "SyncFailed", `the ClusterRole failed: ${JSON.stringify(result)}`);
    assert.match(result.message ?? "", /forbidden/i, `the apiserver's Forbidden message: ${result.message}`);
    assert.ok((result.message ?? "").includes(`User "${user}"`), `the message names the service account: ${result.message}`);
    assert.equal(await exists(RBAC, "ClusterRole", clusterRoleName), false, "the ClusterRole does not exist");
  });

  // The server-side diff's dry run goes as the same service account (as in Argo): the team may not
  // create a ClusterRole, so even the dry run of one is Forbidden, and the comparison says so.
  const ssdApp = (name: string): KubeObject => {
    const { operation: _none, ...rest } = app(name, "team", "role");
    return { ...rest, metadata: { ...rest.metadata, annotations: { "argocd.argoproj.io/compare-options": "ServerSideDiff=true" } } };
  };
  const comparisonError = async (name: string): Promise<string | undefined> =>
    ((await client.get(API, "Application", name, ns))?.status as { conditions?: Array<{ type?: string; message?: string }> } | undefined)?.conditions?.find((c) => c.type === "ComparisonError")?.message;

  await t.test("the server-side diff's dry run runs as the team's service account too", async () => {
    // A server-side diff dry-runs only objects that exist: an admin's ClusterRole of that name,
    // with other rules, which the team may not patch.
    await client.create({ apiVersion: RBAC, kind: "ClusterRole", metadata: { name: clusterRoleName }, rules: [{ apiGroups: [""], resources: ["secrets"], verbs: ["list"] }] });
    await client.create(ssdApp("role-ssd"));
    await eventually(async () => {
      const message = await comparisonError("role-ssd");
      assert.match(message ?? "", /forbidden/i, `the dry run is Forbidden: ${message}`);
      assert.ok((message ?? "").includes(`User "${user}"`), `as the service account: ${message}`);
    }, { timeoutMs: 90_000, message: "role-ssd's server-side diff refused" });
    const live = await client.get(RBAC, "ClusterRole", clusterRoleName);
    assert.deepEqual((live as { rules?: unknown } | undefined)?.rules, [{ apiGroups: [""], resources: ["secrets"], verbs: ["list"] }], "a dry run changes nothing");
    await client.delete({ apiVersion: RBAC, kind: "ClusterRole", name: clusterRoleName });
    await eventually(async () => assert.equal(await exists(RBAC, "ClusterRole", clusterRoleName), false, "the admin's ClusterRole is gone again"), { timeoutMs: 30_000 });
  });

  await t.test("an app whose project has no matching destinationServiceAccounts entry fails with Argo's message and writes nothing", async () => {
    await client.delete({ apiVersion: "v1", kind: "ConfigMap", name: "team-config", namespace: teamNs });
    await client.create(app("unmapped", "unmapped", "config"));
    const state = await ended("unmapped");
    assert.equal(state.phase, "Error", `refused: ${JSON.stringify(state)}`);
    assert.equal(state.message, `failed to find a matching service account to impersonate: no matching service account found for destination server ${IN_CLUSTER} and namespace ${teamNs}`);
    assert.equal(await exists("v1", "ConfigMap", "team-config", teamNs), false, "nothing was applied");
  });

  await t.test("with impersonation off the same ClusterRole app syncs as the controller", async () => {
    await client.patch({ apiVersion: "v1", kind: "ConfigMap", name: "argocd-cm", namespace: ns }, { data: { "application.sync.impersonation.enabled": "false" } });
    // The operator sees argocd-cm through a watch; a sync that started before the change reached
    // it is still refused, so a refused attempt is followed by another.
    let state: OpState | undefined;
    for (let attempt = 0; attempt < 5 && state?.phase !== "Succeeded"; attempt++) {
      const since = Date.now();
      await client.patch({ apiVersion: API, kind: "Application", name: "role", namespace: ns }, { operation: { sync: {}, initiatedBy: { username: "team" } } });
      state = await ended("role", since);
    }
    assert.equal(state?.phase, "Succeeded", `synced: ${JSON.stringify(state)}`);
    assert.equal(await exists(RBAC, "ClusterRole", clusterRoleName), true, "the ClusterRole was created");
    // And the server-side diff, now the controller's own, compares the ClusterRole without error.
    await eventually(async () => {
      await client.patch({ apiVersion: API, kind: "Application", name: "role-ssd", namespace: ns }, { metadata: { annotations: { "argocd.argoproj.io/refresh": "normal" } } });
      const message = await comparisonError("role-ssd");
      assert.equal(message, undefined, `no ComparisonError: ${message}`);
      const sync = ((await client.get(API, "Application", "role-ssd", ns))?.status as { sync?: { status?: string } } | undefined)?.sync?.status;
      assert.ok(sync === "Synced" || sync === "OutOfSync", `compared: ${sync}`);
    }, { timeoutMs: 90_000, message: "role-ssd compared as the controller" });
  });
});
