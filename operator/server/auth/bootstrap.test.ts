import { test } from "node:test";
import assert from "node:assert/strict";
import bcrypt from "bcryptjs";
import { BCRYPT_COST, hashPassword, randomPassword } from "./bootstrap.js";

test("initial passwords are 16 characters of [0-9A-Za-z-], and differ", () => {
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const p = randomPassword();
    assert.match(p, /^[0-9A-Za-z-]{16}$/, `password ${i} has Argo's shape`);
    seen.add(p);
  }
  assert.equal(seen.size, 200, "no repeats in 200 draws");
});

test("passwords are hashed with bcrypt at cost ≥ 10", async () => {
  const h = await hashPassword("s3cret-pass");
  assert.ok(BCRYPT_COST >= 10, "cost constant ≥ 10");
  assert.equal(bcrypt.getRounds(h), BCRYPT_COST, "hash made at that cost");
  assert.ok(await bcrypt.compare("s3cret-pass", h), "the hash verifies the password");
  assert.ok(!(await bcrypt.compare("other", h)), "and no other");
});
