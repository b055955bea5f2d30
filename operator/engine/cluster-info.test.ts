import { test } from "node:test";
import assert from "node:assert/strict";
import {
  clusterInfoData, clusterInfoName, clusterInfoOf, NOT_MONITORED_MESSAGE, parseClusterInfoData, shownClusterInfo,
  type ClusterInfo, type ClusterObservation, type ClusterInfoRecord,
} from "./cluster-info.js";

const T0 = Date.parse("2026-12-07T10:00:00.400Z");
const connected: ClusterObservation = {
  applications: 2,
  connection: { versionRead: true, version: "1.36.3", apis: 3, objects: 41, oldestListAt: T0 - 60_000 },
};

test("clusterInfoOf: a connected cluster is Successful with its version and cache figures, times in whole seconds", () => {
  assert.deepEqual(clusterInfoOf(connected, undefined, T0), {
    connectionState: { status: "Successful", message: "", attemptedAt: "2026-12-07T10:00:00Z" },
    serverVersion: "1.36.3",
    cacheInfo: { resourcesCount: 41, apisCount: 3, lastCacheSyncTime: "2026-12-07T09:59:00Z" },
  });
});

test("clusterInfoOf: the same observation later gives an equal record (nothing to write); a change of state moves attemptedAt", () => {
  const first = clusterInfoOf(connected, undefined, T0);
  const later = clusterInfoOf(connected, first, T0 + 3_600_000);
  assert.deepEqual(later, first, "an idle cluster's record does not move with the clock");
  const failing: ClusterObservation = { applications: 2, connection: { ...connected.connection!, cacheError: "watch of v1/ConfigMap failed: connect ECONNREFUSED 127.0.0.1:1" } };
  const failed = clusterInfoOf(failing, later, T0 + 3_610_000);
  assert.equal(failed.connectionState.status, "Failed");
  assert.equal(failed.connectionState.message, "watch of v1/ConfigMap failed: connect ECONNREFUSED 127.0.0.1:1");
  assert.equal(failed.connectionState.attemptedAt, "2026-12-07T11:00:10Z", "the change is dated");
  assert.equal(failed.cacheInfo, undefined, "a failing cache has no figures to show, as in Argo");
  assert.equal(failed.serverVersion, "1.36.3");
  // Counts that change while the state does not: a new record, same attemptedAt.
  const grown = clusterInfoOf({ applications: 2, connection: { ...connected.connection!, objects: 42 } }, first, T0 + 5_000);
  assert.equal(grown.connectionState.attemptedAt, first.connectionState.attemptedAt);
  assert.equal(grown.cacheInfo?.resourcesCount, 42);
});

test("clusterInfoOf: a failed version read is Failed; a pending one Unknown; no connection is Argo's 'not monitored' or 'not connected yet'", () => {
  const cases: Array<[ClusterObservation, string, RegExp]> = [
    [{ applications: 1, connection: { versionRead: true, versionError: "connect ECONNREFUSED 127.0.0.1:9", apis: 0, objects: 0 } }, "Failed", /ECONNREFUSED/],
    [{ applications: 1, connection: { versionRead: false, apis: 0, objects: 0 } }, "Unknown", /connecting/],
    [{ applications: 0 }, "Unknown", new RegExp(NOT_MONITORED_MESSAGE.replace(/\./g, "\\."))],
    [{ applications: 3 }, "Unknown", /has not connected/],
  ];
  for (const [obs, status, message] of cases) {
    const info = clusterInfoOf(obs, undefined, T0);
    assert.equal(info.connectionState.status, status, JSON.stringify(obs));
    assert.match(info.connectionState.message, message);
    assert.equal(info.cacheInfo, undefined);
  }
});

test("cluster info ConfigMap data: round trip; foreign or damaged data is not a record", () => {
  const info = clusterInfoOf(connected, undefined, T0);
  const data = clusterInfoData("https://10.0.0.1:6443", info, { identity: "ctl-0_1_ab", lease: "hawser-controller-shard-1", shard: 1 });
  assert.deepEqual(parseClusterInfoData(data), { server: "https://10.0.0.1:6443", info, publisher: { identity: "ctl-0_1_ab", lease: "hawser-controller-shard-1", shard: 1 } });
  assert.deepEqual(parseClusterInfoData(clusterInfoData("https://a", info, { identity: "x" }))?.publisher, { identity: "x" });
  assert.equal(parseClusterInfoData(undefined), undefined);
  assert.equal(parseClusterInfoData({ ...data, info: "{not json" }), undefined);
  assert.equal(parseClusterInfoData({ ...data, info: JSON.stringify({ connectionState: { status: "Great", message: "", attemptedAt: "x" } }) }), undefined);
  assert.equal(parseClusterInfoData({ server: "https://a", info: data.info! }), undefined, "no publisher");
  // A name per server, valid for Kubernetes, different for different servers.
  assert.match(clusterInfoName("https://10.0.0.1:6443"), /^hawser-cluster-info-[0-9a-f]{16}$/);
  assert.notEqual(clusterInfoName("https://10.0.0.1:6443"), clusterInfoName("https://10.0.0.2:6443"));
});

test("shownClusterInfo: as published while the publisher holds its lease; Unknown, without cache figures, once it does not", () => {
  const info: ClusterInfo = clusterInfoOf(connected, undefined, T0);
  const record: ClusterInfoRecord = { server: "https://10.0.0.1:6443", info, publisher: { identity: "ctl-a", lease: "hawser-controller-shard-1", shard: 1 } };
  assert.deepEqual(shownClusterInfo(record, { holder: "ctl-a", expired: false }), { ...info, stale: false });
  for (const [lease, why] of [
    [{ holder: "ctl-a", expired: true }, /ctl-a \(shard 1\) stopped renewing its lease hawser-controller-shard-1/],
    [undefined, /stopped renewing/],
    [{ holder: "", expired: false }, /stopped renewing/],
    [{ holder: "ctl-b", expired: false }, /no longer holds its lease hawser-controller-shard-1 \(now held by ctl-b/],
  ] as const) {
    const shown = shownClusterInfo(record, lease);
    assert.equal(shown.stale, true);
    assert.equal(shown.connectionState.status, "Unknown", "a stale Successful is not shown as Successful");
    assert.match(shown.connectionState.message, why);
    assert.match(shown.connectionState.message, /last published state: Successful at 2026-12-07T10:00:00Z/);
    assert.equal(shown.cacheInfo, undefined);
    assert.equal(shown.serverVersion, "1.36.3");
  }
  // Without leader election there is no lease to check.
  assert.equal(shownClusterInfo({ ...record, publisher: { identity: "solo" } }, undefined).stale, false);
});
