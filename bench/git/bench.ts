// Benchmark P6 (shared/spec/benchmarks.md), repository shape (a): 5,000 files (50 apps × 100
// files) and 201 commits, generated locally with `git fast-import` and served by the loopback
// smart-HTTP server (test/support/git-server.ts). Operations:
//   clone  — depth-1 clone of main: native `git clone --bare --depth 1` vs the cache's
//            resolveRevision("main") + prefetch() into an empty cache dir;
//   fetch  — one new commit pushed, then: native `git fetch --depth 1 <url> main` in its clone vs
//            prefetch(<new sha>) (the ls-remote that finds the SHA is the next op, measured alone);
//   ls-remote — native `git ls-remote <url>` vs resolveRevision("main", {force}) (listing + resolve);
//   read   — 100 files of one app at a SHA: native `git archive <sha> apps/app-NN` (to memory) vs a
//            fresh RepoCache on the same directory: listFiles("apps/app-NN/**") + 100 × readFile;
//            also "read (warm)", the same on an instance that has read before.
// Paths: native git CLI (baseline), the cache with transport "git", the cache with transport
// "isomorphic-git"; rounds interleave them in rotating order. Peak RSS: /usr/bin/time -f %M around
// a separate run of each clone (for the cache: a child node process, which also counts its git
// children's peak).
// Usage: node --import tsx bench/git/bench.ts [--pairs 5] [--out bench/results/git-p6.md]
import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { cpus, hostname, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { writeFile } from "node:fs/promises";
import { promisify } from "node:util";
import { RepoCache } from "../../operator/git/repo-cache.js";
import type { TransportName } from "../../operator/git/transport.js";
import { startGitServer } from "../../test/support/git-server.js";

const run = promisify(execFile);
const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const outIdx = process.argv.indexOf("--out");
const outFile = outIdx >= 0 ? process.argv[outIdx + 1]! : join("bench", "results", "git-p6.md");
const PAIRS = arg("pairs", 5);
const APPS = 50;
const FILES_PER_APP = 100;
const COMMITS = 201;
const GIT_ENV = { ...process.env, GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1", LC_ALL: "C" };

// ------------------------------------------------------------------ child mode (peak RSS)
if (process.argv[2] === "--rss-child") {
  const [, , , url, dir, transport] = process.argv;
  const cache = new RepoCache({ baseDir: dir!, transport: transport as TransportName, refsTtlMs: 0 });
  const sha = await cache.resolveRevision(url!, "main");
  await cache.prefetch(url!, sha);
  cache.close();
  process.exit(0);
}

function fileContent(app: number, file: number, rev: number): string {
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-${app}-cm-${file}\ndata:\n  rev: "${rev}"\n  payload: "${"x".repeat(400)}"\n`;
}

/** Builds the repository with one fast-import stream: 1 full commit + 200 one-file commits. */
async function generateRepo(bare: string): Promise<void> {
  await run("git", ["init", "--quiet", "--bare", "--initial-branch=main", bare], { env: GIT_ENV });
  for (const [k, v] of [["uploadpack.allowAnySHA1InWant", "true"], ["uploadpack.allowReachableSHA1InWant", "true"], ["http.receivepack", "true"]]) {
    await run("git", ["config", k!, v!], { cwd: bare, env: GIT_ENV });
  }
  const parts: string[] = [];
  let t = 1_700_000_000;
  const commit = (files: [string, string][], msg: string, first: boolean): void => {
    parts.push(`commit refs/heads/main\ncommitter Bench <bench@hawser.invalid> ${t++} +0000\ndata ${Buffer.byteLength(msg)}\n${msg}\n`);
    if (first) parts.push("deleteall\n");
    for (const [path, content] of files) parts.push(`M 100644 inline ${path}\ndata ${Buffer.byteLength(content)}\n${content}\n`);
  };
  const all: [string, string][] = [];
  for (let a = 0; a < APPS; a++) for (let f = 0; f < FILES_PER_APP; f++) all.push([`apps/app-${String(a).padStart(2, "0")}/cm-${f}.yaml`, fileContent(a, f, 0)]);
  commit(all, "initial", true);
  for (let c = 1; c < COMMITS; c++) {
    const a = c % APPS;
    const f = (c * 7) % FILES_PER_APP;
    commit([[`apps/app-${String(a).padStart(2, "0")}/cm-${f}.yaml`, fileContent(a, f, c)]], `change ${c}`, false);
  }
  await new Promise<void>((resolve, reject) => {
    const child = spawn("git", ["fast-import", "--quiet"], { cwd: bare, env: GIT_ENV, stdio: ["pipe", "ignore", "inherit"] });
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`fast-import exit ${code}`))));
    child.stdin.end(parts.join(""));
  });
  await run("git", ["repack", "-a", "-d", "-q"], { cwd: bare, env: GIT_ENV });
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

async function dirSize(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir)) total += (await stat(join(dir, name))).size;
  return total;
}

async function peakRssKb(cmd: string, args: string[]): Promise<number> {
  const { stderr } = await run("/usr/bin/time", ["-f", "%M", cmd, ...args], { env: GIT_ENV, maxBuffer: 64 << 20 });
  return Number(stderr.trim().split("\n").pop());
}

type Path = "native" | "cli" | "iso";
const PATHS: Path[] = ["native", "cli", "iso"];
const OPS = ["clone", "fetch", "ls-remote", "read", "read (warm)"] as const;
type Op = (typeof OPS)[number];

const results = new Map<string, number[]>(); // `${op}|${path}` → ms per round
const record = (op: Op, path: Path, ms: number): void => {
  const k = `${op}|${path}`;
  results.set(k, [...(results.get(k) ?? []), ms]);
};

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const work = await mkdtemp(join(tmpdir(), "hawser-bench-git-"));
const root = join(work, "server");
await generateRepo(join(root, "bench.git"));
const server = await startGitServer({ root });
const url = server.baseUrl("bench");
const app = "apps/app-17";
console.error(`repo generated: ${APPS * FILES_PER_APP} files, ${COMMITS} commits; serving ${url}`);

try {
  for (let round = 0; round < PAIRS; round++) {
    const order = PATHS.map((_, i) => PATHS[(i + round) % PATHS.length]!);
    const dirs: Record<Path, string> = { native: join(work, `r${round}-native.git`), cli: join(work, `r${round}-cli`), iso: join(work, `r${round}-iso`) };
    const caches: Partial<Record<Path, RepoCache>> = {};
    const cacheFor = (p: "cli" | "iso"): RepoCache => (caches[p] ??= new RepoCache({ baseDir: dirs[p], transport: p === "cli" ? "git" : "isomorphic-git", refsTtlMs: 0 }));

    // clone
    for (const p of order) {
      if (p === "native") record("clone", p, await time(() => run("git", ["clone", "--quiet", "--bare", "--depth", "1", "--no-tags", url, dirs.native], { env: GIT_ENV })));
      else {
        const c = cacheFor(p);
        record("clone", p, await time(async () => c.prefetch(url, await c.resolveRevision(url, "main"))));
      }
    }
    // fetch of one new commit
    const next = await server.commitFiles("bench", { [`${app}/cm-${round}.yaml`]: fileContent(17, round, 1000 + round) }, `bench round ${round}`);
    for (const p of order) {
      if (p === "native") record("fetch", p, await time(() => run("git", ["fetch", "--quiet", "--depth", "1", "--no-tags", url, "+refs/heads/main:refs/heads/main"], { cwd: dirs.native, env: GIT_ENV })));
      else {
        const c = cacheFor(p);
        // Make the new SHA known the way the poller does (untimed here; timed as ls-remote below).
        assert(await c.resolveRevision(url, "main", { force: true }) === next, "listing sees the push");
        record("fetch", p, await time(() => c.prefetch(url, next)));
      }
    }
    // ls-remote
    for (const p of order) {
      if (p === "native") record("ls-remote", p, await time(() => run("git", ["ls-remote", url], { env: GIT_ENV })));
      else {
        const c = cacheFor(p);
        record("ls-remote", p, await time(() => c.resolveRevision(url, "main", { force: true })));
      }
    }
    // read one app path at the new SHA
    for (const p of order) {
      if (p === "native") {
        record("read", p, await time(() => run("git", ["archive", "--format=tar", next, "--", app], { cwd: dirs.native, env: GIT_ENV, encoding: "buffer", maxBuffer: 64 << 20 })));
        record("read (warm)", p, await time(() => run("git", ["archive", "--format=tar", next, "--", app], { cwd: dirs.native, env: GIT_ENV, encoding: "buffer", maxBuffer: 64 << 20 })));
      } else {
        cacheFor(p).close();
        const fresh = new RepoCache({ baseDir: dirs[p], transport: p === "cli" ? "git" : "isomorphic-git" });
        const readApp = async (): Promise<void> => {
          const files = await fresh.listFiles(url, next, `${app}/**`);
          assert(files.length >= FILES_PER_APP, `read ${files.length} files`);
          await Promise.all(files.map((f) => fresh.readFile(url, next, f)));
        };
        record("read", p, await time(readApp));
        record("read (warm)", p, await time(readApp));
        fresh.close();
      }
    }
    for (const c of Object.values(caches)) c?.close();
    console.error(`round ${round + 1}/${PAIRS} done`);
  }

  // Peak RSS of a clone, one extra run each (not part of the timing).
  const packBytes = await dirSize(join(work, "r0-native.git", "objects", "pack"));
  const rss: Record<Path, number> = {
    native: await peakRssKb("git", ["clone", "--quiet", "--bare", "--depth", "1", "--no-tags", url, join(work, "rss-native.git")]),
    cli: await peakRssKb(process.execPath, ["--import", "tsx", "bench/git/bench.ts", "--rss-child", url, join(work, "rss-cli"), "git"]),
    iso: await peakRssKb(process.execPath, ["--import", "tsx", "bench/git/bench.ts", "--rss-child", url, join(work, "rss-iso"), "isomorphic-git"]),
  };
  const nodeBaseline = await peakRssKb(process.execPath, ["--import", "tsx", "-e", "0"]);

  const lines: string[] = [];
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  const load = (await run("cat", ["/proc/loadavg"])).stdout.trim().split(" ").slice(0, 3).join(" ");
  lines.push("# P6 git benchmark, repository shape (a)", "");
  lines.push(`Date: ${new Date().toISOString()}. Machine: ${hostname()}, ${cpus().length} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, ${(await run("git", ["--version"])).stdout.trim()}. Load average at the end: ${load} (the machine is shared with other work, so absolute times are noisy; ratios come from interleaved rounds).`, "");
  lines.push(`Repository: ${APPS * FILES_PER_APP} files (${APPS} apps × ${FILES_PER_APP} files of ~0.5 KB), ${COMMITS} commits, generated with git fast-import and served over loopback HTTP by git http-backend; depth-1 pack ${(packBytes / 1024).toFixed(0)} KiB. ${PAIRS} rounds, each running native / our CLI path / our isomorphic-git path in rotating order.`, "");
  lines.push("Ratios are per round (ours ÷ native in the same round); the table gives their median and range, and the median wall time of each path.", "");
  lines.push("| Operation | native git (median ms) | ours, git CLI (ms) | ratio CLI (median, range) | ours, isomorphic-git (ms) | ratio iso (median, range) |");
  lines.push("|---|---|---|---|---|---|");
  for (const op of OPS) {
    const n = results.get(`${op}|native`) ?? [];
    const cell = (p: Path): [string, string] => {
      const v = results.get(`${op}|${p}`) ?? [];
      const ratios = v.map((x, i) => x / (n[i] ?? NaN));
      return [median(v).toFixed(1), `${median(ratios).toFixed(2)}× (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`];
    };
    const [cliMs, cliRatio] = cell("cli");
    const [isoMs, isoRatio] = cell("iso");
    lines.push(`| ${op} | ${median(n).toFixed(1)} | ${cliMs} | ${cliRatio} | ${isoMs} | ${isoRatio} |`);
  }
  lines.push("", "Peak RSS of one depth-1 clone (`/usr/bin/time -f %M`; for our paths a node child process doing resolve + prefetch, whose figure is the larger of node and its git children):", "");
  lines.push("| native git clone | node + tsx baseline (no work) | ours, git CLI | ours, isomorphic-git |", "|---|---|---|---|");
  lines.push(`| ${(rss.native / 1024).toFixed(1)} MB | ${(nodeBaseline / 1024).toFixed(1)} MB | ${(rss.cli / 1024).toFixed(1)} MB | ${(rss.iso / 1024).toFixed(1)} MB |`, "");
  lines.push("Raw per-round wall times (ms):", "", "```");
  for (const [k, v] of results) lines.push(`${k.padEnd(24)} ${v.map((x) => x.toFixed(1)).join("  ")}`);
  lines.push("```", "");
  const text = lines.join("\n");
  await writeFile(outFile, text);
  console.log(text);
} finally {
  await server.stop();
  if (existsSync(work)) await rm(work, { recursive: true, force: true });
}

function assert(cond: boolean, msg: string): asserts cond {
  if (!cond) throw new Error(`bench check failed: ${msg}`);
}
