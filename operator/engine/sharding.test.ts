import { test } from "node:test";
import assert from "node:assert/strict";
// eslint-disable-next-line no-restricted-imports -- tests read their JSON fixture; the code under test does not
import { readFileSync } from "node:fs";
import {
  assignShards, fnv32a, hostnameOrdinal, parseShardingAlgorithm, planShardClaims, SHARDING_ALGORITHMS,
  type ShardCluster, type ShardLeaseView,
} from "./sharding.js";

const fixture = JSON.parse(readFileSync(new URL("./testdata/sharding-clusters.json", import.meta.url), "utf8")) as { clusters: ShardCluster[] };
const IN_CLUSTER: ShardCluster = { id: "", server: "https://kubernetes.default.svc" };
const clusters = (n: number): ShardCluster[] => [IN_CLUSTER, ...fixture.clusters.slice(0, n)];

function perShard(shards: Map<string, number>, replicas: number): number[] {
  const counts = new Array<number>(replicas).fill(0);
  for (const s of shards.values()) counts[s]! += 1;
  return counts;
}

test("FNV-1a 32 matches the published test vectors (Go's hash/fnv New32a)", () => {
  assert.equal(fnv32a(""), 0x811c9dc5, "offset basis for the empty string");
  assert.equal(fnv32a("a"), 0xe40c292c, "FNV-1a of 'a'");
  assert.equal(fnv32a("foobar"), 0xbf9cf968, "FNV-1a of 'foobar'");
});

test("legacy: FNV-1a of the Secret UID modulo the replicas, in-cluster on shard 0", () => {
  // Expected shards computed independently (Python's FNV-1a) for the fixture's first UIDs.
  const expected3 = [2, 1, 1, 1];
  const expected4 = [1, 2, 2, 3];
  const a3 = assignShards(clusters(4), 3, "legacy");
  const a4 = assignShards(clusters(4), 4, "legacy");
  fixture.clusters.slice(0, 4).forEach((c, i) => {
    assert.equal(a3.shards.get(c.server), expected3[i], `${c.secretName} over 3 replicas`);
    assert.equal(a4.shards.get(c.server), expected4[i], `${c.secretName} over 4 replicas`);
  });
  assert.equal(a3.shards.get(IN_CLUSTER.server), 0, "the in-cluster destination has no UID: shard 0, as Argo");
  assert.deepEqual(a3.problems, [], "no pins, no problems");
});

for (const algorithm of SHARDING_ALGORITHMS) {
  test(`${algorithm}: 61 clusters over 1, 3 and 6 replicas: every cluster on exactly one shard in range`, () => {
    for (const replicas of [1, 3, 6]) {
      const { shards } = assignShards(clusters(60), replicas, algorithm);
      assert.equal(shards.size, 61, `${algorithm}/${replicas}: every cluster has a shard`);
      for (const [server, s] of shards) assert.ok(Number.isInteger(s) && s >= 0 && s < replicas, `${algorithm}/${replicas}: ${server} on shard ${s}`);
      const counts = perShard(shards, replicas);
      assert.ok(counts.every((c) => c > 0), `${algorithm}/${replicas}: no shard left empty: ${counts.join(",")}`);
      // Deterministic: every replica computes the same answer from the same Secrets, in any order.
      const again = assignShards([...clusters(60)].reverse(), replicas, algorithm);
      assert.deepEqual([...again.shards].sort(), [...shards].sort(), `${algorithm}/${replicas}: independent of list order`);
    }
  });
}

test("round-robin: clusters sorted by UID, the i-th on shard i mod replicas, so loads differ by at most one", () => {
  const { shards } = assignShards(clusters(60), 4, "round-robin");
  assert.deepEqual(perShard(shards, 4), [16, 15, 15, 15], "61 clusters over 4 shards");
  assert.equal(shards.get(IN_CLUSTER.server), 0, "the in-cluster's empty UID sorts first");
  const sorted = [...fixture.clusters.slice(0, 60)].sort((a, b) => (a.id < b.id ? -1 : 1));
  sorted.forEach((c, i) => assert.equal(shards.get(c.server), (i + 1) % 4, `${c.secretName} is number ${i + 1} by UID`));
});

test("consistent-hashing: bounded loads: no shard above ceil(1.25 · clusters / replicas)", () => {
  for (const replicas of [2, 3, 5, 7]) {
    const { shards } = assignShards(clusters(60), replicas, "consistent-hashing");
    const bound = Math.ceil((61 * 1.25) / replicas);
    const counts = perShard(shards, replicas);
    assert.ok(Math.max(...counts) <= bound, `${replicas} replicas: loads ${counts.join(",")} within ${bound}`);
  }
});

test("consistent-hashing stays stable when a replica joins; legacy reshuffles", () => {
  const moved = (algorithm: "legacy" | "consistent-hashing", from: number, to: number): number => {
    const a = assignShards(clusters(60), from, algorithm).shards;
    const b = assignShards(clusters(60), to, algorithm).shards;
    return [...a].filter(([server, s]) => b.get(server) !== s).length;
  };
  for (const [from, to] of [[3, 4], [5, 6]] as const) {
    const ch = moved("consistent-hashing", from, to);
    const legacy = moved("legacy", from, to);
    // Ideal is 61/to clusters moving (only those the new shard takes); allow the bounded-load cascade.
    assert.ok(ch <= Math.ceil((61 / to) * 1.6), `${from}→${to}: consistent-hashing moved ${ch} of 61`);
    assert.ok(ch < legacy / 2, `${from}→${to}: consistent-hashing moved ${ch}, legacy ${legacy}`);
  }
  // And what moves, moves to the new shard (nothing shuffles among the old ones) in the common case.
  const a = assignShards(clusters(60), 5, "consistent-hashing").shards;
  const b = assignShards(clusters(60), 6, "consistent-hashing").shards;
  const toNew = [...a].filter(([server, s]) => b.get(server) !== s && b.get(server) === 5).length;
  const changed = [...a].filter(([server, s]) => b.get(server) !== s).length;
  assert.ok(toNew >= changed * 0.6, `5→6: ${toNew} of ${changed} moved clusters went to the new shard`);
});

test("a Secret's shard field pins the cluster under every algorithm; bad values are reported and ignored", () => {
  const base = clusters(12);
  const pinned = base.map((c, i) => (i === 3 ? { ...c, shard: "2" } : i === 4 ? { ...c, shard: "0" } : i === 5 ? { ...c, shard: "7" } : i === 6 ? { ...c, shard: "x1" } : c));
  for (const algorithm of SHARDING_ALGORITHMS) {
    const { shards, problems } = assignShards(pinned, 3, algorithm);
    assert.equal(shards.get(base[3]!.server), 2, `${algorithm}: shard "2" pins`);
    assert.equal(shards.get(base[4]!.server), 0, `${algorithm}: shard "0" pins`);
    const unpinned = assignShards(base, 3, algorithm).shards;
    if (algorithm !== "consistent-hashing") {
      // Out-of-range and non-numeric pins fall back to what the algorithm says.
      assert.equal(shards.get(base[5]!.server), unpinned.get(base[5]!.server), `${algorithm}: shard 7 of 3 is ignored`);
      assert.equal(shards.get(base[6]!.server), unpinned.get(base[6]!.server), `${algorithm}: a non-number is ignored`);
    }
    assert.equal(problems.length, 2, `${algorithm}: two problems: ${problems.join(" | ")}`);
    assert.match(problems.join("\n"), /cluster Secret cluster-04: shard 7 is not below the replica count 3/, `${algorithm}: names the Secret and the value`);
    assert.match(problems.join("\n"), /cluster Secret cluster-05: shard "x1" is not a whole number/, `${algorithm}: names the Secret and the value`);
  }
  // Pinning the in-cluster destination (a Secret for it) moves it off shard 0.
  const local = assignShards([{ ...IN_CLUSTER, id: "uid-local", shard: "1" }], 2, "legacy");
  assert.equal(local.shards.get(IN_CLUSTER.server), 1, "in-cluster pinned to 1");
});

test("controller.sharding.algorithm: empty is legacy; an unknown name is an error naming the key and the choices", () => {
  assert.equal(parseShardingAlgorithm(undefined), "legacy", "unset");
  assert.equal(parseShardingAlgorithm(" round-robin "), "round-robin", "trimmed");
  const bad = parseShardingAlgorithm("hash");
  assert.ok(typeof bad === "object", "an unknown algorithm is refused");
  assert.match(bad.error, /controller\.sharding\.algorithm must be one of legacy, round-robin, consistent-hashing, got "hash"/, bad.error);
});

test("the StatefulSet ordinal comes from the hostname's last number", () => {
  assert.equal(hostnameOrdinal("argocd-application-controller-2"), 2, "StatefulSet pod");
  assert.equal(hostnameOrdinal("hawser-10"), 10, "two digits");
  assert.equal(hostnameOrdinal("hawser-7f9c6d-abcde"), undefined, "a Deployment's pod has no ordinal");
});

// Lease claims: three replicas r0, r1, r2 with homes 0, 1, 2.
const view = (holders: Array<string | undefined>, wanted: Record<number, string> = {}): ShardLeaseView[] =>
  holders.map((holder, shard) => ({ shard, ...(holder ? { holder } : {}), ...(wanted[shard] ? { wantedBy: wanted[shard] } : {}) }));

test("claims: each replica takes its home shard when free", () => {
  assert.deepEqual(planShardClaims({ identity: "r1", home: 1, leases: view([undefined, undefined, undefined]) }), { claim: 1, release: [] }, "home first");
  assert.deepEqual(planShardClaims({ identity: "r1", home: 1, leases: view(["r0", "r1", "r2"]) }), { release: [] }, "all held: nothing to do");
});

test("claims: a dead replica's shard (its lease expired) is taken by a survivor holding the fewest", () => {
  // r2 died: its lease is no longer renewed, so the view shows shard 2 free.
  const leases = view(["r0", "r1", undefined]);
  assert.deepEqual(planShardClaims({ identity: "r0", home: 0, leases }), { claim: 2, release: [] }, "r0 tries");
  assert.deepEqual(planShardClaims({ identity: "r1", home: 1, leases }), { claim: 2, release: [] }, "r1 tries too: the Lease lets one win");
  // r0 won it; r1 now holds fewer, r0 does not claim more while r1 could.
  const after = view(["r0", "r1", "r0"]);
  assert.deepEqual(planShardClaims({ identity: "r1", home: 1, leases: after }), { release: [] }, "nothing free");
  // Two shards free (two replicas lost): the survivor takes both, one per round.
  assert.deepEqual(planShardClaims({ identity: "r0", home: 0, leases: view(["r0", undefined, undefined]) }), { claim: 1, release: [] }, "first of two");
  assert.deepEqual(planShardClaims({ identity: "r0", home: 0, leases: view(["r0", "r0", undefined]) }), { claim: 2, release: [] }, "second of two");
  // A replica with more shards than another waits for the one with fewer.
  assert.deepEqual(planShardClaims({ identity: "r0", home: 0, leases: [...view(["r0", "r0", "r1"]), { shard: 3 }] }), { release: [] }, "r1 holds fewer and goes first");
});

test("claims: a returning replica asks for its home back; the holder releases it; then it takes it", () => {
  const taken = view(["r0", "r1", "r0"]);
  assert.deepEqual(planShardClaims({ identity: "r2", home: 2, leases: taken }), { release: [], want: 2 }, "r2 asks for shard 2");
  const asked = view(["r0", "r1", "r0"], { 2: "r2" });
  assert.deepEqual(planShardClaims({ identity: "r2", home: 2, leases: asked }), { release: [] }, "asked once already");
  assert.deepEqual(planShardClaims({ identity: "r0", home: 0, leases: asked }), { release: [2] }, "r0 hands shard 2 back");
  assert.deepEqual(planShardClaims({ identity: "r0", home: 0, leases: view(["r0", "r1", "r0"], { 0: "r2" }) }), { release: [] }, "nobody takes a replica's home from it");
  assert.deepEqual(planShardClaims({ identity: "r2", home: 2, leases: view(["r0", "r1", undefined]) }), { claim: 2, release: [] }, "released: r2 takes it");
});

test("claims: a replica without an ordinal takes any free shard, or asks the busiest holder for an extra one", () => {
  assert.deepEqual(planShardClaims({ identity: "d1", leases: view(["d0", undefined, undefined]) }), { claim: 1, release: [] }, "first free");
  assert.deepEqual(planShardClaims({ identity: "d2", leases: view(["d0", "d1", "d0"]) }), { release: [], want: 2 }, "d0 holds two: ask for its extra one");
  assert.deepEqual(planShardClaims({ identity: "d3", leases: view(["d0", "d1", "d2"]) }), { release: [] }, "a fourth replica of three shards stands by");
});

test("claims: a shard nobody has held yet is left to its home replica for a lease duration", () => {
  const leases: ShardLeaseView[] = [{ shard: 0, holder: "r0" }, { shard: 1, pending: true }, { shard: 2, pending: true }];
  assert.deepEqual(planShardClaims({ identity: "r0", home: 0, leases }), { release: [] }, "r0 leaves shards 1 and 2 to r1 and r2 while they start");
  assert.deepEqual(planShardClaims({ identity: "r1", home: 1, leases }), { claim: 1, release: [] }, "r1 takes its home at once");
});
