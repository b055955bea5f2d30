// Issue 15's sharding acceptance: three operator replicas (ARGOCD_CONTROLLER_REPLICAS=3, shards
// 0, 1, 2), 300 Applications over 6 destination clusters. The 6 clusters are cluster Secrets for
// the one shared test apiserver under 6 spellings of 127.0.0.1 (127.1, 2130706433, 0x7f000001, ...),
// which are distinct servers to Argo's model and the same apiserver to the network.
//   1. Each cluster is owned by exactly one replica (their argocd_cluster_info series are disjoint
//      and together cover all 6), and every app is compared by its owner.
//   2. A sync is requested on all 300 apps (two waves each, so an operation takes several steps).
//      While they run, the replica owning shard 1 is SIGKILLed.
//   3. Its shard is taken over by a survivor, and every app ends with exactly one Succeeded
//      operation: one history entry, one operation start (startedAt) and one transition into
//      Succeeded in a watch log of every status.operationState change, and at least one of the
//      killed replica's operations was resumed (same startedAt before and after the kill).
import { test } from "node:test";
import assert from "node:assert/strict";
import { stringify } from "yaml";
import type { KubeObject } from "../../operator/kube/client.js";
import { Informer } from "../../operator/runtime/informer.js";
import { createLogger } from "../../operator/runtime/logger.js";
import { eventually } from "../support/eventually.js";
import { startOperatorProcess, type OperatorProcess } from "../support/operator-process.js";
import { loadKubeConfig } from "../../operator/operator.js";
import { API, createWorld } from "../support/world.js";

const APPS = 300;
const REPLICAS = 3;

interface OpState { phase?: string; startedAt?: string; finishedAt?: string }
interface AppStatus {
  sync?: { status?: string };
  operationState?: OpState;
  history?: Array<{ id?: number }>;
}

/** The servers of argocd_cluster_info in a Prometheus scrape. */
function clusterInfoServers(scrape: string): string[] {
  return scrape.split("\n").filter((l) => l.startsWith("argocd_cluster_info{")).map((l) => /server="([^"]*)"/.exec(l)?.[1] ?? "").filter(Boolean);
}

test("three replicas share 6 clusters; a replica killed during 300 syncs loses no operation and none runs twice", { timeout: 280_000 }, async (t) => {
  const files: Record<string, string> = {};
  for (let i = 0; i < APPS; i++) {
    files[`apps/a${i}/first.yaml`] = stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: `s${i}-first` }, data: { i: String(i) } });
    files[`apps/a${i}/second.yaml`] = stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: `s${i}-second`, annotations: { "argocd.argoproj.io/sync-wave": "1" } }, data: { i: String(i) } });
  }
  const w = await createWorld(t, { name: "shard", repos: { apps: files }, startOperator: false });
  const { client, ns } = w;
  const dest = w.dest("sharded");
  await w.createNamespace(dest);

  // Six spellings of the shared apiserver's address: six clusters to the operator.
  const kc = loadKubeConfig(w.cluster.kubeconfigPath);
  const user = kc.getCurrentUser();
  const port = new URL(w.cluster.server).port;
  const hosts = ["127.0.0.1", "127.1", "127.0.1", "2130706433", "0x7f000001", "0177.0.0.1"];
  const servers = hosts.map((h) => `https://${h}:${port}`);
  for (const [i, server] of servers.entries()) {
    await client.create({
      apiVersion: "v1", kind: "Secret",
      metadata: { name: `cluster-c${i}`, namespace: ns, labels: { "argocd.argoproj.io/secret-type": "cluster" } },
      stringData: { name: `c${i}`, server, config: JSON.stringify({ tlsClientConfig: { insecure: true, certData: user?.certData, keyData: user?.keyData } }) },
    });
  }
  // round-robin spreads the 6 clusters evenly (the in-cluster destination is first, on shard 0).
  await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-cmd-params-cm", namespace: ns }, data: { "controller.sharding.algorithm": "round-robin", "controller.sync.wave.delay.seconds": "1" } });

  // The watch log: every change of every app's operationState, as seen from outside.
  const log = createLogger({ level: "error" });
  const transitions = new Map<string, Array<{ phase: string; startedAt: string; at: number }>>();
  const latest = new Map<string, KubeObject>();
  const watch = new Informer(client, { apiVersion: API, kind: "Application", namespace: ns, log });
  const record = (app: KubeObject): void => {
    const name = app.metadata.name ?? "";
    latest.set(name, app);
    const op = (app.status as AppStatus | undefined)?.operationState;
    if (!op?.phase || !op.startedAt) return;
    const list = transitions.get(name) ?? [];
    const last = list[list.length - 1];
    if (!last || last.phase !== op.phase || last.startedAt !== op.startedAt) list.push({ phase: op.phase, startedAt: op.startedAt, at: Date.now() });
    transitions.set(name, list);
  };
  watch.addHandler({ add: record, update: (_o, n) => record(n) });
  watch.start();
  t.after(() => watch.stop());

  const replicas: OperatorProcess[] = [];
  t.after(async () => { for (const p of replicas) await p.stop("SIGKILL"); });
  for (let shard = 0; shard < REPLICAS; shard++) {
    replicas.push(startOperatorProcess({
      kubeconfig: w.cluster.kubeconfigPath, namespace: ns,
      args: ["--app-resync", "0", "--shard", String(shard), "--lease-duration", "10", "--renew-deadline", "7", "--retry-period", "1", "--notifications=false"],
      env: { ARGOCD_CONTROLLER_REPLICAS: String(REPLICAS) },
    }));
  }
  const ready = (p: OperatorProcess, shard: number): Promise<Record<string, unknown>> =>
    p.waitForLog((l) => l.msg === "controller shard ready" && l.shard === shard, 120_000);
  const startLines = await Promise.all(replicas.map((p, shard) => ready(p, shard)));
  const owned = startLines.map((l) => (l.clusters as string[]).filter((s) => servers.includes(s)).sort());
  assert.deepEqual(owned.flat().sort(), [...servers].sort(), `each of the 6 clusters is on exactly one shard: ${JSON.stringify(owned)}`);
  assert.ok(owned.every((o) => o.length === 2), `round-robin gives each replica two clusters: ${JSON.stringify(owned)}`);

  // 300 apps, 50 per cluster, no automated sync: the test decides when they sync.
  const names = Array.from({ length: APPS }, (_, i) => `s${i}`);
  const serverOf = (i: number): string => servers[i % servers.length]!;
  for (let i = 0; i < APPS; i += 25) {
    await Promise.all(names.slice(i, i + 25).map((name, k) => client.create(w.application(name, { repo: "apps", path: `apps/a${i + k}`, dest, spec: { destination: { server: serverOf(i + k), namespace: dest } } }))));
  }
  // Every app compared by its owner (nobody else would): OutOfSync, nothing applied yet.
  await eventually(() => {
    const done = names.filter((n) => (latest.get(n)?.status as AppStatus | undefined)?.sync?.status === "OutOfSync");
    const waiting = names.filter((n) => !done.includes(n));
    const byServer = [...new Set(waiting.map((n) => serverOf(names.indexOf(n))))];
    assert.equal(done.length, APPS, `${done.length} of ${APPS} apps compared; waiting on servers ${byServer.join(", ")}; e.g. ${JSON.stringify(latest.get(waiting[0] ?? "")?.status ?? null).slice(0, 600)}`);
  }, { timeoutMs: 150_000, maxIntervalMs: 1000 });

  // The replicas' metrics say the same ownership: disjoint, covering every cluster.
  const scrapes = await Promise.all(replicas.map(async (p) => clusterInfoServers(await (await fetch(`${await p.probeUrl()}/metrics`)).text()).filter((s) => servers.includes(s)).sort()));
  assert.deepEqual(scrapes, owned, "argocd_cluster_info of each replica lists exactly its own clusters");

  // Sync everything; kill shard 1's replica while its apps' operations are under way.
  const victim = 1;
  const victimApps = names.filter((_, i) => owned[victim]!.includes(serverOf(i)));
  for (let i = 0; i < APPS; i += 50) {
    await Promise.all(names.slice(i, i + 50).map((name) => client.patch({ apiVersion: API, kind: "Application", name, namespace: ns }, { operation: { sync: { syncStrategy: { hook: {} } }, initiatedBy: { username: "sharding-e2e" } } })));
  }
  await eventually(() => {
    const started = victimApps.filter((n) => transitions.has(n)).length;
    assert.ok(started >= 10, `${started} of the victim's ${victimApps.length} operations started`);
  }, { timeoutMs: 60_000, intervalMs: 20, maxIntervalMs: 50 });
  const phaseAtKill = new Map(victimApps.map((n) => [n, (latest.get(n)?.status as AppStatus | undefined)?.operationState]));
  await replicas[victim]!.stop("SIGKILL");
  const runningAtKill = victimApps.filter((n) => phaseAtKill.get(n)?.phase === "Running");
  const notStartedAtKill = victimApps.filter((n) => !phaseAtKill.get(n));
  assert.ok(runningAtKill.length + notStartedAtKill.length > 0, "the kill came while the victim still had operations to run");

  // A survivor takes shard 1 over.
  const takeover = await Promise.race(replicas.filter((_, i) => i !== victim).map((p) => ready(p, victim)));
  assert.deepEqual((takeover.clusters as string[]).filter((s) => servers.includes(s)).sort(), owned[victim], "the survivor took the killed replica's clusters");

  // Every app ends with one Succeeded operation.
  await eventually(() => {
    const done = names.filter((n) => {
      const app = latest.get(n);
      const s = app?.status as AppStatus | undefined;
      return !app?.operation && s?.operationState?.phase === "Succeeded" && (s.history?.length ?? 0) >= 1;
    });
    assert.equal(done.length, APPS, `${done.length} of ${APPS} operations finished`);
  }, { timeoutMs: 150_000, maxIntervalMs: 1000 });

  for (const name of names) {
    const s = latest.get(name)?.status as AppStatus;
    assert.equal(s.history?.length, 1, `${name}: exactly one history entry (none lost, none twice): ${JSON.stringify(s.history)}`);
    const log = transitions.get(name) ?? [];
    const starts = new Set(log.map((x) => x.startedAt));
    assert.equal(starts.size, 1, `${name}: one operation started: ${JSON.stringify(log)}`);
    assert.equal(log.filter((x) => x.phase === "Succeeded").length, 1, `${name}: one transition into Succeeded: ${JSON.stringify(log)}`);
    assert.ok(!log.some((x) => x.phase !== "Running" && x.phase !== "Succeeded"), `${name}: no failed or errored step: ${JSON.stringify(log)}`);
  }
  // Operations the killed replica had under way were resumed by the survivor, not started again.
  const resumed = runningAtKill.filter((n) => transitions.get(n)?.[0]?.startedAt === phaseAtKill.get(n)?.startedAt);
  assert.equal(resumed.length, runningAtKill.length, `operations running at the kill kept their start: ${resumed.length} of ${runningAtKill.length}`);
  // Everything was applied.
  const cms = await client.list("v1", "ConfigMap", { namespace: dest });
  assert.equal(cms.items.filter((c) => /^s\d+-(first|second)$/.test(c.metadata.name ?? "")).length, APPS * 2, "both ConfigMaps of every app exist");
  t.diagnostic(`victim had ${victimApps.length} apps: ${runningAtKill.length} running and ${notStartedAtKill.length} not started at the kill`);
});
