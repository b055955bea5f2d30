// The EventRecorder's lane in a shared write limiter: Events wait behind the writes that share it,
// are all written in the end, and are dropped only past the memory bound, with a warning.
import { test } from "node:test";
import assert from "node:assert/strict";
import { AdaptiveLimiter } from "../kube/adaptive.js";
import type { KubeClient, KubeObject } from "../kube/client.js";
import { EventRecorder } from "./events.js";
import { memoryLogger } from "./logger.js";

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));
const app = (name: string): KubeObject => ({ apiVersion: "argoproj.io/v1alpha1", kind: "Application", metadata: { name, namespace: "argocd", uid: `uid-${name}` } });

/** Records the order in which writes reach the apiserver; each answers when the test says. */
function fakeApiserver(): { client: KubeClient; log: string[]; answerAll: () => void } {
  const log: string[] = [];
  const pending: Array<() => void> = [];
  const client = {
    request: async (method: string, path: string, opts: { body?: { reason?: string; involvedObject?: { name?: string } } }) => {
      log.push(`${method} ${path.includes("/events") ? `event ${opts.body?.involvedObject?.name ?? ""}` : path}`);
      await new Promise<void>((r) => pending.push(r));
      return {};
    },
  } as unknown as KubeClient;
  return { client, log, answerAll: () => { for (const r of pending.splice(0)) r(); } };
}

test("Events take the limiter's low lane: a status write queued after them is sent first, and none is lost", async () => {
  const api = fakeApiserver();
  const limiter = new AdaptiveLimiter({ initial: 2, max: 2 });
  const recorder = new EventRecorder(api.client, "test", memoryLogger().logger, "argocd", { limiter });
  const status = (name: string): Promise<unknown> => limiter.run(() => api.client.request("PATCH", `/status/${name}`, {}));
  const writes = [status("a"), status("b")]; // every slot taken
  const events = ["a", "b", "c"].map((n) => recorder.record(app(n), "Normal", "OperationStarted", `sync ${n}`));
  writes.push(status("c"));
  await tick();
  assert.equal(recorder.waiting, 3);
  api.answerAll();
  await tick();
  // The first free slot goes to status c, though the Events were asked for before it.
  assert.deepEqual(api.log.slice(0, 3), ["PATCH /status/a", "PATCH /status/b", "PATCH /status/c"]);
  for (let i = 0; i < 5; i++) { api.answerAll(); await tick(); }
  await Promise.all([...writes, ...events]);
  assert.deepEqual(api.log.slice(3), ["POST event a", "POST event b", "POST event c"], "every Event written, in order");
  assert.equal(recorder.waiting, 0);
  assert.equal(recorder.dropped, 0);
});

test("past maxWaiting, Events are dropped with a warning, not silently", async () => {
  const api = fakeApiserver();
  const limiter = new AdaptiveLimiter({ initial: 1, max: 1 });
  const { logger, lines } = memoryLogger("warn");
  const recorder = new EventRecorder(api.client, "test", logger, "argocd", { limiter, maxWaiting: 2 });
  const accepted = [recorder.record(app("a"), "Normal", "R", "1"), recorder.record(app("b"), "Normal", "R", "2")];
  await recorder.record(app("c"), "Normal", "R", "3");
  await recorder.record(app("d"), "Normal", "R", "4");
  assert.equal(recorder.dropped, 2);
  assert.equal(lines.filter((l) => String(l.msg).includes("Events dropped")).length, 1, "one warning for the first drop");
  for (let i = 0; i < 4; i++) { api.answerAll(); await tick(); }
  await Promise.all(accepted);
  assert.deepEqual(api.log, ["POST event a", "POST event b"], "those accepted are written");
});

test("without a limiter an Event is written at once", async () => {
  const api = fakeApiserver();
  const recorder = new EventRecorder(api.client, "test", memoryLogger().logger);
  const done = recorder.record(app("a"), "Warning", "R", "m");
  await tick();
  assert.deepEqual(api.log, ["POST event a"]);
  api.answerAll();
  await done;
});

test("Event names: the object's name and a suffix unique within the process, in one millisecond too", async () => {
  const names: string[] = [];
  const client = {
    request: async (_method: string, _path: string, opts: { body?: { metadata?: { name?: string } } }) => {
      names.push(opts.body?.metadata?.name ?? "");
      return {};
    },
  } as unknown as KubeClient;
  const recorder = new EventRecorder(client, "test", memoryLogger().logger);
  // Different reasons, so none is aggregated into another.
  await Promise.all(Array.from({ length: 200 }, (_, i) => recorder.record(app("a"), "Normal", `R${i}`, "m")));
  assert.equal(names.length, 200);
  assert.equal(new Set(names).size, 200, "no two Events share a name");
  for (const n of names) assert.match(n, /^a\.[0-9a-f]+$/, "a DNS subdomain: the object's name, a dot, hex");
});
