// Benchmark of the API server (issue 13's acceptance), on a local control plane:
//   list:   GET /api/v1/applications with N Applications (each with a realistic status of 10
//           resources), p50/p99 server time and bytes, interleaved with the baseline: the same
//           list straight from the apiserver (what the server's cache saves every caller); and
//           the UI's list (fields=...) that loads only what tiles show.
//   stream: W watchers on GET /api/v1/stream/applications while C Applications change; each
//           event's delivery time to every watcher is measured against a direct apiserver watch
//           opened in the same process (the baseline: "behind the apiserver's watch"); the
//           watchers run in a process of their own (watchers.ts) so their parsing does not delay it.
// The server runs as its own process (`hawser server`), as deployed; its CPU-seconds and peak RSS
// come from /proc. The Applications are created once (bounded parallelism) and kept: a second run
// on the same cluster (--kubeconfig) reuses them, and both phases share them. Usage:
//   node --import tsx bench/server/bench.ts [--kubeconfig FILE] [--apps 10000] [--watchers 100]
//     [--changes 1000] [--rounds 7] [--parallel 32] [--phases list,stream] [--profile DIR] [--out FILE]
// --profile DIR runs the server with --cpu-prof (one .cpuprofile per run, written when it stops)
// and --trace-gc (DIR/server-gc.log); with --phases stream the profile covers only the fan-out.
import { fork, spawn } from "node:child_process";
import { createWriteStream, mkdirSync, readFileSync } from "node:fs";
import http from "node:http";
import { writeFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createInterface } from "node:readline";
import { gunzipSync } from "node:zlib";
import { startCluster, stopCluster } from "../../operator/devcluster/index.js";
import { installCrds } from "../../operator/kube/crd-install.js";
import { KubeClient, type KubeObject } from "../../operator/kube/client.js";
import { loadKubeConfig } from "../../operator/operator.js";
import type { WatcherReport } from "./watchers.js";

const API = "argoproj.io/v1alpha1";
const argValue = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const N = Number(argValue("apps") ?? argValue("n") ?? 10_000);
const WATCHERS = Number(argValue("watchers") ?? 100);
const CHANGES = Number(argValue("changes") ?? 1_000);
const ROUNDS = Number(argValue("rounds") ?? 7);
const PARALLEL = Number(argValue("parallel") ?? 32);
const PHASES = new Set((argValue("phases") ?? "list,stream").split(","));
const PROFILE = argValue("profile");
const outFile = argValue("out") ?? join("bench", "results", "server-api.md");
export const BENCH_NAMESPACE = "argocd";
const NS = BENCH_NAMESPACE;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

function app(i: number): KubeObject {
  return {
    apiVersion: API, kind: "Application",
    metadata: { name: `app-${String(i).padStart(5, "0")}`, namespace: NS, labels: { team: `t${i % 20}` } },
    spec: { project: "default", source: { repoURL: "https://git.example/apps.git", path: `apps/app-${i}`, targetRevision: "main" }, destination: { server: "https://kubernetes.default.svc", namespace: `ns-${i % 100}` } },
  };
}

function status(i: number): Record<string, unknown> {
  return {
    sync: { status: "Synced", revision: "0123456789abcdef0123456789abcdef01234567", comparedTo: { source: { repoURL: "https://git.example/apps.git", path: `apps/app-${i}`, targetRevision: "main" }, destination: { server: "https://kubernetes.default.svc", namespace: `ns-${i % 100}` } } },
    health: { status: "Healthy" },
    reconciledAt: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    resources: Array.from({ length: 10 }, (_, k) => ({ group: k % 2 ? "apps" : "", version: "v1", kind: k % 2 ? "Deployment" : "ConfigMap", namespace: `ns-${i % 100}`, name: `obj-${k}`, status: "Synced", health: k % 2 ? { status: "Healthy" } : undefined })),
    summary: { images: ["nginx:1.27"] },
  };
}

async function pool<T>(items: T[], limit: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

function procStats(pid: number): { cpuSeconds: number; peakRssMiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  const ticks = Number(stat[11]) + Number(stat[12]);
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return { cpuSeconds: ticks / 100, peakRssMiB: Number(hwm?.[1] ?? 0) / 1024 };
}

/**
 * The bench's Applications `app-00000`… in namespace argocd (CRDs, namespace and default project
 * first), each with a realistic status; those already there are kept. Also used by bench/ui.
 */
export async function createBenchApps(client: KubeClient, n: number, parallel = 32): Promise<{ existing: number }> {
  await installCrds(client);
  if (!(await client.get("v1", "Namespace", NS))) await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: NS } });
  if (!(await client.get(API, "AppProject", "default", NS))) await client.create({ apiVersion: API, kind: "AppProject", metadata: { name: "default", namespace: NS }, spec: { sourceRepos: ["*"], destinations: [{ server: "*", namespace: "*" }] } });
  const existing = await listWhenServed(client);
  await pool(Array.from({ length: n }, (_, i) => i).filter((i) => i >= existing), parallel, async (i) => {
    const a = app(i);
    await client.apply(a, { fieldManager: "bench", force: true });
    await client.applyStatus({ apiVersion: API, kind: "Application", metadata: { name: a.metadata.name, namespace: NS }, status: status(i) }, { fieldManager: "bench", force: true });
  });
  return { existing };
}

async function main(): Promise<void> {
  const given = argValue("kubeconfig");
  const kubeconfig = given ?? (await startCluster({ name: "bench-server", nodes: 1 })).kubeconfigPath;
  const client = new KubeClient(loadKubeConfig(kubeconfig));
  const lines: string[] = [];
  const say = (s: string): void => { process.stdout.write(s + "\n"); lines.push(s); };
  try {
    const t0 = Date.now();
    const { existing } = await createBenchApps(client, N, PARALLEL);
    say(`set-up: ${N} Applications with status (${N - existing} written in ${((Date.now() - t0) / 1000).toFixed(1)} s)`);

    if (PROFILE) mkdirSync(PROFILE, { recursive: true });
    const profiling = PROFILE ? ["--cpu-prof", "--cpu-prof-dir", PROFILE, "--trace-gc"] : [];
    const proc = spawn(process.execPath, [...profiling, "--import", "tsx", "operator/cli.ts", "server", "--kubeconfig", kubeconfig, "--namespace", NS, "--address", "127.0.0.1", "--port", "0", "--metrics-port", "0", "--insecure"], { stdio: ["ignore", PROFILE ? "pipe" : "ignore", "pipe"] });
    if (PROFILE) proc.stdout!.pipe(createWriteStream(join(PROFILE, "server-gc.log")));
    const url = await new Promise<string>((resolve, reject) => {
      createInterface({ input: proc.stderr! }).on("line", (l) => {
        try { const j = JSON.parse(l) as { msg?: string; url?: string }; if (j.msg === "API server listening" && j.url) resolve(j.url); } catch { /* not JSON */ }
      });
      proc.once("exit", (c) => reject(new Error(`server exited ${c}`)));
    });
    const startup = procStats(proc.pid!);
    const secret = await client.get("v1", "Secret", "argocd-initial-admin-secret", NS) as { data: { password: string } } | undefined;
    const password = Buffer.from(secret?.data.password ?? "", "base64").toString();
    const token = ((await (await fetch(`${url}/api/v1/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: "admin", password }) })).json()) as { token: string }).token;
    const auth = { authorization: `Bearer ${token}` };
    say(`server: ${url}, after start and cache sync ${startup.cpuSeconds.toFixed(1)} CPU-s, peak RSS ${startup.peakRssMiB.toFixed(0)} MiB`);

    // ---- list, interleaved with the apiserver baseline ----
    const kubeUrl = await client.pathFor(API, "Application", NS);
    if (PHASES.has("list")) {
      const base: number[] = []; let baseBytes = 0;
      const fields = "items.metadata.name,items.metadata.namespace,items.metadata.labels,items.spec,items.status.sync.status,items.status.health,items.status.summary";
      const variants = [
        { label: "full", path: "/api/v1/applications", gzip: false },
        { label: "full, gzip", path: "/api/v1/applications", gzip: true },
        { label: "UI fields", path: `/api/v1/applications?fields=${fields}`, gzip: false },
      ].map((v) => ({ ...v, first: [] as number[], total: [] as number[], bytes: [] as number[], encoding: "" }));
      for (let r = 0; r < ROUNDS; r++) {
        const t = performance.now();
        const b = await client.request<{ items: unknown[] }>("GET", kubeUrl);
        base.push(performance.now() - t);
        baseBytes = JSON.stringify(b).length;
        for (const v of variants) {
          const got = await timedGet(`${url}${v.path}`, { ...auth, ...(v.gzip ? { "accept-encoding": "gzip" } : {}) });
          v.first.push(got.firstByteMs); v.total.push(got.totalMs); v.bytes.push(got.wireBytes); v.encoding = got.encoding;
          // The gzip row measures the server's compression (server.enable.gzip, on by default): an
          // answer that came back plain would make it a second "full" row, so that stops the run.
          if (v.gzip && got.encoding !== "gzip") throw new Error(`asked for gzip, got Content-Encoding "${got.encoding}": is server.enable.gzip off?`);
          if (!v.label.startsWith("UI") && (JSON.parse(got.body.toString("utf8")) as { items: unknown[] }).items.length !== N) throw new Error(`the server listed a different number of apps (${v.label})`);
        }
      }
      say(`list of ${N} apps (${ROUNDS} rounds, interleaved; load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}):`);
      say(`  apiserver LIST (baseline): p50 ${pct(base, 50).toFixed(0)} ms, p99 ${pct(base, 99).toFixed(0)} ms, ${(baseBytes / 1e6).toFixed(1)} MB`);
      for (const v of variants) {
        // First byte ≈ the server's own time (it serialises before sending); last byte adds the transfer.
        // The gzip row's size next to the plain one: the compression the wire actually saw.
        const plain = variants.find((x) => x.path === v.path && !x.gzip);
        const ratio = v.gzip && plain ? `, ${(100 * pct(v.bytes, 50) / pct(plain.bytes, 50)).toFixed(1)}% of the plain answer` : "";
        say(`  hawser server, ${`${v.label}:`.padEnd(12)} first byte p50 ${pct(v.first, 50).toFixed(0)} ms, p99 ${pct(v.first, 99).toFixed(0)} ms; last byte p50 ${pct(v.total, 50).toFixed(0)} ms, p99 ${pct(v.total, 99).toFixed(0)} ms; ${(pct(v.bytes, 50) / 1e6).toFixed(2)} MB on the wire (p99 ${(pct(v.bytes, 99) / 1e6).toFixed(2)} MB)${v.encoding ? `, ${v.encoding}${ratio}` : ""}`);
      }
    }

    // ---- stream fan-out ----
    if (PHASES.has("stream")) {
      const rv = (await client.request<{ metadata: { resourceVersion: string } }>("GET", kubeUrl, { query: { limit: 1 } })).metadata.resourceVersion;
      const seenBase = new Map<string, number>();
      const delays: number[] = [];
      const watchAbort = new AbortController();
      const absoluteNow = (): number => performance.timeOrigin + performance.now();
      const handleBase = (name: string, resourceVersion: string): void => {
        const key = `${name}@${resourceVersion}`;
        if (!seenBase.has(key)) seenBase.set(key, absoluteNow());
      };
      // Baseline watch straight on the apiserver, in this process; the watchers run in their own.
      const kubeWatch = await fetchWatch(client, kubeUrl, rv, watchAbort.signal, (o) => handleBase(o.metadata.name ?? "", o.metadata.resourceVersion ?? ""));
      const watchers = fork(new URL("./watchers.ts", import.meta.url), [JSON.stringify({ url, token, watchers: WATCHERS, resourceVersion: rv })], { execArgv: ["--import", "tsx"] });
      await new Promise<void>((resolve, reject) => {
        watchers.once("message", () => resolve());
        watchers.once("exit", (code) => reject(new Error(`the watchers exited with ${code}`)));
      });
      await sleep(1000);
      const before = procStats(proc.pid!);
      const tc = Date.now();
      await pool(Array.from({ length: CHANGES }, (_, i) => i), 16, async (i) => {
        await client.patch({ apiVersion: API, kind: "Application", name: app(i).metadata.name!, namespace: NS }, { metadata: { annotations: { "bench/change": String(Date.now()) } } });
      });
      const changeSeconds = (Date.now() - tc) / 1000;
      // Wait (bounded) until the baseline has seen every change, then give the watchers time to drain.
      const until = Date.now() + 60_000;
      while (seenBase.size < CHANGES && Date.now() < until) await sleep(200);
      await sleep(3000);
      const report = await new Promise<WatcherReport>((resolve, reject) => {
        watchers.on("message", (m: { report?: WatcherReport }) => { if (m.report) resolve(m.report); });
        watchers.once("exit", (code) => reject(new Error(`the watchers exited with ${code}`)));
        watchers.send({ stop: true });
      });
      watchers.kill();
      const received = report.received;
      for (const [key, at] of report.arrivals) {
        const b = seenBase.get(key);
        if (b !== undefined) delays.push(at - b);
      }
      const after = procStats(proc.pid!);
      watchAbort.abort();
      void kubeWatch;
      say(`stream: ${WATCHERS} watchers, ${CHANGES} Applications changed in ${changeSeconds.toFixed(1)} s (load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}):`);
      say(`  delivered ${received} of ${CHANGES * WATCHERS} events; delay behind the apiserver's own watch: p50 ${pct(delays, 50).toFixed(0)} ms, p99 ${pct(delays, 99).toFixed(0)} ms`);
      say(`  chunks read per watcher: ${(report.chunks / WATCHERS).toFixed(0)} (${(received / Math.max(1, report.chunks)).toFixed(1)} events per chunk)`);
      say(`  server during the fan-out: ${(after.cpuSeconds - before.cpuSeconds).toFixed(1)} CPU-s, peak RSS ${after.peakRssMiB.toFixed(0)} MiB`);
    }
    // Stopped gracefully and awaited, so a --cpu-prof profile is written.
    const exited = new Promise((r) => proc.once("exit", r));
    proc.kill("SIGTERM");
    await exited;
    if (PROFILE) say(`profile and GC trace of the server in ${PROFILE}`);

    const md = [`# API server benchmark (issue 13)`, "", `Run ${new Date().toISOString()} with \`node --import tsx bench/server/bench.ts --apps ${N} --watchers ${WATCHERS} --changes ${CHANGES} --rounds ${ROUNDS}\`.`, "Targets: list ≤ 300 ms p50 at 10,000 apps; stream delivery ≤ 100 ms p99 behind the apiserver's watch.", "", "```", ...lines, "```", ""].join("\n");
    await writeFile(outFile, md);
    say(`written to ${outFile}`);
  } finally {
    client.close();
    if (!given) await stopCluster("bench-server");
  }
}

/** A GET timed to its first and last byte, with the bytes as they crossed the wire (before any decoding). */
function timedGet(url: string, headers: Record<string, string>): Promise<{ firstByteMs: number; totalMs: number; wireBytes: number; encoding: string; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    http.get(url, { headers, agent: false }, (res) => {
      if (res.statusCode !== 200) { reject(new Error(`${url} answered ${res.statusCode}`)); res.resume(); return; }
      let firstByteMs = NaN;
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => { if (Number.isNaN(firstByteMs)) firstByteMs = performance.now() - t; chunks.push(c); });
      res.on("end", () => {
        const wire = Buffer.concat(chunks);
        const encoding = String(res.headers["content-encoding"] ?? "");
        resolve({ firstByteMs, totalMs: performance.now() - t, wireBytes: wire.length, encoding, body: encoding === "gzip" ? gunzipSync(wire) : wire });
      });
      res.on("error", reject);
    }).on("error", reject);
  });
}

/** Counts the Applications once the apiserver serves the new CRD (discovery lags "Established" on a fresh cluster). */
async function listWhenServed(client: KubeClient): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    try {
      return (await client.list(API, "Application", { namespace: NS })).items.length;
    } catch (err) {
      if (attempt >= 30) throw err;
      client.discovery.invalidate(API);
      await sleep(1000);
    }
  }
}

/** A raw watch on the apiserver from a resourceVersion, calling `on` for every object event. */
async function fetchWatch(client: KubeClient, path: string, rv: string, signal: AbortSignal, on: (o: KubeObject) => void): Promise<void> {
  const res = await client.stream("GET", path, { signal, query: { watch: true, resourceVersion: rv } });
  void (async () => {
    let buf = "";
    for await (const chunk of res) {
      buf += (chunk as Buffer).toString("utf8");
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line) on((JSON.parse(line) as { object: KubeObject }).object);
      }
    }
  })().catch(() => undefined);
}

// Run only as a script: bench/ui imports createBenchApps.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  });
}
