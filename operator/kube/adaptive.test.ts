import { test } from "node:test";
import assert from "node:assert/strict";
import { AdaptiveLimiter } from "./adaptive.js";
import { KubeApiError } from "./client.js";

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("the limit grows while requests succeed quickly and never exceeds max", async () => {
  const lim = new AdaptiveLimiter({ initial: 2, max: 6, targetLatencyMs: 1000 });
  let peak = 0;
  await Promise.all(Array.from({ length: 200 }, () => lim.run(async () => {
    peak = Math.max(peak, lim.active);
    await tick(1);
  })));
  assert.equal(lim.currentLimit, 6);
  assert.ok(peak <= 6, `peak in flight ${peak}`);
  assert.ok(peak > 2, "concurrency increased beyond the initial limit");
});

test("429 answers halve the limit and are retried", async () => {
  const lim = new AdaptiveLimiter({ initial: 8, max: 8 });
  let calls = 0;
  const result = await lim.run(async () => {
    calls++;
    if (calls < 3) throw new KubeApiError(429, "TooManyRequests", "slow down");
    return "ok";
  });
  assert.equal(result, "ok");
  assert.equal(calls, 3);
  assert.equal(lim.decreases, 2);
  assert.equal(lim.currentLimit, 2);
  assert.equal(lim.active, 0);
});

test("slow answers reduce the limit; other errors propagate and free the slot", async () => {
  const lim = new AdaptiveLimiter({ initial: 8, targetLatencyMs: 5 });
  await lim.run(() => tick(20));
  assert.equal(lim.currentLimit, 4);
  await assert.rejects(lim.run(async () => { throw new KubeApiError(422, "Invalid", "bad"); }), /bad/);
  assert.equal(lim.active, 0);
});
