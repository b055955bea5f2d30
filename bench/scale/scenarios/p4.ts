// P4 (shared/spec/benchmarks.md): change detection. N Applications of one ConfigMap each (each
// annotated with manifest-generate-paths, so a push refreshes only the app it touches).
//   webhook: 20 commits, each changing one app and announced by a push webhook listing the file;
//            latency = push sent → that app seen Synced at the commit (p50/p99; target 1 s / 2 s).
//   polling: the operator restarted with --app-resync P --app-resync-jitter 0 and no webhook;
//            5 commits, latency = commit pushed → Synced (target: max ≤ P + 2 s).
import { AppWatch, application, appName, appPath, configMapYaml, forEachBounded, repoFiles, syncedHealthy } from "../apps.js";
import type { PhaseResult, SampledProcess, Scenario, ScenarioContext, ScenarioResult } from "../scenario.js";
import { percentile } from "../stats.js";
import { pushWebhook } from "../webhook.js";

const PUSHES = 20;
const POLLS = 5;
/** The polling interval P, seconds. */
const POLL_SECONDS = 10;

export const scenario: Scenario = {
  id: "p4",
  title: "change detection: webhook push → Synced, and polling at the configured interval",
  defaultN: 100,
  run,
};

async function run(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { n, client } = ctx;
  const dest = `${ctx.controlNamespace}-dest`;
  await ctx.createNamespace(dest);
  const repoUrl = await ctx.git.createRepo("apps");
  let sha = await ctx.git.commit(repoUrl, repoFiles(n, dest, "r0"), `${n} apps`);
  let op: SampledProcess = await ctx.startOperator();
  const watch = new AppWatch(ctx);
  await watch.start();
  const phases: PhaseResult[] = [];
  const checks: ScenarioResult["checks"] = [];
  try {
    const synced = watch.reached(syncedHealthy(sha));
    await forEachBounded(n, 32, async (i) => {
      const app = application(ctx, i, repoUrl, dest);
      app.metadata.annotations = { "argocd.argoproj.io/manifest-generate-paths": "." };
      await client.create(app);
    });
    await ctx.until(`${n} apps Synced`, () => Promise.resolve(synced.size >= n), { timeoutMs: 60_000 + n * 100, everyMs: 200 });

    // One change: app i's ConfigMap gets new content; resolves with the ms until it is Synced at it.
    const change = async (k: number, announce: boolean, timeoutMs: number): Promise<number> => {
      const i = (k * 7) % n;
      const file = `${appPath(i)}/cm.yaml`;
      sha = await ctx.git.commit(repoUrl, { [file]: configMapYaml(i, dest, `${announce ? "w" : "p"}${k}`) }, `change ${appName(i)}`);
      const at = watch.reached(syncedHealthy(sha));
      const t0 = performance.now();
      if (announce) await pushWebhook(op, { repoUrl, after: sha, changedFiles: [file] });
      await ctx.until(`${appName(i)} Synced at ${sha.slice(0, 7)}`, () => Promise.resolve(at.has(appName(i))), { timeoutMs, everyMs: 10 });
      return at.get(appName(i))! - t0;
    };

    const pushes: number[] = [];
    for (let k = 0; k < PUSHES; k++) pushes.push(await change(k, true, 30_000));
    const p50 = percentile(pushes, 50);
    const p99 = percentile(pushes, 99);
    phases.push({ phase: `webhook push → Synced (${PUSHES} pushes)`, runs: [{ p50Ms: p50, p99Ms: p99, maxMs: Math.max(...pushes) }], target: { text: "p50 ≤ 1 s, p99 ≤ 2 s", met: p50 <= 1000 && p99 <= 2000 } });
    checks.push({ name: `all ${PUSHES} pushes reached Synced`, ok: pushes.length === PUSHES });

    // Polling: a fresh operator with periodic refresh every P seconds and no jitter.
    await op.stop();
    op = await ctx.startOperator({ args: ["--app-resync", String(POLL_SECONDS), "--app-resync-jitter", "0"] });
    const polls: number[] = [];
    for (let k = 0; k < POLLS; k++) polls.push(await change(PUSHES + k, false, (POLL_SECONDS + 30) * 1000));
    const max = Math.max(...polls);
    phases.push({ phase: `polling every ${POLL_SECONDS} s: commit → Synced (${POLLS} commits)`, runs: [{ p50Ms: percentile(polls, 50), maxMs: max }], target: { text: `max ≤ ${POLL_SECONDS + 2} s`, met: max <= (POLL_SECONDS + 2) * 1000 } });
    checks.push({ name: `all ${POLLS} polled commits reached Synced`, ok: polls.length === POLLS });
  } finally {
    await watch.stop();
    await op.stop();
  }
  return {
    inputs: { apps: n, pushes: PUSHES, polledCommits: POLLS, pollSeconds: POLL_SECONDS, trigger: "GitHub push webhook listing the changed file" },
    phases, checks,
    notes: ["Latency is measured from the push request (webhook) or the commit (polling) to the moment an Application watch first saw the app Synced and Healthy at the new commit."],
  };
}
