import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { WriteTracker } from "./write-tracker.js";

/** A tracker on a hand-driven clock, so "when the write returned" and "when a list started" are exact. */
function tracker(): { t: WriteTracker; clock: { now: number } } {
  const clock = { now: 1000 };
  return { t: new WriteTracker(() => clock.now), clock };
}

// A long timeout: every wait below must end through an event, never through the timer.
const LONG = 60_000;

describe("WriteTracker", () => {
  it("a write the informer already delivered is seen at once", async () => {
    const { t } = tracker();
    t.observe("argocd/repo-1", "41");
    assert.equal(await t.waitFor("argocd/repo-1", "41", t.now(), LONG), true, "the cached version is the written one");
    assert.equal(t.pending, 0, "nothing is left waiting");
  });

  it("waits until an event carries the written resourceVersion, ignoring older ones and other keys", async () => {
    const { t } = tracker();
    t.observe("argocd/proj", "10");
    let settled: boolean | undefined;
    const wait = t.waitFor("argocd/proj", "12", t.now(), LONG).then((v) => { settled = v; return v; });
    t.observe("argocd/proj", "11"); // an older write by someone else, delivered late
    t.observe("argocd/other", "12"); // the same number on another object means nothing
    await Promise.resolve();
    assert.equal(settled, undefined, "neither an older version nor another key ends the wait");
    assert.equal(t.pending, 1, "still waiting");
    t.observe("argocd/proj", "12");
    assert.equal(await wait, true, "the written version ends the wait");
  });

  it("a later write delivered before anyone waited still counts (short history per key)", async () => {
    const { t } = tracker();
    t.observe("argocd/s", "5");
    t.observe("argocd/s", "6"); // another replica's write right after ours
    assert.equal(await t.waitFor("argocd/s", "5", t.now(), LONG), true, "version 5 was delivered, even though 6 is cached now");
  });

  it("forgets versions beyond its history", async () => {
    const { t } = tracker();
    for (const rv of ["1", "2", "3", "4", "5", "6"]) t.observe("argocd/s", rv);
    assert.equal(t.has("argocd/s", "1", t.now()), false, "the oldest versions are dropped");
    assert.equal(t.has("argocd/s", "6", t.now()), true, "the newest is kept");
  });

  it("a full list that started after the write returned ends the wait (a list is a consistent read)", async () => {
    const { t, clock } = tracker();
    clock.now = 2000;
    const wait = t.waitFor("argocd/app", "99", t.now(), LONG);
    t.listed(1500); // began before the write returned: may predate it
    await Promise.resolve();
    assert.equal(t.pending, 1, "an older list does not prove the write is cached");
    t.listed(2000);
    assert.equal(await wait, true, "a list begun after the write holds it or something newer");
    assert.equal(t.has("argocd/app", "anything", 1999), true, "later writes before that list are covered too");
    assert.equal(t.has("argocd/app", "anything", 2001), false, "writes after the list are not");
  });

  it("a delete of the key ends a wait on it; waitForDelete ends only with the delete", async () => {
    const { t } = tracker();
    t.observe("argocd/c", "7");
    const onWrite = t.waitFor("argocd/c", "8", t.now(), LONG);
    const onDelete = t.waitForDelete("argocd/c", t.now(), LONG);
    t.observe("argocd/c", "8");
    assert.equal(await onWrite, true, "the write was seen");
    assert.equal(t.pending, 1, "an update does not end a wait for the delete");
    t.deleted("argocd/c");
    assert.equal(await onDelete, true, "the delete was seen");
    assert.equal(t.has("argocd/c", "8", t.now()), false, "a deleted key's history goes with it");
  });

  it("gives up after the timeout and says so", async () => {
    const { t } = tracker();
    assert.equal(await t.waitFor("argocd/x", "1", t.now(), 1), false, "never delivered: false");
    assert.equal(t.pending, 0, "the timed-out waiter is removed");
  });

  it("cancelAll ends every wait as not seen", async () => {
    const { t } = tracker();
    const a = t.waitFor("argocd/a", "1", t.now(), LONG);
    const b = t.waitForDelete("argocd/b", t.now(), LONG);
    t.cancelAll();
    assert.deepEqual(await Promise.all([a, b]), [false, false], "both waits end unseen");
    assert.equal(t.pending, 0, "none left");
  });
});
