// Deep links (argo-cd-server.md §1.3, §1.4, §3.6) through the real server on the real control
// plane: `GET /api/v1/applications/{name}/links`, `.../resource/links` (RID) and
// `GET /api/v1/projects/{name}/links` render argocd-cm's application.links, resource.links and
// project.links (conditions and templates over the app, the live resource, the cluster and the
// project); `applications, get` / `projects, get` are checked (403 with Argo's message, app
// existence hidden); a resource outside the app's tree is 404; a setting that cannot be read is
// a 500 naming the key and the field, and a fixed setting applies at once.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { KubeObject } from "../../operator/kube/client.js";
import { initialAdminPassword, jsonCaller, showResponse } from "../support/api-session.js";
import { eventually } from "../support/eventually.js";
import { startServerProcess } from "../support/operator-process.js";
import { createWorld } from "../support/world.js";

const configMap = `apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
data:
  a: b
`;

test("API server: deep links for apps, resources and projects, with RBAC and clear setting errors", async (t) => {
  const w = await createWorld(t, {
    name: "links",
    repos: { app: { "cm.yaml": configMap } },
    argocdCm: {
      "accounts.viewer": "apiKey",
      "application.links": "- title: Dashboard\n  url: 'https://dash.example/{{.app.metadata.name}}?cluster={{.cluster.name}}&env={{.project.metadata.labels.env}}'\n  description: the app's dashboard\n  icon.class: fa-chart\n- title: Never\n  url: https://never.example/\n  if: app.spec.project == \"other\"\n",
      "resource.links": "- title: Config\n  url: 'https://cfg.example/{{.resource.kind}}/{{.resource.metadata.namespace}}/{{.resource.metadata.name}}'\n  if: resource.kind == \"ConfigMap\"\n",
      "project.links": "- title: Audit\n  url: 'https://audit.example/?project={{.project.metadata.name}}'\n",
    },
  });
  const { client, ns } = w;
  const dest = w.dest("links");
  await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-rbac-cm", namespace: ns }, data: { "policy.csv": "" } });
  await client.patch({ apiVersion: "argoproj.io/v1alpha1", kind: "AppProject", name: "default", namespace: ns }, { metadata: { labels: { env: "prod" } } }, { type: "merge" }).catch(async () => {
    await client.create({ apiVersion: "argoproj.io/v1alpha1", kind: "AppProject", metadata: { name: "default", namespace: ns, labels: { env: "prod" } }, spec: { sourceRepos: ["*"], destinations: [{ server: "*", namespace: "*" }] } });
  });
  const server = startServerProcess({ kubeconfig: w.cluster.kubeconfigPath, namespace: ns });
  t.after(() => server.stop("SIGKILL"));
  const base = await server.url();
  const call = jsonCaller(base);
  const login = await call("POST", "/api/v1/session", { username: "admin", password: await initialAdminPassword(client, ns) });
  assert.equal(login.status, 200, showResponse(login));
  const admin = (login.body as { token: string }).token;
  const viewerToken = await call("POST", "/api/v1/account/viewer/token", {}, admin);
  assert.equal(viewerToken.status, 200, showResponse(viewerToken));
  const viewer = (viewerToken.body as { token: string }).token;

  await client.create(w.application("web", { repo: "app", path: ".", dest, syncPolicy: { automated: {}, syncOptions: ["CreateNamespace=true"] } }));
  await eventually(async () => {
    assert.ok(await client.get("v1", "ConfigMap", "web-config", dest), "synced");
    const app = await client.get<KubeObject & { status?: { resources?: unknown[] } }>("argoproj.io/v1alpha1", "Application", "web", ns);
    assert.ok((app?.status?.resources ?? []).length > 0, "the app lists its resources");
  }, { timeoutMs: 120_000 });

  // ---- the app's links: the condition leaves one out; the URL is rendered from app, cluster and project ----
  const appLinks = await eventually(async () => {
    const r = await call("GET", `/api/v1/applications/web/links?namespace=${ns}`, undefined, admin);
    assert.equal(r.status, 200, showResponse(r));
    assert.match(JSON.stringify(r.body), /env=prod/, `the project's label reached the template: ${showResponse(r)}`);
    return r.body;
  }, { timeoutMs: 20_000 });
  assert.deepEqual(appLinks, { items: [{ title: "Dashboard", url: "https://dash.example/web?cluster=in-cluster&env=prod", description: "the app's dashboard", iconClass: "fa-chart" }] });

  // ---- a resource's links, from the live object ----
  const rid = `namespace=${dest}&resourceName=web-config&version=v1&kind=ConfigMap&appNamespace=${ns}`;
  const res = await call("GET", `/api/v1/applications/web/resource/links?${rid}`, undefined, admin);
  assert.equal(res.status, 200, showResponse(res));
  assert.deepEqual(res.body, { items: [{ title: "Config", url: `https://cfg.example/ConfigMap/${dest}/web-config` }] });
  const outside = await call("GET", `/api/v1/applications/web/resource/links?namespace=${ns}&resourceName=argocd-cm&version=v1&kind=ConfigMap&appNamespace=${ns}`, undefined, admin);
  assert.equal(outside.status, 404, `a resource outside the app's tree: ${showResponse(outside)}`);

  // ---- the project's links ----
  const proj = await call("GET", "/api/v1/projects/default/links", undefined, admin);
  assert.equal(proj.status, 200, showResponse(proj));
  assert.deepEqual(proj.body, { items: [{ title: "Audit", url: "https://audit.example/?project=default" }] });
  const noProj = await call("GET", "/api/v1/projects/nope/links", undefined, admin);
  assert.equal(noProj.status, 404, showResponse(noProj));

  // ---- RBAC: a user with no rights is refused, with Argo's messages; a missing app looks the same ----
  const denied = await call("GET", `/api/v1/applications/web/links?namespace=${ns}`, undefined, viewer);
  assert.equal(denied.status, 403, showResponse(denied));
  // Without `project`, Argo hides whether the app exists: the bare message (§1.1).
  assert.equal((denied.body as { message: string }).message, "permission denied", showResponse(denied));
  const missing = await call("GET", `/api/v1/applications/nope/links?namespace=${ns}`, undefined, viewer);
  assert.equal(missing.status, 403, `a missing app is not told apart: ${showResponse(missing)}`);
  const deniedRes = await call("GET", `/api/v1/applications/web/resource/links?${rid}`, undefined, viewer);
  assert.equal(deniedRes.status, 403, showResponse(deniedRes));
  const deniedProj = await call("GET", "/api/v1/projects/default/links", undefined, viewer);
  assert.equal(deniedProj.status, 403, showResponse(deniedProj));
  assert.match((deniedProj.body as { message: string }).message, /^permission denied: projects, get, default, sub: viewer/);
  const anonymous = await call("GET", "/api/v1/projects/default/links");
  assert.equal(anonymous.status, 401, showResponse(anonymous));

  // ---- a setting that cannot be read: 500 naming the key, the entry and the field; fixed, it applies at once ----
  await client.patch({ apiVersion: "v1", kind: "ConfigMap", name: "argocd-cm", namespace: ns }, { data: { "project.links": "- title: Audit\n" } }, { type: "merge" });
  const bad = await eventually(async () => {
    const r = await call("GET", "/api/v1/projects/default/links", undefined, admin);
    assert.equal(r.status, 500, showResponse(r));
    return r;
  }, { timeoutMs: 20_000 });
  assert.equal((bad.body as { message: string }).message, "argocd-cm project.links[0].url is required", showResponse(bad));
  await client.patch({ apiVersion: "v1", kind: "ConfigMap", name: "argocd-cm", namespace: ns }, { data: { "project.links": null } }, { type: "merge" });
  await eventually(async () => {
    const r = await call("GET", "/api/v1/projects/default/links", undefined, admin);
    assert.equal(r.status, 200, showResponse(r));
    assert.deepEqual(r.body, {}, "no links: {} (omitempty)");
  }, { timeoutMs: 20_000 });
});
