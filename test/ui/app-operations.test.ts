/// <reference lib="dom" />
// (page.evaluate callbacks run in the browser: they use its globals.)
// The application page's operations no other browser test drives, in a real headless Chromium on
// `hawser server`, the operator and the real control plane (issue 14): Terminate of a sync held by
// a PreSync hook that cannot be scheduled; a sync of selected resources (only they reach the
// cluster); Sync of one resource from its panel; Delete of one resource from its panel; and a
// pruning sync limited to one kind (the ConfigMap removed from Git is pruned, the Service removed
// with it stays). Each is checked in the cluster and on the page. (Rollback is in walkthrough.test.ts.)
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Application } from "../../operator/api/index.js";
import { initialAdminPassword } from "../support/api-session.js";
import { buildUi, clickEnabled, newPage, screenshot, startBrowser, waitFor } from "../support/browser.js";
import { eventually } from "../support/eventually.js";
import { startServerProcess } from "../support/operator-process.js";
import { API, createWorld } from "../support/world.js";

const cm = (name: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  k: v\n`;
const svc = "apiVersion: v1\nkind: Service\nmetadata:\n  name: svc-x\nspec:\n  ports:\n  - port: 80\n  selector:\n    app: none\n";
// A PreSync hook Pod no node can take: the sync waits on it until terminated.
const holdingHook = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: presync-wait\n  annotations:\n    argocd.argoproj.io/hook: PreSync\nspec:\n  nodeSelector:\n    hawser.test/no-such-node: \"true\"\n  containers:\n  - name: c\n    image: busybox\n";

test("app page operations: terminate, sync selected, resource sync and delete, prune of one kind", async (t) => {
  const w = await createWorld(t, {
    name: "uiops",
    repos: {
      res: { "cm-a.yaml": cm("cm-a"), "cm-b.yaml": cm("cm-b"), "cm-c.yaml": cm("cm-c"), "svc.yaml": svc },
      busy: { "hook.yaml": holdingHook, "cm.yaml": cm("after-hook") },
    },
  });
  const { client, ns } = w;
  await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-cm", namespace: ns }, data: { installationID: ns } });
  const dest = w.dest("ops");
  await w.createNamespace(dest);
  await client.create(w.application("res", { repo: "res", path: ".", dest }));
  await client.create(w.application("busy", { repo: "busy", path: ".", dest }));

  const assets = await buildUi();
  const server = startServerProcess({ kubeconfig: w.cluster.kubeconfigPath, namespace: ns, args: ["--staticassets", assets] });
  t.after(() => server.stop("SIGKILL"));
  const url = await server.url();
  const password = await initialAdminPassword(client, ns);
  const live = async (kind: string, name: string): Promise<boolean> => (await client.get("v1", kind, name, dest)) !== undefined;
  const operation = async (app: string): Promise<NonNullable<Application["status"]>["operationState"]> => (await client.get<Application>(API, "Application", app, ns))?.status?.operationState;

  const browser = await startBrowser(t);
  const { page, log } = await newPage(browser);
  await page.goto(`${url}/applications/${ns}/busy`);
  await page.waitForSelector("form[aria-label='Log in'] input[name=username]");
  await page.type("input[name=username]", "admin");
  await page.type("input[name=password]", password);
  await Promise.all([page.waitForNavigation(), page.click("form[aria-label='Log in'] button[type=submit]")]);

  // ---- Terminate: the sync held by its PreSync hook ends Failed, "Operation terminated" ----
  await waitFor(page, "[data-testid=sync-button]", log, 120_000);
  await page.waitForFunction(() => document.querySelectorAll("[data-testid=tree-node][data-type=resource]").length > 0, { timeout: 120_000 });
  await clickEnabled(page, "[data-testid=sync-button]", log);
  await waitFor(page, "[data-testid=sync-dialog]", log);
  await clickEnabled(page, "[data-testid=sync-confirm]", log);
  await eventually(async () => {
    const s = await operation("busy");
    assert.equal(s?.phase, "Running", "the sync runs");
    assert.ok((s?.syncResult?.resources ?? []).some((r) => r.kind === "Pod" && r.hookPhase === "Running"), "held by the PreSync hook");
  }, { timeoutMs: 90_000 });
  await clickEnabled(page, "[data-testid=sync-status-button]", log);
  await waitFor(page, "[data-testid=sync-status-panel][data-phase=Running] [data-testid=terminate-button]", log);
  await screenshot(page, "sync-status-running");
  await clickEnabled(page, "[data-testid=terminate-button]", log);
  await eventually(async () => {
    const s = await operation("busy");
    assert.equal(s?.phase, "Failed", "the terminated sync fails");
    assert.equal(s.message, "Operation terminated");
  }, { timeoutMs: 60_000 });
  assert.equal(await live("ConfigMap", "after-hook"), false, "nothing after the hook was applied");
  await clickEnabled(page, "[data-testid=sync-status-button]", log);
  await waitFor(page, "[data-testid=sync-status-panel][data-phase=Failed]", log);
  assert.equal(await page.$eval("[data-testid=operation-message]", (e) => e.textContent), "Operation terminated", "the page says so");
  assert.equal(await page.$("[data-testid=terminate-button]"), null, "nothing left to terminate");

  // ---- Sync of selected resources: cm-a and cm-b only ----
  await page.goto(`${url}/applications/${ns}/res`);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=tree-node][data-kind="ConfigMap"]').length === 3, { timeout: 120_000 });
  await waitFor(page, "[data-testid=sync-button]", log);
  await clickEnabled(page, "[data-testid=sync-button]", log);
  await waitFor(page, "[data-testid=sync-dialog]", log);
  await page.click("[data-testid=sync-dialog] .toolbar button:nth-of-type(3)"); // none
  for (const name of ["cm-a", "cm-b"]) await page.click(`[data-testid=sync-resource][data-key="/ConfigMap/${dest}/${name}"]`);
  await clickEnabled(page, "[data-testid=sync-confirm]", log);
  await eventually(async () => {
    assert.equal((await operation("res"))?.phase, "Succeeded", "the selective sync finished");
  }, { timeoutMs: 60_000 });
  assert.deepEqual([await live("ConfigMap", "cm-a"), await live("ConfigMap", "cm-b"), await live("ConfigMap", "cm-c"), await live("Service", "svc-x")], [true, true, false, false], "only the selected resources were applied");
  const synced = (await operation("res"))?.syncResult?.resources?.map((r) => r.name).sort();
  assert.deepEqual(synced, ["cm-a", "cm-b"], "the operation lists only them");

  // ---- Sync of one resource from its panel: cm-c ----
  await page.click('[data-testid=tree-node][data-kind="ConfigMap"][data-name="cm-c"]');
  await waitFor(page, "[data-testid=resource-sync]", log);
  await clickEnabled(page, "[data-testid=resource-sync]", log);
  await waitFor(page, "[data-testid=sync-dialog]", log);
  const checked = await page.$$eval("[data-testid=sync-resource]", (els) => els.filter((e) => (e as HTMLInputElement).checked).map((e) => e.getAttribute("data-key")));
  assert.deepEqual(checked, [`/ConfigMap/${dest}/cm-c`], "the dialog opens with only this resource");
  await clickEnabled(page, "[data-testid=sync-confirm]", log);
  await eventually(async () => assert.ok(await live("ConfigMap", "cm-c"), "cm-c applied"), { timeoutMs: 60_000 });
  assert.equal(await live("Service", "svc-x"), false, "the Service was not part of it");

  // ---- Delete of one resource from its panel: cm-a ----
  await page.waitForFunction((n) => document.querySelector(`[data-testid=tree-node][data-kind="ConfigMap"][data-name="${n}"][data-uid]:not([data-uid=""])`) !== null, { timeout: 60_000 }, "cm-a");
  await page.click('[data-testid=tree-node][data-kind="ConfigMap"][data-name="cm-a"]');
  await waitFor(page, '[data-testid=resource-panel][data-kind="ConfigMap"] [data-testid=resource-delete]', log);
  await clickEnabled(page, "[data-testid=resource-delete]", log);
  await waitFor(page, "[data-testid=resource-delete-form]", log);
  await page.type("[data-testid=resource-delete-name]", "cm-a");
  await clickEnabled(page, "[data-testid=resource-delete-confirm]", log);
  await waitFor(page, "[data-testid=resource-action-message]", log);
  assert.equal(await page.$eval("[data-testid=resource-action-message]", (e) => e.textContent), "ConfigMap cm-a deleted");
  await eventually(async () => assert.equal(await live("ConfigMap", "cm-a"), false, "cm-a is gone from the cluster"), { timeoutMs: 30_000 });

  // ---- Prune of one kind: cm-b and svc-x leave Git; pruning only ConfigMaps keeps the Service ----
  await clickEnabled(page, "[data-testid=sync-button]", log);
  await waitFor(page, "[data-testid=sync-dialog]", log);
  await page.click("[data-testid=sync-dialog] .toolbar button:nth-of-type(1)"); // all
  await clickEnabled(page, "[data-testid=sync-confirm]", log);
  await eventually(async () => assert.deepEqual([await live("ConfigMap", "cm-a"), await live("Service", "svc-x")], [true, true], "everything applied"), { timeoutMs: 60_000 });
  // The change in Git comes once that sync is over and the app is Synced (a sync pins its revision).
  await eventually(async () => {
    const app = await client.get<Application>(API, "Application", "res", ns);
    assert.deepEqual([app?.status?.operationState?.phase, app?.status?.sync?.status], ["Succeeded", "Synced"], "the full sync is over");
  }, { timeoutMs: 60_000 });
  const before = await w.git.revParse("res");
  const after = await w.git.commitFiles("res", { "cm-a.yaml": cm("cm-a"), "cm-c.yaml": cm("cm-c") }, "drop cm-b and the Service", { replace: true });
  assert.notEqual(after, before, "a new commit");
  await clickEnabled(page, "[data-testid=refresh-button]", log);
  await eventually(async () => {
    const app = await client.get<Application>(API, "Application", "res", ns);
    const resources = app?.status?.resources ?? [];
    assert.deepEqual(resources.filter((r) => r.requiresPruning).map((r) => r.name).sort(), ["cm-b", "svc-x"], `both are to prune (compared ${app?.status?.sync?.revision ?? "?"}, head ${after})`);
  }, { timeoutMs: 90_000 });
  await clickEnabled(page, "[data-testid=sync-button]", log);
  await waitFor(page, "[data-testid=sync-dialog]", log);
  await clickEnabled(page, "[data-testid=sync-prune]", log);
  await page.select("[data-testid=sync-select-kind]", "ConfigMap");
  const selected = await page.$$eval("[data-testid=sync-resource]", (els) => els.filter((e) => (e as HTMLInputElement).checked).map((e) => e.getAttribute("data-key")).sort());
  assert.deepEqual(selected, [`/ConfigMap/${dest}/cm-a`, `/ConfigMap/${dest}/cm-b`, `/ConfigMap/${dest}/cm-c`], "only the ConfigMaps are selected");
  await screenshot(page, "sync-prune-kind");
  await clickEnabled(page, "[data-testid=sync-confirm]", log);
  await eventually(async () => assert.equal(await live("ConfigMap", "cm-b"), false, "cm-b pruned"), { timeoutMs: 60_000 });
  assert.equal(await live("Service", "svc-x"), true, "the Service, not selected, stays");
  await page.waitForFunction(() => document.querySelector('[data-testid=tree-node][data-kind="ConfigMap"][data-name="cm-b"]') === null, { timeout: 60_000 });
  assert.ok(await page.$('[data-testid=tree-node][data-kind="Service"][data-name="svc-x"]'), "the page still shows the Service (to prune)");
  assert.deepEqual(log.filter((l) => l.startsWith("page error")), [], "no script errors");
});
