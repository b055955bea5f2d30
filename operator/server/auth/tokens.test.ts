import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeJwt, decodeProtectedHeader, SignJWT } from "jose";
import { mapState, project } from "./testdata/state.js";
import { issueToken, parseSubject, peekClaims, renewedToken, TokenError, verifyArgoToken, type VerifyContext } from "./tokens.js";

const SECRET = "c2VjcmV0LWtleS1mb3ItdGVzdHMtb25seS0zMi1ieXRlcw==";
const key = new TextEncoder().encode(SECRET);
const NOW = 1_800_000_000;

function world(extraCm: Record<string, string> = {}, extraSecret: Record<string, string> = {}) {
  return mapState(
    { "accounts.alice": "login,apiKey", "accounts.bob": "login", ...extraCm },
    { "server.secretkey": SECRET, ...extraSecret },
    [project("team", ["deployer"], { deployer: [{ iat: NOW - 10, id: "p1" }, { iat: NOW - 20 }] })],
  );
}

function ctx(state = world(), now = NOW, revoked: string[] = []): VerifyContext {
  return { state, now, isRevoked: (jti) => revoked.includes(jti) };
}

async function refused(raw: string, c: VerifyContext, reason: RegExp): Promise<void> {
  await assert.rejects(verifyArgoToken(raw, c), (e: unknown) => e instanceof TokenError && reason.test(e.message), `refused with ${reason}`);
}

test("issued tokens carry Argo's claims: HS256, iss argocd, iat = nbf = now, jti, exp only when set", async () => {
  const { token, claims } = await issueToken(key, { subject: "alice:login", expiresInSeconds: 3600, now: NOW });
  assert.equal(decodeProtectedHeader(token).alg, "HS256", "HS256");
  const decoded = decodeJwt(token);
  assert.deepEqual(decoded, claims, "returned claims are the signed ones");
  assert.equal(decoded.iss, "argocd", "iss");
  assert.equal(decoded.sub, "alice:login", "sub");
  assert.equal(decoded.iat, NOW, "iat");
  assert.equal(decoded.nbf, NOW, "nbf");
  assert.equal(decoded.exp, NOW + 3600, "exp");
  assert.match(String(decoded.jti), /^[0-9a-f-]{36}$/, "a UUID jti");
  const noExp = decodeJwt((await issueToken(key, { subject: "proj:a:b", id: "given", now: NOW })).token);
  assert.equal(noExp.exp, undefined, "no exp claim without an expiry");
  assert.equal(noExp.jti, "given", "the given id is the jti");
  assert.deepEqual(parseSubject("proj:a:b"), { kind: "project", project: "a", role: "b" }, "project subject");
  assert.deepEqual(parseSubject("alice:apiKey"), { kind: "account", account: "alice", capability: "apiKey" }, "api key subject");
  assert.equal(parseSubject("alice"), undefined, "bare names are not issued subjects");
  assert.equal(peekClaims("not-a-jwt"), undefined, "peek of garbage");
});

test("a valid login token verifies and its sub becomes the bare account name", async () => {
  const { token } = await issueToken(key, { subject: "alice:login", expiresInSeconds: 3600, now: NOW });
  const claims = await verifyArgoToken(token, ctx());
  assert.equal(claims.sub, "alice", "sub reduced to the account");
  assert.equal(claims.iss, "argocd", "issuer kept");
});

test("login and API key tokens are refused for each reason Argo refuses them", async () => {
  const login = (await issueToken(key, { subject: "alice:login", expiresInSeconds: 60, now: NOW })).token;
  await refused(login, ctx(world(), NOW + 61), /token is expired/);
  await refused(login, ctx(world(), NOW - 5), /not valid yet/);
  await refused(login, ctx(world(), NOW, [String(decodeJwt(login).jti)]), /revoked/);
  await refused(login, ctx(world({ "accounts.alice.enabled": "false" })), /account alice is disabled/);
  await refused(login, ctx(world({ "accounts.alice": "apiKey" })), /does not have 'login' capability/);
  await refused(login, ctx(world({}, { "accounts.alice.passwordMtime": new Date((NOW + 1) * 1000).toISOString() })), /password has changed/);
  assert.equal((await verifyArgoToken(login, ctx(world({}, { "accounts.alice.passwordMtime": new Date(NOW * 1000).toISOString() })))).sub, "alice",
    "a token issued in the second of the password change is still valid, as in Argo");
  const ghost = (await issueToken(key, { subject: "carol:login", now: NOW })).token;
  await refused(ghost, ctx(), /account carol does not exist/);
  const otherKey = (await issueToken(new TextEncoder().encode("another key"), { subject: "alice:login", now: NOW })).token;
  await refused(otherKey, ctx(), /signature is invalid/);
  await refused(login, ctx(mapState({ "accounts.alice": "login" }, {})), /signature key is not configured/);
  const foreign = await new SignJWT({ sub: "alice:login" }).setProtectedHeader({ alg: "HS256" }).setIssuer("someone").setIssuedAt(NOW).sign(key);
  await refused(foreign, ctx(), /unexpected issuer/);
  const weird = (await issueToken(key, { subject: "alice", now: NOW })).token;
  await refused(weird, ctx(), /subject "alice" is not recognised/);

  const apiKey = (await issueToken(key, { subject: "alice:apiKey", id: "k1", now: NOW })).token;
  await refused(apiKey, ctx(), /does not have token with id k1/);
  const listed = world({}, { "accounts.alice.tokens": JSON.stringify([{ id: "k1", iat: NOW }]) });
  assert.equal((await verifyArgoToken(apiKey, ctx(listed))).sub, "alice", "listed API key verifies");
  const bobKey = (await issueToken(key, { subject: "bob:apiKey", id: "k1", now: NOW })).token;
  await refused(bobKey, ctx(world({}, { "accounts.bob.tokens": JSON.stringify([{ id: "k1", iat: NOW }]) })), /does not have 'apiKey' capability/);
});

test("project role tokens verify while their id (or, without one, their iat) is listed in status", async () => {
  const byId = (await issueToken(key, { subject: "proj:team:deployer", id: "p1", now: NOW - 10 })).token;
  const claims = await verifyArgoToken(byId, ctx());
  assert.equal(claims.sub, "proj:team:deployer", "project subject kept");
  const legacy = await new SignJWT({ sub: "proj:team:deployer" }).setProtectedHeader({ alg: "HS256" }).setIssuer("argocd").setIssuedAt(NOW - 20).sign(key);
  assert.equal((await verifyArgoToken(legacy, ctx())).sub, "proj:team:deployer", "a token without jti matches by iat");
  const unlisted = (await issueToken(key, { subject: "proj:team:deployer", id: "p2", now: NOW })).token;
  await refused(unlisted, ctx(), /does not exist in project 'team'/);
  const noRole = (await issueToken(key, { subject: "proj:team:admin", id: "p1", now: NOW })).token;
  await refused(noRole, ctx(), /project 'team' does not have role 'admin'/);
  const noProject = (await issueToken(key, { subject: "proj:gone:deployer", id: "p1", now: NOW })).token;
  await refused(noProject, ctx(), /project gone does not exist/);
  const expiring = (await issueToken(key, { subject: "proj:team:deployer", id: "p1", expiresInSeconds: 5, now: NOW - 10 })).token;
  await refused(expiring, ctx(), /expired/);
});

test("a login token is renewed with the same lifetime only when under five minutes are left", async () => {
  const { token, claims } = await issueToken(key, { subject: "alice:login", expiresInSeconds: 3600, now: NOW });
  const verified = { ...claims, sub: "alice" };
  assert.equal(await renewedToken(token, verified, key, NOW + 3600 - 301), undefined, "5 min 1 s left: not renewed");
  const renewed = await renewedToken(token, verified, key, NOW + 3600 - 299);
  assert.ok(renewed, "4 min 59 s left: renewed");
  const fresh = decodeJwt(renewed);
  assert.equal(fresh.sub, "alice:login", "still a login token");
  assert.equal(fresh.exp! - fresh.iat!, 3600, "same lifetime");
  assert.equal(fresh.iat, NOW + 3600 - 299, "issued now");
  assert.notEqual(fresh.jti, claims.jti, "a new id");
  const api = await issueToken(key, { subject: "alice:apiKey", expiresInSeconds: 3600, now: NOW });
  assert.equal(await renewedToken(api.token, { ...api.claims, sub: "alice" }, key, NOW + 3500), undefined, "API keys are never renewed");
});
