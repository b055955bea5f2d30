// The CI variant of the scale benchmarks (issue 16): the P2, P3 and P10 scenario code of
// bench/scale at 1,000 Applications on the shared test cluster, asserting only their functional
// checks (every app Synced after creation and after one commit, zero operator writes on a no-op
// refresh, every drift healed), never a timing. The context is the harness's own (createHarness),
// so CI runs the scenarios exactly as `npm run bench` does, without W_max (not measured here).
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { createHarness } from "../../bench/scale/context.js";
import type { ScenarioContext, ScenarioResult } from "../../bench/scale/scenario.js";
import { scenario as p2 } from "../../bench/scale/scenarios/p2.js";
import { scenario as p3 } from "../../bench/scale/scenarios/p3.js";
import { runP10 } from "../../bench/scale/scenarios/p10.js";
import { KubeClient } from "../../operator/kube/client.js";
import { loadKubeConfig } from "../../operator/operator.js";
import { sharedCluster } from "../support/cluster.js";

const N = Number(process.env.HAWSER_SCALE_CI_N ?? 1000);

async function runScenario(t: TestContext, tag: string, run: (ctx: ScenarioContext) => Promise<ScenarioResult>): Promise<ScenarioResult> {
  const cluster = await sharedCluster();
  const client = new KubeClient(loadKubeConfig(cluster.kubeconfigPath), { maxSockets: 64 });
  const verbose = Boolean(process.env.HAWSER_TEST_VERBOSE);
  const harness = await createHarness({
    client, kubeconfig: cluster.kubeconfigPath, n: N, wMax: 0, tag,
    progress: (line) => { if (verbose) process.stderr.write(`[${tag}] ${line}\n`); },
  });
  t.after(async () => {
    await harness.close();
    client.close();
  });
  return run(harness.ctx);
}

function assertChecks(result: ScenarioResult): void {
  assert.ok(result.checks.length > 0, "the scenario reports checks");
  for (const c of result.checks) assert.ok(c.ok, `${c.name}${c.detail ? `: ${c.detail}` : ""}`);
}

test(`P2 at ${N} apps: all Synced/Healthy after concurrent creation, all Synced at the new revision after one commit, the operator exits on SIGTERM`, async (t) => {
  assertChecks(await runScenario(t, "p2", (ctx) => p2.run(ctx)));
});

test(`P3 at ${N} apps: a no-op refresh of every app makes zero operator writes`, async (t) => {
  assertChecks(await runScenario(t, "p3", (ctx) => p3.run(ctx)));
});

test(`P10 beside ${N} apps: 10 drifts of managed ConfigMaps and Deployments are healed`, async (t) => {
  assertChecks(await runScenario(t, "p10", (ctx) => runP10(ctx, { drifts: 10 })));
});
