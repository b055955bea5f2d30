/// <reference lib="dom" />
// (page.evaluate callbacks run in the browser: they use its globals.)
// The app page's event streams and the back/forward cache (ui/src/pageLife.ts), in a real
// headless Chromium on `hawser server` and the real control plane: a page left for another is
// kept whole in the cache, and a stream it still held would keep one of the six HTTP/1.1
// connections Chromium allows per host. The test leaves the app page for the applications list
// (another stream) and comes back, by history, more than six times, then proves the page restored
// from the cache still follows the cluster (a label set on the Application appears) and that the
// server holds no more open streams than after the first load. Open streams are counted from the
// server's own /metrics: grpc_server_started_total minus grpc_server_handled_total of the
// `server_stream` methods (Watch, WatchResourceTree), the in-flight count of go-grpc-prometheus.
import { test } from "node:test";
import assert from "node:assert/strict";
import { freePort } from "../../operator/devcluster/process.js";
import { initialAdminPassword } from "../support/api-session.js";
import { buildUi, logIn, newPage, startBrowser, waitFor } from "../support/browser.js";
import { eventually } from "../support/eventually.js";
import { startServerProcess } from "../support/operator-process.js";
import { API, createWorld } from "../support/world.js";

const ROUNDS = 8;

/** Open streams by gRPC method: started minus handled of the server_stream series of a scrape. */
function openStreams(scrape: string): Map<string, number> {
  const open = new Map<string, number>();
  for (const line of scrape.split("\n")) {
    const m = /^grpc_server_(started|handled)_total\{([^}]*)\} (\S+)$/.exec(line);
    if (!m || !m[2]!.includes('grpc_type="server_stream"')) continue;
    const method = `${/grpc_service="([^"]*)"/.exec(m[2]!)?.[1]}/${/grpc_method="([^"]*)"/.exec(m[2]!)?.[1]}`;
    open.set(method, (open.get(method) ?? 0) + (m[1] === "started" ? 1 : -1) * Number(m[3]));
  }
  for (const [k, v] of open) if (v === 0) open.delete(k);
  return open;
}

test("app page streams: closed in the back/forward cache, reopened on return; live after many rounds", async (t) => {
  const w = await createWorld(t, { name: "uistreams", repos: { app: { "cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: streamed\ndata:\n  k: v\n" } } });
  const { client, ns } = w;
  await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-cm", namespace: ns }, data: { installationID: ns } });
  const dest = w.dest("streams");
  await w.createNamespace(dest);
  await client.create(w.application("web", { repo: "app", path: ".", dest }));

  const assets = await buildUi();
  const metricsPort = await freePort();
  const server = startServerProcess({ kubeconfig: w.cluster.kubeconfigPath, namespace: ns, args: ["--staticassets", assets, "--metrics-port", String(metricsPort)] });
  t.after(() => server.stop("SIGKILL"));
  const url = await server.url();
  await server.waitForLog((l) => l.msg === "serving metrics");
  const streams = async (): Promise<Map<string, number>> => openStreams(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text());
  const password = await initialAdminPassword(client, ns);

  const browser = await startBrowser(t);
  const { page, log } = await newPage(browser);
  // Counts the pages shown again from the back/forward cache (pageshow with persisted), so the
  // test knows it exercised the cache and not ordinary reloads.
  await page.evaluateOnNewDocument(() => {
    window.addEventListener("pageshow", (e) => {
      if (e.persisted) sessionStorage.setItem("restores", String(Number(sessionStorage.getItem("restores") ?? "0") + 1));
    });
  });
  await page.goto(`${url}/login`);
  await logIn(page, "admin", password);
  const appPage = `${url}/applications/${ns}/web?details=true&appTab=summary`;
  await page.goto(appPage);
  await waitFor(page, "[data-testid=tree-live].on", log, 120_000);
  await waitFor(page, "[data-testid=app-summary]", log);
  // The app page holds its two streams: the app's watch and its resource tree.
  const expected = new Map([["application.ApplicationService/Watch", 1], ["application.ApplicationService/WatchResourceTree", 1]]);
  await eventually(async () => assert.deepEqual(await streams(), expected), { timeoutMs: 30_000 });

  for (let i = 0; i < ROUNDS; i++) {
    // A new document each time (the list has its own stream), the app page kept in the cache.
    await page.goto(`${url}/applications?round=${i}`);
    await waitFor(page, ".toolbar .live.on", log);
    await page.goBack();
    await waitFor(page, "[data-testid=app-summary]", log);
    assert.equal(page.url(), appPage);
    // And forward to the list kept in the cache, and back again.
    await page.goForward();
    await waitFor(page, ".toolbar .live.on", log);
    await page.goBack();
    await waitFor(page, "[data-testid=app-summary]", log);
  }
  const restores = Number(await page.evaluate(() => sessionStorage.getItem("restores") ?? "0"));
  assert.ok(restores >= ROUNDS, `the pages came back from the back/forward cache (${restores} restores); ordinary reloads would not test the closing`);

  // The restored page follows the cluster: a label set now appears in its summary.
  await client.patch({ apiVersion: API, kind: "Application", name: "web", namespace: ns }, { metadata: { labels: { round: `after-${ROUNDS}` } } });
  await page.waitForFunction((v) => document.querySelector("[data-testid=app-summary]")?.textContent?.includes(`round=${v}`), { timeout: 30_000 }, `after-${ROUNDS}`);
  // No stream of the pages left behind is still open: the server holds the app page's two again.
  await eventually(async () => assert.deepEqual(await streams(), expected, log.join("\n")), { timeoutMs: 30_000 });
});
