// P5 (shared/spec/benchmarks.md): a monorepo. N Applications (directory and kustomize alternating)
// in one repository, each annotated `argocd.argoproj.io/manifest-generate-paths: .`. A commit
// touching 10 app paths, announced by a push webhook listing its files, must render exactly those
// 10 (hawser_manifest_renders_total counts renders that ran a tool, not cache hits) and sync them;
// then every app is refreshed at that commit, as polling would, and still no other app renders,
// because its path hashes as before. test/e2e/manifest-generate-paths.test.ts is the same at 50 apps.
import { ARGO_API_VERSION } from "../../../operator/api/annotations.js";
import { AppWatch, application, appName, appPath, configMapYaml, forEachBounded, syncedHealthy } from "../apps.js";
import { sumBy } from "../proc.js";
import type { PhaseResult, SampledProcess, Scenario, ScenarioContext, ScenarioResult } from "../scenario.js";
import { pushWebhook } from "../webhook.js";

const TOUCHED = 10;
const CREATE_PARALLEL = 32;
const ANNOTATION = "argocd.argoproj.io/manifest-generate-paths";

export const scenario: Scenario = {
  id: "p5",
  title: "monorepo with manifest-generate-paths: a commit touching 10 app paths renders exactly 10",
  defaultN: 1000,
  run,
};

const kustomized = (i: number): boolean => i % 2 === 1;

function files(n: number, dest: string, round: string, only?: number[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const i of only ?? Array.from({ length: n }, (_, k) => k)) {
    out[`${appPath(i)}/cm.yaml`] = configMapYaml(i, dest, round);
    if (kustomized(i) && !only) out[`${appPath(i)}/kustomization.yaml`] = "resources:\n- cm.yaml\n";
  }
  return out;
}

async function renders(op: SampledProcess): Promise<number> {
  return Object.values(sumBy(await op.scrape(["hawser_manifest_renders_total"]), "hawser_manifest_renders_total", "plugin")).reduce((a, b) => a + b, 0);
}

async function run(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { n, client } = ctx;
  const timeoutMs = 60_000 + n * 100;
  // Spread over the repo, odd and even (kustomize and directory) alternating.
  const touched = [...new Set(Array.from({ length: Math.min(TOUCHED, n) }, (_, k) => Math.min(n - 1, Math.floor((k * n) / TOUCHED) + (k % 2))))];
  const dest = `${ctx.controlNamespace}-dest`;
  await ctx.createNamespace(dest);
  const repoUrl = await ctx.git.createRepo("mono");
  const firstSha = await ctx.git.commit(repoUrl, files(n, dest, "a"), `${n} apps`);
  const op = await ctx.startOperator();
  const watch = new AppWatch(ctx);
  await watch.start();
  const phases: PhaseResult[] = [];
  const checks: ScenarioResult["checks"] = [];
  try {
    const synced = watch.reached(syncedHealthy(firstSha));
    await forEachBounded(n, CREATE_PARALLEL, async (i) => {
      const app = application(ctx, i, repoUrl, dest);
      app.metadata.annotations = { [ANNOTATION]: "." };
      await client.create(app);
    });
    await ctx.until(`${n} apps Synced at ${firstSha.slice(0, 7)}`, () => Promise.resolve(synced.size >= n), { timeoutMs, everyMs: 200 });
    const renders0 = await renders(op);
    checks.push({ name: "every app rendered once on creation", ok: renders0 >= n, detail: `${renders0} renders for ${n} apps` });

    // The commit: 10 app paths change; the push lists the files.
    const changed = files(n, dest, "b", touched);
    const sha = await ctx.git.commit(repoUrl, changed, `touch ${touched.length} apps`);
    const names = new Set(touched.map(appName));
    const atNew = watch.reached(syncedHealthy(sha));
    const t0 = performance.now();
    await pushWebhook(op, { repoUrl, after: sha, changedFiles: Object.keys(changed) });
    await ctx.until(`${touched.length} touched apps Synced at ${sha.slice(0, 7)}`, () => Promise.resolve([...names].every((x) => atNew.has(x))), { timeoutMs: 120_000, everyMs: 50 });
    const touchedSeconds = (Math.max(...[...names].map((x) => atNew.get(x)!)) - t0) / 1000;
    const afterPush = (await renders(op)) - renders0;

    // What polling would do: every app refreshed at the new commit.
    const t1 = performance.now();
    await forEachBounded(n, CREATE_PARALLEL, async (i) => {
      await client.patch({ apiVersion: ARGO_API_VERSION, kind: "Application", name: appName(i), namespace: ctx.controlNamespace }, { metadata: { annotations: { "argocd.argoproj.io/refresh": "normal" } } }, { type: "merge" });
    });
    await ctx.until(`${n} apps Synced at ${sha.slice(0, 7)}`, () => Promise.resolve(atNew.size >= n), { timeoutMs, everyMs: 200 });
    const refreshSeconds = (performance.now() - t1) / 1000;
    const afterAll = (await renders(op)) - renders0;
    phases.push({
      phase: "push touching 10 paths → those Synced",
      runs: [{ seconds: touchedSeconds, renders: afterPush }],
      target: { text: `exactly ${touched.length} renders`, met: afterPush === touched.length },
    });
    phases.push({
      phase: "refresh of all apps at that commit",
      runs: [{ seconds: refreshSeconds, rendersSinceCommit: afterAll }],
      target: { text: `still ${touched.length} renders`, met: afterAll === touched.length },
    });
    checks.push({ name: `the push rendered exactly ${touched.length}`, ok: afterPush === touched.length, detail: String(afterPush) });
    checks.push({ name: "a refresh of every app rendered none more", ok: afterAll === touched.length, detail: String(afterAll) });
  } finally {
    await watch.stop();
    await op.stop();
  }
  return {
    inputs: { apps: n, touchedPaths: touched.length, tools: "directory and kustomize alternating", annotation: `${ANNOTATION}: .` },
    phases, checks,
    notes: [
      "Renders: hawser_manifest_renders_total, sources a tool rendered (render cache misses). The cache key of an app with manifest-generate-paths holds the tree hashes of its paths, not the commit.",
      "The controller's render cache holds 20,000 entries (100,000 manifests); at its former 500, a 1,000-app monorepo re-rendered evicted apps at every commit.",
    ],
  };
}
