/// <reference lib="dom" />
// (page.evaluate callbacks run in the browser: they use its globals.)
// The application page's other views and the pod panel (issue 14) in a real headless Chromium,
// against `hawser server` and the operator on the real control plane. An app with an Ingress, its
// Service and a two-pod Deployment: the network view draws Ingress → Service → the Service's pods
// left to right (folded, then each live pod when expanded); the pods view groups the live pods by
// the kwok node each runs on, then by their ReplicaSet; the view and grouping are URL parameters
// a reload keeps. The pod's panel hides managed fields until asked; its Terminal tab runs a
// command typed into it in the pod (kwok executes it) and prints the output; deep links from
// argocd-cm are rendered for the app, the pod and the project. A changed live Service shows in the
// app's diff.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Page } from "puppeteer-core";
import type { KubeObject } from "../../operator/kube/client.js";
import { buildUi, clickEnabled, newPage, screenshot, startBrowser, waitFor } from "../support/browser.js";
import { eventually } from "../support/eventually.js";
import { startServerProcess } from "../support/operator-process.js";
import { createWorld } from "../support/world.js";
import { initialAdminPassword } from "../support/api-session.js";

const manifests = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:1.27"}]
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
spec:
  rules:
  - host: web.example
    http:
      paths:
      - path: /
        pathType: Prefix
        backend: {service: {name: web, port: {number: 80}}}
`;

interface Shown { id: string; kind: string; name: string; uid: string; type: string; x: number }
/** The graph's nodes as drawn: identity and horizontal position. */
function drawn(page: Page, view: string): Promise<Shown[]> {
  return page.$$eval(`[data-testid=${view}] [data-testid=tree-node]`, (els) => els.map((e) => ({
    id: e.getAttribute("data-id") ?? "", kind: e.getAttribute("data-kind") ?? "", name: e.getAttribute("data-name") ?? "",
    uid: e.getAttribute("data-uid") ?? "", type: e.getAttribute("data-type") ?? "", x: e.getBoundingClientRect().left,
  })));
}

test("the network view, the pods view, Hide managed fields, the pod terminal and deep links", async (t) => {
  const w = await createWorld(t, {
    name: "uiviews",
    repos: { app: { "all.yaml": manifests } },
    argocdCm: {
      "exec.enabled": "true",
      "application.links": "- title: App dashboard\n  url: 'https://dash.example/{{.app.metadata.name}}?ns={{.app.spec.destination.namespace}}'\n  description: the app's dashboard\n",
      "resource.links": "- title: Pod logs\n  url: 'https://logs.example/{{.resource.metadata.namespace}}/{{.resource.metadata.name}}'\n  if: resource.kind == \"Pod\"\n- title: Deployments only\n  url: https://never.example/\n  if: resource.kind == \"Deployment\"\n",
      "project.links": "- title: Project audit\n  url: 'https://audit.example/?project={{.project.metadata.name}}'\n",
    },
  });
  const { client, ns } = w;
  const dest = w.dest("views");
  const assets = await buildUi();
  const server = startServerProcess({ kubeconfig: w.cluster.kubeconfigPath, namespace: ns, args: ["--staticassets", assets] });
  t.after(() => server.stop("SIGKILL"));
  const url = await server.url();
  const password = await initialAdminPassword(client, ns);

  await client.create(w.application("web", { repo: "app", path: ".", dest, syncPolicy: { automated: {}, syncOptions: ["CreateNamespace=true"] } }));
  const pods = await eventually(async () => {
    const list = await client.list<KubeObject & { spec?: { nodeName?: string }; status?: { phase?: string } }>("v1", "Pod", { namespace: dest, labelSelector: "app=web" });
    assert.equal(list.items.length, 2, "the Deployment's two pods exist");
    for (const p of list.items) {
      assert.equal(p.status?.phase, "Running", `kwok runs ${p.metadata.name}`);
      assert.ok(p.spec?.nodeName, "scheduled on a node");
    }
    return list.items;
  }, { timeoutMs: 180_000 });
  const service = await client.get("v1", "Service", "web", dest);
  const ingress = await client.get("networking.k8s.io/v1", "Ingress", "web", dest);
  assert.ok(service?.metadata.uid && ingress?.metadata.uid, "the Service and the Ingress exist");

  const browser = await startBrowser(t);
  const { page, log } = await newPage(browser);
  await page.goto(`${url}/applications/${ns}/web`);
  await page.waitForSelector("form[aria-label='Log in'] input[name=username]");
  await page.type("input[name=username]", "admin");
  await page.type("input[name=password]", password);
  await Promise.all([page.waitForNavigation(), page.click("form[aria-label='Log in'] button[type=submit]")]);
  await waitFor(page, '[data-testid=app-details][data-app="web"]', log);
  await waitFor(page, '[data-testid=resource-tree] [data-testid=tree-node][data-kind="Pod"], [data-testid=resource-tree] [data-testid=tree-node][data-type="group"]', log, 180_000);

  // ---- deep links: the app's, rendered from the app ----
  await waitFor(page, "[data-testid=app-links] [data-testid=deep-link]", log);
  const appLinks = await page.$$eval("[data-testid=app-links] [data-testid=deep-link]", (els) => els.map((e) => ({ text: e.textContent?.trim(), href: e.getAttribute("href") })));
  assert.deepEqual(appLinks, [{ text: "App dashboard", href: `https://dash.example/web?ns=${dest}` }], "application.links rendered for this app");

  // ---- the network view: Ingress → Service → pods, left to right ----
  await clickEnabled(page, "[data-testid=view-network]", log);
  assert.equal(new URL(page.url()).searchParams.get("view"), "network", "the view is in the URL");
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=network-view] [data-testid=tree-node][data-kind="Pod"]').length > 0, { timeout: 120_000 });
  let net = await drawn(page, "network-view");
  const ing = net.find((n) => n.kind === "Ingress");
  const svc = net.find((n) => n.kind === "Service");
  const podGroup = net.find((n) => n.kind === "Pod" && n.type === "group");
  assert.equal(ing?.uid, ingress.metadata.uid, `the Ingress node is the live Ingress: ${JSON.stringify(net)}`);
  assert.equal(svc?.uid, service.metadata.uid, "the Service node is the live Service");
  assert.ok(podGroup, `the Service's pods are one group node: ${JSON.stringify(net)}`);
  assert.match(podGroup.name, /^2 Pods$/, "the group holds both pods");
  assert.ok(ing.x < svc.x && svc.x < podGroup.x, `the Service sits between the Ingress and its pods: ${ing.x} < ${svc.x} < ${podGroup.x}`);
  assert.ok(net.some((n) => n.type === "external" && n.name === "http://web.example/"), "where traffic enters: the Ingress's URL");
  assert.ok(!net.some((n) => n.kind === "Deployment" || n.kind === "ReplicaSet"), "owners carry no traffic: not in the network view");
  const netEdges = await page.$$eval("[data-testid=network-view] .tree-edges path", (els) => els.length);
  assert.equal(netEdges, 3, "URL → Ingress → Service → pods");
  await screenshot(page, "network-view");
  // Expanding the group shows each live pod under the Service.
  await page.click(`[data-testid=network-view] [data-testid=tree-node][data-id="${podGroup.id}"]`);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=network-view] [data-testid=tree-node][data-kind="Pod"][data-type="resource"]').length === 2, { timeout: 60_000 });
  net = await drawn(page, "network-view");
  assert.deepEqual(net.filter((n) => n.kind === "Pod").map((n) => n.uid).sort(), pods.map((p) => p.metadata.uid).sort(), "the expanded pods are the live pods");
  for (const p of net.filter((n) => n.kind === "Pod")) assert.ok(p.x > svc.x, "each pod right of the Service");

  // The view survives a reload (it is in the URL).
  await page.reload();
  await waitFor(page, '[data-testid=network-view] [data-testid=tree-node][data-kind="Service"]', log, 120_000);

  // ---- the pods view: grouped by node, then by parent resource ----
  await clickEnabled(page, "[data-testid=view-pods]", log);
  await waitFor(page, "[data-testid=pods-view] [data-testid=pod-tile]", log);
  const groupsShown = (): Promise<Array<{ kind: string; name: string; pods: string[] }>> => page.$$eval("[data-testid=pod-group]", (els) => els.map((g) => ({
    kind: g.getAttribute("data-kind") ?? "", name: g.getAttribute("data-name") ?? "",
    pods: [...g.querySelectorAll("[data-testid=pod-tile]")].map((p) => p.getAttribute("data-name") ?? "").sort(),
  })));
  const byNode = new Map<string, string[]>();
  for (const p of pods) byNode.set(p.spec!.nodeName!, [...(byNode.get(p.spec!.nodeName!) ?? []), p.metadata.name!].sort());
  assert.deepEqual(await groupsShown(), [...byNode.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([name, names]) => ({ kind: "Node", name, pods: names })), "one group per kwok node the pods run on");
  await screenshot(page, "pods-view");
  await clickEnabled(page, "[data-testid=pod-sort-parentResource]", log);
  await page.waitForFunction(() => document.querySelector("[data-testid=pods-view]")?.getAttribute("data-mode") === "parentResource");
  assert.equal(new URL(page.url()).searchParams.get("podSortMode"), "parentResource", "the grouping is in the URL");
  const rsName = pods[0]!.metadata.ownerReferences?.[0]?.name;
  assert.deepEqual(await groupsShown(), [{ kind: "ReplicaSet", name: rsName ?? "", pods: pods.map((p) => p.metadata.name!).sort() }], "both pods under their ReplicaSet");

  // ---- a pod's panel: managed fields hidden until asked, its deep link ----
  const pod = pods[0]!;
  await page.click(`[data-testid=pod-tile][data-name="${pod.metadata.name}"]`);
  await waitFor(page, `[data-testid=resource-panel][data-kind="Pod"][data-name="${pod.metadata.name}"]`, log);
  await page.waitForFunction(() => /kind: Pod/.test(document.querySelector("[data-testid=live-manifest]")?.textContent ?? ""), { timeout: 30_000 });
  const hidden = await page.$eval("[data-testid=live-manifest]", (e) => e.textContent ?? "");
  assert.doesNotMatch(hidden, /managedFields/, "managed fields hidden by default");
  assert.match(hidden, new RegExp(`uid: ${pod.metadata.uid}`), "the rest of the live object is there");
  await clickEnabled(page, "[data-testid=hide-managed-fields]", log);
  await page.waitForFunction(() => /managedFields:/.test(document.querySelector("[data-testid=live-manifest]")?.textContent ?? ""));
  assert.match(await page.$eval("[data-testid=live-manifest]", (e) => e.textContent ?? ""), /manager: /, "unticked: the field managers are shown");
  await waitFor(page, "[data-testid=resource-links] [data-testid=deep-link]", log);
  const podLinks = await page.$$eval("[data-testid=resource-links] [data-testid=deep-link]", (els) => els.map((e) => ({ text: e.textContent?.trim(), href: e.getAttribute("href") })));
  assert.deepEqual(podLinks, [{ text: "Pod logs", href: `https://logs.example/${dest}/${pod.metadata.name}` }], "resource.links: the Pod link, not the Deployment-only one");

  // ---- the Terminal tab: a command typed in runs in the pod and its output is printed ----
  await waitFor(page, "[data-testid=resource-tab-exec]", log);
  await clickEnabled(page, "[data-testid=resource-tab-exec]", log);
  assert.equal(new URL(page.url()).searchParams.get("tab"), "exec", "Argo's tab key");
  await page.waitForFunction(() => document.querySelector("[data-testid=terminal-tab]")?.getAttribute("data-phase") === "open", { timeout: 60_000 });
  await clickEnabled(page, "[data-testid=terminal]", log);
  // The output differs from the input: only the shell's arithmetic can print hawser-42.
  await page.keyboard.type("echo hawser-$((6*7))\n");
  try {
    await page.waitForFunction(() => /hawser-42/.test(document.querySelector("[data-testid=terminal] .xterm-rows")?.textContent ?? ""), { timeout: 60_000 });
  } catch (err) {
    const screen = await page.$eval("[data-testid=terminal]", (e) => e.textContent ?? "").catch(() => "");
    throw new Error(`the terminal did not print the command's output; screen: ${JSON.stringify(screen)}\nlog:\n${log.join("\n")}\n${String(err)}`);
  }
  await screenshot(page, "pod-terminal");
  const events = await eventually(async () => {
    const list = (await client.list("v1", "Event", { namespace: ns })).items.filter((e) => (e as { reason?: string }).reason === "TerminalSessionStarted");
    assert.ok(list.length >= 1, "the session left its audit Event on the Application");
    return list;
  }, { timeoutMs: 30_000 });
  assert.match(JSON.stringify(events[0]), new RegExp(pod.metadata.name!), "naming the pod");

  // ---- the tree and, after a live change, the app's diff (screenshots for the README) ----
  await page.goto(`${url}/applications/${ns}/web?view=tree`);
  await waitFor(page, '[data-testid=resource-tree] [data-testid=tree-node][data-kind="Ingress"]', log, 120_000);
  await screenshot(page, "application-tree-network-app");
  await client.patch({ apiVersion: "v1", kind: "Service", name: "web", namespace: dest }, { spec: { ports: [{ port: 8080, targetPort: 80 }] } }, { type: "merge" });
  await eventually(async () => {
    const a = await client.get<KubeObject & { status?: { sync?: { status?: string } } }>("argoproj.io/v1alpha1", "Application", "web", ns);
    assert.equal(a?.status?.sync?.status, "OutOfSync", "the changed Service makes the app OutOfSync");
  }, { timeoutMs: 120_000 });
  await clickEnabled(page, "[data-testid=app-diff-button]", log);
  await waitFor(page, "[data-testid=app-diff-panel] [data-testid=app-diff-item]", log);
  assert.match(await page.$eval("[data-testid=app-diff-panel]", (e) => e.textContent ?? ""), /8080/, "the diff shows the live port against Git's");
  await screenshot(page, "app-diff");

  // ---- the project page's deep link ----
  await page.goto(`${url}/settings/projects/default`);
  await waitFor(page, "[data-testid=project-links] [data-testid=deep-link]", log);
  assert.deepEqual(await page.$$eval("[data-testid=project-links] [data-testid=deep-link]", (els) => els.map((e) => e.getAttribute("href"))), ["https://audit.example/?project=default"], "project.links rendered for the project");
  assert.deepEqual(log.filter((l) => l.startsWith("page error")), [], "no script errors");
});
