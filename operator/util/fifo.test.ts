import { test } from "node:test";
import assert from "node:assert/strict";
import { Fifo } from "./fifo.js";

test("Fifo keeps order across its compaction", () => {
  const f = new Fifo<number>();
  const out: number[] = [];
  for (let i = 0; i < 5000; i++) f.push(i);
  for (let i = 0; i < 3000; i++) out.push(f.shift()!);
  for (let i = 5000; i < 6000; i++) f.push(i);
  assert.equal(f.size, 3000);
  while (f.size > 0) out.push(f.shift()!);
  assert.deepEqual(out, Array.from({ length: 6000 }, (_, i) => i));
  assert.equal(f.shift(), undefined);
});
