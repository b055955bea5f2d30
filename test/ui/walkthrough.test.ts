/// <reference lib="dom" />
// (page.evaluate callbacks run in the browser: they use its globals.)
// Issue 14's acceptance walk-through: seed 002 driven through the Web UI in a real headless
// Chromium, against `hawser server` and the operator on the real control plane (one control
// plane and one browser for the whole file). As admin: demo-dev and demo-prod go Synced/Healthy
// in the list; demo-dev's tree shows Deployment → ReplicaSet → Pods on kwok nodes; the Deployment
// deleted with the kube client comes back in the tree (self-heal); its panel shows kwok's pod
// log and runs the restart action; auto-sync is turned off from the toolbar and a label added in
// the app's details editor; the overlay changes in git, Refresh shows OutOfSync and the diff; the
// sync dialog syncs it (the sync status panel lists the results); history rolls back to the
// first deployment. demo-prod is deleted non-cascading from the delete dialog (its Deployment
// stays). Then seed 004's `role:developer` sees Sync and no Delete, and the server refuses a
// forced DELETE from that session (403) while the app remains.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import type { Application } from "../../operator/api/index.js";
import type { KubeObject } from "../../operator/kube/client.js";
import { initialAdminPassword } from "../support/api-session.js";
import { buildUi, clickEnabled, logIn, newPage, screenshot, startBrowser, waitFor } from "../support/browser.js";
import { eventually } from "../support/eventually.js";
import { fromDir } from "../support/git-server.js";
import { startServerProcess } from "../support/operator-process.js";
import { API, IN_CLUSTER, createWorld } from "../support/world.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const seed = join(root, "hack", "demo", "seed-002");
const repoDir = join(seed, "repo-argocd-kustomize-demo");
/** kwok's log line for every container (operator/devcluster/kwok-stages.ts KWOK_POD_LOG). */
const KWOK_LOG_LINE = "kwok serves this log for every container";

/** The env value APP_NAME of the live Deployment. */
function appNameEnv(d: KubeObject | undefined): string | undefined {
  const containers = (d?.spec as { template?: { spec?: { containers?: Array<{ env?: Array<{ name: string; value?: string }> }> } } } | undefined)?.template?.spec?.containers;
  return containers?.[0]?.env?.find((e) => e.name === "APP_NAME")?.value;
}

test("issue 14's walk-through of seed 002 in the Web UI, and seed 004's developer role", async (t) => {
  const w = await createWorld(t, { name: "walk", repos: { demo: fromDir(repoDir) } });
  const { client, ns } = w;
  // The server reads the operator's installation id here; `dev` is a local account with seed
  // 004's role:developer (get and sync on every application).
  await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-cm", namespace: ns }, data: { installationID: ns, "accounts.dev": "login" } });
  await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-rbac-cm", namespace: ns }, data: {
    "policy.csv": "p, role:developer, applications, get, */*, allow\np, role:developer, applications, sync, */*, allow\ng, dev, role:developer\n",
  } });

  const assets = await buildUi();
  const server = startServerProcess({ kubeconfig: w.cluster.kubeconfigPath, namespace: ns, args: ["--staticassets", assets] });
  t.after(() => server.stop("SIGKILL"));
  const url = await server.url();
  const password = await initialAdminPassword(client, ns);

  // Seed 002 as given, pointed at the loopback git server and this test's namespaces.
  const dests = { dev: w.dest("dev"), prod: w.dest("prod") };
  const project = parse(await readFile(join(seed, "appproject-demo-proj.yaml"), "utf8")) as KubeObject;
  project.metadata.namespace = ns;
  (project.spec as { destinations: unknown[] }).destinations = Object.values(dests).map((namespace) => ({ namespace, server: IN_CLUSTER }));
  await client.create(project);
  for (const env of ["dev", "prod"] as const) {
    const app = parse(await readFile(join(seed, `app-demo-${env}.yaml`), "utf8")) as KubeObject;
    app.metadata.namespace = ns;
    const spec = app.spec as { source: { repoURL: string }; destination: { namespace: string } };
    spec.source.repoURL = w.git.baseUrl("demo");
    spec.destination.namespace = dests[env];
    await client.create(app);
  }

  const browser = await startBrowser(t);
  const { page, log } = await newPage(browser);

  // ---- log in as admin; both apps go Synced/Healthy in the list ----
  await page.goto(`${url}/applications`);
  await logIn(page, "admin", password);
  for (const name of ["demo-dev", "demo-prod"]) {
    await waitFor(page, `[data-app="${name}"] [data-sync="Synced"]`, log, 180_000);
    await waitFor(page, `[data-app="${name}"] [data-health="Healthy"]`, log, 180_000);
  }
  await screenshot(page, "walkthrough-list");

  // ---- demo-dev's tree: Deployment → ReplicaSet → Pods on kwok nodes ----
  await page.goto(`${url}/applications/${ns}/demo-dev`);
  await waitFor(page, '[data-testid=tree-node][data-kind="Pod"]', log, 180_000);
  await waitFor(page, "[data-rbac=ready]", log);
  const dest = dests.dev;
  const deployment = await client.get("apps/v1", "Deployment", "dev-demo", dest);
  assert.ok(deployment?.metadata.uid, "the operator created the Deployment");
  const kwokNodes = new Set((await client.list("v1", "Node")).items.filter((n) => n.metadata.annotations?.["kwok.x-k8s.io/node"] === "fake").map((n) => n.metadata.name));
  const liveRs = (await client.list("apps/v1", "ReplicaSet", { namespace: dest })).items;
  const livePods = (await client.list("v1", "Pod", { namespace: dest })).items;
  const shown = await page.$$eval("[data-testid=tree-node][data-uid]", (els) => els.map((e) => ({ kind: e.getAttribute("data-kind"), uid: e.getAttribute("data-uid") })));
  assert.ok(shown.some((n) => n.kind === "Deployment" && n.uid === deployment.metadata.uid), "the Deployment node is the live object");
  const shownRs = shown.filter((n) => n.kind === "ReplicaSet");
  assert.ok(shownRs.length > 0 && shownRs.every((n) => liveRs.find((r) => r.metadata.uid === n.uid)?.metadata.ownerReferences?.[0]?.uid === deployment.metadata.uid), "every ReplicaSet node is a live ReplicaSet of the Deployment");
  const shownPods = shown.filter((n) => n.kind === "Pod");
  assert.ok(shownPods.length > 0, "pod nodes");
  for (const p of shownPods) {
    const live = livePods.find((x) => x.metadata.uid === p.uid);
    assert.ok(live && shownRs.some((r) => r.uid === live.metadata.ownerReferences?.[0]?.uid), "each pod node is a live pod of a ReplicaSet node");
    const nodeName = (live.spec as { nodeName?: string }).nodeName;
    assert.ok(nodeName && kwokNodes.has(nodeName), `pod ${live.metadata.name} runs on a kwok node (${nodeName})`);
  }
  await screenshot(page, "walkthrough-tree");

  // ---- delete the Deployment with the kube client: the tree heals (self-heal re-creates it) ----
  await client.delete({ apiVersion: "apps/v1", kind: "Deployment", name: "dev-demo", namespace: dest }, { propagationPolicy: "Background" });
  await page.waitForFunction((old) => {
    const uid = document.querySelector('[data-testid=tree-node][data-kind="Deployment"]')?.getAttribute("data-uid");
    return Boolean(uid) && uid !== old;
  }, { timeout: 180_000 }, deployment.metadata.uid);
  const healed = await eventually(async () => {
    const d = await client.get("apps/v1", "Deployment", "dev-demo", dest);
    assert.ok(d?.metadata.uid && d.metadata.uid !== deployment.metadata.uid, "re-created");
    return d;
  }, { timeoutMs: 60_000 });
  await page.waitForFunction((uid) => document.querySelector(`[data-testid=tree-node][data-kind="Deployment"][data-uid="${uid}"]`) !== null, { timeout: 60_000 }, healed.metadata.uid ?? "");

  // ---- the Deployment's panel: its pods' log (kwok serves one), and the restart action ----
  await page.click('[data-testid=tree-node][data-kind="Deployment"]');
  await waitFor(page, '[data-testid=resource-panel][data-kind="Deployment"]', log);
  // The panel can be drawn again as the healed Deployment's data arrives, back on its first tab:
  // click LOGS until its tab shows.
  for (let i = 0; ; i++) {
    await clickEnabled(page, "[data-testid=resource-panel] [role=tab]:nth-child(4)", log);
    const shown = await page.waitForSelector("[data-testid=logs-tab]", { timeout: 5_000 }).then(() => true, () => false);
    if (shown) break;
    if (i >= 11) await waitFor(page, "[data-testid=logs-tab]", log, 1);
  }
  await page.waitForFunction((text) => [...document.querySelectorAll("[data-testid=log-line]")].some((l) => l.textContent?.includes(text)), { timeout: 120_000 }, KWOK_LOG_LINE)
    .catch(async (err: unknown) => { throw new Error(`no kwok log line: ${await page.$eval("[data-testid=logs-tab]", (e) => e.textContent ?? "")}\n${log.join("\n")}\n${String(err)}`); });
  // The container list fills in when the resource's manifest arrives, which can be after the first log line.
  await page.waitForFunction(() => document.querySelectorAll("[data-testid=logs-container] option").length > 1, { timeout: 60_000 })
    .catch(() => undefined);
  assert.deepEqual(await page.$$eval("[data-testid=logs-container] option", (os) => os.map((o) => o.textContent)), ["(default)", "web"], "the container select lists the Deployment's container");
  const download = await page.$eval("[data-testid=logs-download]", (a) => a.getAttribute("href") ?? "");
  assert.match(download, /download=true/, "the download link asks the server for a file");
  const downloaded = await page.evaluate(async (href) => { const r = await fetch(href); return { status: r.status, text: await r.text() }; }, download);
  assert.equal(downloaded.status, 200, `the download link works: ${downloaded.text}`);
  assert.match(downloaded.text, new RegExp(KWOK_LOG_LINE), "the download holds the log");
  await waitFor(page, '[data-testid=resource-action][data-action="restart"]', log);
  assert.equal(await page.$("[data-testid=resource-delete]") !== null, true, "admin may delete the resource");
  await page.click('[data-testid=resource-action][data-action="restart"]');
  await clickEnabled(page, "[data-testid=resource-action-confirm]", log);
  await waitFor(page, "[data-testid=resource-action-message]", log);
  assert.match(await page.$eval("[data-testid=resource-action-message]", (e) => e.textContent ?? ""), /Action restart ran on Deployment dev-demo/i, "the action ran");
  await eventually(async () => {
    const d = await client.get("apps/v1", "Deployment", "dev-demo", dest);
    assert.ok((d?.spec as { template: { metadata?: { annotations?: Record<string, string> } } }).template.metadata?.annotations?.["kubectl.kubernetes.io/restartedAt"], "restart stamps the pod template");
  }, { timeoutMs: 30_000 });
  await page.click("[data-testid=resource-panel] button[aria-label=Close]");

  // ---- auto-sync off from the toolbar (a rollback needs it off), a label from the details editor ----
  await clickEnabled(page, "[data-testid=auto-sync-toggle]", log);
  await page.waitForFunction(() => document.querySelector("[data-testid=auto-sync-toggle]")?.getAttribute("aria-pressed") === "false", { timeout: 30_000 })
    .catch(async (err: unknown) => { throw new Error(`auto-sync still on: ${await page.$eval("[data-testid=app-details]", (e) => (e as HTMLElement).innerText.slice(0, 600))}\n${String(err)}`); });
  assert.equal((await client.get<Application>(API, "Application", "demo-dev", ns))?.spec.syncPolicy?.automated, undefined, "auto-sync is off in the stored app");
  await clickEnabled(page, "[data-testid=details-button]", log);
  await waitFor(page, "[data-testid=summary-edit]", log);
  assert.match(await page.$eval("[data-testid=summary-sync-policy]", (e) => e.textContent ?? ""), /Manual/, "the summary shows the manual policy");
  await clickEnabled(page, "[data-testid=app-tab-manifest]", log);
  await waitFor(page, "[data-testid=app-manifest]", log);
  assert.match(await page.$eval("[data-testid=app-manifest]", (e) => e.textContent ?? ""), /kind: Application[\s\S]*path: overlays\/dev/, "the MANIFEST tab is the Application's YAML");
  await clickEnabled(page, "[data-testid=app-tab-events]", log);
  await waitFor(page, "[data-testid=app-events]", log);
  await clickEnabled(page, "[data-testid=app-tab-summary]", log);
  await waitFor(page, "[data-testid=summary-edit]", log);
  await clickEnabled(page, "[data-testid=summary-edit]", log);
  await page.type("[data-testid=summary-labels]", "\nwalkthrough=yes");
  await clickEnabled(page, "[data-testid=summary-save]", log);
  await eventually(async () => {
    const a = await client.get<Application>(API, "Application", "demo-dev", ns);
    assert.equal(a?.metadata.labels?.walkthrough, "yes", "the label was saved with PUT");
    assert.deepEqual(a?.spec.syncPolicy?.syncOptions, ["CreateNamespace=true", "timeout.reconcile=30s"], "the rest of the spec is kept");
  }, { timeoutMs: 30_000 });
  // Saving closes the panel; closed for sure before the next clicks (left open, it covers the Diff button).
  if (await page.$("[data-testid=app-details-panel]")) await page.click("[data-testid=app-details-panel] button[aria-label=Close]").catch(() => undefined);
  await page.waitForSelector("[data-testid=app-details-panel]", { hidden: true, timeout: 30_000 });

  // ---- the overlay changes in git; Refresh shows OutOfSync and the diff ----
  const overlay = (await readFile(join(repoDir, "overlays", "dev", "kustomization.yaml"), "utf8")).replace('value: "Dev"', 'value: "Dev v2"');
  assert.match(overlay, /Dev v2/, "the overlay was changed");
  await w.git.commitFiles("demo", { "overlays/dev/kustomization.yaml": overlay }, "dev: APP_NAME Dev v2");
  await clickEnabled(page, "[data-testid=refresh-button]", log);
  await waitFor(page, "[data-testid=app-details] .status-panel [data-sync=OutOfSync]", log, 120_000);
  // Clicked again if the panel did not open (CI once saw the click land while the page redrew).
  await eventually(async () => {
    if (!(await page.$("[data-testid=app-diff-panel]"))) await clickEnabled(page, "[data-testid=app-diff-button]", log);
    await page.waitForSelector("[data-testid=app-diff-panel]", { timeout: 5_000 });
  }, { timeoutMs: 60_000 });
  // (The panel reads managed-resources again on each reconcile, so it settles on the new revision.)
  await page.waitForFunction(() => document.querySelector('[data-testid=app-diff-item][data-kind="Deployment"]')?.textContent?.includes("value: Dev v2") === true, { timeout: 60_000 })
    .catch(async (err: unknown) => { throw new Error(`no Dev v2 in the diff: ${await page.$eval("[data-testid=app-diff-panel]", (e) => e.textContent ?? "").catch(() => "")}\n${String(err)}`); });
  const diff = await page.$eval('[data-testid=app-diff-item][data-kind="Deployment"]', (e) => e.textContent ?? "");
  assert.match(diff, /\+\s+value: Dev v2/, `the diff adds the new value: ${diff}`);
  assert.match(diff, /-\s+value: Dev\b/, "and removes the old one");
  await screenshot(page, "walkthrough-diff");
  await page.click("[data-testid=app-diff-panel] button[aria-label=Close]");

  // ---- sync from the dialog ----
  const before = (await client.get<Application>(API, "Application", "demo-dev", ns))?.status?.operationState?.startedAt;
  await clickEnabled(page, "[data-testid=sync-button]", log);
  await waitFor(page, "[data-testid=sync-dialog]", log);
  await waitFor(page, '[data-testid=sync-resource][data-key="apps/Deployment/' + dest + '/dev-demo"]', log);
  assert.equal(await page.$eval("[data-testid=sync-option-CreateNamespace]", (e) => (e as HTMLInputElement).checked), true, "the app's own CreateNamespace=true is ticked");
  await screenshot(page, "walkthrough-sync-dialog");
  await clickEnabled(page, "[data-testid=sync-confirm]", log);
  await page.waitForFunction((prev) => {
    const started = document.querySelector("[data-testid=operation-started]")?.getAttribute("data-started");
    return started && started !== prev && document.querySelector('[data-testid=operation] [data-phase="Succeeded"]') !== null;
  }, { timeout: 120_000 }, before ?? "");
  await waitFor(page, "[data-testid=app-details] .status-panel [data-sync=Synced]", log, 60_000);
  assert.equal(appNameEnv(await client.get("apps/v1", "Deployment", "dev-demo", dest)), "Dev v2", "the sync applied the new overlay");
  const synced = await client.get<Application>(API, "Application", "demo-dev", ns);
  assert.equal(synced?.status?.operationState?.operation.initiatedBy?.username, "admin", "synced by the logged-in user");
  await clickEnabled(page, "[data-testid=sync-status-button]", log);
  await waitFor(page, '[data-testid=sync-result][data-kind="Deployment"]', log);
  assert.equal(await page.$eval("[data-testid=sync-status-panel]", (e) => e.getAttribute("data-phase")), "Succeeded");
  assert.equal(await page.$eval('[data-testid=sync-result][data-kind="Deployment"]', (e) => e.getAttribute("data-status")), "Synced", "the Deployment's result");
  await page.click("[data-testid=sync-status-panel] button[aria-label=Close]");

  // ---- roll back from history to the first deployment ----
  await clickEnabled(page, "[data-testid=history-button]", log);
  await waitFor(page, "[data-testid=history-entry]", log);
  const ids = await page.$$eval("[data-testid=history-entry]", (rows) => rows.map((r) => Number(r.getAttribute("data-id"))));
  assert.ok(ids.length >= 2, `at least the first deployment and the manual sync: ${ids.join(",")}`);
  const first = Math.min(...ids);
  await page.click(`[data-testid=history-entry][data-id="${first}"] [data-testid=rollback-button]`);
  await page.click(`[data-testid=history-entry][data-id="${first}"] [data-testid=rollback-confirm]`);
  await eventually(async () => {
    assert.equal(appNameEnv(await client.get("apps/v1", "Deployment", "dev-demo", dest)), "Dev", "the rollback restored the first revision's overlay");
  }, { timeoutMs: 120_000 });
  await waitFor(page, "[data-testid=app-details] .status-panel [data-sync=OutOfSync]", log, 60_000);

  // ---- delete demo-prod, non-cascading, from the delete dialog: its resources stay ----
  await page.goto(`${url}/applications/${ns}/demo-prod`);
  await waitFor(page, "[data-testid=delete-button]", log);
  await clickEnabled(page, "[data-testid=delete-button]", log);
  await waitFor(page, "[data-testid=delete-dialog]", log);
  await clickEnabled(page, "[data-testid=delete-non-cascading]", log);
  assert.equal(await page.$eval("[data-testid=delete-confirm]", (e) => (e as HTMLButtonElement).disabled), true, "Delete waits for the name");
  await page.type("[data-testid=delete-confirm-name]", "demo-prod");
  assert.equal(await page.$eval("[data-testid=delete-confirm]", (e) => (e as HTMLButtonElement).disabled), false, "the typed name enables Delete");
  await clickEnabled(page, "[data-testid=delete-confirm]", log);
  // The dialog closes on success and shows the server's words on a refusal.
  await page.waitForFunction(() => !document.querySelector("[data-testid=delete-dialog]") || document.querySelector("[data-testid=delete-dialog] [role=alert]"), { timeout: 60_000 });
  const refusal = await page.$eval("[data-testid=delete-dialog] [role=alert]", (e) => e.textContent ?? "").catch(() => undefined);
  assert.equal(refusal, undefined, `the server accepted the delete: ${refusal}`);
  await eventually(async () => {
    const left = await client.get(API, "Application", "demo-prod", ns);
    assert.equal(left, undefined, `demo-prod is gone: ${JSON.stringify(left?.metadata)}`);
  }, { timeoutMs: 60_000 });
  assert.ok(await client.get("apps/v1", "Deployment", "prod-demo", dests.prod), "non-cascading kept its Deployment");

  // ---- seed 004's role:developer: Sync shown, Delete not; the server refuses a forced delete ----
  const setPassword = await page.evaluate(async (pw) => {
    const r = await fetch("api/v1/account/password", { method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ name: "dev", currentPassword: pw, newPassword: "developer-password-1" }) });
    return `${r.status} ${await r.text()}`;
  }, password);
  assert.match(setPassword, /^200 /, setPassword);
  const dev = await newPage(browser, { incognito: true });
  await dev.page.goto(`${url}/applications/${ns}/demo-dev`);
  await logIn(dev.page, "dev", "developer-password-1");
  await waitFor(dev.page, '[data-testid=app-details][data-app="demo-dev"] [data-rbac=ready]', dev.log);
  assert.ok(await dev.page.$("[data-testid=sync-button]"), "the developer sees Sync");
  assert.equal(await dev.page.$("[data-testid=delete-button]"), null, "the developer sees no Delete");
  assert.equal(await dev.page.$("[data-testid=auto-sync-toggle]"), null, "nor the auto-sync toggle (no update right)");
  await waitFor(dev.page, '[data-testid=tree-node][data-kind="Deployment"]', dev.log);
  await dev.page.click('[data-testid=tree-node][data-kind="Deployment"]');
  await waitFor(dev.page, "[data-testid=resource-sync]", dev.log);
  assert.equal(await dev.page.$("[data-testid=resource-delete]"), null, "no resource Delete for the developer");
  const refused = await dev.page.evaluate(async (n) => {
    const r = await fetch(`api/v1/applications/demo-dev?appNamespace=${n}&cascade=true&propagationPolicy=foreground`, { method: "DELETE", headers: { "Content-Type": "application/json" } });
    return { status: r.status, body: await r.text() };
  }, ns);
  assert.equal(refused.status, 403, `the server refuses the developer's delete: ${refused.body}`);
  assert.match(refused.body, /permission denied: applications, delete/, refused.body);
  const remains = await client.get<Application>(API, "Application", "demo-dev", ns);
  assert.ok(remains && !remains.metadata.deletionTimestamp, "demo-dev remains, not being deleted");
  assert.deepEqual([...log, ...dev.log].filter((l) => l.startsWith("page error")), [], "no script errors");
});
