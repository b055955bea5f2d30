// Benchmark of the Web UI (issue 14: "instant at 10,000 apps and 2,000-resource trees"), in the
// headless Chromium the UI tests use, against `hawser server` (its own process, serving a fresh
// build of ui/) on a local control plane:
//   list:    time to the first tile of /applications with N Applications (bench/server's apps);
//            a facet filter's response (click → the count shown changes) and the search box's
//            (typed → the tiles shown change; includes the box's 150 ms debounce);
//            frame times while the virtualised list scrolls; JS heap.
//   live:    frame times on the list while `--changes` apps change status (target: never below
//            30 fps in any second).
//   tree:    an app whose tree has M resources (ConfigMaps in one namespace, listed in its
//            status): time to the first drawn tree (folded), then expanding the group of M nodes
//            until all M are laid out and drawn (and the layout's own time: a tree is laid out
//            directly, other graphs by elkjs in its worker); JS heap.
// Times are taken inside the page (performance.now, requestAnimationFrame), so puppeteer's round
// trips are not counted. Nothing is written to bench/results unless --out is given. Usage:
//   node --import tsx bench/ui/bench.ts [--kubeconfig FILE] [--apps 10000] [--tree 2000]
//     [--changes 1000] [--parallel 32] [--out FILE]
import { spawn, type ChildProcess } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { createInterface } from "node:readline";
import puppeteer, { type Page } from "puppeteer-core";
import { startCluster, stopCluster } from "../../operator/devcluster/index.js";
import { KubeClient } from "../../operator/kube/client.js";
import { loadKubeConfig } from "../../operator/operator.js";
import { buildUi, chromiumPath } from "../../test/support/browser.js";
import { BENCH_NAMESPACE, createBenchApps } from "../server/bench.js";

const API = "argoproj.io/v1alpha1";
const argValue = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const N = Number(argValue("apps") ?? 10_000);
const M = Number(argValue("tree") ?? 2_000);
const CHANGES = Math.min(N, Number(argValue("changes") ?? 1_000));
const PARALLEL = Number(argValue("parallel") ?? 32);
const OUT = argValue("out");
const TREE_APP = "big-tree";
const TREE_NS = "bench-ui-tree";

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const ms = (x: number): string => `${x.toFixed(0)} ms`;

async function pool<T>(items: T[], limit: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

/** The tree app: M ConfigMaps in their own namespace, managed (per its status) by one Application. */
async function createTreeApp(client: KubeClient): Promise<void> {
  if (!(await client.get("v1", "Namespace", TREE_NS))) await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: TREE_NS } });
  const names = Array.from({ length: M }, (_, i) => `cm-${String(i).padStart(5, "0")}`);
  await pool(names, PARALLEL, async (name) => {
    await client.apply({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: TREE_NS }, data: { k: "v" } }, { fieldManager: "bench", force: true });
  });
  await client.apply({
    apiVersion: API, kind: "Application", metadata: { name: TREE_APP, namespace: BENCH_NAMESPACE },
    spec: { project: "default", source: { repoURL: "https://git.example/apps.git", path: "big", targetRevision: "main" }, destination: { server: "https://kubernetes.default.svc", namespace: TREE_NS } },
  }, { fieldManager: "bench", force: true });
  await client.applyStatus({
    apiVersion: API, kind: "Application", metadata: { name: TREE_APP, namespace: BENCH_NAMESPACE },
    status: {
      sync: { status: "Synced", revision: "0123456789abcdef0123456789abcdef01234567" }, health: { status: "Healthy" },
      resources: names.map((name) => ({ version: "v1", kind: "ConfigMap", namespace: TREE_NS, name, status: "Synced" })),
    },
  }, { fieldManager: "bench", force: true });
}

function startServer(kubeconfig: string, assets: string): { proc: ChildProcess; url: Promise<string> } {
  const proc = spawn(process.execPath, ["--import", "tsx", "operator/cli.ts", "server", "--kubeconfig", kubeconfig, "--namespace", BENCH_NAMESPACE,
    "--address", "127.0.0.1", "--port", "0", "--metrics-port", "0", "--insecure", "--staticassets", assets], { stdio: ["ignore", "ignore", "pipe"] });
  const url = new Promise<string>((resolve, reject) => {
    createInterface({ input: proc.stderr }).on("line", (l) => {
      try { const j = JSON.parse(l) as { msg?: string; url?: string }; if (j.msg === "API server listening" && j.url) resolve(j.url); } catch { /* not JSON */ }
    });
    proc.once("exit", (c) => reject(new Error(`server exited ${c}`)));
  });
  return { proc, url };
}

type Action = { click: string } | { type: { selector: string; text: string } };
type Done = { textStartsWith: { selector: string; prefix: string } } | { count: { selector: string; n: number } };

/** Does `action` in the page, then times (in the page) until `done` holds, checked every frame. */
function timeInPage(page: Page, action: Action, done: Done, timeoutMs = 30_000): Promise<number> {
  return page.evaluate(async (a: Action, d: Done, limit: number) => {
    const check = (): boolean => ("count" in d
      ? document.querySelectorAll(d.count.selector).length === d.count.n
      : (document.querySelector(d.textStartsWith.selector)?.textContent ?? "").startsWith(d.textStartsWith.prefix));
    const t0 = performance.now();
    if ("click" in a) {
      const el = document.querySelector<HTMLElement>(a.click);
      if (!el) throw new Error(`nothing to click at ${a.click}`);
      el.click();
    } else {
      const input = document.querySelector<HTMLInputElement>(a.type.selector);
      if (!input) throw new Error(`no input at ${a.type.selector}`);
      // React listens to the native input event; setting .value directly would be ignored.
      Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value")?.set?.call(input, a.type.text);
      input.dispatchEvent(new Event("input", { bubbles: true }));
    }
    for (;;) {
      if (check()) return performance.now() - t0;
      if (performance.now() - t0 > limit) throw new Error(`not done within ${limit} ms: ${JSON.stringify(d)}`);
      await new Promise((r) => requestAnimationFrame(() => r(undefined)));
    }
  }, action, done, timeoutMs);
}

/** Frame-to-frame times (ms) in the page while `during` runs in Node (or for `forMs`). */
async function frameTimes(page: Page, during: () => Promise<void>): Promise<number[]> {
  await page.evaluate(() => {
    const w = window as unknown as { __frames: number[]; __recording: boolean };
    w.__frames = [];
    w.__recording = true;
    let last = performance.now();
    const tick = (now: number): void => {
      w.__frames.push(now - last);
      last = now;
      if (w.__recording) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  await during();
  return page.evaluate(() => {
    const w = window as unknown as { __frames: number[]; __recording: boolean };
    w.__recording = false;
    return w.__frames.slice(1);
  });
}

/** The lowest frame rate over any whole second of `frames`. */
function worstSecondFps(frames: number[]): number {
  let worst = Infinity, acc = 0, count = 0;
  for (const f of frames) {
    acc += f;
    count++;
    if (acc >= 1000) { worst = Math.min(worst, count / (acc / 1000)); acc = 0; count = 0; }
  }
  return worst === Infinity ? (frames.length > 0 ? 1000 / (frames.reduce((a, b) => a + b, 0) / frames.length) : NaN) : worst;
}

const heapMiB = async (page: Page): Promise<string> => `${(((await page.metrics()).JSHeapUsedSize ?? 0) / 1048576).toFixed(1)} MiB`;

async function main(): Promise<void> {
  const given = argValue("kubeconfig");
  const kubeconfig = given ?? (await startCluster({ name: "bench-ui", nodes: 1 })).kubeconfigPath;
  const client = new KubeClient(loadKubeConfig(kubeconfig));
  const lines: string[] = [];
  const say = (s: string): void => { process.stdout.write(s + "\n"); lines.push(s); };
  let server: ChildProcess | undefined;
  let browser: Awaited<ReturnType<typeof puppeteer.launch>> | undefined;
  try {
    let t0 = Date.now();
    const { existing } = await createBenchApps(client, N, PARALLEL);
    await createTreeApp(client);
    say(`set-up: ${N} Applications (${Math.max(0, N - existing)} written) and a tree of ${M} resources in ${((Date.now() - t0) / 1000).toFixed(1)} s; load average ${loadavg()[0]!.toFixed(1)}`);
    const assets = await buildUi();
    const s = startServer(kubeconfig, assets);
    server = s.proc;
    const url = await s.url;
    const secret = await client.get("v1", "Secret", "argocd-initial-admin-secret", BENCH_NAMESPACE) as { data: { password: string } } | undefined;
    const password = Buffer.from(secret?.data.password ?? "", "base64").toString();

    browser = await puppeteer.launch({
      executablePath: chromiumPath(), headless: true,
      args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run", "--window-size=1400,900"], defaultViewport: { width: 1400, height: 900 },
    });
    const page = await browser.newPage();
    // tsx keeps function names with a `__name` helper, which the functions sent to the page call.
    await page.evaluateOnNewDocument("globalThis.__name = (f) => f;");
    await page.goto(`${url}/login`);
    await page.waitForSelector("form[aria-label='Log in'] input[name=username]");
    await page.type("input[name=username]", "admin");
    await page.type("input[name=password]", password);
    await Promise.all([page.waitForNavigation(), page.click("form[aria-label='Log in'] button[type=submit]")]);

    // ---- list: first tiles, filter, search, scroll ----
    // The first tile's time since navigation start, recorded by the page itself.
    await page.evaluateOnNewDocument(() => {
      const w = window as unknown as { __firstTile?: number };
      new MutationObserver((_m, obs) => {
        if (document.querySelector("[data-testid=app-tile]")) { w.__firstTile = performance.now(); obs.disconnect(); }
      }).observe(document, { childList: true, subtree: true });
    });
    await page.goto(`${url}/applications?view=tiles`);
    await page.waitForFunction(() => (window as unknown as { __firstTile?: number }).__firstTile !== undefined, { timeout: 120_000 });
    const firstTile = await page.evaluate(() => (window as unknown as { __firstTile: number }).__firstTile);
    await page.waitForFunction((n: number) => document.querySelector("[data-testid=app-count]")?.textContent?.includes(`of ${n} applications`) === true, { timeout: 120_000 }, N + 1);
    const allLoaded = await page.evaluate(() => performance.now());
    say(`list: first tile ${ms(firstTile)} after navigation; all ${N + 1} apps counted at ${ms(allLoaded)}; heap ${await heapMiB(page)}`);

    // The first namespace the filter panel offers (the panel shows the 8 biggest), with its count.
    const facet = await page.$eval('[data-filter^="namespace:"]', (e) => ({ value: e.getAttribute("data-filter") ?? "", count: Number(e.parentElement?.querySelector(".filter-count")?.textContent ?? "NaN") }));
    const count = (prefix: string): Done => ({ textStartsWith: { selector: "[data-testid=app-count]", prefix } });
    const filterMs = await timeInPage(page, { click: `[data-filter="${facet.value}"]` }, count(`${facet.count} of`));
    say(`filter: ${facet.value} (${facet.count} apps) shown ${ms(filterMs)} after the click`);
    await timeInPage(page, { click: `[data-filter="${facet.value}"]` }, count(`${N + 1} of`));
    const needle = "app-0000";
    const matches = Array.from({ length: N }, (_, i) => `app-${String(i).padStart(5, "0")}`).filter((n) => n.includes(needle)).length;
    const searchMs = await timeInPage(page, { type: { selector: "input[aria-label='Search applications']", text: needle } }, count(`${matches} of`));
    say(`search: "${needle}" (${matches} apps) shown ${ms(searchMs)} after typing (of which 150 ms is the box's debounce)`);
    await page.goto(`${url}/applications?view=tiles`);
    await page.waitForFunction((n: number) => document.querySelector("[data-testid=app-count]")?.textContent?.includes(`of ${n} applications`) === true, { timeout: 120_000 }, N + 1);
    const scroll = await frameTimes(page, () => page.evaluate(async () => {
      const box = document.querySelector("[data-testid=apps-scroll]")!;
      const t0 = performance.now();
      while (performance.now() - t0 < 3000) {
        box.scrollTop += 240;
        await new Promise((r) => requestAnimationFrame(() => r(undefined)));
      }
    }));
    say(`scroll: ${scroll.length} frames in 3 s; frame time p50 ${scroll.length ? pct(scroll, 50).toFixed(1) : "–"} ms, p95 ${scroll.length ? pct(scroll, 95).toFixed(1) : "–"} ms, max ${scroll.length ? Math.max(...scroll).toFixed(1) : "–"} ms; worst second ${worstSecondFps(scroll).toFixed(0)} fps; heap ${await heapMiB(page)}`);

    // ---- live updates: CHANGES apps change health while the list is shown ----
    const live = await frameTimes(page, async () => {
      t0 = Date.now();
      await pool(Array.from({ length: CHANGES }, (_, i) => i), 16, async (i) => {
        await client.patch({ apiVersion: API, kind: "Application", name: `app-${String(i).padStart(5, "0")}`, namespace: BENCH_NAMESPACE },
          { status: { health: { status: i % 2 ? "Progressing" : "Degraded" } } }, { type: "merge", subresource: "status" });
      });
      await new Promise((r) => setTimeout(r, 2000));
    });
    say(`live: ${CHANGES} apps changed in ${((Date.now() - t0) / 1000).toFixed(1)} s (+2 s); frame time p50 ${pct(live, 50).toFixed(1)} ms, p95 ${pct(live, 95).toFixed(1)} ms, max ${Math.max(...live).toFixed(1)} ms; worst second ${worstSecondFps(live).toFixed(0)} fps (target ≥ 30)`);

    // ---- tree: M resources, folded then expanded ----
    await page.goto(`${url}/applications/${BENCH_NAMESPACE}/${TREE_APP}`);
    await page.waitForSelector('[data-testid=resource-tree] [data-testid=tree-node][data-type="group"]', { timeout: 120_000 });
    const folded = await page.evaluate(() => performance.now());
    say(`tree: the folded tree (${M} ConfigMaps in one group) drawn ${ms(folded)} after navigation`);
    const expandMs = await timeInPage(page, { click: '[data-testid=resource-tree] [data-testid=tree-node][data-type="group"]' },
      { count: { selector: "[data-testid=resource-tree] [data-testid=tree-node]", n: M + 1 } }, 120_000);
    const layoutMs = await page.$eval("[data-testid=resource-tree]", (e) => Number(e.getAttribute("data-layout-ms")));
    say(`tree: expanding to ${M + 1} nodes laid out and drawn in ${ms(expandMs)} (layout ${ms(layoutMs)} of it); heap ${await heapMiB(page)}`);
    const treeScroll = await frameTimes(page, () => page.evaluate(async () => {
      const box = document.querySelector(".tree-scroll")!;
      const t1 = performance.now();
      while (performance.now() - t1 < 2000) {
        box.scrollTop += 200;
        await new Promise((r) => requestAnimationFrame(() => r(undefined)));
      }
    }));
    say(`tree scroll: frame time p50 ${pct(treeScroll, 50).toFixed(1)} ms, p95 ${pct(treeScroll, 95).toFixed(1)} ms; worst second ${worstSecondFps(treeScroll).toFixed(0)} fps`);
    if (OUT) await writeFile(OUT, `# Web UI benchmark\n\n${new Date().toISOString()}, --apps ${N} --tree ${M} --changes ${CHANGES}\n\n${lines.map((l) => `- ${l}`).join("\n")}\n`);
  } finally {
    await browser?.close().catch(() => undefined);
    server?.kill("SIGTERM");
    client.close();
    if (!given) await stopCluster("bench-ui");
  }
}

main().then(() => process.exit(0), (err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
