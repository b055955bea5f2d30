/// <reference lib="dom" />
// (page.evaluate callbacks run in the browser: they use its globals.)
// The Web UI in a real headless Chromium, served by `hawser server` on the real control plane with
// the operator running (issue 14, first part). Seed 002's two Applications are created while the
// list is open: the browser must see them arrive and go to Synced/Healthy over the stream, with no
// reload. Then: filtering by health changes the URL and the list; a sync from the app page starts
// an operation the page follows to Succeeded; the user menu and log out; and a readonly user sees
// no Sync button while the server refuses the sync anyway.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import type { Application } from "../../operator/api/index.js";
import type { KubeObject } from "../../operator/kube/client.js";
import { buildUi, clickEnabled, logIn, newPage, screenshot, startBrowser, waitFor } from "../support/browser.js";
import { fromDir } from "../support/git-server.js";
import { startServerProcess } from "../support/operator-process.js";
import { API, createWorld } from "../support/world.js";
import { initialAdminPassword } from "../support/api-session.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const seed = join(root, "hack", "demo", "seed-002");

/** Waits for a selector, and on failure says what the page showed and logged. */

test("the Web UI: log in, watch seed 002 go Synced/Healthy live, filter, sync from the app page, readonly user", async (t) => {
  const w = await createWorld(t, { name: "ui", repos: { demo: fromDir(join(seed, "repo-argocd-kustomize-demo")) } });
  const { client, ns } = w;
  // The API server reads the test operator's installation id here; `reader` is a local account
  // with the built-in readonly role.
  await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-cm", namespace: ns }, data: { installationID: ns, "accounts.reader": "login" } });
  await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-rbac-cm", namespace: ns }, data: { "policy.csv": "g, reader, role:readonly\n" } });

  const assets = await buildUi();
  const server = startServerProcess({ kubeconfig: w.cluster.kubeconfigPath, namespace: ns, args: ["--staticassets", assets] });
  t.after(() => server.stop("SIGKILL"));
  const url = await server.url();
  const password = await initialAdminPassword(client, ns);

  // ---- the server's side of the UI: the page for client routes, hashed assets cached and compressed ----
  const pageRes = await fetch(`${url}/applications/x/y?view=list`);
  assert.equal(pageRes.status, 200, "a client route gets the page");
  assert.equal(pageRes.headers.get("cache-control"), "no-cache");
  const html = await pageRes.text();
  assert.match(html, /<base href="\/">/);
  const script = /src="\.\/(assets\/index-[^"]+\.js)"/.exec(html)?.[1];
  assert.ok(script, `the page names its script: ${html}`);
  const asset = await fetch(`${url}/${script}`, { headers: { "accept-encoding": "br, gzip" } });
  assert.equal(asset.status, 200);
  assert.equal(asset.headers.get("cache-control"), "public, max-age=31536000, immutable");
  assert.equal(asset.headers.get("content-encoding"), "br");
  const unknownApi = await fetch(`${url}/api/v1/no-such-thing`);
  assert.equal(unknownApi.status, 404, "API paths never fall back to the page");

  const browser = await startBrowser(t);
  const { page, log } = await newPage(browser);

  // ---- not logged in: the list sends the browser to the login page, which brings it back ----
  await page.goto(`${url}/applications?view=tiles`);
  await waitFor(page, "form[aria-label='Log in']", log);
  const loginUrl = new URL(page.url());
  assert.equal(loginUrl.pathname, "/login", page.url());
  assert.equal(loginUrl.searchParams.get("return_url"), `${url}/applications?view=tiles`, "return_url is where the user was");
  await page.type("input[name=username]", "admin");
  await page.type("input[name=password]", "not-the-password");
  await page.click("form[aria-label='Log in'] button[type=submit]");
  await waitFor(page, "[role=alert]", log);
  assert.match(await page.$eval("[role=alert]", (e) => e.textContent ?? ""), /Invalid username or password/, "the server's refusal is shown");
  await page.goto(loginUrl.href);
  await logIn(page, "admin", password);
  assert.equal(new URL(page.url()).pathname, "/applications", `back on the list: ${page.url()}`);
  await waitFor(page, ".live.on", log);
  assert.match(await page.$eval("[data-testid=app-count]", (e) => e.textContent ?? ""), /^0 of 0 applications$/, "no apps yet");

  // ---- seed 002's apps appear and become Synced/Healthy without a reload ----
  await page.evaluate(() => { (window as unknown as { notReloaded: boolean }).notReloaded = true; });
  for (const env of ["dev", "prod"]) {
    const app = parse(await readFile(join(seed, `app-demo-${env}.yaml`), "utf8")) as KubeObject;
    app.metadata.namespace = ns;
    const spec = app.spec as { project: string; source: { repoURL: string }; destination: { namespace: string } };
    spec.project = "default";
    spec.source.repoURL = w.git.baseUrl("demo");
    spec.destination.namespace = w.dest(env);
    await client.create(app);
  }
  for (const name of ["demo-dev", "demo-prod"]) {
    await waitFor(page, `[data-app="${name}"] [data-sync="Synced"]`, log, 180_000);
    await waitFor(page, `[data-app="${name}"] [data-health="Healthy"]`, log, 180_000);
  }
  assert.equal(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded), true, "the page was never reloaded");
  await screenshot(page, "applications-tiles");

  // ---- filtering by health changes the URL and the list ----
  await page.click('[data-filter="health:Healthy"]');
  await page.waitForFunction(() => new URL(location.href).searchParams.get("health") === "Healthy");
  await waitFor(page, '[data-app="demo-dev"]', log);
  assert.match(await page.$eval("[data-testid=app-count]", (e) => e.textContent ?? ""), /^2 of 2 applications$/);
  assert.match(await page.$eval('[data-filter="health:Healthy"]', (e) => e.parentElement?.textContent ?? ""), /Healthy\s*2/, "the option's count");
  await page.click('[data-filter="health:Healthy"]');
  await page.click('[data-filter="health:Degraded"]');
  await page.waitForFunction(() => new URL(location.href).searchParams.get("health") === "Degraded");
  await page.waitForFunction(() => document.querySelectorAll("[data-app]").length === 0);
  assert.match(await page.$eval("[data-testid=app-count]", (e) => e.textContent ?? ""), /^0 of 2 applications$/);
  // The URL is the state: opening it anew shows the same filtered list.
  await page.goto(`${url}/applications?health=Healthy&view=list&search=prod`);
  await waitFor(page, '[data-testid=app-row][data-app="demo-prod"]', log);
  assert.equal(await page.$('[data-app="demo-dev"]'), null, "search narrows to demo-prod");
  await screenshot(page, "applications-list");

  // ---- favourites are kept in the browser and filter the list ----
  await page.click('[data-app="demo-prod"] button.fav');
  await page.goto(`${url}/applications?showFavorites=true`);
  await waitFor(page, '[data-app="demo-prod"]', log);
  assert.equal(await page.$('[data-app="demo-dev"]'), null, "only the favourite is listed");

  // ---- bulk refresh of the selected apps ----
  await page.goto(`${url}/applications`);
  await waitFor(page, '[data-app="demo-dev"]', log);
  await (await page.waitForSelector("::-p-text(Select all)"))!.click();
  await (await page.waitForSelector("::-p-text(Refresh apps)"))!.click();
  await page.waitForFunction(() => document.querySelector(".bulk-result")?.textContent === "Refresh: 2 of 2 started", { timeout: 60_000 });

  // ---- sync from the app page: an operation that starts and finishes ----
  const before = (await client.get<Application>(API, "Application", "demo-dev", ns))?.status?.operationState?.startedAt;
  await page.goto(`${url}/applications`);
  await waitFor(page, '[data-app="demo-dev"] a.app-name', log);
  // The admin may sync both: bulk Sync is offered for the selection (the readonly user's stays off).
  await (await page.waitForSelector("::-p-text(Select all)"))!.click();
  await page.waitForFunction(() => {
    const b = document.querySelector<HTMLButtonElement>(".bulk button.primary");
    return b !== null && !b.disabled && b.textContent === "Sync apps (2)";
  });
  await (await page.waitForSelector("::-p-text(Clear selection)"))!.click();
  await Promise.all([page.waitForFunction(() => location.pathname.endsWith("/demo-dev")), page.click('[data-app="demo-dev"] a.app-name')]);
  await waitFor(page, "[data-testid=sync-button]", log);
  await clickEnabled(page, "[data-testid=sync-button]", log);
  await waitFor(page, "[data-testid=sync-confirm]", log);
  await clickEnabled(page, "[data-testid=sync-confirm]", log);
  await page.waitForFunction((prev) => {
    const started = document.querySelector("[data-testid=operation-started]")?.getAttribute("data-started");
    return started && started !== prev && document.querySelector('[data-testid=operation] [data-phase="Succeeded"]') !== null;
  }, { timeout: 120_000 }, before ?? "");
  const synced = await client.get<Application>(API, "Application", "demo-dev", ns);
  assert.equal(synced?.status?.operationState?.phase, "Succeeded", "the operation finished");
  assert.equal(synced?.status?.operationState?.operation.initiatedBy?.username, "admin", "started by the logged-in user");
  assert.notEqual(synced?.status?.operationState?.startedAt, before, "a new operation");
  await screenshot(page, "application-details");

  // ---- the user menu, and log out ----
  await clickEnabled(page, "[data-testid=user-menu]", log);
  assert.equal(await page.$eval("[data-testid=username]", (e) => e.textContent), "admin");
  await Promise.all([page.waitForNavigation(), page.click("a[href='auth/logout']")]);
  await page.goto(`${url}/applications`);
  await waitFor(page, "form[aria-label='Log in']", log);

  // ---- a readonly user: no Sync button, and the server refuses the sync anyway ----
  await page.goto(`${url}/login`);
  await logIn(page, "admin", password);
  const setPassword = await page.evaluate(async (pw) => {
    const r = await fetch("api/v1/account/password", { method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ name: "reader", currentPassword: pw, newPassword: "reader-password-1" }) });
    return `${r.status} ${await r.text()}`;
  }, password);
  assert.match(setPassword, /^200 /, setPassword);
  const reader = await newPage(browser, { incognito: true });
  await reader.page.goto(`${url}/applications/${ns}/demo-dev`);
  await waitFor(reader.page, "form[aria-label='Log in']", reader.log);
  await logIn(reader.page, "reader", "reader-password-1");
  await waitFor(reader.page, '[data-testid=app-details][data-app="demo-dev"]', reader.log);
  await waitFor(reader.page, "[data-testid=refresh-button]", reader.log);
  // can-i has answered once the bulk bar or the page settles; ask it the same question directly.
  const canSync = await reader.page.evaluate(async (o) => (await (await fetch(`api/v1/account/can-i/applications/sync/${o}`)).json()) as { value: string }, `default/${ns}/demo-dev`);
  assert.deepEqual(canSync, { value: "no" }, "the server says reader may not sync");
  assert.equal(await reader.page.$("[data-testid=sync-button]"), null, "no Sync button for a readonly user");
  const refused = await reader.page.evaluate(async (n) => {
    const r = await fetch("api/v1/applications/demo-dev/sync", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ appNamespace: n }) });
    return { status: r.status, body: await r.text() };
  }, ns);
  assert.equal(refused.status, 403, `the server refuses a forced sync: ${refused.body}`);
  assert.match(refused.body, /permission denied: applications, sync/, refused.body);
  await reader.page.click("[data-testid=user-menu]");
  assert.equal(await reader.page.$eval("[data-testid=username]", (e) => e.textContent), "reader");
  // The list's bulk Sync stays disabled for apps the reader may not sync.
  await reader.page.goto(`${url}/applications`);
  await waitFor(reader.page, '[data-app="demo-dev"]', reader.log);
  await (await reader.page.waitForSelector("::-p-text(Select all)"))!.click();
  await reader.page.waitForFunction(() => document.querySelector(".bulk")?.textContent?.includes("2 selected"));
  const bulkSync = await reader.page.$eval(".bulk button.primary", (b) => ({ disabled: (b).disabled, text: b.textContent }));
  assert.deepEqual(bulkSync, { disabled: true, text: "Sync apps" }, "bulk sync is disabled");
  assert.deepEqual(log.filter((l) => l.startsWith("page error")), [], "no script errors in the admin's page");
});
