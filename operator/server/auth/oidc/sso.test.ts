// SsoClient against a real OpenID provider (oidc-provider) on 127.0.0.1: the whole authorization
// code flow with PKCE, and every refusal the login, the callback and token verification make.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { stringify } from "yaml";
import { SEED_USERS, selfSignedCertificate, startOidcProvider, type TestOidcProvider } from "../../../../test/support/oidc-provider.js";
import { ApiError, Code } from "../../http/errors.js";
import { DEX_UNSUPPORTED } from "./config.js";
import { isValidReturnUrl, SsoClient, ssoGroups, ssoRevocationId, ssoSubject, ssoUsername, STATE_COOKIE } from "./sso.js";
import { MapState } from "./testdata/state.js";

const URL_BASE = "https://hawser.example.com";
const ALT_BASE = "https://hawser-alt.example.com:8443/argo";
const REDIRECTS = [`${URL_BASE}/auth/callback`, `${ALT_BASE}/auth/callback`];
const HAWSER_SECRET = "hawser-client-secret-0123456789";
const OTHER_SECRET = "other-client-secret-0123456789";

let idp: TestOidcProvider;
let otherIdp: TestOidcProvider;

before(async () => {
  idp = await startOidcProvider({
    clients: [
      { clientId: "hawser", clientSecret: HAWSER_SECRET, redirectUris: REDIRECTS },
      { clientId: "other-app", clientSecret: OTHER_SECRET, redirectUris: REDIRECTS },
    ],
    users: SEED_USERS,
    requirePkce: true,
  });
  // A second, unrelated issuer that knows a client of the same name.
  otherIdp = await startOidcProvider({
    clients: [{ clientId: "hawser", clientSecret: HAWSER_SECRET, redirectUris: REDIRECTS }],
    users: SEED_USERS,
  });
});

after(async () => {
  await idp.close();
  await otherIdp.close();
});

interface Setup {
  issuer?: string;
  clientID?: string;
  clientSecret?: string;
  pkce?: boolean;
  extra?: Record<string, unknown>;
}

/** A ServerState with argocd-cm and the Secrets SSO reads; the client secret comes by reference. */
function world(setup: Setup = {}): MapState {
  const state = new MapState();
  state.setSecret("argocd-secret", { "server.secretkey": "c2VydmVyLXNlY3JldGtleS1mb3ItdGVzdHMtMDAwMA==" }, { "app.kubernetes.io/part-of": "argocd" });
  state.setSecret("oidc-clients", { hawser: `${HAWSER_SECRET}\n`, "other-app": OTHER_SECRET }, { "app.kubernetes.io/part-of": "argocd" });
  configure(state, setup);
  return state;
}

function configure(state: MapState, setup: Setup): void {
  const clientID = setup.clientID ?? "hawser";
  state.setCm({
    url: URL_BASE,
    additionalUrls: stringify([ALT_BASE]),
    "oidc.config": stringify({
      name: "Test IdP",
      issuer: setup.issuer ?? idp.issuer,
      clientID,
      clientSecret: setup.clientSecret ?? `$oidc-clients:${clientID}`,
      enablePKCEAuthentication: setup.pkce ?? true,
      ...setup.extra,
    }),
  });
}

/** loginRedirect → the provider's login and consent pages → callback. */
async function logIn(sso: SsoClient, user: keyof typeof SEED_USERS, provider = idp, returnUrl = `${URL_BASE}/applications`) {
  const login = await sso.loginRedirect(returnUrl, URL_BASE);
  const back = await provider.login(login.location, user, SEED_USERS[user]!.password);
  return { login, back, result: await sso.callback(back.searchParams, login.stateCookie.value) };
}

async function refusal(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ApiError, `expected an ApiError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected a refusal, but the call succeeded");
}

describe("SSO login against a real OpenID provider", () => {
  test("alice (backend-developers) logs in with the authorization code flow and PKCE; verify accepts her ID token", async () => {
    const sso = new SsoClient({ state: world() });
    const { login, back, result } = await logIn(sso, "alice");

    const authorize = new URL(login.location);
    assert.equal(authorize.origin, idp.issuer, "the browser is sent to the IdP");
    assert.equal(authorize.searchParams.get("client_id"), "hawser");
    assert.equal(authorize.searchParams.get("redirect_uri"), `${URL_BASE}/auth/callback`);
    assert.equal(authorize.searchParams.get("code_challenge_method"), "S256");
    assert.match(authorize.searchParams.get("code_challenge") ?? "", /^[\w-]{43}$/, "an S256 challenge is 43 base64url characters");
    assert.deepEqual(authorize.searchParams.get("scope")?.split(" "), ["openid", "profile", "email", "groups"]);
    assert.ok(authorize.searchParams.get("nonce"), "a nonce is sent");
    // The provider requires PKCE for these clients, so a successful exchange proves the verifier was sent.
    assert.equal(back.origin, URL_BASE, "the IdP redirects back to the redirect URI");

    const cookie = login.stateCookie;
    assert.equal(cookie.name, STATE_COOKIE);
    assert.match(cookie.header, /^argocd\.oauthstate=[\w.-]+; path=\/; Max-Age=300; SameSite=lax; httpOnly; Secure$/);
    assert.ok(!cookie.value.includes(authorize.searchParams.get("state")!), "the state is not readable in the cookie");

    assert.equal(result.returnUrl, `${URL_BASE}/applications`);
    assert.equal(result.idToken.split(".").length, 3, "the raw ID token is a JWT");
    assert.match(result.clearStateCookie, /^argocd\.oauthstate=; path=\/; Max-Age=0;/);

    const claims = await sso.verify(result.idToken);
    assert.equal(claims.iss, idp.issuer);
    assert.equal(claims.sub, "alice");
    assert.deepEqual(claims.groups, ["backend-developers"]);
    assert.equal(ssoUsername(claims), "alice@example.com", "the username is the email");
    assert.equal(ssoSubject(claims), "alice", "the RBAC subject is sub");
    assert.deepEqual(ssoGroups(claims), ["backend-developers"]);
  });

  test("bob's token carries frontend-developers only; a wrong password is refused by the provider", async () => {
    const sso = new SsoClient({ state: world() });
    const { result } = await logIn(sso, "bob");
    assert.deepEqual(ssoGroups(await sso.verify(result.idToken)), ["frontend-developers"]);

    const login = await sso.loginRedirect(undefined, URL_BASE);
    await assert.rejects(idp.login(login.location, "bob", "not-bobs-password"), /401.*Invalid login/, "the provider checks passwords");
  });

  test("without PKCE the authorize URL has no challenge and the flow still works (issuer without a PKCE requirement)", async () => {
    const sso = new SsoClient({ state: world({ issuer: otherIdp.issuer, pkce: false }) });
    const { login, result } = await logIn(sso, "alice", otherIdp);
    assert.equal(new URL(login.location).searchParams.get("code_challenge"), null, "no PKCE when it is off");
    assert.equal((await sso.verify(result.idToken)).iss, otherIdp.issuer);
  });

  test("requestedIDTokenClaims are sent as the claims parameter, and the provider accepts it", async () => {
    const sso = new SsoClient({ state: world({ extra: { requestedIDTokenClaims: { groups: { essential: true } } } }) });
    const { login, result } = await logIn(sso, "alice");
    assert.deepEqual(JSON.parse(new URL(login.location).searchParams.get("claims") ?? ""), { id_token: { groups: { essential: true } } });
    assert.deepEqual((await sso.verify(result.idToken)).groups, ["backend-developers"]);
  });

  test("a login from an additionalUrls host redirects back there, and an empty return_url returns to its root", async () => {
    const sso = new SsoClient({ state: world() });
    const login = await sso.loginRedirect("", "https://hawser-alt.example.com:8443");
    assert.equal(new URL(login.location).searchParams.get("redirect_uri"), `${ALT_BASE}/auth/callback`);
    const back = await idp.login(login.location, "alice", SEED_USERS.alice!.password);
    assert.equal(back.href.split("?")[0], `${ALT_BASE}/auth/callback`);
    const result = await sso.callback(back.searchParams, login.stateCookie.value);
    assert.equal(result.returnUrl, `${ALT_BASE}/`);
  });
});

describe("an https issuer with its own CA", () => {
  let tlsIdp: TestOidcProvider;
  let cert: string;
  before(async () => {
    const tls = selfSignedCertificate();
    cert = tls.cert;
    tlsIdp = await startOidcProvider({ clients: [{ clientId: "hawser", clientSecret: HAWSER_SECRET, redirectUris: REDIRECTS }], users: SEED_USERS, tls });
  });
  after(async () => {
    await tlsIdp.close();
  });

  test("rootCA makes the IdP trusted: login, exchange and verify all go over TLS", async () => {
    const sso = new SsoClient({ state: world({ issuer: tlsIdp.issuer, extra: { rootCA: cert } }) });
    assert.match(tlsIdp.issuer, /^https:\/\/127\.0\.0\.1:\d+$/);
    const { result } = await logIn(sso, "alice", tlsIdp);
    assert.deepEqual((await sso.verify(result.idToken)).groups, ["backend-developers"]);
  });

  test("without rootCA the certificate is not trusted: 503 on login, 401 on verify", async () => {
    const trusted = new SsoClient({ state: world({ issuer: tlsIdp.issuer, extra: { rootCA: cert } }) });
    const token = (await logIn(trusted, "alice", tlsIdp)).result.idToken;
    const sso = new SsoClient({ state: world({ issuer: tlsIdp.issuer }) });
    const err = await refusal(sso.loginRedirect(undefined, URL_BASE));
    assert.equal(err.httpStatus, 503);
    assert.match(err.message, /^cannot reach the OIDC issuer https:\/\/127\.0\.0\.1:\d+: /);
    const denied = await refusal(sso.verify(token));
    assert.equal(denied.httpStatus, 401);
    assert.match(denied.message, /^invalid session: cannot reach the OIDC issuer/);
  });

  test("oidc.tls.insecure.skip.verify: \"true\" skips the check", async () => {
    const state = world({ issuer: tlsIdp.issuer });
    state.setCm({ "oidc.tls.insecure.skip.verify": "true" });
    const sso = new SsoClient({ state });
    assert.match(sso.status().warnings.join("\n"), /TLS certificate is not verified/);
    const { result } = await logIn(sso, "bob", tlsIdp);
    assert.deepEqual(ssoGroups(await sso.verify(result.idToken)), ["frontend-developers"]);
  });
});

describe("the callback refuses", () => {
  test("a tampered state cookie, or one sealed with another server.secretkey: 400", async () => {
    const sso = new SsoClient({ state: world() });
    const login = await sso.loginRedirect(undefined, URL_BASE);
    const back = await idp.login(login.location, "alice", SEED_USERS.alice!.password);
    const v = login.stateCookie.value;
    const mid = Math.floor(v.length / 2);
    const tampered = `${v.slice(0, mid)}${v[mid] === "A" ? "B" : "A"}${v.slice(mid + 1)}`;
    const err = await refusal(sso.callback(back.searchParams, tampered));
    assert.equal(err.httpStatus, 400);
    assert.match(err.message, /invalid state: the argocd\.oauthstate cookie was not issued by this server/);

    const otherServer = world();
    otherServer.setSecret("argocd-secret", { "server.secretkey": "another-key" });
    const foreign = await refusal(new SsoClient({ state: otherServer }).callback(back.searchParams, v));
    assert.equal(foreign.httpStatus, 400, "a cookie from another server key is refused");

    const missing = await refusal(sso.callback(back.searchParams, undefined));
    assert.equal(missing.httpStatus, 400);
    assert.match(missing.message, /no argocd\.oauthstate cookie/);
  });

  test("a state that is not the login's (another login's answer): 400, and the code is not exchanged", async () => {
    const sso = new SsoClient({ state: world() });
    const mine = await sso.loginRedirect(undefined, URL_BASE);
    const theirs = await sso.loginRedirect(undefined, URL_BASE);
    const theirBack = await idp.login(theirs.location, "bob", SEED_USERS.bob!.password);
    const err = await refusal(sso.callback(theirBack.searchParams, mine.stateCookie.value));
    assert.equal(err.code, Code.InvalidArgument);
    assert.match(err.message, /state parameter does not match/);
    // The refused answer's code is still unused: its own cookie completes the login.
    const ok = await sso.callback(theirBack.searchParams, theirs.stateCookie.value);
    assert.deepEqual(ssoGroups(ok.claims), ["frontend-developers"]);
  });

  test("an expired state cookie: 400", async () => {
    const state = world();
    const login = await new SsoClient({ state }).loginRedirect(undefined, URL_BASE);
    const later = new SsoClient({ state, now: () => Date.now() + 6 * 60_000 });
    const err = await refusal(later.callback({ state: "x", code: "y" }, login.stateCookie.value));
    assert.equal(err.httpStatus, 400);
    assert.match(err.message, /has expired/);
  });

  test("server.oidc.cache.expiration sets how long the login state is accepted", async () => {
    const state = world();
    const short = await new SsoClient({ state, stateMaxAgeSeconds: 60 }).loginRedirect(undefined, URL_BASE);
    assert.equal(short.stateCookie.maxAgeSeconds, 300, "the cookie keeps Argo's 5 minutes whatever the setting");
    assert.match(short.stateCookie.header, /Max-Age=300\b/i, "and says so in its header");
    const twoMinutesOn = new SsoClient({ state, stateMaxAgeSeconds: 60, now: () => Date.now() + 2 * 60_000 });
    assert.match((await refusal(twoMinutesOn.callback({ state: "x", code: "y" }, short.stateCookie.value))).message, /has expired/, "a state older than the setting is refused");
    const defaults = await new SsoClient({ state }).loginRedirect(undefined, URL_BASE);
    assert.equal(defaults.stateCookie.maxAgeSeconds, 300, "the state cookie's 5 minutes");
    const argoDefault = new SsoClient({ state, stateMaxAgeSeconds: 180, now: () => Date.now() + 4 * 60_000 });
    const argoLogin = await new SsoClient({ state, stateMaxAgeSeconds: 180 }).loginRedirect(undefined, URL_BASE);
    assert.match((await refusal(argoDefault.callback({ state: "x", code: "y" }, argoLogin.stateCookie.value))).message, /has expired/, "Argo's default 3m: four minutes on, the state is refused although its cookie would still be sent");
    const stillValid = new SsoClient({ state, now: () => Date.now() + 2 * 60_000 });
    const err = await refusal(stillValid.callback({ state: "x", code: "y" }, defaults.stateCookie.value));
    assert.doesNotMatch(err.message, /has expired/, "two minutes into the default five the state is still good (refused only for its mismatched state)");
  });

  test("an error answer from the IdP: 400 with its error code", async () => {
    const sso = new SsoClient({ state: world() });
    const err = await refusal(sso.callback({ error: "access_denied", error_description: "the user said no" }, undefined));
    assert.equal(err.httpStatus, 400);
    assert.equal(err.message, "access_denied: the user said no");
  });

  test("a code the provider does not know: 500 failed to get token, as Argo", async () => {
    const sso = new SsoClient({ state: world() });
    const login = await sso.loginRedirect(undefined, URL_BASE);
    const back = await idp.login(login.location, "alice", SEED_USERS.alice!.password);
    const forged = new URLSearchParams(back.searchParams);
    forged.set("code", "not-a-code-the-provider-issued");
    const err = await refusal(sso.callback(forged, login.stateCookie.value));
    assert.equal(err.httpStatus, 500);
    assert.match(err.message, /^failed to get token: invalid_grant/);
  });
});

describe("return_url", () => {
  test("on another host, scheme or port, or outside the base path: loginRedirect answers 400", async () => {
    const sso = new SsoClient({ state: world() });
    for (const bad of ["https://evil.example.com/applications", "http://hawser.example.com/", "https://hawser.example.com:444/",
      "https://hawser.example.com.evil.com/", `${ALT_BASE}-evil/x`, "https://hawser-alt.example.com:8443/other", "/applications"]) {
      const err = await refusal(sso.loginRedirect(bad, URL_BASE));
      assert.equal(err.httpStatus, 400, `${bad} is refused`);
      assert.match(err.message, /Invalid return_url/);
    }
  });

  test("isValidReturnUrl: scheme, host and port of an allowed base, path inside it after normalisation", () => {
    const allowed = [URL_BASE, ALT_BASE];
    const cases: Array<[string, boolean]> = [
      [`${URL_BASE}`, true],
      [`${URL_BASE}/applications/argocd/guestbook?view=tree`, true],
      ["https://hawser.example.com:443/x", true],
      [`${ALT_BASE}`, true],
      [`${ALT_BASE}/applications`, true],
      [`${ALT_BASE}/../evil`, false],
      [`${ALT_BASE}s/x`, false],
      ["https://user@hawser.example.com/x", false],
      ["https://hawser.example.com/x\r\nSet-Cookie: a=b", false],
      ["javascript:alert(1)", false],
      ["//evil.example.com/x", false],
    ];
    for (const [url, ok] of cases) assert.equal(isValidReturnUrl(url, allowed), ok, url);
  });
});

describe("verify refuses", () => {
  let aliceToken: string;
  before(async () => {
    aliceToken = (await logIn(new SsoClient({ state: world() }), "alice")).result.idToken;
  });

  test("an expired token: 401", async () => {
    const later = new SsoClient({ state: world(), now: () => Date.now() + 2 * 3600_000 });
    const err = await refusal(later.verify(aliceToken));
    assert.equal(err.httpStatus, 401);
    assert.equal(err.message, "invalid session: token is expired");
  });

  test("a token for another audience: 401, until allowedAudiences names it", async () => {
    const otherApp = new SsoClient({ state: world({ clientID: "other-app" }) });
    const otherToken = (await logIn(otherApp, "alice")).result.idToken;
    const sso = new SsoClient({ state: world() });
    const err = await refusal(sso.verify(otherToken));
    assert.equal(err.httpStatus, 401);
    assert.equal(err.message, "invalid session: token audience is not allowed");

    const widened = new SsoClient({ state: world({ extra: { allowedAudiences: ["hawser", "other-app"] } }) });
    assert.equal((await widened.verify(otherToken)).aud, "other-app", "allowedAudiences admits it");
    const cli = new SsoClient({ state: world({ extra: { cliClientID: "other-app" } }) });
    assert.equal((await cli.verify(otherToken)).sub, "alice", "cliClientID is allowed by default");
  });

  test("a token from another issuer (same client id, other keys): 401", async () => {
    const foreign = (await logIn(new SsoClient({ state: world({ issuer: otherIdp.issuer }) }), "alice", otherIdp)).result.idToken;
    const err = await refusal(new SsoClient({ state: world() }).verify(foreign));
    assert.equal(err.httpStatus, 401);
    assert.match(err.message, /^invalid session: token (issuer is not|signature is invalid)/);
  });

  test("a token whose claims were edited (groups widened): 401 signature", async () => {
    const [h, p, s] = aliceToken.split(".") as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, "base64url").toString("utf8")) as Record<string, unknown>;
    claims.groups = ["backend-developers", "platform-admins"];
    const forged = `${h}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.${s}`;
    const err = await refusal(new SsoClient({ state: world() }).verify(forged));
    assert.equal(err.httpStatus, 401);
    assert.equal(err.message, "invalid session: token signature is invalid");
  });

  test("a token without an audience: 401 unless skipAudienceCheckWhenTokenHasNoAudience; still checked for expiry", async () => {
    const now = Math.floor(Date.now() / 1000);
    const noAud = await idp.signWithProviderKey({ sub: "alice", groups: ["backend-developers"], iat: now, exp: now + 600 });
    const err = await refusal(new SsoClient({ state: world() }).verify(noAud));
    assert.equal(err.httpStatus, 401);
    assert.match(err.message, /token has no audience/);
    const lenient = new SsoClient({ state: world({ extra: { skipAudienceCheckWhenTokenHasNoAudience: true } }) });
    assert.equal((await lenient.verify(noAud)).sub, "alice", "accepted when the config allows tokens without aud");
    const stale = await idp.signWithProviderKey({ sub: "alice", iat: now - 7200, exp: now - 3600 });
    assert.equal((await refusal(lenient.verify(stale))).message, "invalid session: token is expired");
    const forever = await idp.signWithProviderKey({ sub: "alice", aud: "hawser", iat: now });
    assert.match((await refusal(lenient.verify(forever))).message, /^invalid session: token claim exp is invalid/, "a token must expire");
  });

  test("anything when SSO is not configured, and garbage: 401", async () => {
    const state = world();
    state.configMaps.set("argocd-cm", {});
    const err = await refusal(new SsoClient({ state }).verify(aliceToken));
    assert.equal(err.message, "invalid session: SSO is not configured");
    const garbage = await refusal(new SsoClient({ state: world() }).verify("not.a.jwt"));
    assert.equal(garbage.httpStatus, 401);
  });
});

describe("settings", () => {
  test("an edited argocd-cm takes effect without a new SsoClient (issuer and client id switch)", async () => {
    const state = world();
    const sso = new SsoClient({ state });
    const token = (await logIn(sso, "alice")).result.idToken;
    assert.equal((await sso.verify(token)).sub, "alice");

    configure(state, { clientID: "other-app" });
    const err = await refusal(sso.verify(token));
    assert.equal(err.message, "invalid session: token audience is not allowed", "the new client id applies at once");

    configure(state, { issuer: otherIdp.issuer, pkce: false });
    const login = await sso.loginRedirect(undefined, URL_BASE);
    assert.equal(new URL(login.location).origin, otherIdp.issuer, "logins go to the new issuer");
  });

  test("a broken oidc.config: loginRedirect says which key (400 FailedPrecondition), status() reports it, settingsView hides SSO", async () => {
    const state = world({ extra: { clientSecret: "$oidc-clients:missing-key" } });
    const sso = new SsoClient({ state });
    const err = await refusal(sso.loginRedirect(undefined, URL_BASE));
    assert.equal(err.code, Code.FailedPrecondition);
    assert.match(err.message, /oidc\.config: clientSecret: "\$oidc-clients:missing-key": Secret oidc-clients has no key missing-key/);
    assert.match(sso.status().error ?? "", /missing-key/);
    assert.equal(sso.settingsView(), undefined);
  });

  test("without argocd-secret server.secretkey there is no state cookie key: loginRedirect refuses, naming it", async () => {
    const state = world();
    state.setSecret("argocd-secret", {});
    const err = await refusal(new SsoClient({ state }).loginRedirect(undefined, URL_BASE));
    assert.equal(err.code, Code.FailedPrecondition);
    assert.equal(err.message, "SSO needs argocd-secret server.secretkey, which is missing");
  });

  test("settingsView has Argo's oidcConfig fields and never the client secret", () => {
    const literal = world({ clientSecret: HAWSER_SECRET, extra: { cliClientID: "hawser-cli", requestedScopes: ["openid", "groups"], requestedIDTokenClaims: { groups: { essential: true } } } });
    const view = new SsoClient({ state: literal }).settingsView();
    assert.deepEqual(view, {
      name: "Test IdP", issuer: idp.issuer, clientID: "hawser", cliClientID: "hawser-cli", scopes: ["openid", "groups"],
      idTokenClaims: { groups: { essential: true } }, enablePKCEAuthentication: true,
    });
    assert.ok(!JSON.stringify(view).includes(HAWSER_SECRET), "the client secret is not in the settings");
    const minimal = new SsoClient({ state: world({ pkce: false }) }).settingsView();
    assert.deepEqual(minimal, { name: "Test IdP", issuer: idp.issuer, clientID: "hawser" }, "unset and false fields are left out");
  });

  test("logoutUrl substitutes {{token}} and {{logoutRedirectURL}}; none without logoutURL", () => {
    const withLogout = new SsoClient({ state: world({ extra: { logoutURL: "https://idp.example.com/logout?id_token_hint={{token}}&post_logout_redirect_uri={{logoutRedirectURL}}" } }) });
    assert.equal(withLogout.logoutUrl("h.p.s", `${URL_BASE}/`),
      "https://idp.example.com/logout?id_token_hint=h.p.s&post_logout_redirect_uri=https%3A%2F%2Fhawser.example.com%2F");
    assert.equal(new SsoClient({ state: world() }).logoutUrl("h.p.s", URL_BASE), undefined);
  });

  test("dex.config alone: no SSO; login says Dex is not supported and what to set, status() warns, settingsView is empty", async () => {
    const state = new MapState();
    state.setSecret("argocd-secret", { "server.secretkey": "c2VydmVyLXNlY3JldGtleS1mb3ItdGVzdHMtMDAwMA==" });
    state.configMaps.set("argocd-cm", { url: URL_BASE, "dex.config": stringify({ connectors: [{ type: "github", id: "github", name: "GitHub" }] }) });
    const sso = new SsoClient({ state });
    const err = await refusal(sso.loginRedirect(undefined, URL_BASE));
    assert.equal(err.code, Code.FailedPrecondition);
    assert.equal(err.message, DEX_UNSUPPORTED);
    assert.match(err.message, /^argocd-cm dex\.config: SSO through Dex is not supported: .*argocd-cm oidc\.config/, "names the key and the alternative");
    assert.deepEqual(sso.status(), { configured: false, warnings: [DEX_UNSUPPORTED] });
    assert.equal(sso.settingsView(), undefined, "no SSO in the settings (and no dexConfig)");
    // With oidc.config beside it, OIDC works and dex.config is still reported as doing nothing.
    const both = world();
    both.setCm({ "dex.config": "connectors: []" });
    const withOidc = new SsoClient({ state: both });
    assert.equal(withOidc.status().configured, true);
    assert.deepEqual(withOidc.status().warnings, [DEX_UNSUPPORTED]);
    assert.ok(withOidc.settingsView()?.issuer, "oidc.config is served");
  });

  test("claim helpers follow §2.6", () => {
    assert.equal(ssoUsername({ sub: "u1", federated_claims: { user_id: "fed" } }), "fed", "no email: federated user id");
    assert.equal(ssoUsername({ sub: "u1" }), "u1", "then sub");
    assert.equal(ssoSubject({ sub: "u1", email: "e@x", federated_claims: { user_id: "fed" } }), "fed");
    assert.deepEqual(ssoGroups({ groups: "solo", roles: ["a", "b"] }, ["groups", "roles"]), ["solo", "a", "b"], "a string claim is one group");
    assert.deepEqual(ssoGroups({ groups: ["a"] }, ["roles"]), [], "only the claims named in scopes count");
    assert.equal(ssoRevocationId({ jti: "j", uti: "u", at_hash: "h" }), "j");
    assert.equal(ssoRevocationId({ uti: "u", at_hash: "h" }), "u");
    assert.equal(ssoRevocationId({ at_hash: "h" }), "h");
  });
});

describe("UserInfo groups and ID token refresh against the real provider", () => {
  let provider: TestOidcProvider;
  const users = structuredClone(SEED_USERS);
  users.alice!.userInfoGroups = ["platform-admins"];

  before(async () => {
    provider = await startOidcProvider({ clients: [{ clientId: "hawser", clientSecret: HAWSER_SECRET, redirectUris: REDIRECTS }], users, refreshTokens: true });
  });
  after(() => provider.close());

  test("enableUserInfoGroups: groups come from the UserInfo endpoint, cached for userInfoCacheExpiration", async () => {
    let clock = Date.now();
    const state = world({ issuer: provider.issuer, pkce: false, extra: { enableUserInfoGroups: true, userInfoPath: "/me", userInfoCacheExpiration: "1m" } });
    const sso = new SsoClient({ state, now: () => clock });
    const { result } = await logIn(sso, "alice", provider);
    assert.deepEqual(result.claims.groups, ["backend-developers"], "the ID token itself says backend-developers");
    assert.deepEqual((await sso.verify(result.idToken)).groups, ["platform-admins"], "UserInfo's groups replace the ID token's");
    users.alice!.userInfoGroups = ["frontend-developers"];
    assert.deepEqual((await sso.verify(result.idToken)).groups, ["platform-admins"], "within the cache time the answer is reused");
    clock += 61_000;
    assert.deepEqual((await sso.verify(result.idToken)).groups, ["frontend-developers"], "after it the endpoint is asked again");
    users.alice!.userInfoGroups = ["platform-admins"];

    // A server that did not see the login holds no access token: refused, not given the ID token's groups.
    const restarted = new SsoClient({ state, now: () => clock });
    const err = await refusal(restarted.verify(result.idToken));
    assert.equal(err.httpStatus, 401);
    assert.match(err.message, /enableUserInfoGroups needs the access token of the login/);

    // Without enableUserInfoGroups the ID token's groups stand.
    configure(state, { issuer: provider.issuer, pkce: false });
    assert.deepEqual((await sso.verify(result.idToken)).groups, ["backend-developers"]);
  });

  test("refreshTokenThreshold: a token within the threshold of expiry is replaced through the refresh token; one outside it is not", async () => {
    const state = world({ issuer: provider.issuer, pkce: false, extra: { refreshTokenThreshold: "2h" } });
    const sso = new SsoClient({ state });
    const { result } = await logIn(sso, "bob", provider);
    // The provider's ID tokens live 1h, so with a 2h threshold every token is due. ID tokens have
    // second precision and no jti: a second later the new one differs from the first.
    await new Promise((r) => setTimeout(r, 1_100));
    const renewed = await sso.refresh(result.idToken, result.claims);
    assert.ok(renewed, "a refresh happened");
    assert.notEqual(renewed.token, result.idToken, "a new ID token");
    assert.equal(renewed.claims.sub, "bob");
    assert.ok((renewed.claims.exp ?? 0) >= (result.claims.exp ?? 0), "it expires no earlier");
    assert.equal((await sso.verify(renewed.token)).sub, "bob", "the new token verifies");
    assert.equal(await sso.refresh(result.idToken, result.claims), undefined, "the old token's refresh token moved to the new session");
    await new Promise((r) => setTimeout(r, 1_100));
    const again = await sso.refresh(renewed.token, renewed.claims);
    assert.ok(again && again.token !== renewed.token, "the new session can refresh in turn (rotated refresh token)");

    configure(state, { issuer: provider.issuer, pkce: false, extra: { refreshTokenThreshold: "5m" } });
    const fresh = (await logIn(sso, "bob", provider)).result;
    assert.equal(await sso.refresh(fresh.idToken, fresh.claims), undefined, "an hour left, threshold 5m: no refresh");
    configure(state, { issuer: provider.issuer, pkce: false });
    assert.equal(await sso.refresh(fresh.idToken, fresh.claims), undefined, "no threshold: never");
  });
});
