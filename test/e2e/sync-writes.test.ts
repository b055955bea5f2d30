// How many times the operator writes an Application for one automated sync (issue 16, P2: the
// apiserver's write budget is what limits thousands of syncs). A one-ConfigMap app goes from
// created to Synced/Healthy on the real control plane, and the operator's own request counter
// (hawser_kube_requests_total by resource, so other clients of a shared control plane do not
// count) must show at most WRITE_BOUND writes of the Application and its status: the comparison
// and the start of the sync in one status write, the final operation state with its history, the
// Synced status; `.operation` is neither set nor cleared for an automated sync. The ConfigMap
// itself takes one request: a one-resource sync is not dry-run first.
import { test } from "node:test";
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { eventually } from "../support/eventually.js";
import { scrapeSamples } from "../support/promql-names.js";
import { createWorld } from "../support/world.js";

const WRITE_BOUND = 4;
const READS = new Set(["GET", "LIST", "WATCH", "HEAD"]);

interface AppStatus {
  sync?: { status?: string };
  health?: { status?: string };
  operationState?: { phase?: string; operation?: { initiatedBy?: { automated?: boolean } }; syncResult?: { resources?: Array<{ name?: string; status?: string }> } };
  history?: Array<{ id: number }>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test(`an automated one-resource sync costs at most ${WRITE_BOUND} Application writes, created → Synced`, async (t) => {
  const cm = stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "one" }, data: { v: "1" } });
  const w = await createWorld(t, { name: "writes", repos: { one: { "app/cm.yaml": cm } } });
  const dest = w.dest("writes");
  await w.createNamespace(dest);
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
  /** The operator's writes of ConfigMaps (dry runs included: the counter counts requests). */
  const configMapWrites = async (): Promise<number> => (await scrape())
    .filter((s) => s.name === "hawser_kube_requests_total" && !READS.has(s.labels.verb ?? "") && s.labels.resource === "configmaps")
    .reduce((a, s) => a + s.value, 0);
  const total = (m: Record<string, number>): number => Object.values(m).reduce((a, b) => a + b, 0);
  const queued = async (): Promise<number> => (await scrape())
    .filter((s) => s.name === "workqueue_depth" && (s.labels.name === "application-refresh" || s.labels.name === "application-operation"))
    .reduce((a, s) => a + s.value, 0);

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
  // Done means nothing queued and no new write over a few scrapes: the last refresh after the sync
  // may still be on its way when the status first reads Synced.
  let last = await appWrites();
  await eventually(async () => {
    await sleep(1000);
    const now = await appWrites();
    const same = JSON.stringify(now) === JSON.stringify(last);
    last = now;
    assert.ok(same && (await queued()) === 0, `the operator is still working: ${JSON.stringify(now)}`);
  }, { timeoutMs: 60_000 });

  t.diagnostic(`Application writes for one automated sync: ${JSON.stringify(last)}`);
  assert.ok(total(last) <= WRITE_BOUND, `at most ${WRITE_BOUND} Application writes, got ${total(last)}: ${JSON.stringify(last)}`);
  // What users see is all there: the operation, who started it, its result and one history entry.
  assert.equal(synced.operationState?.operation?.initiatedBy?.automated, true, "the operation says it was automated");
  assert.deepEqual(synced.operationState?.syncResult?.resources?.map((r) => [r.name, r.status]), [["one", "Synced"]], "the operation's result names the ConfigMap");
  assert.equal(synced.history?.length, 1, "one history entry");
  const app = await w.getApp("one");
  assert.equal((app as { operation?: unknown } | undefined)?.operation, undefined, "no .operation left behind");
  // A sync of one resource has nothing to leave half done: its apply is its only check (no dry run).
  assert.equal(await configMapWrites() - configMapsBefore, 1, "one ConfigMap request: the apply, without a dry run before it");
  const live = await w.client.get("v1", "ConfigMap", "one", dest);
  assert.equal((live as { data?: { v?: string } } | undefined)?.data?.v, "1", "the ConfigMap is applied");
});
