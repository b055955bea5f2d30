import { test } from "node:test";
import assert from "node:assert/strict";
import { createServerAuth, userInfo } from "./index.js";
import { mapState } from "./testdata/state.js";

test("userinfo: local users by account, SSO users by email, then federated id, then sub; groups from the scopes", () => {
  assert.deepEqual(userInfo(undefined), {}, "anonymous: {}");
  assert.deepEqual(userInfo({ iss: "argocd", sub: "admin", email: "ignored@x" }), { loggedIn: true, username: "admin", iss: "argocd" }, "local user");
  assert.deepEqual(userInfo({ iss: "https://idp", sub: "u1", email: "dev@x", groups: ["a", "b"] }),
    { loggedIn: true, username: "dev@x", iss: "https://idp", groups: ["a", "b"] }, "SSO user by email");
  assert.deepEqual(userInfo({ iss: "https://idp", sub: "u1", federated_claims: { user_id: "fed" }, groups: "solo" }),
    { loggedIn: true, username: "fed", iss: "https://idp", groups: ["solo"] }, "federated id, a single group string");
  assert.deepEqual(userInfo({ iss: "https://idp", sub: "u1", roles: ["r"], groups: ["g"] }, ["roles", "groups"]).groups, ["r", "g"], "every scope claim");
});

test("createServerAuth refuses malformed env settings with the variable's name", () => {
  const deps = { client: undefined as never, namespace: "argocd", state: mapState() };
  assert.throws(() => createServerAuth({ ...deps, env: { ARGOCD_SESSION_FAILURE_WINDOW_SECONDS: "-1" } }), /ARGOCD_SESSION_FAILURE_WINDOW_SECONDS/);
  assert.throws(() => createServerAuth({ ...deps, env: { ARGOCD_MAX_COOKIE_NUMBER: "0" } }), /ARGOCD_MAX_COOKIE_NUMBER/);
  assert.equal(createServerAuth({ ...deps, env: {} }).maxCookieParts, 20, "defaults build");
});

test("server.disable.auth: every request is the local admin, token or not; the settings' cookie count wins over the variable", async () => {
  const deps = { client: undefined as never, namespace: "argocd", state: mapState() };
  const open = createServerAuth({ ...deps, env: {}, disableAuth: true });
  assert.deepEqual(await open.authenticator.authenticate({ headers: {} }), { claims: { iss: "argocd", sub: "admin" } }, "no token: admin");
  assert.deepEqual((await open.authenticator.authenticate({ headers: { authorization: "Bearer not.a.token" } })).claims, { iss: "argocd", sub: "admin" }, "a token is not even read");
  const closed = createServerAuth({ ...deps, env: {} });
  await assert.rejects(closed.authenticator.authenticate({ headers: {} }), /no session information/, "without the setting a token is required");
  assert.equal(createServerAuth({ ...deps, env: { ARGOCD_MAX_COOKIE_NUMBER: "9" }, maxCookieParts: 4 }).maxCookieParts, 4, "server.http.cookie.maxnumber as parsed by the server's settings");
});
