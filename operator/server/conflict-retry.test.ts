import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { KubeApiError } from "../kube/client.js";
import { memoryLogger } from "../runtime/logger.js";
import { MAX_CONFLICT_ATTEMPTS } from "./auth/conflict.js";
import { writeRetryingConflicts } from "./conflict-retry.js";
import { ApiError, Code } from "./http/errors.js";

interface Obj { rv: string; labels: Record<string, string> }

const conflict = (): KubeApiError => new KubeApiError(409, "Conflict", "Operation cannot be fulfilled on applications.argoproj.io \"web\": the object has been modified; please apply your changes to the latest version and try again");

/**
 * An apiserver holding one object: a write succeeds only with the current resourceVersion, as
 * Kubernetes' optimistic concurrency does; `bumpsBeforeEachWrite` moves the object on first
 * (a concurrent writer winning that many times).
 */
function server(initial: Obj, bumpsBeforeEachWrite = 0): { live: Obj; writes: string[]; rereads: number; write: (o: Obj) => Promise<Obj>; reread: () => Promise<Obj | undefined> } {
  const s = {
    live: structuredClone(initial),
    writes: [] as string[],
    rereads: 0,
    bumpsLeft: bumpsBeforeEachWrite,
    write: async (o: Obj): Promise<Obj> => {
      s.writes.push(o.rv);
      if (s.bumpsLeft > 0) {
        s.bumpsLeft--;
        s.live = { rv: String(Number(s.live.rv) + 1), labels: { ...s.live.labels, [`other-${s.live.rv}`]: "x" } };
      }
      if (o.rv !== s.live.rv) throw conflict();
      s.live = { rv: String(Number(o.rv) + 1), labels: o.labels };
      return structuredClone(s.live);
    },
    reread: async (): Promise<Obj | undefined> => { s.rereads++; return structuredClone(s.live); },
  };
  return s;
}

const gone = (): Error => new ApiError(Code.NotFound, "gone");

describe("writeRetryingConflicts", () => {
  it("writes once when the cached object is current", async () => {
    const s = server({ rv: "5", labels: {} });
    const out = await writeRetryingConflicts({ current: { rv: "5", labels: {} }, write: (c) => s.write({ rv: c.rv, labels: { ...c.labels, mine: "1" } }), reread: s.reread, gone, what: "Application web" });
    assert.deepEqual(out, { rv: "6", labels: { mine: "1" } }, "the write's result is returned");
    assert.equal(s.rereads, 0, "no re-read without a conflict");
  });

  it("re-reads a stale cache and applies the change to the fresh object, keeping what others wrote", async () => {
    const s = server({ rv: "7", labels: { theirs: "1" } });
    const stale = { rv: "5", labels: {} };
    const out = await writeRetryingConflicts({ current: stale, write: (c) => s.write({ rv: c.rv, labels: { ...c.labels, mine: "1" } }), reread: s.reread, gone, what: "Application web" });
    assert.deepEqual(s.writes, ["5", "7"], "the second attempt carries the re-read version");
    assert.deepEqual(out.labels, { theirs: "1", mine: "1" }, "the concurrent writer's label survives the retry");
  });

  it("logs each conflict it retries at debug level, naming the object and the attempt", async () => {
    const s = server({ rv: "1", labels: {} }, 2);
    const { logger, lines } = memoryLogger("debug");
    await writeRetryingConflicts({ current: { rv: "1", labels: {} }, write: (c) => s.write({ rv: c.rv, labels: { ...c.labels, mine: "1" } }), reread: s.reread, gone, what: "Application web", log: logger });
    const conflicts = lines.filter((l) => l.msg === "write conflict");
    assert.deepEqual(conflicts.map((l) => [l.level, l.object, l.attempt, l.retrying]), [["debug", "Application web", 1, true], ["debug", "Application web", 2, true]], JSON.stringify(lines));
  });

  it("keeps retrying while concurrent writers win, within the bound", async () => {
    const s = server({ rv: "1", labels: {} }, 3);
    const out = await writeRetryingConflicts({ current: { rv: "1", labels: {} }, write: (c) => s.write({ rv: c.rv, labels: { ...c.labels, mine: "1" } }), reread: s.reread, gone, what: "Application web" });
    assert.equal(s.writes.length, 4, "three lost races, then the write lands");
    assert.equal(out.labels.mine, "1", "the caller's change is in the result");
    assert.equal(Object.keys(out.labels).length, 4, "each concurrent writer's label is kept");
  });

  it("gives up with 409 Aborted after the bounded attempts", async () => {
    const s = server({ rv: "1", labels: {} }, 1_000);
    await assert.rejects(
      writeRetryingConflicts({ current: { rv: "1", labels: {} }, write: (c) => s.write({ rv: c.rv, labels: c.labels }), reread: s.reread, gone, what: "Application web" }),
      (err: unknown) => err instanceof ApiError && err.code === Code.Aborted && /Application web/.test(err.message),
      "an endless conflict ends as Aborted naming the object",
    );
    assert.equal(s.writes.length, MAX_CONFLICT_ATTEMPTS, "exactly the bounded number of attempts");
  });

  it("does not retry when the caller sent its own resourceVersion: the conflict is the caller's 409", async () => {
    const s = server({ rv: "9", labels: {} });
    await assert.rejects(
      writeRetryingConflicts({ current: { rv: "9", labels: {} }, clientVersion: "4", write: () => s.write({ rv: "4", labels: { mine: "1" } }), reread: s.reread, gone, what: "AppProject p" }),
      (err: unknown) => err instanceof ApiError && err.code === Code.Aborted && /has been modified/.test(err.message),
      "the apiserver's conflict message comes back as Aborted",
    );
    assert.equal(s.writes.length, 1, "one attempt only");
    assert.equal(s.rereads, 0, "no re-read");
    assert.deepEqual(s.live.labels, {}, "nothing was written");
  });

  it("answers the service's NotFound when the object is deleted between attempts", async () => {
    await assert.rejects(
      writeRetryingConflicts({ current: { rv: "1", labels: {} }, write: () => Promise.reject(conflict()), reread: () => Promise.resolve(undefined), gone, what: "Application web" }),
      (err: unknown) => err instanceof ApiError && err.code === Code.NotFound,
      "a vanished object is NotFound, not a conflict",
    );
  });

  it("passes other errors through at once", async () => {
    let calls = 0;
    const invalid = new KubeApiError(422, "Invalid", "spec.destination: Required value");
    await assert.rejects(
      writeRetryingConflicts({ current: { rv: "1", labels: {} }, write: () => { calls++; return Promise.reject(invalid); }, reread: () => Promise.resolve(undefined), gone, what: "Application web" }),
      (err: unknown) => err === invalid,
      "a validation error is not retried and keeps its type",
    );
    assert.equal(calls, 1, "one attempt");
  });
});
