// Crash safety of sync operations (issue 5): the operator is killed with SIGKILL twenty times at
// random points of three-wave syncs. Each operation must finish exactly once (one history entry
// per operation, in order), no wave whose completion was recorded is applied again by a later
// process, and the cluster ends exactly at the target of each revision (nothing half pruned).
// Also: an unreachable git server or a commit that renders nothing never prunes anything, and
// the Application says why.
import { test } from "node:test";
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { eventually } from "../support/eventually.js";
import { API, createWorld } from "../support/world.js";

const ROUNDS = Number(process.env.HAWSER_CRASH_ROUNDS ?? 20);

interface OpState {
  phase?: string;
  message?: string;
  syncResult?: { revision?: string };
}
interface AppStatus {
  operationState?: OpState;
  history?: Array<{ id: number; revision?: string }>;
  sync?: { status?: string; revision?: string };
  conditions?: Array<{ type: string; message: string }>;
}

/** Round i's manifests: three waves of ConfigMaps carrying the round, and one `extra-i` to prune next round. */
function manifests(round: number): Record<string, string> {
  const cm = (name: string, wave: number): string => stringify({
    apiVersion: "v1", kind: "ConfigMap",
    metadata: { name, annotations: { "argocd.argoproj.io/sync-wave": String(wave) } },
    data: { round: String(round) },
  });
  return {
    "app/wave0.yaml": cm("first", 0),
    "app/wave1.yaml": cm("second", 1),
    "app/wave2.yaml": cm("third", 2),
    "app/extra.yaml": cm(`extra-${round}`, 1),
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test(`SIGKILL during three-wave syncs, ${ROUNDS} times: each operation finishes once, no completed wave re-applied, nothing half pruned`, async (t) => {
  // The operator is started (and killed) by each round below.
  const w = await createWorld(t, { name: "crash", repos: { crash: manifests(0) }, operatorArgs: ["--leader-elect=false"], startOperator: false });
  const { client, git, ns } = w;
  const dest = w.dest("crash");
  await w.createNamespace(dest);
  await client.create(w.application("crash", { repo: "crash", path: "app", dest, spec: { revisionHistoryLimit: ROUNDS + 5 } }));
  const status = async (): Promise<AppStatus> => (await w.status<AppStatus>("crash")) ?? {};
  const processes = w.operators;

  const shas: string[] = [];
  let killedMidway = 0;
  for (let round = 1; round <= ROUNDS + 1; round++) {
    const op = await w.startOperator();
    if (round > 1) {
      // This process resumes (or finds finished) the previous round's operation.
      const sha = shas[round - 2]!;
      await eventually(async () => {
        const s = await status();
        assert.equal(s.operationState?.syncResult?.revision, sha, `round ${round - 1}: the operation is for its commit`);
        assert.equal(s.operationState?.phase, "Succeeded", `round ${round - 1}: succeeded (${JSON.stringify(s.operationState?.message)})`);
      }, { timeoutMs: 120_000, intervalMs: 500 });
      // The cluster is exactly at that round's target.
      const list = await client.list("v1", "ConfigMap", { namespace: dest });
      const names = list.items.map((c) => c.metadata.name).filter((n) => n !== "kube-root-ca.crt").sort();
      assert.deepEqual(names, ["extra-" + String(round - 1), "first", "second", "third"], `round ${round - 1}: exactly the target objects`);
      for (const c of list.items.filter((x) => x.metadata.name !== "kube-root-ca.crt")) {
        assert.equal((c.data as Record<string, string>).round, String(round - 1), `round ${round - 1}: ${c.metadata.name} has this round's data`);
      }
    }
    if (round > ROUNDS) {
      await op.stop("SIGKILL");
      break;
    }
    shas.push(await git.commitFiles("crash", manifests(round), `round ${round}`));
    await client.patch({ apiVersion: API, kind: "Application", name: "crash", namespace: ns }, { operation: { sync: { revision: shas[round - 1], prune: true }, initiatedBy: { username: `round-${round}` } } });
    // Kill at a random point: a quarter of the time right away (the operation is set but may not
    // have started), otherwise at a random moment once it is running (waves take >= 2 s each).
    if (Math.random() >= 0.25) {
      await eventually(async () => {
        const s = await status();
        assert.equal(s.operationState?.syncResult?.revision, shas[round - 1], "the operation has started");
      }, { timeoutMs: 60_000, intervalMs: 100 });
      await sleep(Math.floor(Math.random() * 4500));
    }
    await op.stop("SIGKILL");
    const s = await status();
    const mine = s.operationState?.syncResult?.revision === shas[round - 1];
    if (mine && s.operationState?.phase === "Running") killedMidway++;
    t.diagnostic(`round ${round}: killed ${mine ? `with the operation ${s.operationState?.phase} (${s.operationState?.message ?? ""})` : "before the operation started"}`);
  }
  t.diagnostic(`killed during a running operation ${killedMidway} of ${ROUNDS} times`);

  // Exactly once: one history entry per operation, in order.
  const history = (await status()).history ?? [];
  assert.deepEqual(history.map((h) => h.revision), shas, "one history entry per operation, in order");
  assert.equal(new Set(history.map((h) => h.id)).size, history.length, "history ids are unique");

  // No completed (phase, wave) step applied again: per operation, once a later step (or the end)
  // has been logged, an earlier step never shows up again in any later process's log.
  for (const sha of shas) {
    const lines = processes.flatMap((p) => p.logs).filter((l) => l.msg === "sync step" && l.revision === sha);
    const order = (step: string): number => {
      const [phase, wave] = step.split("/");
      return ["PreSync", "Sync", "PostSync", "SyncFail"].indexOf(phase ?? "") * 1000 + Number(wave);
    };
    let progressed = -Infinity;
    for (const l of lines) {
      const steps = (l.steps as string[] | undefined) ?? [];
      for (const step of steps) {
        assert.ok(order(step) >= progressed, `revision ${sha.slice(0, 7)}: step ${step} applied again after a later step had run (${JSON.stringify(lines)})`);
      }
      if (steps.length > 0) progressed = Math.max(progressed, ...steps.map(order));
    }
  }
});

test("an unreachable git server or an empty render never prunes; the Application says why", async (t) => {
  const w = await createWorld(t, { name: "noprune", repos: { keep: manifests(1) } });
  const { client, git } = w;
  const dest = w.dest("noprune");
  await client.create(w.application("keep", {
    repo: "keep", path: "app", dest,
    syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ["CreateNamespace=true"] },
  }));
  const status = async (): Promise<AppStatus> => (await w.status<AppStatus>("keep")) ?? {};
  await eventually(async () => {
    const s = await status();
    assert.equal(s.sync?.status, "Synced", `synced first (${JSON.stringify(s)})`);
  }, { timeoutMs: 120_000 });
  const count = async (): Promise<number> => (await client.list("v1", "ConfigMap", { namespace: dest })).items.filter((c) => c.metadata.name !== "kube-root-ca.crt").length;
  assert.equal(await count(), 4, "four ConfigMaps deployed");
  const refresh = (): Promise<void> => w.refresh("keep", "hard");

  // A commit that renders nothing: automated sync refuses (allowEmpty is false), nothing pruned.
  await git.commitFiles("keep", { "app/README.md": "emptied" }, "remove every manifest", { delete: ["app/wave0.yaml", "app/wave1.yaml", "app/wave2.yaml", "app/extra.yaml"] });
  await refresh();
  await eventually(async () => {
    const s = await status();
    assert.equal(s.sync?.status, "OutOfSync", "the empty render is OutOfSync");
    const c = s.conditions?.find((x) => x.type === "SyncError");
    assert.ok(c?.message.includes("wipe out all resources"), `a condition says the sync would delete everything: ${JSON.stringify(s.conditions)}`);
  }, { timeoutMs: 60_000 });
  assert.equal(await count(), 4, "nothing pruned after an empty render");

  // The git server goes away: ComparisonError, nothing pruned. (The world's second stop() is harmless.)
  await git.stop();
  await refresh();
  await eventually(async () => {
    const s = await status();
    const c = s.conditions?.find((x) => x.type === "ComparisonError");
    assert.ok(c, `a ComparisonError says git failed: ${JSON.stringify(s.conditions)}`);
    assert.equal(s.sync?.status, "Unknown", "sync status Unknown while git is unreachable");
  }, { timeoutMs: 60_000 });
  await sleep(3000);
  assert.equal(await count(), 4, "nothing pruned while git is unreachable");
});
