/// <reference lib="dom" />
// (page.evaluate callbacks run in the browser: they use its globals.)
// Issue 14's leftovers in a real headless Chromium, on `hawser server` with the operator and the
// real control plane:
// - the resource tree's `hosts` (API): the kwok Nodes the app's pods run on, with the cpu the app
//   requests there, the node's capacity and system info, and only the labels argocd-cm
//   `application.allowedNodeLabels` lists; the pods view shows them per node;
// - notification subscriptions on the app's details panel: added from argocd-notifications-cm's
//   triggers and services (the annotation is written), then removed (the annotation is gone);
// - a user who may update one project and one cluster only: on the project's page only the
//   destination on that cluster can be removed, adding one on another cluster is refused in the
//   page and by the server; on the Clusters page only that cluster's Invalidate cache is enabled;
// - axe-core finds no serious or critical violation on the network, pods and list views, the
//   applications list view, the New App panel, the details panel and the Appearance and Advanced pages;
// - the New App panel with a Helm repository: its charts and versions offered instead of a path,
//   Helm parameters typed, the app created with repoURL, chart, version and the parameter.
import { test } from "node:test";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";
import type { Page } from "puppeteer-core";
import type { KubeObject } from "../../operator/kube/client.js";
import { initialAdminPassword, jsonCaller, sessionToken, showResponse } from "../support/api-session.js";
import { axeProblems, buildUi, clickEnabled, logIn, newPage, screenshot, startBrowser, waitFor } from "../support/browser.js";
import { eventually } from "../support/eventually.js";
import { startHelmRepo } from "../support/helm-repo.js";
import { startServerProcess } from "../support/operator-process.js";
import { API, createWorld } from "../support/world.js";

const IN_CLUSTER = "https://kubernetes.default.svc";
const OTHER = "https://other.example:6443";

const manifests = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:1.27", resources: {requests: {cpu: 100m, memory: 64Mi}}}]
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports: [{port: 80}]
`;

interface Host { name: string; labels?: Record<string, string>; systemInfo?: Record<string, string>; resourcesInfo?: Array<{ resourceName: string; requestedByApp?: number; capacity?: number }> }
type PodObject = KubeObject & { spec?: { nodeName?: string }; status?: { phase?: string } };
type NodeObject = KubeObject & { status?: { capacity?: Record<string, string>; nodeInfo?: Record<string, string> } };

test("hosts with allowed node labels, notification subscriptions, per-cluster buttons for a restricted user, accessibility", async (t) => {
  const w = await createWorld(t, {
    name: "uihosts",
    repos: { app: { "all.yaml": manifests } },
    argocdCm: {
      "accounts.ops": "login",
      // Spaces, as people write it; `missing` is on no node.
      "application.allowedNodeLabels": "type, kubernetes.io/hostname ,missing",
    },
  });
  const { client, ns } = w;
  const dest = w.dest("hosts");
  await client.create({
    apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-notifications-cm", namespace: ns },
    data: {
      "trigger.on-sync-succeeded": "- when: app.status.operationState.phase in ['Succeeded']\n  send: [done]\n",
      "trigger.on-health-degraded": "- when: app.status.health.status == 'Degraded'\n  send: [done]\n",
      "template.done": "message: done\n",
      "service.webhook.audit": "url: http://127.0.0.1:9/\n",
    },
  });
  await client.create({
    apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-rbac-cm", namespace: ns },
    data: {
      "policy.csv": [
        "p, ops, projects, get, *, allow",
        "p, ops, projects, update, ops-proj, allow",
        "p, ops, clusters, get, *, allow",
        `p, ops, clusters, update, ${IN_CLUSTER}, allow`,
      ].join("\n") + "\n",
    },
  });
  // A second registered cluster (never reachable): ops may not update it.
  await client.create({
    apiVersion: "v1", kind: "Secret", metadata: { name: "other-cluster", namespace: ns, labels: { "argocd.argoproj.io/secret-type": "cluster" } },
    stringData: { name: "other", server: OTHER, config: JSON.stringify({ bearerToken: "not-a-real-token", tlsClientConfig: { insecure: true } }) },
  });
  await client.create({
    apiVersion: API, kind: "AppProject", metadata: { name: "ops-proj", namespace: ns },
    spec: { sourceRepos: ["*"], destinations: [{ server: IN_CLUSTER, namespace: dest }, { server: OTHER, namespace: "*" }] },
  });
  await client.create(w.application("web", { repo: "app", path: ".", dest, syncPolicy: { automated: {}, syncOptions: ["CreateNamespace=true"] } }));

  // A Helm repository with one chart in two versions, registered as a helm repository.
  const chartDir = await mkdtemp(join(tmpdir(), "hawser-ui-chart-"));
  t.after(() => rm(chartDir, { recursive: true, force: true }));
  for (const version of ["0.1.0", "0.2.0"]) {
    const dir = join(chartDir, version, "webchart");
    await mkdir(join(dir, "templates"), { recursive: true });
    await writeFile(join(dir, "Chart.yaml"), `apiVersion: v2\nname: webchart\nversion: ${version}\n`);
    await writeFile(join(dir, "values.yaml"), "color: blue\n");
    await writeFile(join(dir, "templates", "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: webchart\ndata:\n  color: {{ .Values.color | quote }}\n");
  }
  const charts = await startHelmRepo({ chartDirs: [join(chartDir, "0.1.0", "webchart"), join(chartDir, "0.2.0", "webchart")] });
  t.after(() => charts.close());
  await client.create({
    apiVersion: "v1", kind: "Secret", metadata: { name: "charts-repo", namespace: ns, labels: { "argocd.argoproj.io/secret-type": "repository" } },
    stringData: { type: "helm", name: "charts", url: charts.url },
  });

  const assets = await buildUi();
  const server = startServerProcess({ kubeconfig: w.cluster.kubeconfigPath, namespace: ns, args: ["--staticassets", assets] });
  t.after(() => server.stop("SIGKILL"));
  const url = await server.url();
  const password = await initialAdminPassword(client, ns);
  const call = jsonCaller(url);
  const admin = await sessionToken(call, "admin", password);

  // ---- the tree's hosts through the API ----
  const pods = await eventually(async () => {
    const list = await client.list<PodObject>("v1", "Pod", { namespace: dest, labelSelector: "app=web" });
    assert.equal(list.items.length, 3, "the Deployment's three pods exist");
    for (const p of list.items) assert.ok(p.status?.phase === "Running" && p.spec?.nodeName, `kwok runs ${p.metadata.name} on a node`);
    return list.items;
  }, { timeoutMs: 180_000 });
  const podsOn = new Map<string, number>();
  for (const p of pods) podsOn.set(p.spec!.nodeName!, (podsOn.get(p.spec!.nodeName!) ?? 0) + 1);
  const nodeNames = [...podsOn.keys()].sort((a, b) => a.localeCompare(b));
  await eventually(async () => {
    const r = await call("GET", "/api/v1/applications/web/resource-tree", undefined, admin);
    assert.equal(r.status, 200, showResponse(r));
    const hosts = (r.body as { hosts?: Host[] }).hosts ?? [];
    assert.deepEqual(hosts.map((h) => h.name), nodeNames, "one host per node running the app's pods, sorted");
    for (const h of hosts) {
      const node = await client.get<NodeObject>("v1", "Node", h.name);
      assert.ok(node, `node ${h.name} exists`);
      assert.deepEqual(h.labels, { type: node.metadata.labels?.type, "kubernetes.io/hostname": h.name }, `${h.name}: only the allowed labels (not kubernetes.io/os)`);
      assert.equal(h.systemInfo?.operatingSystem, node.status?.nodeInfo?.operatingSystem, "the node's system info");
      assert.equal(h.systemInfo?.kubeletVersion, node.status?.nodeInfo?.kubeletVersion, "and its kubelet version");
      const cpu = h.resourcesInfo?.find((x) => x.resourceName === "cpu");
      assert.equal(cpu?.requestedByApp, 100 * podsOn.get(h.name)!, `${h.name}: 100m per app pod on it`);
      assert.ok(cpu?.capacity !== undefined && cpu.capacity > 0, `${h.name}: cpu capacity ${JSON.stringify(cpu)}`);
      assert.deepEqual(h.resourcesInfo?.map((x) => x.resourceName), ["cpu", "memory"], "cpu and memory (pods are not a host resource)");
    }
  }, { timeoutMs: 60_000 });
  const triggers = await call("GET", "/api/v1/notifications/triggers", undefined, admin);
  assert.deepEqual(triggers.body, { items: [{ name: "on-health-degraded" }, { name: "on-sync-succeeded" }] }, showResponse(triggers));
  const services = await call("GET", "/api/v1/notifications/services", undefined, admin);
  assert.deepEqual(services.body, { items: [{ name: "audit" }] }, showResponse(services));
  assert.equal((await call("GET", "/api/v1/notifications/templates")).status, 401, "the lists need a login");

  const browser = await startBrowser(t);
  const { page, log } = await newPage(browser);
  const axeFindings: string[] = [];
  const check = async (name: string, p: Page = page): Promise<void> => {
    await screenshot(p, name);
    for (const f of await axeProblems(p)) axeFindings.push(`${name} (${p.url()}): ${f}`);
  };
  await page.goto(`${url}/login`);
  await logIn(page, "admin", password);

  // ---- the pods view by node: each node's allowed labels, cpu requested by the app, system info ----
  await page.goto(`${url}/applications/${ns}/web?view=pods`);
  await waitFor(page, "[data-testid=pods-view] [data-testid=node-resources]", log, 120_000);
  const groups = await page.$$eval("[data-testid=pod-group]", (els) => els.map((g) => ({
    name: g.getAttribute("data-name") ?? "",
    labels: [...g.querySelectorAll("[data-testid=node-label]")].map((l) => l.getAttribute("data-name") ?? ""),
    cpuApp: g.querySelector('[data-testid=node-resource][data-name="cpu"]')?.getAttribute("data-app"),
    system: g.querySelector("[data-testid=node-system]")?.textContent ?? "",
  })));
  assert.deepEqual(groups.map((g) => g.name), nodeNames, "a group per node");
  for (const g of groups) {
    assert.deepEqual(g.labels, ["kubernetes.io/hostname", "type"], `${g.name}: the allowed labels only`);
    assert.equal(Number(g.cpuApp), podsOn.get(g.name)! / 10, `${g.name}: the app's cpu in cores`);
    assert.match(g.system, /OSlinux/, "the node's OS");
  }
  await check("pods-view-hosts");
  await clickEnabled(page, "[data-testid=view-network]", log);
  await waitFor(page, '[data-testid=network-view] [data-testid=tree-node][data-kind="Service"]', log, 60_000);
  await check("network-view-axe");
  await clickEnabled(page, "[data-testid=view-list]", log);
  await waitFor(page, "[data-testid=resource-list]", log);
  await check("app-list-view-axe");

  // ---- notification subscriptions: add, then remove ----
  await page.goto(`${url}/applications/${ns}/web?details=true`);
  await waitFor(page, "[data-testid=subscriptions] [data-testid=subscriptions-none]", log);
  await page.waitForFunction(() => document.querySelectorAll("[data-testid=subscription-trigger] option").length === 3 && document.querySelectorAll("[data-testid=subscription-service] option").length === 2, { timeout: 30_000 });
  await page.select("[data-testid=subscription-trigger]", "on-sync-succeeded");
  await page.select("[data-testid=subscription-service]", "audit");
  await page.type("[data-testid=subscription-recipients]", "team-a; team-b");
  await clickEnabled(page, "[data-testid=subscription-add]", log);
  await waitFor(page, '[data-testid=subscription][data-trigger="on-sync-succeeded"][data-service="audit"]', log);
  assert.equal(await page.$eval("[data-testid=subscription]", (e) => e.getAttribute("data-recipients")), "team-a;team-b");
  const key = "notifications.argoproj.io/subscribe.on-sync-succeeded.audit";
  const saved = await client.get<KubeObject>(API, "Application", "web", ns);
  assert.equal(saved?.metadata.annotations?.[key], "team-a;team-b", "the subscription is the app's annotation");
  await check("app-details-subscriptions");
  await clickEnabled(page, "[data-testid=subscription-remove]", log);
  await waitFor(page, "[data-testid=subscriptions] [data-testid=subscriptions-none]", log);
  await eventually(async () => {
    const a = await client.get<KubeObject>(API, "Application", "web", ns);
    assert.equal(a?.metadata.annotations?.[key], undefined, "removed: the annotation is gone");
  }, { timeoutMs: 10_000 });

  // ---- the New App panel, the list view, Appearance and Advanced ----
  await page.goto(`${url}/applications?view=list`);
  await waitFor(page, '[data-app="web"]', log);
  await check("applications-list-view-axe");
  await clickEnabled(page, "[data-testid=new-app-button]", log);
  await waitFor(page, "[data-testid=new-app-panel]", log);
  await check("new-app-panel-axe");
  // A chart of the Helm repository: the panel offers its charts and versions instead of a path,
  // reads the chart's parameters, and creates the app with repoURL, chart and version.
  await page.type("[data-testid=new-app-name]", "from-chart");
  await page.type("[data-testid=new-app-repoURL]", charts.url);
  await waitFor(page, '[data-testid=new-app-chart-options] option[value="webchart"]', log);
  await page.type("[data-testid=new-app-chart]", "webchart");
  await waitFor(page, '[data-testid=new-app-chart-version-options] option[value="0.2.0"]', log);
  assert.equal(await page.$eval("[data-testid=new-app-targetRevision]", (e) => (e as HTMLInputElement).value), "", "HEAD is no chart version");
  assert.equal(await page.$("[data-testid=new-app-path]"), null, "no git path for a Helm repository");
  await page.type("[data-testid=new-app-targetRevision]", "0.2.0");
  await waitFor(page, "[data-testid=params-fields][data-tool=Helm]", log);
  await page.type("[data-testid=params-helm-add]", "color\n");
  await waitFor(page, '[data-testid=params-helm-parameter][data-param="color"]', log);
  await page.type('[data-testid=params-helm-parameter][data-param="color"]', "green");
  await page.type("[data-testid=new-app-destNamespace]", dest);
  await check("new-app-helm-chart");
  await clickEnabled(page, "[data-testid=new-app-create]", log);
  await waitFor(page, "[data-testid=new-app-created]", log);
  const fromChart = await client.get<KubeObject & { spec: { source: Record<string, unknown> } }>(API, "Application", "from-chart", ns);
  assert.deepEqual(fromChart?.spec.source, { repoURL: charts.url, chart: "webchart", targetRevision: "0.2.0", helm: { parameters: [{ name: "color", value: "green" }] } }, "the chart source with its parameter, no path");
  await page.goto(`${url}/settings/appearance`);
  await waitFor(page, "[data-testid=theme-dark]", log);
  await check("appearance-axe");
  await page.goto(`${url}/settings/advanced`);
  await waitFor(page, "[data-testid=advanced-settings]", log);
  await check("advanced-axe");

  // ---- a user who may update ops-proj and the in-cluster cluster only ----
  const setPw = await call("PUT", "/api/v1/account/password", { name: "ops", currentPassword: password, newPassword: "ops-password-1" }, admin);
  assert.equal(setPw.status, 200, showResponse(setPw));
  const ops = await newPage(browser, { incognito: true });
  await ops.page.goto(`${url}/login`);
  await logIn(ops.page, "ops", "ops-password-1");
  await ops.page.goto(`${url}/settings/projects/ops-proj`);
  const row = (server: string): string => `[data-testid=destination][data-server="${server}"]`;
  await ops.page.waitForFunction((a, b) => [a, b].every((s) => { const v = document.querySelector(s)?.getAttribute("data-may-update"); return v === "true" || v === "false"; }), { timeout: 30_000 }, row(IN_CLUSTER), row(OTHER));
  assert.equal(await ops.page.$eval(row(IN_CLUSTER), (e) => e.getAttribute("data-may-update")), "true", "ops may update the in-cluster cluster");
  assert.equal(await ops.page.$eval(`${row(IN_CLUSTER)} [data-testid=destination-remove]`, (b) => (b as HTMLButtonElement).disabled), false, "its destination can be removed");
  assert.equal(await ops.page.$eval(row(OTHER), (e) => e.getAttribute("data-may-update")), "false", "not the other cluster");
  assert.equal(await ops.page.$eval(`${row(OTHER)} [data-testid=destination-remove]`, (b) => (b as HTMLButtonElement).disabled), true, "its destination's Remove is disabled");
  // Adding a destination on the other cluster: refused in the page, and by the server.
  await ops.page.type("[data-testid=add-destination] input[name=destServer]", OTHER);
  await ops.page.type("[data-testid=add-destination] input[name=destNamespace]", "extra");
  await waitFor(ops.page, "[data-testid=destination-add-refused]", ops.log);
  assert.equal(await ops.page.$eval("[data-testid=destination-add]", (b) => (b as HTMLButtonElement).disabled), true, "Add is disabled on a cluster ops may not update");
  await check("project-destinations-restricted", ops.page);
  const opsToken = await sessionToken(call, "ops", "ops-password-1");
  const proj = (await call("GET", "/api/v1/projects/ops-proj", undefined, opsToken)).body as KubeObject & { spec: { destinations: unknown[] } };
  const forced = await call("PUT", "/api/v1/projects/ops-proj", { project: { ...proj, spec: { ...proj.spec, destinations: [...proj.spec.destinations, { server: "https://third.example", namespace: "x" }] } } }, opsToken);
  assert.equal(forced.status, 403, `the server refuses a destination on a cluster ops may not update: ${showResponse(forced)}`);
  // On the in-cluster cluster it works, from the page.
  await ops.page.$eval("[data-testid=add-destination] input[name=destServer]", (e) => { e.value = ""; });
  await ops.page.type("[data-testid=add-destination] input[name=destServer]", IN_CLUSTER);
  await ops.page.waitForFunction(() => document.querySelector<HTMLButtonElement>("[data-testid=destination-add]")?.disabled === false, { timeout: 30_000 });
  await ops.page.click("[data-testid=destination-add]");
  await waitFor(ops.page, `[data-testid=destination][data-server="${IN_CLUSTER}"][data-namespace="extra"]`, ops.log);
  const stored = await client.get<KubeObject & { spec: { destinations: Array<{ server?: string; namespace?: string }> } }>(API, "AppProject", "ops-proj", ns);
  assert.ok(stored?.spec.destinations.some((d) => d.server === IN_CLUSTER && d.namespace === "extra"), "the destination was added to the project");

  await ops.page.goto(`${url}/settings/clusters`);
  const cluster = (name: string): string => `[data-cluster="${name}"]`;
  await ops.page.waitForFunction((a, b) => [a, b].every((s) => { const v = document.querySelector(s)?.getAttribute("data-may-update"); return v === "true" || v === "false"; }), { timeout: 30_000 }, cluster("in-cluster"), cluster("other"));
  assert.equal(await ops.page.$eval(`${cluster("in-cluster")} [data-testid=row-invalidate-cache]`, (b) => (b as HTMLButtonElement).disabled), false, "in-cluster: Invalidate cache enabled");
  assert.equal(await ops.page.$eval(`${cluster("other")} [data-testid=row-invalidate-cache]`, (b) => (b as HTMLButtonElement).disabled), true, "other: Invalidate cache disabled");
  await check("clusters-restricted", ops.page);

  assert.deepEqual(axeFindings, [], "axe-core: no serious or critical violations");
  assert.deepEqual([...log, ...ops.log].filter((l) => l.startsWith("page error")), [], "no script errors");
});
