import { test } from "node:test";
import assert from "node:assert/strict";
import { FlagError } from "../../flags.js";
import { jwtClaims, parseDurationSeconds } from "./command.js";

test("--expires-in takes seconds or s/m/h/d units, as argocd", () => {
  const cases: [string, number][] = [["0", 0], ["3600", 3600], ["90s", 90], ["30m", 1800], ["24h", 86400], ["7d", 604800], ["1h30m", 5400]];
  for (const [raw, want] of cases) assert.equal(parseDurationSeconds(raw, "--expires-in"), want, raw);
  for (const bad of ["", "1w", "h", "1.5h", "-1h", "1h 30m"]) {
    assert.throws(() => parseDurationSeconds(bad, "--expires-in"), (e: unknown) => e instanceof FlagError && e.message.startsWith("--expires-in wants a duration"), JSON.stringify(bad));
  }
});

test("a token's claims are read for display; a malformed token gives none", () => {
  const payload = Buffer.from(JSON.stringify({ sub: "proj:p:ci", jti: "id-1", iat: 1_800_000_000 })).toString("base64url");
  assert.deepEqual(jwtClaims(`h.${payload}.s`), { sub: "proj:p:ci", jti: "id-1", iat: 1_800_000_000 }, "the payload");
  assert.deepEqual(jwtClaims("not-a-jwt"), {}, "no payload part");
  assert.deepEqual(jwtClaims("h.%%%.s"), {}, "a payload that is not JSON");
});
