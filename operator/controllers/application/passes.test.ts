// AppPasses (context.ts): refresh and operation passes of one app never overlap.
import { test } from "node:test";
import assert from "node:assert/strict";
import { AppPasses } from "./context.js";

test("AppPasses: a refresh during an operation pass is skipped and asked for again at its end; an operation pass waits for a running refresh", async () => {
  const passes = new AppPasses();
  const endOp = await passes.startOperation("ns/a");
  assert.equal(passes.startRefresh("ns/a"), undefined, "skipped while the operation pass runs");
  const other = passes.startRefresh("ns/b");
  assert.ok(other, "another app's refresh runs");
  other();
  assert.equal(endOp(), true, "the pass's end says a refresh was skipped");

  const endQuiet = await passes.startOperation("ns/a");
  assert.equal(endQuiet(), false, "no refresh came: none to ask for");

  const endRefresh = passes.startRefresh("ns/a");
  assert.ok(endRefresh);
  const order: string[] = [];
  const op = passes.startOperation("ns/a").then((end) => { order.push("operation starts"); return end; });
  await new Promise((r) => setTimeout(r, 10));
  order.push("refresh ends");
  endRefresh();
  (await op)();
  assert.deepEqual(order, ["refresh ends", "operation starts"]);
  const after = passes.startRefresh("ns/a");
  assert.ok(after, "free again once both ended");
  after();
});

test("AppPasses: two refreshes of one app at once (which the queue never runs) both hold it: an operation pass waits for the last, and a repeated release frees nothing", async () => {
  const passes = new AppPasses();
  const first = passes.startRefresh("ns/a");
  const second = passes.startRefresh("ns/a");
  assert.ok(first && second, "a second refresh is not refused: it shares the hold");
  let started = false;
  const op = passes.startOperation("ns/a").then((end) => { started = true; return end; });
  const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 10));

  first();
  first();
  await settle();
  assert.equal(started, false, "the second refresh still runs, however often the first one's release is called");
  const other = passes.startRefresh("ns/b");
  assert.ok(other, "other apps are not held");
  other();

  second();
  const end = await op;
  assert.equal(started, true, "the operation pass starts once the last refresh ended");
  assert.equal(passes.startRefresh("ns/a"), undefined, "and now holds the app: a refresh is skipped");
  second();
  assert.equal(passes.startRefresh("ns/a"), undefined, "a stale refresh release does not end the operation's hold");
  assert.equal(end(), true, "the skipped refreshes are asked for again");
  const after = passes.startRefresh("ns/a");
  assert.ok(after, "free once the operation pass ended");
  after();
});
