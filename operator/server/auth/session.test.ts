import { test } from "node:test";
import assert from "node:assert/strict";
import bcrypt from "bcryptjs";
import { decodeJwt } from "jose";
import { ApiError } from "../http/errors.js";
import { mapState } from "./testdata/state.js";
import {
  effectiveWindowSeconds, INVALID_LOGIN, LoginRateLimiter, rateLimitSettingsFromEnv, revocationIdOf, SessionManager, sourceKey, type RateLimitSettings, type RevocationList,
} from "./session.js";

const SECRET = "dGVzdC1zaWduaW5nLWtleQ==";
// Cost 4 keeps the tests fast; verification reads the cost from the hash.
const hash = (p: string): string => bcrypt.hashSync(p, 4);

const settings = (over: Partial<RateLimitSettings> = {}): RateLimitSettings => ({
  maxFailCount: 5, sourceMaxFailCount: 20, windowSeconds: 300, maxCacheSize: 10_000, maxConcurrentLogins: 50, ...over,
});

test("rate limit settings come from Argo's env vars with Argo's defaults; bad values name the variable", () => {
  assert.deepEqual(rateLimitSettingsFromEnv({}), { maxFailCount: 5, sourceMaxFailCount: 20, windowSeconds: 300, attemptsExpirationSeconds: 86_400, maxCacheSize: 10_000, maxConcurrentLogins: 50 }, "defaults (server.login.attempts.expiration: 24h)");
  assert.deepEqual(rateLimitSettingsFromEnv({
    ARGOCD_SESSION_FAILURE_MAX_FAIL_COUNT: "3", ARGOCD_SESSION_FAILURE_WINDOW_SECONDS: "0", ARGOCD_SESSION_MAX_CACHE_SIZE: "7",
    ARGOCD_MAX_CONCURRENT_LOGIN_REQUESTS_COUNT: "50", ARGOCD_API_SERVER_REPLICAS: "3",
  }), { maxFailCount: 3, sourceMaxFailCount: 12, windowSeconds: 0, attemptsExpirationSeconds: 86_400, maxCacheSize: 7, maxConcurrentLogins: 16 }, "values read, the login cap shared among replicas");
  assert.equal(rateLimitSettingsFromEnv({ ARGOCD_SESSION_FAILURE_MAX_FAIL_COUNT: "0" }).sourceMaxFailCount, 0, "Argo's lock-out off turns the source lock-out off");
  assert.equal(rateLimitSettingsFromEnv({ HAWSER_SESSION_SOURCE_MAX_FAIL_COUNT: "50" }).sourceMaxFailCount, 50, "its own variable");
  assert.throws(() => rateLimitSettingsFromEnv({ HAWSER_SESSION_SOURCE_MAX_FAIL_COUNT: "-1" }), /HAWSER_SESSION_SOURCE_MAX_FAIL_COUNT: "-1"/);
  assert.throws(() => rateLimitSettingsFromEnv({ ARGOCD_SESSION_FAILURE_MAX_FAIL_COUNT: "five" }), /ARGOCD_SESSION_FAILURE_MAX_FAIL_COUNT: "five"/);
  assert.throws(() => rateLimitSettingsFromEnv({ ARGOCD_SESSION_MAX_CACHE_SIZE: "0" }), /ARGOCD_SESSION_MAX_CACHE_SIZE/);
});

test("the limiter locks a user out after maxFailCount failures within the window, and success resets", () => {
  const limiter = new LoginRateLimiter(settings({ maxFailCount: 3, windowSeconds: 60 }));
  let now = 1_000_000;
  for (let i = 0; i < 2; i++) limiter.recordFailure("alice", now += 1_000);
  assert.equal(limiter.isLockedOut("alice", now), false, "two failures: not locked");
  limiter.recordFailure("alice", now += 1_000);
  assert.equal(limiter.isLockedOut("alice", now), true, "three failures: locked");
  assert.equal(limiter.isLockedOut("bob", now), false, "per user");
  assert.equal(limiter.isLockedOut("alice", now + 60_000), true, "still locked at the window's edge");
  assert.equal(limiter.isLockedOut("alice", now + 60_001), false, "the window passed");
  assert.equal(limiter.failureCount("alice", now + 60_001), 0, "old failures no longer count");
  limiter.recordFailure("carol", now);
  limiter.recordSuccess("carol");
  assert.equal(limiter.failureCount("carol", now), 0, "success resets");
  const forever = new LoginRateLimiter(settings({ maxFailCount: 1, windowSeconds: 0 }));
  forever.recordFailure("dave", 0);
  assert.equal(forever.isLockedOut("dave", 10 ** 12), true, "window 0: failures count forever");
});

test("server.login.attempts.expiration bounds how long a failure counts, window or not", () => {
  assert.equal(effectiveWindowSeconds({ windowSeconds: 300, attemptsExpirationSeconds: 86_400 }), 300, "Argo's defaults: the 5-minute window decides");
  assert.equal(effectiveWindowSeconds({ windowSeconds: 300, attemptsExpirationSeconds: 60 }), 60, "an expiration shorter than the window cuts it");
  assert.equal(effectiveWindowSeconds({ windowSeconds: 0, attemptsExpirationSeconds: 3_600 }), 3_600, "window 0 (forever) still ends at the expiration");
  assert.equal(effectiveWindowSeconds({ windowSeconds: 0, attemptsExpirationSeconds: 0 }), 0, "both 0: forever");
  assert.equal(rateLimitSettingsFromEnv({}, 90_000).attemptsExpirationSeconds, 90, "the expiration given in ms is kept in seconds");
  const limiter = new LoginRateLimiter(settings({ maxFailCount: 1, windowSeconds: 0, attemptsExpirationSeconds: 10 }));
  limiter.recordFailure("erin", 0, "10.0.0.1");
  assert.equal(limiter.isLockedOut("erin", 10_000), true, "locked until the expiration");
  assert.equal(limiter.isLockedOut("erin", 10_001), false, "forgotten after it");
  assert.equal(limiter.sourceFailureCount("10.0.0.1", 10_001), 0, "the source's failures expire alike");
});

test("a full cache evicts a random non-admin entry, never admin", () => {
  let pick = 0;
  const limiter = new LoginRateLimiter(settings({ maxCacheSize: 3, maxFailCount: 1 }), () => pick);
  limiter.recordFailure("admin", 0);
  limiter.recordFailure("u1", 0);
  limiter.recordFailure("u2", 0);
  for (const p of [0, 0.99, 0.5, 0]) {
    pick = p;
    limiter.recordFailure(`x${p}`, 1);
    assert.equal(limiter.size, 3, "size stays at the cap");
    assert.equal(limiter.isLockedOut("admin", 1), true, "admin's failures are never evicted");
  }
});

function manager(over: { cm?: Record<string, string>; secret?: Record<string, string>; limiter?: LoginRateLimiter; cap?: number; sleep?: () => Promise<void> } = {}) {
  let clock = 1_800_000_000_000;
  const sleeps: number[] = [];
  const revoked = new Map<string, number | undefined>();
  const revocations: RevocationList = {
    isRevoked: (jti) => revoked.has(jti),
    revoke: (jti, exp) => { revoked.set(jti, exp); return Promise.resolve(); },
  };
  const state = mapState(
    { "accounts.alice": "login", "accounts.robot": "apiKey", "accounts.off": "login", "accounts.off.enabled": "false", ...over.cm },
    { "server.secretkey": SECRET, "admin.password": hash("admin-pass"), "accounts.alice.password": hash("alice-pass"),
      "accounts.robot.password": hash("robot-pass"), "accounts.off.password": hash("off-pass"), ...over.secret },
  );
  const sessions = new SessionManager({
    state, revocations, limiter: over.limiter ?? new LoginRateLimiter(settings()), maxConcurrentLogins: over.cap ?? 50,
    now: () => clock, sleep: over.sleep ?? ((ms) => { sleeps.push(ms); clock += ms; return Promise.resolve(); }), random: () => 0.5,
  });
  return { sessions, sleeps, revoked, state, now: () => clock, advance: (ms: number) => { clock += ms; } };
}

async function loginFails(p: Promise<unknown>, status: number, message: string | RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof ApiError && e.httpStatus === status && (typeof message === "string" ? e.message === message : message.test(e.message)),
    `fails with ${status} ${String(message)}`);
}

test("login gives a login token lasting users.session.duration, padded like every answer", async () => {
  const { sessions, sleeps } = manager({ cm: { "users.session.duration": "2h" } });
  const { token, claims } = await sessions.login("alice", "alice-pass", "127.0.0.1");
  const decoded = decodeJwt(token);
  assert.equal(decoded.sub, "alice:login", "login subject");
  assert.equal(decoded.exp! - decoded.iat!, 7200, "2h session");
  assert.deepEqual(decoded, claims, "claims returned");
  assert.equal((await sessions.verify(token)).sub, "alice", "the token verifies");
  assert.deepEqual(sleeps, [750], "padded to 500 + 0.5 × 500 ms");
});

test("wrong credentials all answer 401 Invalid username or password, each padded", async () => {
  const { sessions, sleeps } = manager();
  await loginFails(sessions.login("alice", "wrong"), 401, INVALID_LOGIN);
  await loginFails(sessions.login("nobody", "whatever"), 401, INVALID_LOGIN);
  await loginFails(sessions.login("alice", ""), 401, "Blank passwords are not allowed");
  await loginFails(sessions.login("a".repeat(33), "x"), 400, "username is too long (32 bytes max)");
  assert.equal(sleeps.length, 2, "the two checked logins were padded");
  for (const s of sleeps) assert.ok(s >= 500 && s <= 1000, `padding ${s} ms within 500–1000`);
  // With the right password, a disabled account or one without login says why, as in Argo.
  await loginFails(sessions.login("off", "off-pass"), 401, "Account off is disabled");
  await loginFails(sessions.login("robot", "robot-pass"), 401, "Account robot does not have login capability");
  await loginFails(sessions.login("off", "bad-pass"), 401, INVALID_LOGIN);
});

test("a locked-out user is refused even with the right password, until the window passes", async () => {
  const limiter = new LoginRateLimiter(settings({ maxFailCount: 3, windowSeconds: 300 }));
  const { sessions, advance, now } = manager({ limiter });
  for (let i = 0; i < 3; i++) await loginFails(sessions.login("alice", `guess-${i}`), 401, INVALID_LOGIN);
  await loginFails(sessions.login("alice", "alice-pass"), 401, INVALID_LOGIN);
  assert.ok(await sessions.login("admin", "admin-pass"), "other users are not locked");
  advance(301_000);
  assert.ok(await sessions.login("alice", "alice-pass"), "the window passed: the right password works");
  assert.equal(limiter.failureCount("alice", now()), 0, "success reset the count");
});

test("logins beyond the concurrent cap are refused with 401", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  // The first login waits in its padding until released, so it stays in flight.
  let held = false;
  const { sessions } = manager({ cap: 1, sleep: () => (held ? Promise.resolve() : ((held = true), gate)) });
  const first = sessions.login("alice", "alice-pass");
  // Wait until the first login reached its padding (it is in flight throughout).
  while (!held) await new Promise((r) => setImmediate(r));
  await loginFails(sessions.login("admin", "admin-pass"), 401, /too many concurrent login requests/);
  release();
  assert.ok(await first, "the first login completes");
  assert.ok(await sessions.login("admin", "admin-pass"), "a login after it is accepted");
});

test("logout revokes the token's id until its expiry, and the revoked token is refused", async () => {
  const { sessions, revoked } = manager();
  const { token, claims } = await sessions.login("alice", "alice-pass");
  await sessions.logout(await sessions.verify(token));
  assert.deepEqual([...revoked], [[claims.jti, claims.exp]], "jti revoked until exp");
  await assert.rejects(sessions.verify(token), /revoked/);
  await sessions.logout({ iss: "https://idp", sub: "x", at_hash: "abc", exp: 5 });
  assert.ok(revoked.has("abc"), "an SSO token without jti is revoked by at_hash");
  await sessions.logout({ iss: "https://idp", sub: "y", exp: 5 }, "h.p.s");
  assert.ok(revoked.has(revocationIdOf({ iss: "https://idp" }, "h.p.s")!), "an SSO token with no id at all is revoked by its digest");
  assert.match(revocationIdOf({ iss: "https://idp" }, "h.p.s") ?? "", /^sha256:[0-9a-f]{64}$/);
  assert.equal(revocationIdOf({ iss: "argocd", sub: "alice" }, "h.p.s"), undefined, "our own tokens always carry a jti; none is made up");
});

test("login outcomes are counted for argocd_login_request_total", async () => {
  const counted: string[] = [];
  const state = mapState({}, { "server.secretkey": SECRET, "admin.password": hash("admin-pass") });
  const sessions = new SessionManager({
    state, revocations: { isRevoked: () => false, revoke: () => Promise.resolve() }, limiter: new LoginRateLimiter(settings()), maxConcurrentLogins: 0,
    sleep: () => Promise.resolve(), loginRequests: { inc: ({ status }) => { counted.push(status); } },
  });
  await sessions.login("admin", "admin-pass");
  await loginFails(sessions.login("admin", "nope"), 401, INVALID_LOGIN);
  assert.deepEqual(counted, ["success", "failure"], "one count per checked login");
});

test("source keys: the peer address; IPv4-mapped IPv6 is IPv4; other IPv6 counts by its /64", () => {
  assert.equal(sourceKey("203.0.113.7"), "203.0.113.7");
  assert.equal(sourceKey("::ffff:203.0.113.7"), "203.0.113.7", "the same client over a dual-stack socket");
  assert.equal(sourceKey("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
  assert.equal(sourceKey("2001:0db8:0001:0002:ffff:0:0:9"), "2001:db8:1:2::/64", "another host of the same /64 is the same source");
  assert.notEqual(sourceKey("2001:db8:1:3::1"), sourceKey("2001:db8:1:2::1"), "another /64 is another source");
  assert.equal(sourceKey("::1"), "0:0:0:0::/64");
  assert.equal(sourceKey(undefined), undefined, "no address: nothing to count");
});

test("password spraying: wrong passwords from one source against many names lock the source, not just the names", async () => {
  // Per-user 5, per-source 20: 4 guesses at each of 5 names never locks a name, but does the source.
  const limiter = new LoginRateLimiter(settings({ maxFailCount: 5, sourceMaxFailCount: 20, windowSeconds: 300 }));
  const { sessions, advance, now } = manager({ limiter });
  const attacker = "198.51.100.9";
  const names = ["alice", "admin", "robot", "off", "nobody"];
  for (const name of names) for (let i = 0; i < 4; i++) await loginFails(sessions.login(name, `guess-${i}`, attacker), 401, INVALID_LOGIN);
  for (const name of names) assert.equal(limiter.failureCount(name, now()), 4, `${name} stays under the per-user limit`);
  assert.equal(limiter.sourceFailureCount(attacker, now()), 20, "the source counted every guess");
  assert.equal(limiter.lockOut("alice", now(), attacker), "source");
  // The right password from the locked source is refused; from elsewhere it works.
  await loginFails(sessions.login("alice", "alice-pass", attacker), 401, INVALID_LOGIN);
  await loginFails(sessions.login("fresh-name", "x", "::ffff:198.51.100.9"), 401, INVALID_LOGIN);
  assert.equal(limiter.failureCount("fresh-name", now()), 0, "a refused attempt was not even checked (nor counted)");
  assert.ok(await sessions.login("admin", "admin-pass", "192.0.2.1"), "another source logs in");
  // A success elsewhere does not clear the source; only the window does.
  assert.ok(await sessions.login("alice", "alice-pass", "192.0.2.1"), "alice from her own address");
  await loginFails(sessions.login("alice", "alice-pass", attacker), 401, INVALID_LOGIN);
  advance(301_000);
  assert.ok(await sessions.login("alice", "alice-pass", attacker), "the window passed: the source may log in again");
});

test("a success from a source does not reset its count (a valid account cannot launder guesses)", () => {
  const limiter = new LoginRateLimiter(settings({ maxFailCount: 5, sourceMaxFailCount: 3 }));
  const src = "10.1.2.3";
  limiter.recordFailure("u1", 0, src);
  limiter.recordFailure("u2", 0, src);
  limiter.recordSuccess("mine");
  limiter.recordFailure("u3", 0, src);
  assert.equal(limiter.lockOut("u4", 1, src), "source", "three failures from the source lock it");
  assert.equal(limiter.lockOut("u4", 1, "10.1.2.4"), undefined, "per source");
  assert.equal(new LoginRateLimiter(settings({ sourceMaxFailCount: 0 })).lockOut("x", 0, src), undefined, "0 disables it");
});
