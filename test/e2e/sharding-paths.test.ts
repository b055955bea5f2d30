// Sharding paths the 300-app acceptance test (sharding.test.ts) does not walk, with two replicas
// (ARGOCD_CONTROLLER_REPLICAS=2) and a handful of apps. Clusters are cluster Secrets for the shared
// test apiserver under different spellings of 127.0.0.1: c0 pinned to shard 0, c1 pinned to shard
// 1, c2 left to the algorithm (round-robin, from argocd-cmd-params-cm).
//   1. `hawser admin cluster shards` prints the assignment the replicas logged when they took their
//      shards (replica count inferred from the shard Leases, the algorithm read from the ConfigMap),
//      and the replica holding each shard's Lease.
//   2. A git webhook delivered to the replica that does NOT own the app's cluster still gets the
//      app refreshed, by its owner: the new commit shows up in the app's status, and the owner
//      never received the webhook.
//   3. The owner of shard 1 is SIGKILLed while three multi-wave syncs run on it; the survivor takes
//      shard 1 over; a new replica with home shard 1 starts, asks for it back and gets it. Every
//      operation ends Succeeded once: one start, one transition into Succeeded, one history entry.
//   4. c1's Secret is re-pinned to shard 0: the replica on shard 1 stops reporting it, the replica
//      on shard 0 picks it up, and a sync of an app on c1 then runs there and succeeds.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import type { KubeObject } from "../../operator/kube/client.js";
import { Informer } from "../../operator/runtime/informer.js";
import { createLogger } from "../../operator/runtime/logger.js";
import { loadKubeConfig } from "../../operator/operator.js";
import { eventually } from "../support/eventually.js";
import { startOperatorProcess, type OperatorProcess } from "../support/operator-process.js";
import { API, createWorld } from "../support/world.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const WAVES = 14;
const SLOW = ["slow-0", "slow-1", "slow-2"];

interface OpState { phase?: string; startedAt?: string }
interface AppStatus { sync?: { status?: string; revision?: string }; operationState?: OpState; history?: Array<{ id?: number; revision?: string }> }
interface ShardRow { shard: number; server: string; name: string; apps: number; holder: string }

const cm = (name: string, data: Record<string, string>, wave?: number): string =>
  stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, ...(wave !== undefined ? { annotations: { "argocd.argoproj.io/sync-wave": String(wave) } } : {}) }, data });

/** The servers of argocd_cluster_info in a replica's scrape. */
async function reportedClusters(p: OperatorProcess): Promise<string[]> {
  const text = await (await fetch(`${await p.probeUrl()}/metrics`)).text();
  return text.split("\n").filter((l) => l.startsWith("argocd_cluster_info{")).map((l) => /server="([^"]*)"/.exec(l)?.[1] ?? "").filter(Boolean).sort();
}

test("two replicas: admin cluster shards, a webhook to the non-owner, a replica back after a kill, a cluster moving shard", { timeout: 240_000 }, async (t) => {
  const files: Record<string, string> = { "hooked/cm.yaml": cm("hooked", { v: "1" }) };
  for (const [i] of SLOW.entries()) {
    for (let k = 0; k < WAVES; k++) files[`slow/a${i}/w${k}.yaml`] = cm(`slow${i}-w${k}`, { k: String(k) }, k);
  }
  const w = await createWorld(t, { name: "shp", repos: { apps: files }, startOperator: false });
  const { client, ns, git } = w;
  const dest = w.dest("shp");
  await w.createNamespace(dest);

  const kc = loadKubeConfig(w.cluster.kubeconfigPath);
  const user = kc.getCurrentUser();
  const port = new URL(w.cluster.server).port;
  const [c0, c1, c2] = ["127.0.0.1", "127.1", "127.0.1"].map((h) => `https://${h}:${port}`) as [string, string, string];
  const clusterSecret = (i: number, server: string, shard?: string): KubeObject => ({
    apiVersion: "v1", kind: "Secret",
    metadata: { name: `cluster-c${i}`, namespace: ns, labels: { "argocd.argoproj.io/secret-type": "cluster" } },
    stringData: { name: `c${i}`, server, ...(shard !== undefined ? { shard } : {}), config: JSON.stringify({ tlsClientConfig: { insecure: true, certData: user?.certData, keyData: user?.keyData } }) },
  });
  await client.create(clusterSecret(0, c0, "0"));
  await client.create(clusterSecret(1, c1, "1"));
  await client.create(clusterSecret(2, c2));
  await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-cmd-params-cm", namespace: ns }, data: { "controller.sharding.algorithm": "round-robin", "controller.sync.wave.delay.seconds": "1" } });

  // Every change of every app's operationState, as seen from outside.
  const transitions = new Map<string, Array<{ phase: string; startedAt: string }>>();
  const latest = new Map<string, KubeObject>();
  const watch = new Informer(client, { apiVersion: API, kind: "Application", namespace: ns, log: createLogger({ level: "error" }) });
  const record = (app: KubeObject): void => {
    const name = app.metadata.name ?? "";
    latest.set(name, app);
    const op = (app.status as AppStatus | undefined)?.operationState;
    if (!op?.phase || !op.startedAt) return;
    const list = transitions.get(name) ?? [];
    const last = list[list.length - 1];
    if (!last || last.phase !== op.phase || last.startedAt !== op.startedAt) list.push({ phase: op.phase, startedAt: op.startedAt });
    transitions.set(name, list);
  };
  watch.addHandler({ add: record, update: (_o, n) => record(n) });
  watch.start();
  t.after(() => watch.stop());
  const status = (name: string): AppStatus | undefined => latest.get(name)?.status as AppStatus | undefined;

  const replicas: OperatorProcess[] = [];
  t.after(async () => { for (const p of replicas) await p.stop("SIGKILL"); });
  const startReplica = (shard: number): OperatorProcess => {
    const p = startOperatorProcess({
      kubeconfig: w.cluster.kubeconfigPath, namespace: ns,
      args: ["--app-resync", "0", "--shard", String(shard), "--lease-duration", "6", "--renew-deadline", "4", "--retry-period", "1", "--notifications=false"],
      env: { ARGOCD_CONTROLLER_REPLICAS: "2" },
    });
    replicas.push(p);
    return p;
  };
  const ready = (p: OperatorProcess, shard: number): Promise<Record<string, unknown>> =>
    p.waitForLog((l) => l.msg === "controller shard ready" && l.shard === shard, 120_000);
  const identityOf = async (p: OperatorProcess): Promise<string> => String((await p.waitForLog((l) => l.msg === "sharded application controller started")).identity);

  const r0 = startReplica(0);
  const r1 = startReplica(1);
  const [ready0, ready1] = await Promise.all([ready(r0, 0), ready(r1, 1)]);
  const logged = new Map<string, number>();
  for (const [shard, line] of [[0, ready0], [1, ready1]] as const) for (const s of line.clusters as string[]) logged.set(s, shard);
  assert.equal(logged.get(c0), 0, "c0 is pinned to shard 0");
  assert.equal(logged.get(c1), 1, "c1 is pinned to shard 1");
  assert.ok(logged.has(c2), `c2 is on one of the shards: ${JSON.stringify([...logged])}`);

  // 1. The CLI's assignment is the replicas' own, and it names each shard's holder.
  const shardsCli = (): Promise<{ code: number; stdout: string; stderr: string }> => new Promise((resolve) => {
    const env = { ...process.env };
    delete env.ARGOCD_CONTROLLER_REPLICAS;
    delete env.ARGOCD_CONTROLLER_SHARDING_ALGORITHM;
    execFile(process.execPath, ["--import", "tsx", "operator/cli.ts", "admin", "cluster", "shards", "--kubeconfig", w.cluster.kubeconfigPath, "-n", ns, "-o", "json"],
      { cwd: root, encoding: "utf8", env }, (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr }));
  });
  const cliRun = await shardsCli();
  assert.equal(cliRun.code, 0, `admin cluster shards: ${cliRun.stderr}`);
  const printed = JSON.parse(cliRun.stdout) as { replicas: number; algorithm: string; clusters: ShardRow[] };
  assert.equal(printed.replicas, 2, "the replica count comes from the two shard Leases");
  assert.equal(printed.algorithm, "round-robin", "the algorithm comes from argocd-cmd-params-cm");
  assert.deepEqual(new Map(printed.clusters.map((r) => [r.server, r.shard])), logged, "every cluster on the shard its replica took it with");
  const [id0, id1] = await Promise.all([identityOf(r0), identityOf(r1)]);
  assert.deepEqual([...new Set(printed.clusters.map((r) => `${r.shard}=${r.holder}`))].sort(), [`0=${id0}`, `1=${id1}`], "each shard's holder is its replica");

  // Apps: one to refresh by webhook (and later move), three slow ones to sync through a kill; all on c1.
  await client.create(w.application("hooked", { repo: "apps", path: "hooked", dest, spec: { destination: { server: c1, namespace: dest } } }));
  for (const [i, name] of SLOW.entries()) await client.create(w.application(name, { repo: "apps", path: `slow/a${i}`, dest, spec: { destination: { server: c1, namespace: dest } } }));
  await eventually(() => {
    for (const name of ["hooked", ...SLOW]) assert.equal(status(name)?.sync?.status, "OutOfSync", `${name} compared by its owner: ${JSON.stringify(status(name) ?? null).slice(0, 400)}`);
  }, { timeoutMs: 60_000, maxIntervalMs: 500 });
  assert.equal(status("hooked")?.sync?.revision, w.initialCommits.apps, "compared at the first commit");

  // 2. A push delivered to r0, which does not own c1: r1 refreshes the app (resync is off).
  const pushed = await git.commitFiles("apps", { "hooked/cm.yaml": cm("hooked", { v: "2" }) }, "v2");
  const hook = String((await r0.waitForLog((l) => l.msg === "serving git webhooks")).address);
  const res = await fetch(`http://${hook}/api/webhook`, {
    method: "POST", headers: { "Content-Type": "application/json", "X-GitHub-Event": "push" },
    body: JSON.stringify({ ref: "refs/heads/main", after: pushed, repository: { clone_url: git.baseUrl("apps"), html_url: git.baseUrl("apps"), default_branch: "main" }, commits: [] }),
  });
  assert.equal(res.status, 200, await res.text());
  await r0.waitForLog((l) => l.msg === "webhook push: refreshing applications" && l.applications === 4);
  await eventually(() => assert.equal(status("hooked")?.sync?.revision, pushed, "the owner refreshed the app at the pushed commit"), { timeoutMs: 30_000 });
  assert.ok(!r1.logs.some((l) => l.msg === "webhook push received"), "the owner never received the webhook itself");
  // Cleared by a write after the status one (refresh.ts: the answer is in the status first, as in
  // Argo), so the watch may show the new revision a moment before the annotation goes.
  await eventually(() => assert.equal(latest.get("hooked")?.metadata.annotations?.["argocd.argoproj.io/refresh"], undefined, "the refresh annotation r0 set was served and cleared"), { timeoutMs: 30_000 });

  // 3. Sync the slow apps; kill r1 once they are under way.
  for (const name of SLOW) await client.patch({ apiVersion: API, kind: "Application", name, namespace: ns }, { operation: { sync: { syncStrategy: { hook: {} } }, initiatedBy: { username: "sharding-paths" } } });
  await eventually(() => assert.ok(SLOW.every((n) => transitions.has(n)), "every slow operation started"), { timeoutMs: 30_000, intervalMs: 20, maxIntervalMs: 100 });
  const atKill = new Map(SLOW.map((n) => [n, status(n)?.operationState]));
  await r1.stop("SIGKILL");
  assert.ok(SLOW.some((n) => atKill.get(n)?.phase === "Running"), `operations were running at the kill: ${JSON.stringify([...atKill])}`);
  const takeover = await ready(r0, 1);
  assert.ok((takeover.clusters as string[]).includes(c1), "the survivor took c1 with shard 1");
  const running = SLOW.filter((n) => status(n)?.operationState?.phase === "Running");

  // A replica with home shard 1 comes back: r0 hands shard 1 over to it.
  const r1b = startReplica(1);
  const back = await ready(r1b, 1);
  assert.ok((back.clusters as string[]).includes(c1), "the returning replica serves c1 again");
  await r0.waitForLog((l) => l.msg === "handed a controller shard over" && l.shard === 1);
  const atHandBack = SLOW.filter((n) => status(n)?.operationState?.phase === "Running");
  await eventually(() => {
    for (const name of SLOW) assert.equal(status(name)?.operationState?.phase, "Succeeded", `${name}: ${JSON.stringify(transitions.get(name))}`);
  }, { timeoutMs: 90_000, maxIntervalMs: 500 });
  for (const name of SLOW) {
    const log = transitions.get(name) ?? [];
    assert.equal(new Set(log.map((x) => x.startedAt)).size, 1, `${name}: one operation start: ${JSON.stringify(log)}`);
    assert.equal(log.filter((x) => x.phase === "Succeeded").length, 1, `${name}: one transition into Succeeded: ${JSON.stringify(log)}`);
    assert.ok(log.every((x) => x.phase === "Running" || x.phase === "Succeeded"), `${name}: nothing failed: ${JSON.stringify(log)}`);
    assert.equal(status(name)?.history?.length, 1, `${name}: one history entry: ${JSON.stringify(status(name)?.history)}`);
    assert.equal(log[0]?.startedAt, atKill.get(name)?.startedAt, `${name}: the operation running at the kill was resumed, not restarted`);
  }
  const applied = (await client.list("v1", "ConfigMap", { namespace: dest })).items.filter((c) => /^slow\d-w\d+$/.test(c.metadata.name ?? ""));
  assert.equal(applied.length, SLOW.length * WAVES, "every wave of every slow app was applied");
  t.diagnostic(`running at the takeover: ${running.join(",") || "none"}; at the hand-back: ${atHandBack.join(",") || "none"}`);

  // 4. Re-pin c1 to shard 0: r1b lets it go, r0 takes it up after the move grace (a lease duration).
  await client.patch({ apiVersion: "v1", kind: "Secret", name: "cluster-c1", namespace: ns }, { stringData: { shard: "0" } });
  await r1b.waitForLog((l) => l.msg === "cluster moved to another controller shard" && l.server === c1 && l.to === 0);
  await eventually(async () => {
    assert.ok(!(await reportedClusters(r1b)).includes(c1), "the old owner no longer reports c1");
    assert.ok((await reportedClusters(r0)).includes(c1), "the new owner reports c1");
  }, { timeoutMs: 30_000, maxIntervalMs: 500 });
  const moved = await shardsCli();
  assert.equal((JSON.parse(moved.stdout) as { clusters: ShardRow[] }).clusters.find((r) => r.server === c1)?.shard, 0, `the CLI sees the move: ${moved.stdout}`);

  // c1's apps keep reconciling: a sync of "hooked" runs on r0 and applies the pushed commit.
  await client.patch({ apiVersion: API, kind: "Application", name: "hooked", namespace: ns }, { operation: { sync: { syncStrategy: { hook: {} } }, initiatedBy: { username: "sharding-paths" } } });
  await eventually(async () => {
    assert.equal(status("hooked")?.operationState?.phase, "Succeeded", JSON.stringify(status("hooked")?.operationState));
    const applied = await client.get("v1", "ConfigMap", "hooked", dest);
    assert.equal((applied?.data as Record<string, string> | undefined)?.v, "2", "the pushed content is applied");
  }, { timeoutMs: 60_000, maxIntervalMs: 500 });
  assert.equal(status("hooked")?.history?.[0]?.revision, pushed, "synced at the pushed commit");
  const syncedOn = async (p: OperatorProcess): Promise<boolean> => (await (await fetch(`${await p.probeUrl()}/metrics`)).text())
    .split("\n").some((l) => l.startsWith("argocd_app_sync_total{") && l.includes('name="hooked"') && l.includes('phase="Succeeded"'));
  assert.ok(await syncedOn(r0), "r0, the new owner, ran the sync");
  assert.ok(!(await syncedOn(r1b)), "r1b, the old owner, did not");
});
