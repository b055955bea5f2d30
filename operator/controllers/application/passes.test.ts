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
