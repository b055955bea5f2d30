// The API server's resource views and writes against the real control plane and the operator:
// create (and the refusal of unknown fields by the apiserver's strict validation), patch, the
// managed-resources diff, manifests, the resource tree down to Pods (Deployment → ReplicaSet →
// Pod through ownerReferences, Pods from kwok), a live resource with Secret values masked,
// ApplicationSet generate, clusters and repositories without their secrets, delete with cascade;
// argocd-cm resource.sensitive.mask.annotations masked in every object view; a second sync held off
// with Argo's refusal while a PreSync hook keeps the first running; dex.config refused everywhere.
import { test } from "node:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import { API, createWorld } from "../support/world.js";
import { eventually } from "../support/eventually.js";
import { startServerProcess } from "../support/operator-process.js";
import type { Application } from "../../operator/api/index.js";
import { initialAdminPassword, jsonCaller, showResponse } from "../support/api-session.js";

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    example.com/api-key: deploy-key-do-not-leak
    team: web-team
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:1.27"}]
`;
const secret = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\nstringData:\n  password: hunter2-very-secret\n";
// Holds a sync running: a PreSync hook Pod that no kwok node may take (its nodeSelector matches none).
const holdingHook = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: presync-wait\n  annotations:\n    argocd.argoproj.io/hook: PreSync\nspec:\n  nodeSelector:\n    hawser.test/no-such-node: \"true\"\n  containers:\n  - name: c\n    image: busybox\n";
const afterHook = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: after-hook\ndata:\n  a: b\n";

test("API server: create, patch, managed-resources, manifests, resource tree, masked resources, generate, clusters and repos without secrets, cascade delete", async (t) => {
  const w = await createWorld(t, {
    name: "apires",
    repos: { app: { "deploy.yaml": deployment, "secret.yaml": secret }, busy: { "hook.yaml": holdingHook, "cm.yaml": afterHook } },
    argocdCm: {
      "resource.sensitive.mask.annotations": "example.com/api-key",
      // Only Dex configured: Hawser runs none, and must say so instead of offering a login.
      "dex.config": "connectors:\n- type: github\n  id: github\n  name: GitHub\n",
    },
  });
  const { client, ns } = w;
  const dest = w.dest("res");
  const server = startServerProcess({ kubeconfig: w.cluster.kubeconfigPath, namespace: ns });
  t.after(() => server.stop("SIGKILL"));
  const base = await server.url();
  const password = await initialAdminPassword(client, ns);
  const call = jsonCaller(base);
  const token = ((await call("POST", "/api/v1/session", { username: "admin", password })).body as { token: string }).token;
  const api = (method: string, path: string, body?: unknown) => call(method, path, body, token);
  const show = showResponse;

  // ---- create: strict field validation by the apiserver; then a real one ----
  const app = w.application("web", { repo: "app", path: ".", dest, syncPolicy: { syncOptions: ["CreateNamespace=true"] } });
  const typo = await api("POST", "/api/v1/applications", { ...app, spec: { ...(app.spec as object), destinaton: {} } });
  assert.equal(typo.status, 400, show(typo));
  assert.match((typo.body as { message: string }).message, /destinaton/, "the unknown field is named");
  const created = await api("POST", "/api/v1/applications", app);
  assert.equal(created.status, 200, show(created));
  const again = await api("POST", "/api/v1/applications", { ...app, spec: { ...(app.spec as object), revisionHistoryLimit: 3 } });
  assert.equal(again.status, 400, show(again));
  assert.equal((again.body as { message: string }).message, "existing application spec is different, use upsert flag to force update");
  const noProject = await api("POST", "/api/v1/applications", { ...app, metadata: { name: "orphan", namespace: ns }, spec: { ...(app.spec as object), project: "nope" } });
  assert.equal(noProject.status, 400, `an unknown project is refused: ${show(noProject)}`);

  // ---- patch (merge) and an unknown sync field ----
  const patched = await api("PATCH", "/api/v1/applications/web", { patch: JSON.stringify({ metadata: { labels: { team: "a" } } }), patchType: "merge" });
  assert.equal(patched.status, 200, show(patched));
  assert.equal((patched.body as Application).metadata.labels?.team, "a");
  const badSync = await api("POST", "/api/v1/applications/web/sync", { prun: true });
  assert.equal(badSync.status, 400, show(badSync));
  assert.match((badSync.body as { message: string }).message, /unknown field "prun"/);

  // ---- before the sync: managed-resources shows the diff, manifests the target ----
  await eventually(async () => assert.equal((await client.get<Application>(API, "Application", "web", ns))?.status?.sync?.status, "OutOfSync"), { timeoutMs: 90_000 });
  const managed = await api("GET", "/api/v1/applications/web/managed-resources");
  assert.equal(managed.status, 200, show(managed));
  const items = (managed.body as { items: Array<Record<string, string | boolean>> }).items;
  const dep = items.find((i) => i.kind === "Deployment");
  assert.ok(dep && dep.modified === true && dep.liveState === "null", `the Deployment is missing and modified: ${show(managed)}`);
  assert.equal((JSON.parse(String(dep.targetState)) as { metadata: { name: string } }).metadata.name, "web");
  assert.ok(!managed.text.includes("hunter2-very-secret"), "Secret values are masked in managed-resources");
  assert.ok(!managed.text.includes("deploy-key-do-not-leak"), "resource.sensitive.mask.annotations values are masked in managed-resources");
  assert.equal((JSON.parse(String(dep.targetState)) as { metadata: { annotations: Record<string, string> } }).metadata.annotations["example.com/api-key"], "++++++++", "as a mask");
  assert.ok(managed.text.includes("web-team"), "other annotations are shown");
  const manifests = await api("GET", "/api/v1/applications/web/manifests");
  assert.equal(manifests.status, 200, show(manifests));
  assert.equal((manifests.body as { manifests: string[] }).manifests.length, 2);
  assert.ok(!manifests.text.includes("hunter2-very-secret"), "Secret values are masked in manifests");
  assert.ok(!manifests.text.includes("deploy-key-do-not-leak"), "sensitive annotations are masked in manifests");

  // ---- sync, then the tree down to the Pods ----
  const sync = await api("POST", "/api/v1/applications/web/sync", {});
  assert.equal(sync.status, 200, show(sync));
  await eventually(async () => {
    const a = await client.get<Application>(API, "Application", "web", ns);
    assert.equal(a?.status?.operationState?.phase, "Succeeded");
    assert.equal(a?.status?.health?.status, "Healthy");
  }, { timeoutMs: 120_000 });
  const tree = await eventually(async () => {
    const r = await api("GET", "/api/v1/applications/web/resource-tree");
    const nodes = (r.body as { nodes: Array<{ kind: string; parentRefs?: Array<{ kind: string }> }> }).nodes;
    assert.ok(nodes.some((n) => n.kind === "Pod" && n.parentRefs?.[0]?.kind === "ReplicaSet"), `a Pod under a ReplicaSet: ${show(r)}`);
    return nodes;
  }, { timeoutMs: 60_000 });
  assert.ok(tree.some((n) => n.kind === "ReplicaSet" && n.parentRefs?.[0]?.kind === "Deployment"), "a ReplicaSet under the Deployment");
  const res = await api("GET", `/api/v1/applications/web/resource?namespace=${dest}&resourceName=creds&version=v1&kind=Secret`);
  assert.equal(res.status, 200, show(res));
  assert.ok(!res.text.includes("hunter2") && !res.text.includes(Buffer.from("hunter2-very-secret").toString("base64")), "the live Secret is masked");
  const liveDeploy = await api("GET", `/api/v1/applications/web/resource?namespace=${dest}&resourceName=web&group=apps&version=v1&kind=Deployment`);
  assert.equal(liveDeploy.status, 200, show(liveDeploy));
  assert.ok(!liveDeploy.text.includes("deploy-key-do-not-leak") && liveDeploy.text.includes("web-team"), `the live Deployment's sensitive annotation is masked: ${show(liveDeploy)}`);
  const patchedDeploy = await api("POST", `/api/v1/applications/web/resource?namespace=${dest}&resourceName=web&group=apps&version=v1&kind=Deployment&patchType=${encodeURIComponent("application/merge-patch+json")}`,
    JSON.stringify({ metadata: { labels: { patched: "yes" } } }));
  assert.equal(patchedDeploy.status, 200, show(patchedDeploy));
  assert.ok(!patchedDeploy.text.includes("deploy-key-do-not-leak"), "the patch answer masks it too");
  const notManaged = await api("GET", `/api/v1/applications/web/resource?namespace=kube-system&resourceName=kube-root-ca.crt&version=v1&kind=ConfigMap`);
  assert.equal(notManaged.status, 404, `an object the app does not manage is not served: ${show(notManaged)}`);
  // Tree children the app does not manage itself (its Deployment's ReplicaSet and Pod) are served, as Argo serves any resource of the tree.
  const childNodes = tree as unknown as Array<{ kind: string; name: string; namespace?: string }>;
  for (const [kind, group] of [["Pod", ""], ["ReplicaSet", "apps"]] as const) {
    const node = childNodes.find((n) => n.kind === kind);
    assert.ok(node, `a ${kind} in the tree`);
    const child = await api("GET", `/api/v1/applications/web/resource?namespace=${dest}&resourceName=${node.name}&group=${group}&version=v1&kind=${kind}`);
    assert.equal(child.status, 200, `the app's ${kind} is served: ${show(child)}`);
    const manifest = JSON.parse((child.body as { manifest: string }).manifest) as { kind: string; metadata: { name: string } };
    assert.deepEqual([manifest.kind, manifest.metadata.name], [kind, node.name], `the live ${kind} itself`);
  }

  // ---- a second sync while one runs: Argo's refusal, exactly ----
  const busyApp = w.application("busy", { repo: "busy", path: ".", dest, syncPolicy: { syncOptions: ["CreateNamespace=true"] } });
  assert.equal((await api("POST", "/api/v1/applications", busyApp)).status, 200);
  await eventually(async () => assert.equal((await client.get<Application>(API, "Application", "busy", ns))?.status?.sync?.status, "OutOfSync"), { timeoutMs: 90_000 });
  const first = await api("POST", "/api/v1/applications/busy/sync", {});
  assert.equal(first.status, 200, show(first));
  await eventually(async () => {
    const s = (await client.get<Application>(API, "Application", "busy", ns))?.status?.operationState;
    assert.equal(s?.phase, "Running", "the sync runs");
    assert.ok((s?.syncResult?.resources ?? []).some((r) => r.kind === "Pod" && r.hookPhase === "Running"), "held by the PreSync hook Pod");
  }, { timeoutMs: 60_000 });
  const second = await api("POST", "/api/v1/applications/busy/sync", {});
  assert.equal(second.status, 400, show(second));
  assert.deepEqual(second.body, { error: "another operation is already in progress", code: 9, message: "another operation is already in progress" }, show(second));
  const term = await api("DELETE", "/api/v1/applications/busy/operation");
  assert.equal(term.status, 200, show(term));
  await eventually(async () => {
    const s = (await client.get<Application>(API, "Application", "busy", ns))?.status?.operationState;
    assert.equal(s?.phase, "Failed", "the terminated sync fails");
  }, { timeoutMs: 60_000 });
  const idle = await api("DELETE", "/api/v1/applications/busy/operation");
  assert.equal(idle.status, 400, `nothing to terminate now: ${show(idle)}`);
  // The terminated hook loses its finalizer (it would hold the namespace's cleanup otherwise).
  await eventually(async () => {
    const left = await client.get("v1", "Pod", "presync-wait", dest);
    assert.ok(!left?.metadata.finalizers?.includes("argocd.argoproj.io/hook-finalizer"), `the terminated hook keeps no hook finalizer: ${JSON.stringify(left?.metadata)}`);
  }, { timeoutMs: 30_000 });

  // ---- dex.config without oidc.config: no SSO offered, and every way in says why ----
  const dexLine = await server.waitForLog((l) => l.msg === "SSO setting" && /dex\.config: SSO through Dex is not supported/.test(String(l.problem)), 10_000);
  assert.match(String(dexLine.problem), /argocd-cm oidc\.config/, "the log line says what to configure instead");
  const settings = await call("GET", "/api/v1/settings");
  assert.equal(settings.status, 200, show(settings));
  assert.equal((settings.body as Record<string, unknown>).dexConfig, undefined, `no Dex connectors: ${show(settings)}`);
  assert.equal((settings.body as Record<string, unknown>).oidcConfig, undefined, "and no OIDC");
  const dex = await call("GET", "/api/dex/.well-known/openid-configuration");
  assert.equal(dex.status, 501, show(dex));
  assert.match(dex.text, /^argocd-cm dex\.config: SSO through Dex is not supported/, show(dex));
  const ssoStart = await call("GET", "/auth/login");
  assert.equal(ssoStart.status, 400, show(ssoStart));
  assert.match(ssoStart.text, /dex\.config: SSO through Dex is not supported/, show(ssoStart));
  const cli = spawnSync(process.execPath, ["--import", "tsx", "operator/cli.ts", "login", new URL(base).host, "--sso", "--plaintext", "--config", join(mkdtempSync(join(tmpdir(), "hawser-cli-")), "config")],
    { cwd: fileURLToPath(new URL("../..", import.meta.url)), encoding: "utf8", timeout: 60_000 });
  assert.equal(cli.status, 2, `hawser login --sso fails: ${cli.stderr}`);
  assert.match(cli.stderr, /no SSO configured .*dex\.config is not supported, Hawser runs no Dex/, cli.stderr);

  // ---- ApplicationSet generate (nothing written) ----
  const set = { apiVersion: API, kind: "ApplicationSet", metadata: { name: "envs", namespace: ns }, spec: { generators: [{ list: { elements: [{ env: "dev" }, { env: "prod" }] } }], template: { metadata: { name: "envs-{{env}}" }, spec: { project: "default", source: { repoURL: w.git.baseUrl("app"), path: "." }, destination: { server: "https://kubernetes.default.svc", namespace: "{{env}}" } } } } };
  const gen = await api("POST", "/api/v1/applicationsets/generate", { applicationSet: set });
  assert.equal(gen.status, 200, show(gen));
  assert.deepEqual((gen.body as { applications: Application[] }).applications.map((a) => a.metadata.name).sort(), ["envs-dev", "envs-prod"]);
  assert.equal(await client.get(API, "ApplicationSet", "envs", ns), undefined, "generate writes nothing");

  // ---- clusters and repositories: created through the API, never returned with secrets ----
  const cl = await api("POST", "/api/v1/clusters", { server: "https://10.9.8.7:6443", name: "faraway", config: { bearerToken: "cluster-token-do-not-leak", tlsClientConfig: { insecure: true } } });
  assert.equal(cl.status, 200, show(cl));
  const clusters = await api("GET", "/api/v1/clusters");
  assert.ok(!clusters.text.includes("cluster-token-do-not-leak"), "no bearer token in the cluster list");
  assert.ok((clusters.body as { items: Array<{ name: string }> }).items.some((c) => c.name === "faraway"), show(clusters));
  const repo = await api("POST", "/api/v1/repositories", { repo: w.git.baseUrl("app"), username: "u", password: "repo-password-do-not-leak" });
  assert.equal(repo.status, 200, show(repo));
  const repos = await api("GET", "/api/v1/repositories");
  assert.ok(!repos.text.includes("repo-password-do-not-leak"), "no repository password in the list");
  const one = await api("GET", `/api/v1/repositories/${encodeURIComponent(w.git.baseUrl("app"))}`);
  assert.equal(one.status, 200, show(one));
  assert.equal((one.body as { connectionState: { status: string } }).connectionState.status, "Successful", show(one));

  // ---- delete with cascade: the resources go, then the app ----
  const del = await api("DELETE", "/api/v1/applications/web?cascade=true");
  assert.equal(del.status, 200, show(del));
  await eventually(async () => {
    assert.equal(await client.get(API, "Application", "web", ns), undefined, "the app is gone");
    assert.equal(await client.get("apps/v1", "Deployment", "web", dest), undefined, "its Deployment too");
  }, { timeoutMs: 120_000 });
});
