// The clusters list's `info` comes from the application controller, which owns the cluster caches
// (engine/cluster-info.ts, controllers/application/cluster-info.ts), not from a probe the API
// server keeps for an hour. Against real control planes: the operator runs on the shared cluster
// with a second, private control plane registered as a cluster Secret; an Application deploys to
// it. The list shows that cluster Successful with its version and cache figures; an idle
// controller writes nothing more (counted by a watch on the records and by the publisher's own
// counters); stopping the remote apiserver shows Failed within the controller's cycle, and
// starting it again Successful; killing the controller shows the info as stale (Unknown), and
// with no record at all the server probes the cluster itself and says so.
import { test } from "node:test";
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { clusterInfoName, LABEL_CLUSTER_INFO, NOT_MONITORED_MESSAGE } from "../../operator/engine/cluster-info.js";
import type { KubeObject } from "../../operator/kube/client.js";
import { loadKubeConfig } from "../../operator/operator.js";
import { Informer } from "../../operator/runtime/informer.js";
import { createLogger } from "../../operator/runtime/logger.js";
import { SERVER_PROBE_MESSAGE } from "../../operator/server/services/clusters.js";
import { initialAdminPassword, jsonCaller, sessionToken, showResponse } from "../support/api-session.js";
import { eventually } from "../support/eventually.js";
import { startServerProcess } from "../support/operator-process.js";
import { IN_CLUSTER, createWorld } from "../support/world.js";

interface ClusterView {
  server: string;
  name: string;
  info?: {
    connectionState?: { status: string; message: string; attemptedAt: string };
    serverVersion?: string;
    cacheInfo?: { resourcesCount: number; apisCount: number; lastCacheSyncTime?: string };
    applicationsCount?: number;
  };
}
type ConfigMapObj = KubeObject & { data?: Record<string, string> };

test("clusters list: the controller's view of each cluster, Failed within its cycle when the cluster goes down, stale when the controller is gone, no writes while idle", async (t) => {
  const w = await createWorld(t, {
    name: "cinfo",
    remoteCluster: { name: "far" },
    repos: { app: { "cm.yaml": stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "hello" }, data: { a: "1" } }) } },
    // Short Leases, so that a killed controller is seen gone within seconds; a 2 s publisher cycle
    // (Argo's is 10 s), so that eight idle cycles take 16 s rather than 80 s.
    operatorArgs: ["--lease-duration", "4", "--renew-deadline", "3", "--retry-period", "1", "--cluster-info-period", "2"],
  });
  const { client, ns } = w;
  const remote = w.remote!;
  const remoteServer = loadKubeConfig(remote.cluster.kubeconfigPath).getCurrentCluster()!.server.replace(/\/+$/, "");
  const dest = w.dest("far");
  await client.create({
    apiVersion: "argoproj.io/v1alpha1", kind: "Application", metadata: { name: "far-app", namespace: ns },
    spec: {
      project: "default", source: { repoURL: w.git.baseUrl("app"), path: ".", targetRevision: "HEAD" },
      destination: { name: "far", namespace: dest }, syncPolicy: { automated: {}, syncOptions: ["CreateNamespace=true"] },
    },
  });
  await eventually(async () => {
    const s = await w.status<{ sync?: { status?: string } }>("far-app");
    assert.equal(s?.sync?.status, "Synced", JSON.stringify(s));
  }, { timeoutMs: 120_000 });

  const server = startServerProcess({ kubeconfig: w.cluster.kubeconfigPath, namespace: ns });
  t.after(() => server.stop("SIGKILL"));
  const call = jsonCaller(await server.url());
  const token = await sessionToken(call, "admin", await initialAdminPassword(client, ns));
  const list = async (): Promise<Map<string, ClusterView>> => {
    const r = await call("GET", "/api/v1/clusters", undefined, token);
    assert.equal(r.status, 200, showResponse(r));
    return new Map((r.body as { items: ClusterView[] }).items.map((c) => [c.server, c]));
  };

  // ---- reachable: Successful, the controller's version and cache figures, the server's app count ----
  const first = await eventually(async () => {
    const c = (await list()).get(remoteServer);
    assert.equal(c?.info?.connectionState?.status, "Successful", JSON.stringify(c));
    assert.equal(c.info.connectionState.message, "", "published by the controller: no probe message");
    assert.match(c.info.serverVersion ?? "", /^\d+\.\d+\.\d+$/);
    assert.ok((c.info.cacheInfo?.resourcesCount ?? 0) > 0 && (c.info.cacheInfo?.apisCount ?? 0) > 0, `cache figures: ${JSON.stringify(c.info)}`);
    assert.ok(!Number.isNaN(Date.parse(c.info.cacheInfo!.lastCacheSyncTime ?? "")), "lastCacheSyncTime is a time");
    assert.equal(c.info.applicationsCount, 1);
    return c;
  }, { timeoutMs: 60_000 });
  const local = (await list()).get(IN_CLUSTER);
  assert.equal(local?.info?.connectionState?.status, "Unknown", "a cluster no app uses is not monitored, as Argo says");
  assert.equal(local.info.connectionState.message, NOT_MONITORED_MESSAGE);

  // The record holds no credential of the cluster Secret.
  const record = await client.get<ConfigMapObj>("v1", "ConfigMap", clusterInfoName(remoteServer), ns);
  assert.ok(record?.data, "the controller published a ConfigMap for the cluster");
  const secret = await client.get<ConfigMapObj>("v1", "Secret", `cluster-${remote.name}`, ns);
  const keyData = (JSON.parse(Buffer.from(secret!.data!.config!, "base64").toString("utf8")) as { tlsClientConfig: { keyData: string; certData: string } }).tlsClientConfig;
  const published = JSON.stringify(record.data);
  assert.ok(!published.includes(keyData.keyData) && !published.includes(keyData.certData), "no client key or certificate in the record");
  assert.doesNotMatch(published, /PRIVATE KEY/);

  // ---- idle: further cycles write nothing (a watch on the records, and the publisher's counters) ----
  const metricsUrl = `${await w.op.probeUrl()}/metrics`;
  const counters = async (): Promise<{ cycles: number; writes: number }> => {
    const text = await (await fetch(metricsUrl)).text();
    let cycles = 0;
    let writes = 0;
    for (const line of text.split("\n")) {
      if (line.startsWith("hawser_cluster_info_cycles_total ")) cycles = Number(line.split(" ").pop());
      if (line.startsWith("hawser_cluster_info_writes_total{")) writes += Number(line.split(" ").pop());
    }
    return { cycles, writes };
  };
  const afterCycles = async (n: number): Promise<{ cycles: number; writes: number }> => {
    const start = (await counters()).cycles;
    return eventually(async () => {
      const now = await counters();
      assert.ok(now.cycles >= start + n, `${now.cycles - start} of ${n} publisher cycles so far`);
      return now;
    }, { timeoutMs: 20_000 * n, maxIntervalMs: 1_000 });
  };
  const events: string[] = [];
  const watch = new Informer<ConfigMapObj>(client, { apiVersion: "v1", kind: "ConfigMap", namespace: ns, labelSelector: `${LABEL_CLUSTER_INFO}=true`, log: createLogger({ level: "error" }) });
  watch.start();
  await watch.waitForSync();
  t.after(() => watch.stop());
  watch.addHandler({ update: (_o, n) => events.push(`update ${n.metadata.name}`), delete: (o) => events.push(`delete ${o.metadata.name}`) });
  // Eight cycles in a row without a write, longer than the six cycles a new object count alone may
  // wait (the app's namespace and its kube-root-ca.crt may still be settling when a window starts:
  // then a new window starts). A publisher that rewrites its records every cycle, or every six, never gets there.
  await eventually(async () => {
    events.length = 0;
    const start = await counters();
    const end = await afterCycles(8);
    assert.equal(end.writes, start.writes, "no write counted in eight idle cycles");
    assert.deepEqual(events, [], "the records were not written in eight idle cycles");
  }, { timeoutMs: 400_000, maxIntervalMs: 1_000 });
  const unchanged = (await list()).get(remoteServer);
  assert.deepEqual(unchanged?.info?.connectionState, first.info!.connectionState, "attemptedAt does not move while nothing changes");

  // ---- the cluster goes down: Failed within the controller's cycle, with the reason ----
  await remote.cluster.stopComponent("kube-apiserver");
  let restarted = false;
  t.after(async () => { if (!restarted) await remote.cluster.startComponent("kube-apiserver").catch(() => undefined); });
  const down = await eventually(async () => {
    const c = (await list()).get(remoteServer);
    assert.equal(c?.info?.connectionState?.status, "Failed", JSON.stringify(c?.info));
    return c;
  }, { timeoutMs: 60_000 });
  assert.match(down.info!.connectionState!.message, /ECONNREFUSED|connect|socket|closed|refused/i, "the message says why");
  assert.equal(down.info!.cacheInfo, undefined, "no cache figures for a cluster whose cache is failing");
  assert.ok(events.some((e) => e === `update ${clusterInfoName(remoteServer)}`), "the change was written");

  // ---- back up: Successful again ----
  await remote.cluster.startComponent("kube-apiserver");
  restarted = true;
  await eventually(async () => {
    const c = (await list()).get(remoteServer);
    assert.equal(c?.info?.connectionState?.status, "Successful", JSON.stringify(c?.info));
  }, { timeoutMs: 90_000 });

  // ---- the controller is gone: its info shows as stale, not Successful ----
  await w.op.stop("SIGKILL");
  const stale = await eventually(async () => {
    const c = (await list()).get(remoteServer);
    assert.equal(c?.info?.connectionState?.status, "Unknown", JSON.stringify(c?.info));
    return c;
  }, { timeoutMs: 60_000 });
  assert.match(stale.info!.connectionState!.message, /stopped renewing its lease hawser-controller; last published state: Successful/);
  assert.equal(stale.info!.cacheInfo, undefined, "nobody keeps that cache any more");

  // ---- nothing published: the server probes the cluster itself and says so ----
  await client.delete({ apiVersion: "v1", kind: "ConfigMap", name: clusterInfoName(remoteServer), namespace: ns });
  await eventually(async () => {
    const c = (await list()).get(remoteServer);
    assert.equal(c?.info?.connectionState?.status, "Successful", JSON.stringify(c?.info));
    assert.equal(c.info.connectionState.message, SERVER_PROBE_MESSAGE);
    assert.equal(c.info.cacheInfo, undefined, "the server keeps no cache of the cluster");
  }, { timeoutMs: 30_000 });
});
