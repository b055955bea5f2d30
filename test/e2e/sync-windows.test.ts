// AppProject sync windows through the operator (issue 12's acceptance): an automated app inside a
// deny window does not sync and its condition and Event name the window; `hawser app sync` is
// refused under `manualSync: false`; an operation written straight onto an Application waits
// (Running, "blocked by sync window") instead of running; when the window closes both sync.
//
// The window is real time: it opens at the start of the current minute (a schedule's granularity)
// and its duration, in seconds, ends it 75 s after the test sets it up, so a loaded machine still
// sees it open; the test waits for it to close rather than faking the operator's clock.
import { test } from "node:test";
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { eventually } from "../support/eventually.js";
import { API, createWorld, IN_CLUSTER, showRun } from "../support/world.js";

interface Condition { type: string; message: string }
interface AppStatus {
  sync?: { status?: string };
  conditions?: Condition[];
  operationState?: { phase?: string; message?: string; operation?: { initiatedBy?: { automated?: boolean } } };
}

const configMap = (name: string): string => stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data: { a: "1" } });

test("sync windows: a deny window holds automated and manual syncs back, says so, and they run when it closes", async (t) => {
  const w = await createWorld(t, { name: "win", repos: { app: { "auto/cm.yaml": configMap("auto"), "manual/cm.yaml": configMap("manual") } } });
  const { client, ns } = w;
  const dest = w.dest("win");
  await w.createNamespace(dest);

  // A window from the start of the current minute that closes 75 s from now (whole seconds). A
  // fixed 2m window had to start in the first 40 s of a minute and took 80 to 120 s to close.
  const start = new Date();
  const schedule = `${start.getUTCMinutes()} ${start.getUTCHours()} * * *`;
  const minuteStart = Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate(), start.getUTCHours(), start.getUTCMinutes());
  const durationS = Math.ceil((start.getTime() + 75_000 - minuteStart) / 1000);
  const duration = `${durationS}s`;
  const closesAt = minuteStart + durationS * 1000;
  await client.create({
    apiVersion: API, kind: "AppProject", metadata: { name: "frozen", namespace: ns },
    spec: {
      sourceRepos: ["*"], destinations: [{ server: IN_CLUSTER, namespace: dest }],
      syncWindows: [{ kind: "deny", schedule, duration, applications: ["auto", "manual"], manualSync: false, timeZone: "UTC" }],
    },
  });
  await client.create(w.application("auto", { repo: "app", path: "auto", dest, project: "frozen", syncPolicy: { automated: {} } }));
  await client.create(w.application("manual", { repo: "app", path: "manual", dest, project: "frozen" }));

  const named = `deny window 0 (schedule ${JSON.stringify(schedule)}, duration ${duration}, timeZone UTC)`;
  await eventually(async () => {
    const s = await w.status<AppStatus>("auto");
    assert.equal(s?.sync?.status, "OutOfSync", "compared, not synced");
    const c = s?.conditions?.find((x) => x.type === "SyncError");
    assert.ok(c?.message.includes(`automated sync is blocked by ${named}`), `the condition names the window (${JSON.stringify(s?.conditions)})`);
  }, { timeoutMs: 30_000 });
  assert.ok(Date.now() < closesAt, "the window was still open when the block was seen");
  const events = await client.list("v1", "Event", { namespace: ns, fieldSelector: "involvedObject.name=auto" });
  assert.ok(events.items.some((e) => (e as { reason?: string }).reason === "SyncBlocked" && String((e as { message?: string }).message).includes(named)), "an Event names the window");
  const auto = await w.getApp("auto");
  assert.equal(auto?.operation, undefined, "no operation was requested");
  assert.equal((auto?.status as AppStatus | undefined)?.operationState, undefined, "no automated operation was started");
  assert.equal(await client.get("v1", "ConfigMap", "auto", dest), undefined, "nothing was applied");

  // manualSync: false: the CLI refuses, naming the window.
  const refused = await w.hawserApp("sync", "manual", "--async");
  assert.equal(refused.code, 2, showRun(refused));
  assert.match(refused.stderr, /blocked/, showRun(refused));
  assert.equal((await w.getApp("manual"))?.operation, undefined, "the refused CLI wrote no operation");

  // An operation written straight onto the Application is not run: it waits, Running, and says why.
  await client.patch({ apiVersion: API, kind: "Application", name: "manual", namespace: ns }, { operation: { initiatedBy: { username: "e2e" }, sync: {} } });
  await eventually(async () => {
    const s = await w.status<AppStatus>("manual");
    assert.equal(s?.operationState?.phase, "Running", `waiting (${JSON.stringify(s?.operationState)})`);
    assert.ok(s?.operationState?.message?.startsWith("Sync operation blocked by sync window: manual sync is blocked by"), `says why (${s?.operationState?.message ?? ""})`);
  }, { timeoutMs: 30_000 });
  assert.ok(Date.now() < closesAt, "the window was still open when the waiting operation was seen");
  assert.equal(await client.get("v1", "ConfigMap", "manual", dest), undefined, "the waiting operation applied nothing");

  // The window closes: the automated sync starts by itself and the waiting operation runs.
  await eventually(async () => {
    const a = await w.status<AppStatus>("auto");
    assert.equal(a?.sync?.status, "Synced", `auto synced after the window (${JSON.stringify(a)})`);
    assert.equal(a?.operationState?.operation?.initiatedBy?.automated, true, "by an automated sync");
    assert.equal(a?.conditions?.find((x) => x.type === "SyncError"), undefined, "the window's condition is gone");
    const m = await w.status<AppStatus>("manual");
    assert.equal(m?.operationState?.phase, "Succeeded", `the waiting operation ran (${JSON.stringify(m?.operationState)})`);
  }, { timeoutMs: 200_000 });
  for (const name of ["auto", "manual"]) {
    const cm = await client.get("v1", "ConfigMap", name, dest);
    assert.ok(cm, `${name}'s ConfigMap applied`);
    // creationTimestamp has whole seconds.
    assert.ok(Date.parse(cm.metadata.creationTimestamp ?? "") >= closesAt - 1000, `${name} was applied after the window closed (${cm.metadata.creationTimestamp ?? ""})`);
  }
});
