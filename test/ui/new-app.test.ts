/// <reference lib="dom" />
// (page.evaluate callbacks run in the browser: they use its globals.)
// Creating and editing applications in a real headless Chromium, on `hawser server` with the
// operator and the real control plane (issue 14): the New App panel suggests the known
// repository, its branches and its application paths, detects a Helm chart and lists its
// parameters; a bad name is refused in the form and an unknown project by the server, each under
// its field; the created app reaches the cluster and the operator renders the parameter typed;
// the YAML mode creates a Directory app with recurse; the PARAMETERS tab changes the chart
// parameter (the cluster follows). A multi-source app (the chart plus a `ref` source whose
// `$values/...` file the chart reads) is refused while a source lacks its repository or a value
// file names an unknown ref, each under its source's field, survives the YAML mode and is created
// with every source as typed (the cluster renders the other source's value); its SOURCES tab edits
// one source, SUMMARY lists both and its editor adds a third source and removes it again (not the
// one whose ref a value file reads) and refuses a chart without a version, as New App does; history shows a revision per source, the sync dialog asks for one.
// SUMMARY's Add source on a single-source app makes it multi-source in one update (spec.source
// becomes spec.sources[0]; the new source is refused while it names nothing), which the controller
// then compares as such; removing down to one source keeps spec.sources; role:developer is offered
// neither and the server refuses its write. /resources lists every
// app's resources with filters and a summary, and argocd-cm ui.view.resources.disabled hides it.
// axe-core finds no serious or critical violation on those views. The dark theme stays after a reload. Then seed 004's roles:
// role:developer is offered no New App, no resource Delete and only disabled resource actions
// (and the server refuses the action), role:operator gets them and restarts the Deployment.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Page } from "puppeteer-core";
import type { KubeObject } from "../../operator/kube/client.js";
import { initialAdminPassword, jsonCaller, showResponse } from "../support/api-session.js";
import { axeProblems, buildUi, clickEnabled, logIn, newPage, screenshot, startBrowser, waitFor } from "../support/browser.js";
import { eventually } from "../support/eventually.js";
import { startServerProcess } from "../support/operator-process.js";
import { API, IN_CLUSTER, createWorld } from "../support/world.js";

/** Replaces a field's text as a user would: select all, then type. */
async function fill(page: Page, selector: string, value: string): Promise<void> {
  await page.focus(selector);
  await page.keyboard.down("Control");
  await page.keyboard.press("a");
  await page.keyboard.up("Control");
  await page.keyboard.press("Backspace");
  if (value) await page.type(selector, value);
}

/** Sets a large text area at once (typing a whole YAML document key by key is slow), through React's own input event. */
async function paste(page: Page, selector: string, value: string): Promise<void> {
  await page.$eval(selector, (el, v) => {
    // React tracks the value it set; the prototype's setter bypasses that, so its input event sees a change.
    Reflect.set(HTMLTextAreaElement.prototype, "value", v, el);
    el.dispatchEvent(new Event("input", { bubbles: true }));
  }, value);
}

const optionValues = (page: Page, list: string): Promise<string[]> => page.$$eval(`#${list} option`, (els) => els.map((e) => (e).value));

type Source = { repoURL?: string; path?: string; targetRevision?: string; ref?: string; helm?: { valueFiles?: string[]; parameters?: Array<{ name: string; value: string }> }; directory?: { recurse?: boolean } };
type AppSpec = { project?: string; source?: Source; sources?: Source[]; destination?: { server?: string; namespace?: string }; syncPolicy?: { automated?: unknown; syncOptions?: string[] } };

const CHART = {
  "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
  "chart/values.yaml": "color: red\nreplicas: 1\n",
  "chart/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-color\ndata:\n  color: {{ .Values.color | quote }}\n",
  "chart/templates/deploy.yaml": [
    "apiVersion: apps/v1", "kind: Deployment", "metadata:", "  name: web", "spec:", "  replicas: {{ .Values.replicas }}",
    "  selector:", "    matchLabels: {app: web}", "  template:", "    metadata:", "      labels: {app: web}", "    spec:",
    "      containers:", "      - name: web", "        image: nginx:1.27", "",
  ].join("\n"),
  "plain/top.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain-top\n",
  "plain/nested/deep.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain-deep\n",
};

test("New App (form and YAML), the PARAMETERS editor, the theme, and seed 004's roles on resource actions", async (t) => {
  const w = await createWorld(t, { name: "uinew", repos: { apps: CHART, values: { "envs/prod.yaml": "color: purple\n" } } });
  const { client, ns } = w;
  const repoURL = w.git.baseUrl("apps");
  const valuesURL = w.git.baseUrl("values");
  // Seed 004's role:developer and role:operator, on two local accounts.
  await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-cm", namespace: ns }, data: { installationID: ns, "accounts.dev": "login", "accounts.op": "login" } });
  await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-rbac-cm", namespace: ns }, data: {
    "policy.csv": [
      "p, role:developer, applications, get, */*, allow", "p, role:developer, applications, sync, */*, allow",
      "p, role:operator, applications, *, */*, allow", "p, role:operator, clusters, *, *, allow",
      "g, dev, role:developer", "g, op, role:operator", "",
    ].join("\n"),
  } });
  // The repository is registered, so the panel offers it.
  await client.create({ apiVersion: "v1", kind: "Secret", metadata: { name: "apps-repo", namespace: ns, labels: { "argocd.argoproj.io/secret-type": "repository" } }, stringData: { url: repoURL, type: "git" } });

  const assets = await buildUi();
  const server = startServerProcess({ kubeconfig: w.cluster.kubeconfigPath, namespace: ns, args: ["--staticassets", assets] });
  t.after(() => server.stop("SIGKILL"));
  const url = await server.url();
  const password = await initialAdminPassword(client, ns);
  const call = jsonCaller(url);
  const adminToken = ((await call("POST", "/api/v1/session", { username: "admin", password })).body as { token: string }).token;
  const dest = w.dest("web");

  const browser = await startBrowser(t);
  const { page, log } = await newPage(browser);
  await page.goto(`${url}/applications`);
  await logIn(page, "admin", password);

  // ---- the panel: the known repository, its branches and app paths, the chart's parameters ----
  await waitFor(page, "[data-testid=new-app-button]", log);
  await clickEnabled(page, "[data-testid=new-app-button]", log);
  await waitFor(page, "[data-testid=new-app-panel]", log);
  await page.waitForFunction((u) => document.querySelector(`#new-app-repos option[value="${u}"]`) !== null, { timeout: 30_000 }, repoURL);
  await page.type("[data-testid=new-app-repoURL]", repoURL);
  await page.waitForFunction(() => document.querySelector('#new-app-paths option[value="chart"]') && document.querySelector('#new-app-paths option[value="plain"]'), { timeout: 60_000 })
    .catch(async (err: unknown) => { throw new Error(`app paths not suggested: ${(await optionValues(page, "new-app-paths")).join(", ")}\n${log.join("\n")}\n${String(err)}`); });
  await page.waitForFunction(() => document.querySelector('#new-app-revisions option[value="main"]') !== null, { timeout: 30_000 });
  assert.ok((await optionValues(page, "new-app-revisions")).includes("main"), "the repository's branch is suggested");
  await page.type("[data-testid=new-app-path]", "chart");
  await waitFor(page, "[data-testid=params-fields][data-tool=Helm]", log);
  await waitFor(page, '[data-testid=params-helm-parameter][data-param="color"]', log);
  assert.equal(await page.$eval('[data-testid=params-helm-parameter][data-param="color"]', (e) => (e as HTMLInputElement).value), "red", "the chart's default is shown");

  // ---- a bad name is refused in the form; an unknown project by the server, under its field ----
  await page.type("[data-testid=new-app-name]", "Web_App");
  await page.type("[data-testid=new-app-destNamespace]", dest);
  await clickEnabled(page, "[data-testid=new-app-create]", log);
  await waitFor(page, "[data-testid=new-app-name-error]", log);
  assert.match(await page.$eval("[data-testid=new-app-name-error]", (e) => e.textContent ?? ""), /lowercase letters/, "the name's rule");
  await fill(page, "[data-testid=new-app-name]", "ui-helm");
  await fill(page, "[data-testid=new-app-project]", "nope");
  await clickEnabled(page, "[data-testid=new-app-create]", log);
  await waitFor(page, "[data-testid=new-app-project-error]", log);
  assert.match(await page.$eval("[data-testid=new-app-project-error]", (e) => e.textContent ?? ""), /project nope which does not exist/, "the server's words under Project");
  assert.equal(await client.get(API, "Application", "ui-helm", ns), undefined, "nothing was created");

  // ---- created with a parameter, automated, CreateNamespace: the cluster renders it ----
  await fill(page, "[data-testid=new-app-project]", "default");
  await fill(page, '[data-testid=params-helm-parameter][data-param="color"]', "blue");
  await clickEnabled(page, "[data-testid=new-app-automated]", log);
  await clickEnabled(page, "[data-testid=new-app-createNamespace]", log);
  assert.equal(await page.$("[data-testid=new-app-project-error]"), null, "the error goes once the field is changed");
  // The gallery's picture: the source, destination and the chart's parameters.
  await page.$eval("[data-testid=new-app-repoURL]", (e) => e.closest("fieldset")?.scrollIntoView());
  await screenshot(page, "new-app");
  await clickEnabled(page, "[data-testid=new-app-create]", log);
  await waitFor(page, "[data-testid=new-app-created]", log);
  assert.equal(await page.$("[data-testid=new-app-panel]"), null, "the panel closes");
  await waitFor(page, '[data-testid=app-tile][data-app="ui-helm"]', log);
  const created = await client.get(API, "Application", "ui-helm", ns);
  const spec = created?.spec as AppSpec;
  assert.deepEqual(spec.source, { repoURL, path: "chart", targetRevision: "HEAD", helm: { parameters: [{ name: "color", value: "blue" }] } }, "only the changed parameter is written");
  assert.deepEqual(spec.destination, { server: "https://kubernetes.default.svc", namespace: dest });
  assert.deepEqual(spec.syncPolicy, { automated: {}, syncOptions: ["CreateNamespace=true"] });
  await eventually(async () => {
    const cm = await client.get<KubeObject & { data?: Record<string, string> }>("v1", "ConfigMap", "web-color", dest);
    assert.equal(cm?.data?.color, "blue", "the operator rendered the parameter");
  }, { timeoutMs: 120_000 });

  // ---- the YAML mode: a bad document is refused, a Directory app with recurse is created ----
  await clickEnabled(page, "[data-testid=new-app-button]", log);
  await waitFor(page, "[data-testid=new-app-panel]", log);
  await page.type("[data-testid=new-app-name]", "ui-plain");
  await page.type("[data-testid=new-app-repoURL]", repoURL);
  await page.type("[data-testid=new-app-path]", "plain");
  await page.type("[data-testid=new-app-destNamespace]", dest);
  await clickEnabled(page, "[data-testid=new-app-yaml-mode]", log);
  await waitFor(page, "[data-testid=new-app-yaml]", log);
  const yaml = await page.$eval("[data-testid=new-app-yaml]", (e) => (e as HTMLTextAreaElement).value);
  assert.match(yaml, /name: ui-plain/, yaml);
  assert.match(yaml, /path: plain/, yaml);
  await paste(page, "[data-testid=new-app-yaml]", "kind: AppProject\nmetadata:\n  name: x\n");
  await clickEnabled(page, "[data-testid=new-app-create]", log);
  await waitFor(page, "[data-testid=new-app-error]", log);
  assert.match(await page.$eval("[data-testid=new-app-error]", (e) => e.textContent ?? ""), /kind is AppProject/);
  await paste(page, "[data-testid=new-app-yaml]", yaml.replace("path: plain", "path: plain\n    directory:\n      recurse: true"));
  await clickEnabled(page, "[data-testid=new-app-create]", log);
  await waitFor(page, "[data-testid=new-app-created]", log);
  const plain = (await client.get(API, "Application", "ui-plain", ns))?.spec as AppSpec | undefined;
  assert.deepEqual(plain?.source?.directory, { recurse: true }, "the YAML's directory block reached the cluster");
  const manifests = await call("GET", `/api/v1/applications/ui-plain/manifests?appNamespace=${ns}`, undefined, adminToken);
  assert.match(manifests.text, /plain-deep/, `recurse renders the nested file: ${showResponse(manifests)}`);

  // ---- PARAMETERS: the chart parameter changed from the app page; the cluster follows ----
  await page.goto(`${url}/applications/${ns}/ui-helm?details=true&appTab=parameters`);
  await waitFor(page, "[data-testid=params-detected]", log);
  assert.equal(await page.$eval("[data-testid=params-detected]", (e) => e.textContent), "Tool: Helm");
  await clickEnabled(page, "[data-testid=params-edit]", log);
  await waitFor(page, '[data-testid=params-form] [data-testid=params-helm-parameter][data-param="color"]', log);
  await fill(page, '[data-testid=params-helm-parameter][data-param="color"]', "green");
  await clickEnabled(page, "[data-testid=params-save]", log);
  await page.waitForFunction(() => !document.querySelector("[data-testid=params-form]") || document.querySelector("[data-testid=params-error]"), { timeout: 30_000 });
  assert.equal(await page.$("[data-testid=params-error]"), null, `saved: ${await page.$eval("[data-testid=params-error]", (e) => e.textContent).catch(() => "")}`);
  const edited = (await eventually(async () => {
    const a = (await client.get(API, "Application", "ui-helm", ns))?.spec as AppSpec | undefined;
    assert.deepEqual(a?.source?.helm?.parameters, [{ name: "color", value: "green" }], "the new value is stored");
    return a;
  }, { timeoutMs: 15_000 }));
  assert.deepEqual(edited.syncPolicy?.syncOptions, ["CreateNamespace=true"], "the rest of the spec is kept");
  await eventually(async () => {
    const cm = await client.get<KubeObject & { data?: Record<string, string> }>("v1", "ConfigMap", "web-color", dest);
    assert.equal(cm?.data?.color, "green", "auto-sync applied the edited parameter");
  }, { timeoutMs: 120_000 });

  const axeFindings: string[] = [];
  const axe = async (name: string): Promise<void> => {
    await screenshot(page, name);
    for (const f of await axeProblems(page)) axeFindings.push(`${name} (${page.url()}): ${f}`);
  };

  // ---- a multi-source app: the chart, and a ref source lending it $values/envs/prod.yaml ----
  const multiDest = w.dest("multi");
  await page.goto(`${url}/applications`);
  await waitFor(page, "[data-testid=new-app-button]", log);
  await clickEnabled(page, "[data-testid=new-app-button]", log);
  await waitFor(page, "[data-testid=new-app-panel]", log);
  await page.type("[data-testid=new-app-name]", "ui-multi");
  await page.type("[data-testid=new-app-repoURL]", repoURL);
  await page.type("[data-testid=new-app-path]", "chart");
  await page.type("[data-testid=new-app-destNamespace]", multiDest);
  await clickEnabled(page, "[data-testid=new-app-automated]", log);
  await clickEnabled(page, "[data-testid=new-app-createNamespace]", log);
  await waitFor(page, "[data-testid=new-app-source] [data-testid=params-fields][data-tool=Helm]", log);
  await page.type("[data-testid=new-app-source] [data-testid=params-valueFiles]", "$values/envs/prod.yaml");
  await clickEnabled(page, "[data-testid=new-app-add-source]", log);
  await waitFor(page, "[data-testid=new-app-source-1]", log);
  assert.equal(await page.$eval("[data-testid=new-app-source] legend", (e) => e.textContent), "Source 1", "the sources are numbered");
  // Source 2 has no repository yet and a ref the value file does not name: both refused, each under its field.
  await page.type("[data-testid=new-app-ref-1]", "valuez");
  await clickEnabled(page, "[data-testid=new-app-create]", log);
  await waitFor(page, "[data-testid=new-app-repoURL-1-error]", log);
  assert.match(await page.$eval("[data-testid=new-app-repoURL-1-error]", (e) => e.textContent ?? ""), /^spec\.sources\[1\]\.repoURL: Repository URL is required/);
  assert.match(await page.$eval("[data-testid=new-app-valueFiles-error]", (e) => e.textContent ?? ""), /spec\.sources\[0\]\.valueFiles: .*\$values.*refs: \$valuez/);
  assert.equal(await client.get(API, "Application", "ui-multi", ns), undefined, "nothing was created");
  await page.type("[data-testid=new-app-repoURL-1]", valuesURL);
  await fill(page, "[data-testid=new-app-ref-1]", "values");
  await fill(page, "[data-testid=new-app-targetRevision-1]", "main");
  await axe("new-app-multi-source-axe");
  // The YAML mode holds both sources; back in the form nothing is lost.
  await clickEnabled(page, "[data-testid=new-app-yaml-mode]", log);
  await waitFor(page, "[data-testid=new-app-yaml]", log);
  const multiYaml = await page.$eval("[data-testid=new-app-yaml]", (e) => (e as HTMLTextAreaElement).value);
  assert.match(multiYaml, /sources:\n/, multiYaml);
  assert.match(multiYaml, /ref: values/, multiYaml);
  assert.doesNotMatch(multiYaml, /\n {2}source:/, multiYaml);
  await clickEnabled(page, "[data-testid=new-app-form-mode]", log);
  await waitFor(page, "[data-testid=new-app-ref-1]", log);
  assert.equal(await page.$eval("[data-testid=new-app-ref-1]", (e) => (e as HTMLInputElement).value), "values", "the ref is back in the form");
  await clickEnabled(page, "[data-testid=new-app-create]", log);
  await waitFor(page, "[data-testid=new-app-created]", log);
  const multi = (await client.get(API, "Application", "ui-multi", ns))?.spec as AppSpec | undefined;
  assert.equal(multi?.source, undefined, "no spec.source beside spec.sources");
  assert.deepEqual(multi?.sources, [
    { repoURL, path: "chart", targetRevision: "HEAD", helm: { valueFiles: ["$values/envs/prod.yaml"] } },
    { repoURL: valuesURL, targetRevision: "main", ref: "values" },
  ], "every source as typed; the ref source has no path");
  await eventually(async () => {
    const cm = await client.get<KubeObject & { data?: Record<string, string> }>("v1", "ConfigMap", "web-color", multiDest);
    assert.equal(cm?.data?.color, "purple", "the chart read the ref source's value file");
  }, { timeoutMs: 120_000 });

  // SOURCES (not PARAMETERS): one section per source; source 1's parameter edited alone.
  await page.goto(`${url}/applications/${ns}/ui-multi?details=true&appTab=parameters`);
  await waitFor(page, "[data-testid=app-source-0] [data-testid=params-detected]", log);
  assert.equal(await page.$eval("[data-testid=app-tab-parameters]", (e) => e.textContent), "SOURCES");
  await waitFor(page, "[data-testid=app-source-1] [data-testid=params-ref-only]", log);
  assert.equal(await page.$("[data-testid=app-source-1] [data-testid=params-edit]"), null, "a ref-only source has no parameters to edit");
  await axe("app-sources-tab-axe");
  // SUMMARY lists both sources; history shows each source's revision.
  await page.goto(`${url}/applications/${ns}/ui-multi?details=true&appTab=summary`);
  await waitFor(page, "[data-testid=summary-sources]", log);
  const listed = await page.$$eval("[data-testid=summary-source]", (els) => els.map((e) => e.textContent ?? ""));
  assert.equal(listed.length, 2, listed.join(" | "));
  assert.match(listed[1]!, /values.*@ main.*ref \$values/, listed[1]);
  await page.goto(`${url}/applications/${ns}/ui-multi?history=true`);
  await waitFor(page, "[data-testid=history-entry] [data-testid=history-revision]", log);
  const revisions = await page.$$eval("[data-testid=history-entry]:first-child [data-testid=history-revision]", (els) => els.map((e) => e.getAttribute("data-revision") ?? ""));
  assert.equal(revisions.length, 2, `a revision per source: ${revisions.join(", ")}`);
  for (const r of revisions) assert.match(r, /^[0-9a-f]{40}$/, "each a resolved commit");

  // The sync dialog: a revision per source; moving source 2 is sent as revisions + sourcePositions,
  // which the server refuses by source while auto-sync is on.
  await page.goto(`${url}/applications/${ns}/ui-multi?deploy=all`);
  await waitFor(page, "[data-testid=sync-revisions]", log);
  assert.deepEqual(await page.$$eval("[data-testid=sync-revisions] input", (els) => els.map((e) => e.value)), ["HEAD", "main"]);
  assert.equal(await page.$("[data-testid=sync-revision]"), null, "no single revision field");
  await fill(page, "[data-testid=sync-revision-1]", "v9");
  await clickEnabled(page, "[data-testid=sync-confirm]", log);
  await waitFor(page, "[data-testid=sync-error]", log);
  assert.match(await page.$eval("[data-testid=sync-error]", (e) => e.textContent ?? ""), /Cannot sync source 2 to v9: auto-sync currently set to main/);

  // SUMMARY's editor adds a source and removes it, with New App's source checks. The $values
  // source, which source 1's value file reads, may not be removed (the message names that field).
  const summaryAlert = (): Promise<string> => page.$eval("[data-testid=summary-form] [role=alert]", (e) => e.textContent ?? "");
  const before = (await client.get(API, "Application", "ui-multi", ns))?.spec as AppSpec | undefined;
  await page.goto(`${url}/applications/${ns}/ui-multi?details=true&appTab=summary`);
  await clickEnabled(page, "[data-testid=summary-edit]", log);
  await waitFor(page, "[data-testid=summary-remove-source-1]", log);
  await clickEnabled(page, "[data-testid=summary-remove-source-1]", log);
  await waitFor(page, "[data-testid=summary-form] [role=alert]", log);
  assert.match(await summaryAlert(), /Source 2 is \$values, which spec\.sources\[0\]\.helm\.valueFiles reads/);
  await clickEnabled(page, "[data-testid=summary-add-source]", log);
  await waitFor(page, "[data-testid=summary-source-2]", log);
  await clickEnabled(page, "[data-testid=summary-save]", log);
  await page.waitForFunction(() => /spec\.sources\[2\]\.repoURL: Repository URL is required/.test(document.querySelector("[data-testid=summary-form] [role=alert]")?.textContent ?? ""), { timeout: 10_000 });
  // A ref-only source: it renders nothing, so the app's resources stay as they are.
  await page.type("[data-testid=summary-repoURL-2]", valuesURL);
  await fill(page, "[data-testid=summary-targetRevision-2]", "main");
  await page.type("[data-testid=summary-ref-2]", "extra");
  await clickEnabled(page, "[data-testid=summary-save]", log);
  await eventually(async () => {
    const spec = (await client.get(API, "Application", "ui-multi", ns))?.spec as AppSpec | undefined;
    assert.deepEqual(spec?.sources, [...(before?.sources ?? []), { repoURL: valuesURL, targetRevision: "main", ref: "extra" }], "the added source after the others, which are unchanged");
  }, { timeoutMs: 30_000 });
  await page.goto(`${url}/applications/${ns}/ui-multi?details=true&appTab=parameters`);
  await waitFor(page, "[data-testid=app-source-2] [data-testid=params-ref-only]", log);
  assert.match(await page.$eval("[data-testid=app-source-2]", (e) => e.textContent ?? ""), /\$extra/, "SOURCES shows the new source");
  await page.goto(`${url}/applications/${ns}/ui-multi?details=true&appTab=summary`);
  await clickEnabled(page, "[data-testid=summary-edit]", log);
  await waitFor(page, "[data-testid=summary-remove-source-2]", log);
  await clickEnabled(page, "[data-testid=summary-remove-source-2]", log);
  await page.waitForFunction(() => document.querySelector("[data-testid=summary-source-2]") === null, { timeout: 10_000 });
  await clickEnabled(page, "[data-testid=summary-save]", log);
  await eventually(async () => {
    const spec = (await client.get(API, "Application", "ui-multi", ns))?.spec as AppSpec | undefined;
    assert.deepEqual(spec?.sources, before?.sources, "back to the two sources");
  }, { timeoutMs: 30_000 });
  // Saving closed the panel; SUMMARY lists the two sources again.
  await page.goto(`${url}/applications/${ns}/ui-multi?details=true&appTab=summary`);
  await waitFor(page, "[data-testid=summary-sources]", log);
  assert.equal(await page.$$eval("[data-testid=summary-source]", (els) => els.length), 2);

  // A Helm-repository chart without a version, as kubectl can write it: SUMMARY refuses to save
  // it, even with nothing edited, as New App refuses to create it.
  await client.create({ apiVersion: API, kind: "Application", metadata: { name: "ui-nover", namespace: ns }, spec: { project: "default", source: { repoURL: "http://127.0.0.1:1/charts", chart: "web" }, destination: { server: IN_CLUSTER, namespace: dest } } });
  await page.goto(`${url}/applications/${ns}/ui-nover?details=true&appTab=summary`);
  await clickEnabled(page, "[data-testid=summary-edit]", log);
  await clickEnabled(page, "[data-testid=summary-save]", log);
  await waitFor(page, "[data-testid=summary-form] [role=alert]", log);
  assert.match(await summaryAlert(), /Chart version is required/);
  assert.equal(((await client.get(API, "Application", "ui-nover", ns))?.spec as AppSpec | undefined)?.source?.targetRevision, undefined, "nothing was written");
  await client.delete({ apiVersion: API, kind: "Application", name: "ui-nover", namespace: ns });

  // ---- /resources: every app's resources, filtered, summarised; then turned off in argocd-cm ----
  await page.goto(`${url}/resources`);
  await waitFor(page, '[data-testid=resource-row][data-kind="Deployment"][data-app="ui-multi"]', log, 120_000);
  await waitFor(page, '[data-testid=resource-row][data-kind="ConfigMap"][data-name="plain-deep"]', log);
  await page.click('[data-filter="kind:Deployment"]');
  await page.waitForFunction(() => [...document.querySelectorAll("[data-testid=resource-row]")].every((e) => e.getAttribute("data-kind") === "Deployment"), { timeout: 10_000 });
  const deployments = await page.$$eval("[data-testid=resource-row]", (els) => els.map((e) => e.getAttribute("data-app")).sort());
  assert.deepEqual(deployments, ["ui-helm", "ui-multi"], "the Deployment of each chart app");
  assert.match(new URL(page.url()).search, /kind=Deployment/, "the filter is in the URL");
  await page.click(`[data-filter="app:${ns}/ui-multi"]`);
  await page.waitForFunction(() => document.querySelectorAll("[data-testid=resource-row]").length === 1, { timeout: 10_000 });
  await axe("resources-list-axe");
  await clickEnabled(page, "[data-testid=resources-view-summary]", log);
  await waitFor(page, "[data-testid=resources-summary]", log);
  assert.equal(await page.$eval("[data-testid=resources-total]", (e) => e.textContent), "1", "the summary counts what the filters show");
  await axe("resources-summary-axe");
  // A row opens its app with the resource selected.
  await page.goto(`${url}/resources?kind=ConfigMap&search=plain-top`);
  await waitFor(page, '[data-testid=resource-row][data-name="plain-top"] a', log);
  await page.click('[data-testid=resource-row][data-name="plain-top"] a');
  await page.waitForFunction((d) => location.pathname.endsWith("/ui-plain") && new URLSearchParams(location.search).get("node") === `/ConfigMap/${d}/plain-top`, { timeout: 10_000 }, dest);
  await waitFor(page, "[data-testid=nav-resources]", log);
  await client.patch({ apiVersion: "v1", kind: "ConfigMap", name: "argocd-cm", namespace: ns }, { data: { "ui.view.resources.disabled": "true" } });
  await eventually(async () => {
    const s = await call("GET", "/api/v1/settings", undefined, adminToken);
    assert.equal((s.body as { uiViewResourcesDisabled?: boolean }).uiViewResourcesDisabled, true, showResponse(s));
  }, { timeoutMs: 15_000 });
  await page.goto(`${url}/resources`);
  await waitFor(page, "[data-testid=resources-disabled]", log);
  assert.equal(await page.$("[data-testid=nav-resources]"), null, "no Resources link in the navigation");
  assert.equal(await page.$("[data-testid=resource-row]"), null, "and no list");
  assert.deepEqual(axeFindings, [], "axe-core: no serious or critical violations");

  // ---- Appearance: the dark theme, kept across a reload ----
  await page.goto(`${url}/settings/appearance`);
  await waitFor(page, "[data-testid=theme-dark]", log);
  await clickEnabled(page, "[data-testid=theme-dark]", log);
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), "dark", "applied at once");
  await page.reload();
  await waitFor(page, "[data-testid=theme-dark]", log);
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), "dark", "kept in the browser");
  assert.equal(await page.$eval("[data-testid=theme-dark]", (e) => (e as HTMLInputElement).checked), true);
  await screenshot(page, "appearance-dark");
  await clickEnabled(page, "[data-testid=theme-light]", log);
  await page.goto(`${url}/settings/advanced`);
  await waitFor(page, "[data-testid=advanced-settings]", log);

  // ---- seed 004: role:developer and role:operator on the Deployment's resource actions ----
  for (const user of ["dev", "op"]) {
    const r = await call("PUT", "/api/v1/account/password", { name: user, currentPassword: password, newPassword: `${user}-password-1` }, adminToken);
    assert.equal(r.status, 200, showResponse(r));
  }
  await eventually(async () => assert.ok(await client.get("apps/v1", "Deployment", "web", dest), "the chart's Deployment"), { timeoutMs: 60_000 });
  const openDeployment = async (p: Page, l: string[]): Promise<void> => {
    await p.goto(`${url}/applications/${ns}/ui-helm`);
    await waitFor(p, '[data-testid=tree-node][data-kind="Deployment"]', l, 120_000);
    await p.click('[data-testid=tree-node][data-kind="Deployment"]');
    await waitFor(p, '[data-testid=resource-action][data-action="restart"]', l);
  };

  const dev = await newPage(browser, { incognito: true });
  await dev.page.goto(`${url}/applications`);
  await logIn(dev.page, "dev", "dev-password-1");
  await waitFor(dev.page, '[data-may-create="false"]', dev.log);
  assert.equal(await dev.page.$("[data-testid=new-app-button]"), null, "the developer is offered no New App");
  await openDeployment(dev.page, dev.log);
  assert.deepEqual(await dev.page.$eval('[data-testid=resource-action][data-action="restart"]', (e) => [e.getAttribute("data-allowed"), (e as HTMLButtonElement).disabled]), ["false", true], "restart shown disabled");
  await waitFor(dev.page, "[data-testid=resource-sync]", dev.log); // the developer may sync the resource
  await waitFor(dev.page, "[data-testid=resource-actions][data-rbac=ready]", dev.log);
  assert.equal(await dev.page.$("[data-testid=resource-delete]"), null, "and not delete it");
  const refused = await dev.page.evaluate(async (n) => {
    const r = await fetch("api/v1/applications/ui-helm/resource/actions/v2", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ name: "ui-helm", appNamespace: n.ns, namespace: n.dest, resourceName: "web", group: "apps", version: "v1", kind: "Deployment", action: "restart" }),
    });
    return { status: r.status, body: await r.text() };
  }, { ns, dest });
  assert.equal(refused.status, 403, `the server refuses what the page disabled: ${refused.body}`);

  const op = await newPage(browser, { incognito: true });
  await op.page.goto(`${url}/applications`);
  await logIn(op.page, "op", "op-password-1");
  await waitFor(op.page, "[data-testid=new-app-button]", op.log);
  await openDeployment(op.page, op.log);
  await waitFor(op.page, "[data-testid=resource-delete]", op.log);
  assert.equal(await op.page.$eval('[data-testid=resource-action][data-action="restart"]', (e) => (e as HTMLButtonElement).disabled), false, "the operator may restart");
  await op.page.click('[data-testid=resource-action][data-action="restart"]');
  await waitFor(op.page, "[data-testid=resource-action-confirm]", op.log);
  await op.page.click("[data-testid=resource-action-confirm]");
  await waitFor(op.page, "[data-testid=resource-action-message]", op.log);
  assert.match(await op.page.$eval("[data-testid=resource-action-message]", (e) => e.textContent ?? ""), /ran on Deployment web/);
  const restarted = await client.get("apps/v1", "Deployment", "web", dest) as KubeObject & { spec?: { template?: { metadata?: { annotations?: Record<string, string> } } } };
  assert.ok(restarted.spec?.template?.metadata?.annotations?.["kubectl.kubernetes.io/restartedAt"], "the restart reached the Deployment");
  assert.deepEqual([...log, ...dev.log, ...op.log].filter((l) => l.startsWith("page error")), [], "no script errors");

  // ---- the multi-source app's SOURCES tab: source 1's parameter edited alone (after many page loads: the streams of pages the browser cached must not hold its connections, pageLife.ts) ----
  await page.goto(`${url}/applications/${ns}/ui-multi?details=true&appTab=parameters`);
  await waitFor(page, "[data-testid=app-source-0] [data-testid=params-detected]", log);
  await page.click("[data-testid=app-source-0] [data-testid=params-edit]");
  await waitFor(page, '[data-testid=app-source-0] [data-testid=params-helm-parameter][data-param="color"]', log);
  await fill(page, '[data-testid=app-source-0] [data-testid=params-helm-parameter][data-param="color"]', "orange");
  await page.click("[data-testid=app-source-0] [data-testid=params-save]");
  await page.waitForFunction(() => !document.querySelector("[data-testid=params-form]") || document.querySelector("[data-testid=params-error]"), { timeout: 30_000 });
  assert.equal(await page.$("[data-testid=params-error]"), null, `saved: ${await page.$eval("[data-testid=params-error]", (e) => e.textContent).catch(() => "")}`);
  await eventually(async () => {
    const a = (await client.get(API, "Application", "ui-multi", ns))?.spec as AppSpec | undefined;
    assert.deepEqual(a?.sources?.[0]?.helm, { valueFiles: ["$values/envs/prod.yaml"], parameters: [{ name: "color", value: "orange" }] }, "source 1's parameter stored");
    assert.deepEqual(a?.sources?.[1], { repoURL: valuesURL, targetRevision: "main", ref: "values" }, "source 2 untouched");
  }, { timeoutMs: 15_000 });
  await eventually(async () => {
    const cm = await client.get<KubeObject & { data?: Record<string, string> }>("v1", "ConfigMap", "web-color", multiDest);
    assert.equal(cm?.data?.color, "orange", "the parameter wins over the value file");
  }, { timeoutMs: 120_000 });

  // ---- Add source on a single-source app (as Argo's UI): one update makes it multi-source ----
  // Written with kubectl, no auto-sync, in a namespace of its own: nothing else of the test sees it.
  const singleDest = w.dest("single");
  const plainSource = { repoURL, path: "plain", targetRevision: "HEAD" };
  await client.create({ apiVersion: API, kind: "Application", metadata: { name: "ui-single", namespace: ns }, spec: { project: "default", source: plainSource, destination: { server: IN_CLUSTER, namespace: singleDest } } });
  type Status = { sync?: { status?: string; comparedTo?: { source?: Source; sources?: Source[] } }; conditions?: Array<{ type: string; message: string }> };
  const singleStatus = async (): Promise<Status | undefined> => (await client.get(API, "Application", "ui-single", ns))?.status as Status | undefined;
  await eventually(async () => assert.deepEqual((await singleStatus())?.sync?.comparedTo?.source, plainSource, "compared as a single-source app"), { timeoutMs: 60_000 });
  // A user without `applications, update` (seed 004's developer) is offered neither Edit nor Add source, and the server refuses the write.
  await dev.page.goto(`${url}/applications/${ns}/ui-single?details=true&appTab=summary`);
  await waitFor(dev.page, "[data-testid=app-summary]", dev.log);
  await waitFor(dev.page, "[role=toolbar][data-rbac=ready]", dev.log);
  assert.equal(await dev.page.$("[data-testid=app-add-source]"), null, "the developer is offered no Add source");
  assert.equal(await dev.page.$("[data-testid=summary-edit]"), null, "nor Edit");
  const devPut = await dev.page.evaluate(async (n) => {
    const r = await fetch(`api/v1/applications/ui-single?appNamespace=${n.ns}`, {
      method: "PUT", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ metadata: { name: "ui-single", namespace: n.ns }, spec: { ...n.spec, source: undefined, sources: [n.spec.source, { repoURL: n.valuesURL, targetRevision: "main", ref: "x" }] } }),
    });
    return { status: r.status, body: await r.text() };
  }, { ns, valuesURL, spec: { project: "default", source: plainSource, destination: { server: IN_CLUSTER, namespace: singleDest } } });
  assert.equal(devPut.status, 403, `the server refuses what the page does not offer: ${devPut.body}`);
  // The admin: Add source straight from SUMMARY opens the editor with the app's source as source 1 and an empty source 2.
  await page.goto(`${url}/applications/${ns}/ui-single?details=true&appTab=summary`);
  await waitFor(page, "[data-testid=app-summary]", log);
  assert.equal(await page.$("[data-testid=summary-sources]"), null, "SUMMARY shows a single source");
  await clickEnabled(page, "[data-testid=app-add-source]", log);
  await waitFor(page, "[data-testid=summary-source-1]", log);
  await waitFor(page, "[data-testid=summary-to-multi]", log);
  assert.equal(await page.$eval("[data-testid=summary-path]", (e) => (e as HTMLInputElement).value), "plain", "source 1 is the app's source");
  // Empty, source 2 is refused (no repository, and nothing in it named), and nothing is written.
  await clickEnabled(page, "[data-testid=summary-save]", log);
  await waitFor(page, "[data-testid=summary-form] [role=alert]", log);
  const alert = await summaryAlert();
  assert.match(alert, /spec\.sources\[1\]\.repoURL: Repository URL is required/, alert);
  assert.match(alert, /spec\.sources\[1\]\.path: Path is required \(\. for the repository root\), or a chart, or a ref/, alert);
  assert.deepEqual(((await client.get(API, "Application", "ui-single", ns))?.spec as AppSpec | undefined)?.source, plainSource, "nothing was written");
  // A ref-only source (it lends its checkout and renders nothing).
  await page.type("[data-testid=summary-repoURL-1]", valuesURL);
  await fill(page, "[data-testid=summary-targetRevision-1]", "main");
  await page.type("[data-testid=summary-ref-1]", "extra");
  await clickEnabled(page, "[data-testid=summary-save]", log);
  await eventually(async () => {
    const spec = (await client.get(API, "Application", "ui-single", ns))?.spec as AppSpec | undefined;
    assert.equal(spec?.source, undefined, `spec.source is gone: ${JSON.stringify(spec)}`);
    assert.deepEqual(spec?.sources, [plainSource, { repoURL: valuesURL, targetRevision: "main", ref: "extra" }], "the old source first, then the new one");
  }, { timeoutMs: 30_000 });
  // The controller takes it as a multi-source app, with no complaint about the spec.
  await eventually(async () => {
    const st = await singleStatus();
    assert.equal(st?.sync?.comparedTo?.sources?.length, 2, `compared as a multi-source app: ${JSON.stringify(st?.sync)}`);
    assert.deepEqual((st?.conditions ?? []).filter((c) => c.type.endsWith("Error")), [], "no error condition");
  }, { timeoutMs: 60_000 });
  await page.goto(`${url}/applications/${ns}/ui-single?details=true&appTab=summary`);
  await waitFor(page, "[data-testid=summary-sources]", log);
  assert.equal(await page.$$eval("[data-testid=summary-source]", (els) => els.length), 2, "SUMMARY lists both sources");
  // Removing a source down to one keeps spec.sources with that one source (as Argo does; no conversion back).
  await clickEnabled(page, "[data-testid=summary-edit]", log);
  await clickEnabled(page, "[data-testid=summary-remove-source-1]", log);
  await page.waitForFunction(() => document.querySelector("[data-testid=summary-source-1]") === null, { timeout: 10_000 });
  assert.equal(await page.$("[data-testid=summary-remove-source-0]"), null, "the last source offers no Remove");
  await clickEnabled(page, "[data-testid=summary-save]", log);
  await eventually(async () => {
    const spec = (await client.get(API, "Application", "ui-single", ns))?.spec as AppSpec | undefined;
    assert.deepEqual(spec?.sources, [plainSource], `one source, still in spec.sources: ${JSON.stringify(spec)}`);
    assert.equal(spec?.source, undefined, "not converted back to spec.source");
  }, { timeoutMs: 30_000 });
  assert.deepEqual([...log, ...dev.log].filter((l) => l.startsWith("page error")), [], "no script errors");
});
