/// <reference lib="dom" />
// (page.evaluate callbacks run in the browser: they use its globals.)
// The application page's resource tree and resource panel (issue 14, second part) in a real
// headless Chromium, against `hawser server` and the operator on the real control plane. Seed
// 002's demo-dev: the page shows Deployment → ReplicaSet → Pod (the pods kwok's, on kwok nodes),
// laid out as a forest (ui/src/forestLayout.ts); the Deployment is deleted with the kube client and the tree
// heals live (self-heal re-creates it: the node comes back with the new uid); the Deployment's
// panel shows the live manifest (the new object), the desired one from Git, a diff and its
// events; the list view shows the same resources; the history panel shows the server's refusal
// of a rollback while auto-sync is on; the app's diff panel opens.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Page } from "puppeteer-core";
import { parse } from "yaml";
import type { KubeObject } from "../../operator/kube/client.js";
import { buildUi, clickEnabled, newPage, screenshot, startBrowser, waitFor } from "../support/browser.js";
import { eventually } from "../support/eventually.js";
import { fromDir } from "../support/git-server.js";
import { startServerProcess } from "../support/operator-process.js";
import { createWorld } from "../support/world.js";
import { initialAdminPassword } from "../support/api-session.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const seed = join(root, "hack", "demo", "seed-002");

/** The tree's nodes of one kind, as the page shows them. */
function treeNodes(page: Page, kind: string): Promise<Array<{ name: string; uid: string }>> {
  return page.$$eval(`[data-testid=tree-node][data-kind="${kind}"]`, (els) => els.map((e) => ({ name: e.getAttribute("data-name") ?? "", uid: e.getAttribute("data-uid") ?? "" })));
}

test("the resource tree: Deployment → ReplicaSet → Pod live, heals after the Deployment is deleted; the resource panel's manifests", async (t) => {
  const w = await createWorld(t, { name: "uitree", repos: { demo: fromDir(join(seed, "repo-argocd-kustomize-demo")) } });
  const { client, ns } = w;
  await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-cm", namespace: ns }, data: { installationID: ns } });

  const assets = await buildUi();
  const server = startServerProcess({ kubeconfig: w.cluster.kubeconfigPath, namespace: ns, args: ["--staticassets", assets] });
  t.after(() => server.stop("SIGKILL"));
  const url = await server.url();
  const password = await initialAdminPassword(client, ns);

  const app = parse(await readFile(join(seed, "app-demo-dev.yaml"), "utf8")) as KubeObject;
  app.metadata.namespace = ns;
  const spec = app.spec as { project: string; source: { repoURL: string }; destination: { namespace: string } };
  spec.project = "default";
  spec.source.repoURL = w.git.baseUrl("demo");
  const dest = w.dest("dev");
  spec.destination.namespace = dest;
  await client.create(app);

  const browser = await startBrowser(t);
  const { page, log } = await newPage(browser);
  await page.goto(`${url}/applications/${ns}/demo-dev`);
  await page.waitForSelector("form[aria-label='Log in'] input[name=username]");
  await page.type("input[name=username]", "admin");
  await page.type("input[name=password]", password);
  await Promise.all([page.waitForNavigation(), page.click("form[aria-label='Log in'] button[type=submit]")]);
  await waitFor(page, '[data-testid=app-details][data-app="demo-dev"]', log);

  // ---- the tree: app → Deployment → ReplicaSet → Pod, and the Service ----
  await waitFor(page, '[data-testid=tree-node][data-kind="Pod"]', log, 180_000);
  await waitFor(page, '[data-testid=tree-node][data-kind="Service"][data-name="dev-demo"]', log);
  const deployment = await client.get("apps/v1", "Deployment", "dev-demo", dest);
  assert.ok(deployment?.metadata.uid, "the operator created the Deployment");
  const [shownDeploy] = await treeNodes(page, "Deployment");
  assert.deepEqual(shownDeploy, { name: "dev-demo", uid: deployment.metadata.uid }, "the Deployment node is the live object");
  const replicaSets = (await client.list("apps/v1", "ReplicaSet", { namespace: dest })).items;
  const shownRs = await treeNodes(page, "ReplicaSet");
  assert.ok(shownRs.length >= 1, "a ReplicaSet node");
  for (const rs of shownRs) {
    const live = replicaSets.find((r) => r.metadata.uid === rs.uid);
    assert.ok(live, `ReplicaSet node ${rs.name} is a live ReplicaSet`);
    assert.equal(live.metadata.ownerReferences?.[0]?.uid, deployment.metadata.uid, "owned by the Deployment");
  }
  const kwokNodes = new Set((await client.list("v1", "Node")).items
    .filter((n) => n.metadata.annotations?.["kwok.x-k8s.io/node"] === "fake").map((n) => n.metadata.name));
  const pods = (await client.list("v1", "Pod", { namespace: dest })).items;
  for (const p of await treeNodes(page, "Pod")) {
    const live = pods.find((x) => x.metadata.uid === p.uid);
    assert.ok(live, `Pod node ${p.name} is a live Pod`);
    const nodeName = (live.spec as { nodeName?: string } | undefined)?.nodeName;
    assert.ok(nodeName && kwokNodes.has(nodeName), `pod ${p.name} runs on a kwok node (${nodeName})`);
    assert.ok(shownRs.some((r) => r.uid === live.metadata.ownerReferences?.[0]?.uid), "the pod's owner is a ReplicaSet node");
  }
  // Edges: app → Deployment → ReplicaSet → Pod, drawn as one SVG path per edge.
  const counts = await page.evaluate(() => ({
    nodes: document.querySelectorAll("[data-testid=tree-node]").length,
    edges: document.querySelectorAll(".tree-edges path").length,
  }));
  assert.equal(counts.edges, counts.nodes - 1, `one edge per node but the app: ${JSON.stringify(counts)}`);
  assert.ok(await page.$('[data-testid=tree-node][data-kind="Deployment"] [data-health]'), "the Deployment node has a health badge");
  assert.ok(await page.$('[data-testid=tree-node][data-kind="Deployment"] [data-sync="Synced"]'), "and its sync status");
  await screenshot(page, "application-tree");

  // ---- delete the Deployment: the tree heals live (no reload), the node returns with a new uid ----
  await page.evaluate(() => { (window as unknown as { notReloaded: boolean }).notReloaded = true; });
  const oldUid = deployment.metadata.uid;
  assert.equal(await client.delete({ apiVersion: "apps/v1", kind: "Deployment", name: "dev-demo", namespace: dest }, { propagationPolicy: "Background" }), true, "deleted");
  await page.waitForFunction((old) => {
    const el = document.querySelector('[data-testid=tree-node][data-kind="Deployment"]');
    const uid = el?.getAttribute("data-uid");
    return uid !== null && uid !== undefined && uid !== "" && uid !== old;
  }, { timeout: 180_000 }, oldUid);
  const healed = await eventually(async () => {
    const d = await client.get("apps/v1", "Deployment", "dev-demo", dest);
    assert.ok(d && d.metadata.uid !== oldUid, "re-created");
    return d;
  }, { timeoutMs: 60_000 });
  assert.equal((await treeNodes(page, "Deployment"))[0]?.uid, healed.metadata.uid, "the node is the re-created Deployment");
  // Its new ReplicaSet follows, under it.
  const newRs = await eventually(async () => {
    const rs = (await client.list("apps/v1", "ReplicaSet", { namespace: dest })).items.find((r) => r.metadata.ownerReferences?.[0]?.uid === healed.metadata.uid);
    assert.ok(rs?.metadata.uid, "the new Deployment's ReplicaSet");
    return rs.metadata.uid;
  }, { timeoutMs: 60_000 });
  await page.waitForFunction((uid) => document.querySelector(`[data-testid=tree-node][data-kind="ReplicaSet"][data-uid="${uid}"]`) !== null, { timeout: 120_000 }, newRs);
  assert.equal(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded), true, "the page was never reloaded");

  // ---- the Deployment's panel: live and desired manifests ----
  await page.click('[data-testid=tree-node][data-kind="Deployment"]');
  await waitFor(page, '[data-testid=resource-panel][data-kind="Deployment"]', log);
  assert.equal(new URL(page.url()).searchParams.get("node"), `apps/Deployment/${dest}/dev-demo`, "the selection is in the URL (Argo's node key)");
  await page.waitForFunction((uid) => document.querySelector("[data-testid=live-manifest]")?.textContent?.includes(`uid: ${uid}`), { timeout: 30_000 }, healed.metadata.uid ?? "");
  const liveText = await page.$eval("[data-testid=live-manifest]", (e) => e.textContent ?? "");
  assert.match(liveText, /kind: Deployment/, "the live manifest is YAML");
  assert.match(liveText, /resourceVersion:/, "the live manifest is the cluster's object");
  await waitFor(page, "[data-testid=desired-manifest]", log);
  const desired = await page.$eval("[data-testid=desired-manifest]", (e) => e.textContent ?? "");
  assert.match(desired, /name: dev-demo/, "the desired manifest is the rendered overlay");
  assert.match(desired, /value: Dev/, "with the dev overlay's patch");
  assert.doesNotMatch(desired, /resourceVersion:/, "and none of the cluster's fields");
  await screenshot(page, "resource-panel");
  // The diff tab renders (a unified diff or "No differences"); the events tab the Deployment's events.
  await page.click("[role=tab]:nth-child(2)");
  await waitFor(page, "[data-testid=resource-diff]", log);
  await page.click("[role=tab]:nth-child(3)");
  await waitFor(page, "[data-testid=resource-events]", log);
  assert.match(await page.$eval("[data-testid=resource-events]", (e) => e.textContent ?? ""), /ScalingReplicaSet/, "the re-created Deployment's scaling event");
  await page.click("[data-testid=resource-panel] button[aria-label=Close]");

  // ---- the list view shows the same resources; the history panel the sync ----
  await clickEnabled(page, "[data-testid=view-list]", log);
  await waitFor(page, '[data-testid=list-node][data-kind="Deployment"]', log);
  assert.equal(await page.$eval('[data-testid=list-node][data-kind="Deployment"]', (e) => e.getAttribute("data-uid")), healed.metadata.uid, "the list shows the live Deployment");
  await clickEnabled(page, "[data-testid=history-button]", log);
  await waitFor(page, "[data-testid=history-entry]", log);
  // demo-dev syncs automatically, so the server refuses a rollback: the UI shows its words.
  await clickEnabled(page, "[data-testid=rollback-button]", log);
  await clickEnabled(page, "[data-testid=rollback-confirm]", log);
  await waitFor(page, "[data-testid=history-panel] [role=alert]", log);
  assert.match(await page.$eval("[data-testid=history-panel] [role=alert]", (e) => e.textContent ?? ""), /rollback is not allowed while spec\.syncPolicy\.automated is enabled/, "the refusal is shown");
  await page.click("[data-testid=history-panel] button[aria-label=Close]");
  // The app's diff: the live Deployment matches Git again after self-heal.
  await clickEnabled(page, "[data-testid=app-diff-button]", log);
  await waitFor(page, "[data-testid=app-diff-panel] [data-testid=app-diff-none], [data-testid=app-diff-panel] [data-testid=app-diff-item]", log);
  assert.deepEqual(log.filter((l) => l.startsWith("page error")), [], "no script errors");
});
