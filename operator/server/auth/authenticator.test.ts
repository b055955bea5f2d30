import { test } from "node:test";
import assert from "node:assert/strict";
import { ApiError, unauthenticated } from "../http/errors.js";
import type { Claims, IdTokenVerifier } from "../types.js";
import { TokenAuthenticator } from "./authenticator.js";
import { tokenCookies } from "./cookies.js";
import { LoginRateLimiter, SessionManager, type RevocationList } from "./session.js";
import { mapState } from "./testdata/state.js";
import { issueToken } from "./tokens.js";

const SECRET = "YXV0aGVudGljYXRvci10ZXN0LWtleQ==";
const key = new TextEncoder().encode(SECRET);
const NOW_S = 1_800_000_000;

function setup(opts: { cm?: Record<string, string>; idTokens?: IdTokenVerifier; revoked?: string[] } = {}) {
  const state = mapState({ "accounts.alice": "login", ...opts.cm }, { "server.secretkey": SECRET });
  const revocations: RevocationList = { isRevoked: (jti) => (opts.revoked ?? []).includes(jti), revoke: () => Promise.resolve() };
  const now = (): number => NOW_S * 1000;
  const sessions = new SessionManager({
    state, revocations, now, limiter: new LoginRateLimiter({ maxFailCount: 5, sourceMaxFailCount: 20, windowSeconds: 300, maxCacheSize: 10, maxConcurrentLogins: 1 }), maxConcurrentLogins: 1,
  });
  const auth = new TokenAuthenticator({ state, sessions, revocations, now, ...(opts.idTokens ? { idTokens: opts.idTokens } : {}) });
  return { auth };
}

const login = async (expiresIn = 3600, iat = NOW_S): Promise<string> =>
  (await issueToken(key, { subject: "alice:login", expiresInSeconds: expiresIn, now: iat })).token;

async function unauth(p: Promise<unknown>, message: string | RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof ApiError && e.httpStatus === 401 && (typeof message === "string" ? e.message === message : message.test(e.message)),
    `401 ${String(message)}`);
}

test("a Bearer token authenticates; sub is the bare account", async () => {
  const { auth } = setup();
  const result = await auth.authenticate({ headers: { authorization: `Bearer ${await login()}` } });
  assert.equal(result.claims?.sub, "alice", "caller is alice");
  assert.equal(result.renewedToken, undefined, "an hour left: no renewal");
});

test("the cookie is used when there is no usable Bearer token, split cookies included", async () => {
  const { auth } = setup();
  const token = await login();
  const viaCookie = await auth.authenticate({ headers: { cookie: `other=1; argocd.token=${token}` } });
  assert.equal(viaCookie.claims?.sub, "alice", "single cookie");
  const notJwt = await auth.authenticate({ headers: { authorization: "Bearer not-a-jwt", cookie: `argocd.token=${token}` } });
  assert.equal(notJwt.claims?.sub, "alice", "a Bearer value without three parts is skipped for the cookie");
  // A token with a 6000-character id is longer than one cookie can carry.
  const long = (await issueToken(key, { subject: "alice:login", id: "x".repeat(6000), expiresInSeconds: 3600, now: NOW_S })).token;
  const parts = tokenCookies(long, {}).map((c) => c.split(";")[0]).join("; ");
  assert.ok(parts.includes("argocd.token-1="), "the long token needed two cookies");
  assert.equal((await auth.authenticate({ headers: { cookie: parts } })).claims?.sub, "alice", "joined from its parts");
  await unauth(auth.authenticate({ headers: { cookie: "argocd.token=3:abc" } }), /^invalid session: .*argocd\.token-1 is missing/);
});

test("no token: 'no session information'; a bad one: 'invalid session: <reason>'", async () => {
  const { auth } = setup();
  await unauth(auth.authenticate({ headers: {} }), "no session information");
  const expired = await login(60, NOW_S - 120);
  await unauth(auth.authenticate({ headers: { authorization: `Bearer ${expired}` } }), "invalid session: token is expired");
  await unauth(auth.authenticate({ headers: { authorization: "Bearer a.b.c" } }), "invalid session: token is malformed");
});

test("optional mode and anonymous access let a caller without a valid token through with no claims", async () => {
  const { auth } = setup();
  assert.deepEqual(await auth.authenticate({ headers: {} }, { optional: true }), { claims: undefined }, "optional, no token");
  assert.deepEqual(await auth.authenticate({ headers: { authorization: "Bearer a.b.c" } }, { optional: true }), { claims: undefined }, "optional, bad token");
  const valid = await auth.authenticate({ headers: { authorization: `Bearer ${await login()}` } }, { optional: true });
  assert.equal(valid.claims?.sub, "alice", "optional still authenticates a valid token");
  const anon = setup({ cm: { "users.anonymous.enabled": "true" } }).auth;
  assert.deepEqual(await anon.authenticate({ headers: {} }), { claims: undefined }, "anonymous enabled");
});

test("tokens of another issuer go to the IdTokenVerifier, and are refused without one", async () => {
  const sso = await new (await import("jose")).SignJWT({ email: "dev@example.com" })
    .setProtectedHeader({ alg: "HS256" }).setIssuer("https://idp.example").setSubject("u1").setJti("sso-1").sign(new TextEncoder().encode("idp"));
  await unauth(setup().auth.authenticate({ headers: { authorization: `Bearer ${sso}` } }), "invalid session: SSO is not configured");
  const seen: string[] = [];
  const idTokens: IdTokenVerifier = {
    verify: (raw) => { seen.push(raw); return Promise.resolve({ iss: "https://idp.example", sub: "u1", jti: "sso-1", email: "dev@example.com" } as Claims); },
  };
  const ok = await setup({ idTokens }).auth.authenticate({ headers: { authorization: `Bearer ${sso}` } });
  assert.equal(ok.claims?.email, "dev@example.com", "the verifier's claims are the caller");
  assert.deepEqual(seen, [sso], "the raw token was handed over");
  await unauth(setup({ idTokens, revoked: ["sso-1"] }).auth.authenticate({ headers: { authorization: `Bearer ${sso}` } }), "invalid session: token is revoked, please re-login");
  const failing: IdTokenVerifier = { verify: () => Promise.reject(new Error("id token signature invalid")) };
  await unauth(setup({ idTokens: failing }).auth.authenticate({ headers: { authorization: `Bearer ${sso}` } }), "invalid session: id token signature invalid");
  // The SSO client's refusals are already "invalid session: <reason>" (ApiError Unauthenticated):
  // passed on once, not prefixed again, whether from verify or from refresh.
  const refusing: IdTokenVerifier = { verify: () => Promise.reject(unauthenticated("invalid session: token is expired")) };
  await unauth(setup({ idTokens: refusing }).auth.authenticate({ headers: { authorization: `Bearer ${sso}` } }), "invalid session: token is expired");
  const refreshRefused: IdTokenVerifier = { ...idTokens, refresh: () => Promise.reject(unauthenticated("invalid session: the UserInfo endpoint refused the session's access token")) };
  await unauth(setup({ idTokens: refreshRefused }).auth.authenticate({ headers: { authorization: `Bearer ${sso}` } }), "invalid session: the UserInfo endpoint refused the session's access token");
});

test("a login token with under five minutes left comes back renewed", async () => {
  const { auth } = setup();
  const result = await auth.authenticate({ headers: { authorization: `Bearer ${await login(600, NOW_S - 400)}` } });
  assert.equal(result.claims?.sub, "alice", "still accepted");
  assert.ok(result.renewedToken, "renewed token handed back for the cookie");
});
