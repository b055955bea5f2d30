import { test } from "node:test";
import assert from "node:assert/strict";
import {
  clearTokenCookies, CookieError, maxCookieNumber, MAX_COOKIE_LENGTH, parseCookieHeader, tokenCookieCount, tokenCookies, tokenFromCookies,
} from "./cookies.js";

/** What a browser would send back for these Set-Cookie values. */
function cookieHeader(setCookies: string[]): string {
  return setCookies.map((c) => c.split(";")[0]).join("; ");
}

const token = (n: number): string => "a.b." + "x".repeat(n - 4);

test("a short token is one cookie with Argo's attributes", () => {
  const cookies = tokenCookies("h.p.s", { basehref: "/argo-cd/", insecure: false });
  assert.deepEqual(cookies, ["argocd.token=h.p.s; path=/argo-cd; SameSite=lax; httpOnly; Secure"], "no <N>: prefix for one part");
  assert.deepEqual(tokenCookies("h.p.s", { insecure: true }), ["argocd.token=h.p.s; path=/; SameSite=lax; httpOnly"], "no Secure when insecure");
});

test("a long token is split into cookies of at most 4093 bytes and joined back", () => {
  for (const length of [4_000, 4_100, 10_000, 30_000]) {
    const t = token(length);
    const cookies = tokenCookies(t, {});
    for (const c of cookies) assert.ok(Buffer.byteLength(c) <= MAX_COOKIE_LENGTH, `cookie of ${Buffer.byteLength(c)} bytes fits (token ${length})`);
    if (cookies.length > 1) {
      assert.match(cookies[0]!, new RegExp(`^argocd\\.token=${cookies.length}:`), "first part carries the count");
      assert.match(cookies[1]!, /^argocd\.token-1=/, "continuations are numbered from 1");
    }
    const jar = parseCookieHeader(cookieHeader(cookies));
    assert.equal(tokenFromCookies(jar), t, `token of ${length} bytes joins back`);
    assert.equal(tokenCookieCount(jar), cookies.length, "every part is counted for logout");
  }
  assert.equal(tokenCookies(token(5_000), {}).length, 2, "5000 bytes take two cookies");
});

test("more than the allowed number of parts is an error, and the limit is configurable", () => {
  const big = token(20 * 4_100);
  assert.throws(() => tokenCookies(big, {}), (e: unknown) => e instanceof CookieError && /ARGOCD_MAX_COOKIE_NUMBER/.test(e.message) && !e.message.includes("xxxx"));
  assert.equal(tokenCookies(big, { maxParts: 25 }).length, 21, "fits when 25 parts are allowed");
  assert.equal(tokenCookies(token(20 * 4_000), {}).length, 20, "exactly 20 parts are allowed");
  assert.equal(maxCookieNumber({}), 20, "default 20");
  assert.equal(maxCookieNumber({ ARGOCD_MAX_COOKIE_NUMBER: "30" }), 30, "env var read");
  assert.throws(() => maxCookieNumber({ ARGOCD_MAX_COOKIE_NUMBER: "many" }), /ARGOCD_MAX_COOKIE_NUMBER: "many"/);
});

test("joining refuses a missing part or an absurd count", () => {
  const cookies = tokenCookies(token(9_000), {});
  assert.equal(cookies.length, 3, "three parts");
  const jar = parseCookieHeader(cookieHeader([cookies[0]!, cookies[2]!]));
  assert.throws(() => tokenFromCookies(jar), /argocd\.token-1 is missing/);
  assert.throws(() => tokenFromCookies(parseCookieHeader("argocd.token=99:abc")), /at most 20/);
  assert.equal(tokenFromCookies(parseCookieHeader("other=1")), undefined, "no token cookie, no token");
});

test("logout clears every part", () => {
  assert.deepEqual(clearTokenCookies(2, { insecure: true }), [
    "argocd.token=; Max-Age=0; path=/; SameSite=lax; httpOnly",
    "argocd.token-1=; Max-Age=0; path=/; SameSite=lax; httpOnly",
  ], "one expired cookie per part");
});
