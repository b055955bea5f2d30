/// <reference lib="dom" />
// (page.evaluate callbacks run in the browser: they use its globals.)
// The Web UI's other pages in a real headless Chromium, on `hawser server` with the operator and
// the real control plane (issue 14): a project and a role token made from the Projects page (the
// token then works against the API), a sync window's state now, the in-cluster cluster's connection
// state and Invalidate Cache, a repository behind basic auth on the loopback git server connected
// from the Repositories page and shown Successful, an ApplicationSet's page listing the apps it
// generated and previewing them, argocd-cm's banner and help links, a readonly user who is offered
// none of the admin's controls, and axe-core finding no serious or critical violation on the list,
// an application page and every new page.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Page } from "puppeteer-core";
import { initialAdminPassword, jsonCaller, showResponse } from "../support/api-session.js";
import { axeProblems, buildUi, clickEnabled, logIn, newPage, screenshot, startBrowser, waitFor } from "../support/browser.js";
import { eventually } from "../support/eventually.js";
import { startOciRegistry } from "../support/oci-registry.js";
import { startServerProcess } from "../support/operator-process.js";
import { API, createWorld } from "../support/world.js";

/** Fills a field (replacing what is there) inside `scope`. */
async function fill(page: Page, selector: string, value: string): Promise<void> {
  await page.$eval(selector, (e) => { (e as HTMLInputElement).value = ""; });
  await page.type(selector, value);
}

test("the Web UI's settings, ApplicationSet, user and help pages; RBAC; accessibility", async (t) => {
  const w = await createWorld(t, {
    name: "uiset",
    repos: {
      apps: { "dev/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: env\ndata:\n  env: dev\n", "prod/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: env\ndata:\n  env: prod\n" },
      private: { "cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: private\n" },
    },
  });
  const { client, ns } = w;
  w.git.setRepoAuth("private", { username: "git-user", password: "git-secret-pw" });
  await client.create({
    apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-cm", namespace: ns },
    data: {
      installationID: ns, "accounts.reader": "login",
      "ui.bannercontent": "Maintenance on Friday", "ui.bannerurl": "https://status.example.com/", "ui.bannerposition": "top",
      "help.chatUrl": "https://chat.example.com/gitops", "help.chatText": "Ask the platform team",
      "help.download.linux-amd64": "https://dl.example.com/hawser-linux-amd64",
    },
  });
  await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-rbac-cm", namespace: ns }, data: { "policy.csv": "g, reader, role:readonly\n" } });

  const assets = await buildUi();
  const server = startServerProcess({ kubeconfig: w.cluster.kubeconfigPath, namespace: ns, args: ["--staticassets", assets] });
  t.after(() => server.stop("SIGKILL"));
  const url = await server.url();
  const password = await initialAdminPassword(client, ns);
  const call = jsonCaller(url);
  const adminToken = ((await call("POST", "/api/v1/session", { username: "admin", password })).body as { token: string }).token;

  // An ApplicationSet with two generated apps (created before the browser looks for them).
  const dest = w.dest("uiset");
  await client.create({
    apiVersion: API, kind: "ApplicationSet", metadata: { name: "envs", namespace: ns },
    spec: {
      generators: [{ list: { elements: [{ env: "dev" }, { env: "prod" }] } }],
      template: {
        metadata: { name: "envs-{{env}}" },
        spec: { project: "default", source: { repoURL: w.git.baseUrl("apps"), path: "{{env}}" }, destination: { server: "https://kubernetes.default.svc", namespace: dest } },
      },
    },
  });

  const browser = await startBrowser(t);
  const { page, log } = await newPage(browser);
  const axeFindings: string[] = [];
  const check = async (name: string): Promise<void> => {
    await screenshot(page, name);
    for (const p of await axeProblems(page)) axeFindings.push(`${name} (${page.url()}): ${p}`);
  };

  await page.goto(`${url}/login`);
  await logIn(page, "admin", password);

  // ---- global settings: the banner, links to every page, help ----
  await waitFor(page, "[data-testid=banner]", log);
  assert.equal(await page.$eval("[data-testid=banner] a", (a) => [a.textContent, a.getAttribute("href")].join(" ")), "Maintenance on Friday https://status.example.com/", "argocd-cm ui.bannercontent and ui.bannerurl");
  await waitFor(page, ".live.on", log);
  await check("applications-empty-list");
  await page.goto(`${url}/help`);
  await waitFor(page, "[data-testid=chat-link]", log);
  assert.equal(await page.$eval("[data-testid=chat-link]", (a) => `${a.textContent} ${a.getAttribute("href")}`), "Ask the platform team https://chat.example.com/gitops");
  assert.equal(await page.$eval("[data-testid=downloads] a", (a) => `${a.textContent} ${a.getAttribute("href")}`), "Download the CLI for linux-amd64 https://dl.example.com/hawser-linux-amd64");
  await check("help");
  await page.goto(`${url}/user-info`);
  await waitFor(page, "[data-testid=user-info-username]", log);
  assert.equal(await page.$eval("[data-testid=user-info-username]", (e) => e.textContent), "admin");
  assert.ok(await page.$("form[aria-label='Update password']"), "a local user may update their password");
  await check("user-info");
  await page.goto(`${url}/settings`);
  await waitFor(page, ".settings-tile", log);
  await check("settings");

  // ---- Projects: create one, add a role, make a token for it; the token works ----
  const proj = `team-${w.id}`;
  await page.goto(`${url}/settings/projects`);
  await waitFor(page, "[data-testid=new-project]", log);
  await check("projects");
  await clickEnabled(page, "[data-testid=new-project]", log);
  await waitFor(page, "form[aria-label='Create project'] input[name=name]", log);
  await page.type("form[aria-label='Create project'] input[name=name]", proj);
  await page.type("form[aria-label='Create project'] input[name=description]", "Made in the browser");
  await page.click("form[aria-label='Create project'] button[type=submit]");
  await waitFor(page, `[data-testid=project-page][data-project="${proj}"]`, log);
  const stored = await eventually(async () => client.get(API, "AppProject", proj, ns), { timeoutMs: 10_000 });
  assert.equal((stored?.spec as { description?: string }).description, "Made in the browser", "the project is in Kubernetes");
  await clickEnabled(page, "[data-testid=tab-roles]", log);
  await waitFor(page, "[data-testid=add-role]", log);
  await clickEnabled(page, "[data-testid=add-role]", log);
  await waitFor(page, "form[aria-label='Add role'] input[name=roleName]", log);
  await page.type("form[aria-label='Add role'] input[name=roleName]", "ci");
  await page.type("form[aria-label='Add role'] textarea[name=policies]", `p, proj:${proj}:ci, applications, get, ${proj}/*, allow`);
  await page.click("form[aria-label='Add role'] button[type=submit]");
  await waitFor(page, '[data-role="ci"] form[aria-label="Create token for ci"]', log);
  await page.type('[data-role="ci"] input[name=tokenId]', "pipeline-1");
  await page.type('[data-role="ci"] input[name=expiresIn]', "24h");
  await page.click('[data-role="ci"] [data-testid=create-token]');
  await waitFor(page, "[data-testid=new-token]", log);
  const token = await page.$eval("[data-testid=new-token]", (e) => (e as HTMLTextAreaElement).value);
  assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/, "a JWT is shown once");
  await waitFor(page, '[data-role="ci"] [data-token="pipeline-1"]', log);
  const withToken = await call("GET", `/api/v1/projects/${proj}`, undefined, token);
  assert.equal(withToken.status, 200, `the role token reads its project: ${showResponse(withToken)}`);
  const roles = ((withToken.body as { spec: { roles: Array<{ name: string; policies: string[]; jwtTokens?: Array<{ id: string; exp?: number }> }> } }).spec.roles);
  assert.equal(roles[0]?.name, "ci");
  assert.equal(roles[0]?.jwtTokens?.[0]?.id, "pipeline-1", "the token is recorded under the id typed");
  assert.ok((roles[0]?.jwtTokens?.[0]?.exp ?? 0) > Date.now() / 1000 + 23 * 3600, "with the 24h expiry");
  // A bad expiry is refused in the form, naming the field.
  await page.type('[data-role="ci"] input[name=expiresIn]', "soon");
  await page.click('[data-role="ci"] [data-testid=create-token]');
  await page.waitForFunction(() => document.querySelector('[data-role="ci"] [role=alert]')?.textContent?.startsWith("Expires in:"));
  await check("project-roles");
  // Delete the token from the page: the server forgets it, so it no longer works.
  await page.click('[data-role="ci"] [data-token="pipeline-1"] button');
  await page.waitForFunction(() => document.querySelector('[data-role="ci"] [data-token="pipeline-1"]') === null, { timeout: 30_000 })
    .catch(async (err: unknown) => { throw new Error(`the token row stayed: ${await page.evaluate(() => document.body.innerText)}\n${String(err)}`); });
  // The server's cache of the project catches up with the deletion shortly after.
  await eventually(async () => {
    const r = await call("GET", `/api/v1/projects/${proj}`, undefined, token);
    if (r.status !== 401) throw new Error(`a deleted token is refused: ${showResponse(r)}`);
    return r;
  }, { timeoutMs: 15_000 });

  // ---- Sync windows: one always active, one never active now ----
  const hour = new Date().getUTCHours();
  await client.patch({ apiVersion: API, kind: "AppProject", name: proj, namespace: ns }, { spec: { syncWindows: [
    { kind: "deny", schedule: "* * * * *", duration: "1h", applications: ["*"] },
    { kind: "allow", schedule: `0 ${(hour + 12) % 24} * * *`, duration: "1h", applications: ["*"] },
  ] } });
  // The page reads the server's cache, which sees the patch a moment later.
  await eventually(async () => {
    const r = await call("GET", `/api/v1/projects/${proj}`, undefined, adminToken);
    return ((r.body as { spec?: { syncWindows?: unknown[] } }).spec?.syncWindows?.length ?? 0) === 2;
  }, { timeoutMs: 15_000 });
  await page.goto(`${url}/settings/projects/${proj}?tab=windows`);
  await waitFor(page, '[data-window="1"]', log);
  await page.waitForFunction(() => document.querySelector('[data-window="0"] td')?.textContent === "Active: syncs blocked", { timeout: 30_000 });
  assert.equal(await page.$eval('[data-window="1"] td', (e) => e.textContent), "Inactive", "the allow window 12 hours away is not in effect");
  await check("project-windows");
  await page.goto(`${url}/settings/projects/${proj}?tab=summary`);
  await waitFor(page, "dl.fields", log);
  await check("project-summary");

  // ---- Clusters: the in-cluster connection, its details and Invalidate Cache ----
  // The connection state is the controller's, published on its 10 s cycle once the apps use the cluster.
  await eventually(async () => {
    const r = await call("GET", "/api/v1/clusters", undefined, adminToken);
    const local = (r.body as { items?: Array<{ server: string; info?: { connectionState?: { status?: string } } }> }).items?.find((c) => c.server === "https://kubernetes.default.svc");
    assert.equal(local?.info?.connectionState?.status, "Successful", r.text.slice(0, 800));
  }, { timeoutMs: 60_000 });
  await page.goto(`${url}/settings/clusters`);
  await waitFor(page, '[data-cluster="in-cluster"] [data-connection="Successful"]', log);
  assert.match(await page.$eval('[data-cluster="in-cluster"]', (e) => e.textContent ?? ""), /svc1\.\d+\.\d+/, "the Kubernetes version is shown");
  await check("clusters");
  await page.click('[data-cluster="in-cluster"] a');
  await waitFor(page, "[data-testid=invalidate-cache]", log);
  await clickEnabled(page, "[data-testid=invalidate-cache]", log);
  await page.waitForFunction(() => document.querySelector("[data-testid=note]")?.textContent?.startsWith("Cache invalidated"));
  await check("cluster-details");

  // ---- Repositories: connect the private repo with its credentials, see it Successful ----
  const privateUrl = w.git.baseUrl("private");
  await page.goto(`${url}/settings/repos`);
  await waitFor(page, "[data-testid=connect-repo]", log);
  await clickEnabled(page, "[data-testid=connect-repo]", log);
  await waitFor(page, "form[aria-label='Connect repository'] input[name=url]", log);
  // A password without a username is refused before anything is sent.
  await page.type("form[aria-label='Connect repository'] input[name=url]", privateUrl);
  await page.type("form[aria-label='Connect repository'] input[name=password]", "git-secret-pw");
  await clickEnabled(page, "[data-testid=repo-connect]", log);
  await page.waitForFunction(() => document.querySelector("form[aria-label='Connect repository'] [role=alert]")?.textContent === "Username is required with a password");
  await fill(page, "form[aria-label='Connect repository'] input[name=username]", "git-user");
  await clickEnabled(page, "[data-testid=repo-connect]", log);
  await waitFor(page, `[data-repo="${privateUrl}"] [data-connection="Successful"]`, log, 60_000);
  assert.ok(!(await page.content()).includes("git-secret-pw"), "the password is never shown back");
  await check("repositories");
  const repoSecret = (await client.list("v1", "Secret", { namespace: ns, labelSelector: "argocd.argoproj.io/secret-type=repository" })).items;
  assert.equal(repoSecret.length, 1, "one repository Secret was written");

  // ---- an OCI repository: a plain-HTTP registry behind basic auth, connected with Force HTTP ----
  const registry = await startOciRegistry({
    artifacts: [{ repository: "team/app", tag: "v1", layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", body: Buffer.from("x") }] }],
    auth: { username: "oci-user", password: "oci-secret-pw" },
  });
  t.after(() => registry.close());
  const ociUrl = `oci://${registry.host}/team/app`;
  const repoForm = "form[aria-label='Connect repository']";
  await clickEnabled(page, "[data-testid=connect-repo]", log);
  await waitFor(page, `${repoForm} select[name=type]`, log);
  assert.equal(await page.$(`${repoForm} input[name=forceHttp]`), null, "Force HTTP is offered for OCI only");
  await page.select(`${repoForm} select[name=type]`, "oci");
  await page.type(`${repoForm} input[name=url]`, ociUrl);
  await page.type(`${repoForm} input[name=username]`, "oci-user");
  await page.type(`${repoForm} input[name=password]`, "oci-secret-pw");
  await page.click(`${repoForm} input[name=forceHttp]`);
  await clickEnabled(page, "[data-testid=repo-connect]", log);
  // Successful means the server reached the registry over plain HTTP with the credentials.
  await waitFor(page, `[data-repo="${ociUrl}"] [data-connection="Successful"]`, log, 60_000);
  assert.equal(await page.$eval(`[data-repo="${ociUrl}"] td`, (e) => e.textContent), "oci");
  assert.ok(registry.authorized.length > 0, "the registry saw the credentials");
  const ociSecret = (await client.list("v1", "Secret", { namespace: ns, labelSelector: "argocd.argoproj.io/secret-type=repository" })).items
    .map((s) => Object.fromEntries(Object.entries((s.data ?? {}) as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, "base64").toString()])))
    .find((d) => d.url === ociUrl);
  assert.deepEqual([ociSecret?.type, ociSecret?.insecureOCIForceHttp, ociSecret?.username], ["oci", "true", "oci-user"]);
  assert.ok(!(await page.content()).includes("oci-secret-pw"), "the password is never shown back");

  // ---- certificates and GnuPG keys pages load (empty) ----
  const loaded = (): Promise<unknown> => page.waitForFunction(() => document.querySelector(".page h1") !== null && !document.body.innerText.includes("Loading…"), { timeout: 30_000 });
  await page.goto(`${url}/settings/certs`);
  await loaded();
  assert.equal(await page.$(".page [role=alert]"), null, "the certificates load");
  await check("certificates");
  await page.goto(`${url}/settings/gpgkeys`);
  await loaded();
  assert.equal(await page.$(".page [role=alert]"), null, "the GnuPG keys load");
  await check("gpgkeys");
  await page.goto(`${url}/settings/accounts`);
  await waitFor(page, '[data-account="reader"]', log);
  await check("accounts");

  // ---- the ApplicationSet lists its generated apps, linking to them; Preview asks the generators ----
  await page.goto(`${url}/applicationsets`);
  await waitFor(page, '[data-appset="envs"] a', log);
  await check("applicationsets");
  await page.click('[data-appset="envs"] a');
  await waitFor(page, '[data-testid=appset-page] [data-app="envs-prod"]', log, 120_000);
  await waitFor(page, '[data-testid=appset-page] [data-app="envs-dev"]', log);
  assert.equal(await page.$eval('[data-app="envs-dev"] a', (a) => a.getAttribute("href")), `/applications/${ns}/envs-dev`, "a link to the app's page");
  assert.match(await page.$eval("[data-generator='0']", (e) => e.textContent ?? ""), /^list: 2 element\(s\)$/);
  // The button appears once can-i has answered.
  await waitFor(page, "[data-testid=preview-apps]", log);
  await clickEnabled(page, "[data-testid=preview-apps]", log);
  await waitFor(page, '[data-preview="envs-prod"]', log);
  assert.equal(await page.$$eval("[data-preview]", (rows) => rows.length), 2, "two apps previewed");
  await check("applicationset-details");
  await Promise.all([page.waitForFunction(() => location.pathname.endsWith("/envs-dev")), page.click('[data-app="envs-dev"] a')]);
  await waitFor(page, '[data-testid=app-details][data-app="envs-dev"]', log);
  await waitFor(page, "[data-testid=tree-live].on, .tree-canvas, .resource-list", log);
  await check("application-page");
  await page.goto(`${url}/applications`);
  await waitFor(page, '[data-app="envs-dev"]', log);
  await check("applications-list");

  // ---- a readonly user: sees the pages, none of the admin's controls ----
  const setPw = await call("PUT", "/api/v1/account/password", { name: "reader", currentPassword: password, newPassword: "reader-password-1" }, adminToken);
  assert.equal(setPw.status, 200, showResponse(setPw));
  const reader = await newPage(browser, { incognito: true });
  await reader.page.goto(`${url}/login`);
  await logIn(reader.page, "reader", "reader-password-1");
  await reader.page.goto(`${url}/settings/projects/${proj}?tab=roles`);
  await waitFor(reader.page, '[data-role="ci"]', reader.log);
  const readerCan = await reader.page.evaluate(async (p) => (await (await fetch(`api/v1/account/can-i/projects/update/${p}`)).json()) as { value: string }, proj);
  assert.deepEqual(readerCan, { value: "no" }, "the server says reader may not update the project");
  assert.equal(await reader.page.$("[data-testid=add-role]"), null, "no Add role");
  assert.equal(await reader.page.$("[data-testid=create-token]"), null, "no Create token");
  await reader.page.goto(`${url}/settings/projects`);
  await waitFor(reader.page, `[data-project="${proj}"]`, reader.log);
  assert.equal(await reader.page.$("[data-testid=new-project]"), null, "no New project");
  await reader.page.goto(`${url}/settings/repos`);
  await waitFor(reader.page, `[data-repo="${privateUrl}"]`, reader.log);
  assert.equal(await reader.page.$("[data-testid=connect-repo]"), null, "no Connect repository");
  assert.equal(await reader.page.$(`[aria-label="Remove ${privateUrl}"]`), null, "no Remove");
  await reader.page.goto(`${url}/user-info`);
  await waitFor(reader.page, "[data-testid=user-info-username]", reader.log);
  assert.equal(await reader.page.$eval("[data-testid=user-info-username]", (e) => e.textContent), "reader");

  assert.deepEqual(axeFindings, [], "axe-core: no serious or critical violations");
  assert.deepEqual(log.filter((l) => l.startsWith("page error")), [], "no script errors in the admin's page");
});
