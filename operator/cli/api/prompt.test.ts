import assert from "node:assert/strict";
import { test } from "node:test";
import { FlagError } from "../../flags.js";
import { confirm } from "./prompt.js";

test("confirm: --yes answers; without a terminal it refuses, naming the flag", async () => {
  assert.equal(await confirm("Delete it?", true), true, "--yes needs no terminal");
  const tty = process.stdin.isTTY;
  process.stdin.isTTY = false;
  try {
    await assert.rejects(confirm("Delete it?", false), (e: unknown) => e instanceof FlagError && e.message === "Delete it: stdin is not a terminal to confirm on; give -y (--yes)", "refused with the flag named");
  } finally {
    process.stdin.isTTY = tty;
  }
});
