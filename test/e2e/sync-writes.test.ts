// How many times the operator writes an Application for one automated sync (issue 16, P2: the
// apiserver's write budget is what limits thousands of syncs). A one-ConfigMap app goes from
// created to Synced/Healthy on the real control plane, then a commit announced by a push webhook
// makes it OutOfSync and syncs it again; for each, the operator's own request counter
// (hawser_kube_requests_total by resource, so other clients of a shared control plane do not
// count) must show at most WRITE_BOUND writes of the Application and its status: the comparison
// and the start of the sync in one status write, then the operation's end (final state, history)
// with the comparison after it (Synced, Healthy) in another; `.operation` is neither set nor
// cleared for an automated sync. The ConfigMap takes one request per sync: a one-resource sync is
// not dry-run first. The Events are Argo's, each once per change (the first sight of the app
// included), and the Application's managedFields do not grow with the writes. A second app's sync
// that prunes costs no more: the comparison at its end leaves the pruned object out although the
// watch may still show it (terminating, then gone), so no later refresh writes again.
import { test } from "node:test";
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { APP_OPERATION_QUEUE, APP_REFRESH_QUEUE } from "../../operator/controllers/application/queue-names.js";
import { eventually } from "../support/eventually.js";
import { postHeadersFirst } from "../support/http-post.js";
import { scrapeSamples } from "../support/promql-names.js";
import { createWorld, type World } from "../support/world.js";

const WRITE_BOUND = 2;
const READS = new Set(["GET", "LIST", "WATCH", "HEAD"]);

interface AppStatus {
  sync?: { status?: string; revision?: string };
  reconciledAt?: string;
  health?: { status?: string };
  operationState?: { phase?: string; startedAt?: string; finishedAt?: string; operation?: { initiatedBy?: { automated?: boolean } }; syncResult?: { revision?: string; resources?: Array<{ name?: string; status?: string }> } };
  history?: Array<{ id: number; revision?: string }>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Counters {
  /** The operator's writes of Applications (and their status) so far, as "VERB resource" → count. */
  appWrites: () => Promise<Record<string, number>>;
  /** The operator's writes of ConfigMaps (dry runs included: the counter counts requests). */
  configMapWrites: () => Promise<number>;
  /** Waits until nothing is queued and no new write shows over a few scrapes (the refresh after a sync may still be on its way); the writes then. */
  settled: () => Promise<Record<string, number>>;
}

/** The operator's own request counters (hawser_kube_requests_total) and work queues, from its /metrics. */
async function operatorCounters(w: World): Promise<Counters> {
  const url = `${await w.op.probeUrl()}/metrics`;
  const scrape = async (): Promise<ReturnType<typeof scrapeSamples>> => {
    const res = await fetch(url);
    assert.equal(res.status, 200, "GET /metrics");
    return scrapeSamples(await res.text());
  };
  /** The operator's writes of Applications (and their status) so far, as "VERB resource" → count. */
  const appWrites = async (): Promise<Record<string, number>> => {
    const out: Record<string, number> = {};
    for (const s of await scrape()) {
      if (s.name !== "hawser_kube_requests_total" || READS.has(s.labels.verb ?? "")) continue;
      if (s.labels.resource !== "applications" && s.labels.resource !== "applications/status") continue;
      const k = `${s.labels.verb} ${s.labels.resource}`;
      out[k] = (out[k] ?? 0) + s.value;
    }
    return out;
  };
  /**
   * The operator's writes of ConfigMaps (dry runs included: the counter counts requests), but for
   * the cluster info publisher's own: it rewrites its record when the cluster's cached object
   * count moves (other tests share the cluster), at any moment of a sync.
   */
  const configMapWrites = async (): Promise<number> => {
    const samples = await scrape();
    const all = samples.filter((s) => s.name === "hawser_kube_requests_total" && !READS.has(s.labels.verb ?? "") && s.labels.resource === "configmaps").reduce((a, s) => a + s.value, 0);
    const clusterInfo = samples.filter((s) => s.name === "hawser_cluster_info_writes_total").reduce((a, s) => a + s.value, 0);
    return all - clusterInfo;
  };
  const queued = async (): Promise<number> => (await scrape())
    .filter((s) => s.name === "workqueue_depth" && (s.labels.name === APP_REFRESH_QUEUE || s.labels.name === APP_OPERATION_QUEUE))
    .reduce((a, s) => a + s.value, 0);
  const settled = async (): Promise<Record<string, number>> => {
    let last = await appWrites();
    await eventually(async () => {
      await sleep(1000);
      const now = await appWrites();
      const same = JSON.stringify(now) === JSON.stringify(last);
      last = now;
      assert.ok(same && (await queued()) === 0, `the operator is still working: ${JSON.stringify(now)}`);
    }, { timeoutMs: 60_000 });
    return last;
  };
  return { appWrites, configMapWrites, settled };
}

const total = (m: Record<string, number>): number => Object.values(m).reduce((a, b) => a + b, 0);

/** Announces a commit as a GitHub push webhook would. */
async function announcePush(w: World, repo: string, commit: string, paths: { modified?: string[]; removed?: string[] }): Promise<void> {
  const hookUrl = `http://${String((await w.op.waitForLog((l) => l.msg === "serving git webhooks")).address)}/api/webhook`;
  const push = JSON.stringify({ ref: "refs/heads/main", after: commit, repository: { clone_url: w.git.baseUrl(repo), default_branch: "main" }, commits: [{ id: commit, added: [], modified: paths.modified ?? [], removed: paths.removed ?? [] }] });
  const res = await postHeadersFirst(hookUrl, { "Content-Type": "application/json", "X-GitHub-Event": "push" }, push);
  assert.equal(res.status, 200, res.text);
}

/**
 * The Events of an app created with automated sync, then synced again after a push: each change
 * once, Argo's reasons and wording (first sight from nothing has two spaces, as Argo's).
 */
function createdThenPushed(initial: string, pushed: string): Record<string, number> {
  return {
    [`OperationStarted: Initiated automated sync to ${initial}`]: 1,
    [`OperationCompleted: Sync operation to ${initial} succeeded`]: 1,
    "ResourceUpdated: Updated sync status:  -> OutOfSync": 1,
    "ResourceUpdated: Updated health status:  -> Missing": 1,
    "ResourceUpdated: Updated health status: Missing -> Healthy": 1,
    "ResourceUpdated: Updated sync status: OutOfSync -> Synced": 2,
    "ResourceUpdated: Updated sync status: Synced -> OutOfSync": 1,
    [`OperationStarted: Initiated automated sync to ${pushed}`]: 1,
    [`OperationCompleted: Sync operation to ${pushed} succeeded`]: 1,
  };
}

/** The app's Events as "reason: message" → count. */
async function eventsOf(w: World, app: string): Promise<Record<string, number>> {
  const list = (await w.client.list("v1", "Event", { namespace: w.ns, fieldSelector: `involvedObject.name=${app}` })).items as unknown as Array<{ reason?: string; message?: string; count?: number }>;
  return Object.fromEntries(list.map((e) => [`${e.reason ?? ""}: ${e.message ?? ""}`, e.count ?? 1]));
}

test(`an automated one-resource sync costs at most ${WRITE_BOUND} Application writes, created → Synced and pushed → Synced again`, async (t) => {
  const cm = stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "one" }, data: { v: "1" } });
  const w = await createWorld(t, { name: "writes", repos: { one: { "app/cm.yaml": cm } } });
  const dest = w.dest("writes");
  await w.createNamespace(dest);
  const { appWrites, configMapWrites, settled } = await operatorCounters(w);

  const configMapsBefore = await configMapWrites();
  const before = await appWrites();
  assert.equal(total(before), 0, `no Application exists yet, so none was written: ${JSON.stringify(before)}`);
  await w.client.create(w.application("one", { repo: "one", path: "app", dest, syncPolicy: { automated: { selfHeal: true } } }));
  const synced = await eventually(async () => {
    const s = await w.status<AppStatus>("one");
    assert.equal(s?.sync?.status, "Synced", `synced: ${JSON.stringify(s)}`);
    assert.equal(s?.health?.status, "Healthy", "healthy");
    assert.equal(s?.operationState?.phase, "Succeeded", "the automated sync succeeded");
    return s;
  }, { timeoutMs: 120_000 });
  const last = await settled();

  t.diagnostic(`Application writes for one automated sync: ${JSON.stringify(last)}`);
  assert.ok(total(last) <= WRITE_BOUND, `at most ${WRITE_BOUND} Application writes, got ${total(last)}: ${JSON.stringify(last)}`);
  // What users see is all there: the operation, who started it, its result and one history entry,
  // and the comparison after it (the same write) at the synced commit.
  assert.equal(synced.operationState?.operation?.initiatedBy?.automated, true, "the operation says it was automated");
  assert.deepEqual(synced.operationState?.syncResult?.resources?.map((r) => [r.name, r.status]), [["one", "Synced"]], "the operation's result names the ConfigMap");
  assert.equal(synced.history?.length, 1, "one history entry");
  assert.equal(synced.sync?.revision, w.initialCommits.one, "compared at the synced commit");
  assert.equal(synced.operationState?.syncResult?.revision, w.initialCommits.one);
  assert.ok(synced.reconciledAt && synced.operationState?.startedAt && synced.reconciledAt >= synced.operationState.startedAt, `reconciledAt (${synced.reconciledAt}) is the comparison after the sync started`);
  const app = await w.getApp("one");
  assert.equal((app as { operation?: unknown } | undefined)?.operation, undefined, "no .operation left behind");
  // A sync of one resource has nothing to leave half done: its apply is its only check (no dry run).
  assert.equal(await configMapWrites() - configMapsBefore, 1, "one ConfigMap request: the apply, without a dry run before it");
  const live = await w.client.get("v1", "ConfigMap", "one", dest);
  assert.equal((live as { data?: { v?: string } } | undefined)?.data?.v, "1", "the ConfigMap is applied");
  const fieldsAfterCreate = app?.metadata.managedFields?.length ?? 0;

  // The update phase: a commit, announced by a push webhook, makes the app OutOfSync; the refresh
  // that sees it starts the sync in the same write, and the sync's end writes the comparison after it.
  const commit = await w.git.commitFiles("one", { "app/cm.yaml": stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "one" }, data: { v: "2" } }) }, "v2");
  await announcePush(w, "one", commit, { modified: ["app/cm.yaml"] });
  const resynced = await eventually(async () => {
    const s = await w.status<AppStatus>("one");
    assert.equal(s?.sync?.revision, commit, `compared at the pushed commit: ${JSON.stringify(s?.sync)}`);
    assert.equal(s?.sync?.status, "Synced", "synced again");
    assert.equal(s?.operationState?.phase, "Succeeded");
    assert.equal(s?.operationState?.syncResult?.revision, commit, "the second sync is the one that succeeded");
    return s;
  }, { timeoutMs: 120_000 });
  const updated = await settled();
  const updateWrites = total(updated) - total(last);
  t.diagnostic(`Application writes for the push and its sync: ${updateWrites} (${JSON.stringify(updated)})`);
  assert.ok(updateWrites <= WRITE_BOUND, `at most ${WRITE_BOUND} Application writes for the push's sync, got ${updateWrites}`);
  assert.deepEqual(resynced.history?.map((h) => h.revision), [w.initialCommits.one, commit], "a second history entry");
  assert.equal(resynced.health?.status, "Healthy");
  assert.equal(((await w.client.get("v1", "ConfigMap", "one", dest)) as { data?: { v?: string } } | undefined)?.data?.v, "2", "the new content is applied");
  assert.equal(await configMapWrites() - configMapsBefore, 2, "one ConfigMap request per sync");
  const fieldsAfterUpdate = (await w.getApp("one"))?.metadata.managedFields?.length ?? 0;
  assert.equal(fieldsAfterUpdate, fieldsAfterCreate, "managedFields do not grow with the writes (one entry per manager and subresource)");

  // The Events: Argo's reasons, each change once (a repeated message is one Event with a count).
  const events = await eventually(async () => {
    const got = await eventsOf(w, "one");
    assert.deepEqual(got, createdThenPushed(w.initialCommits.one!, commit));
    return got;
  }, { timeoutMs: 30_000 });
  t.diagnostic(`Events: ${JSON.stringify(events)}`);
});

test(`an automated sync that prunes in its last step costs at most ${WRITE_BOUND} Application writes: the comparison at its end does not see the pruned object`, async (t) => {
  const cm = (name: string): string => stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data: { v: "1" } });
  const w = await createWorld(t, { name: "prunes", repos: { two: { "app/keep.yaml": cm("keep"), "app/gone.yaml": cm("gone") } } });
  const dest = w.dest("prunes");
  await w.createNamespace(dest);
  const { appWrites, settled } = await operatorCounters(w);
  assert.equal(total(await appWrites()), 0, "this world's operator has written no Application yet");

  await w.client.create(w.application("two", { repo: "two", path: "app", dest, syncPolicy: { automated: { prune: true, selfHeal: true } } }));
  await eventually(async () => {
    const s = await w.status<AppStatus>("two");
    assert.equal(s?.sync?.status, "Synced", `synced: ${JSON.stringify(s?.sync)}`);
    assert.equal(s?.health?.status, "Healthy");
    assert.equal(s?.operationState?.phase, "Succeeded");
  }, { timeoutMs: 120_000 });
  const created = await settled();
  t.diagnostic(`Application writes for the two-ConfigMap app's first sync: ${JSON.stringify(created)}`);

  // The prune is Argo's default, a foreground deletion: the ConfigMap is first terminating, then
  // gone once the garbage collector has deleted its dependants. A dependant the test holds with a
  // finalizer keeps it terminating, so the watch surely shows it when the sync ends (on an idle
  // machine the watch can otherwise be quicker than the comparison, and a lagging one is what a
  // burst of thousands of syncs brings).
  const gone = await w.client.get("v1", "ConfigMap", "gone", dest);
  assert.ok(gone?.metadata.uid, "both ConfigMaps are applied");
  const hold = { apiVersion: "v1", kind: "ConfigMap", name: "hold", namespace: dest };
  await w.client.create({
    apiVersion: "v1", kind: "ConfigMap", data: { v: "1" },
    metadata: { name: "hold", namespace: dest, finalizers: ["example.com/hold"], ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "gone", uid: gone.metadata.uid, blockOwnerDeletion: true }] },
  });
  const release = async (): Promise<void> => { await w.client.patch(hold, { metadata: { finalizers: null } }).catch(() => undefined); };
  t.after(release);

  // The commit removes one ConfigMap: one sync step applies the other and prunes it.
  // Write 1: the refresh that sees the commit writes OutOfSync and starts the sync (a Running
  // operationState) in one status write. Write 2: the operation's end (Succeeded, its history
  // entry) with the comparison after it: Synced, without the pruned ConfigMap, although the watch
  // still shows it terminating. Without read-your-deletes that comparison found it still to prune
  // (OutOfSync): the refresh after the watch's deletion event wrote Synced, a third write, and with
  // selfHeal (seen when this test was run without it) a second, selective sync pruned it again.
  const commit = await w.git.commitFiles("two", {}, "remove gone", { delete: ["app/gone.yaml"] });
  await announcePush(w, "two", commit, { removed: ["app/gone.yaml"] });
  const ended = await eventually(async () => {
    const s = await w.status<AppStatus & { resources?: Array<{ name?: string }> }>("two");
    assert.equal(s?.operationState?.phase, "Succeeded");
    assert.equal(s?.operationState?.syncResult?.revision, commit, `the prune's sync ended: ${JSON.stringify(s?.operationState)}`);
    return s;
  }, { timeoutMs: 120_000 });
  // The same write as the operation's end: the comparison after it.
  assert.equal(ended.sync?.revision, commit, "compared at the pushed commit");
  assert.equal(ended.sync?.status, "Synced", `Synced although the watch still shows the pruned ConfigMap: ${JSON.stringify(ended.resources)}`);
  assert.deepEqual(ended.operationState?.syncResult?.resources?.map((r) => [r.name, r.status]).sort(), [["gone", "Pruned"], ["keep", "Synced"]], "one sync pruned one and applied the other (no second sync to prune again)");
  assert.ok((await w.client.get("v1", "ConfigMap", "gone", dest))?.metadata.deletionTimestamp, "the pruned ConfigMap is still there, terminating");
  assert.deepEqual(ended.resources?.map((r) => r.name), ["keep"], "the comparison lists only what git still holds");
  const whileTerminating = await settled();
  assert.ok(total(whileTerminating) - total(created) <= WRITE_BOUND, `at most ${WRITE_BOUND} writes while it terminates, got ${total(whileTerminating) - total(created)}`);

  // Released: the collector deletes the dependant, then the pruned ConfigMap; its deletion event costs no write.
  await release();
  await eventually(async () => { assert.equal(await w.client.get("v1", "ConfigMap", "gone", dest), undefined, "the pruned ConfigMap is deleted"); }, { timeoutMs: 30_000 });
  const pruned = await settled();
  const pruneWrites = total(pruned) - total(created);
  t.diagnostic(`Application writes for the push and its pruning sync: ${pruneWrites} (${JSON.stringify(pruned)})`);
  assert.ok(pruneWrites <= WRITE_BOUND, `at most ${WRITE_BOUND} Application writes for a sync that prunes, got ${pruneWrites}`);
  assert.equal((await w.status<AppStatus>("two"))?.sync?.status, "Synced", "still Synced once it is gone");

  // The sync status changed once each way per sync: no Synced → OutOfSync → Synced flap after the prune.
  const events = await eventually(async () => {
    const got = await eventsOf(w, "two");
    assert.deepEqual(got, createdThenPushed(w.initialCommits.two!, commit));
    return got;
  }, { timeoutMs: 30_000 });
  t.diagnostic(`Events: ${JSON.stringify(events)}`);
});
