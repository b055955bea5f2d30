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

test("slow start doubles the limit per window until the first cut, then grows by one", async () => {
  const lim = new AdaptiveLimiter({ initial: 4, max: 64, targetLatencyMs: 1000 });
  for (let i = 0; i < 4; i++) await lim.run(() => Promise.resolve());
  assert.equal(lim.currentLimit, 8, "one window of successes doubles the limit");
  for (let i = 0; i < 8; i++) await lim.run(() => Promise.resolve());
  assert.equal(lim.currentLimit, 16, "and again");
  let first = true;
  await lim.run(async () => {
    if (first) {
      first = false;
      throw new KubeApiError(429, "TooManyRequests", "slow down");
    }
  });
  assert.equal(lim.currentLimit, 8, "a 429 halves it and ends slow start");
  for (let i = 0; i < 8; i++) await lim.run(() => Promise.resolve());
  assert.equal(lim.currentLimit, 9, "then one more per window");
});

test("a burst of slow answers sent together cuts the limit once", async () => {
  const lim = new AdaptiveLimiter({ initial: 8, max: 8, targetLatencyMs: 5 });
  await Promise.all(Array.from({ length: 8 }, () => lim.run(() => tick(20))));
  assert.equal(lim.decreases, 1, "one cut for one burst");
  assert.equal(lim.currentLimit, 4, "halved once");
});
