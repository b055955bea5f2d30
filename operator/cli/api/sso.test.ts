// `hawser login --sso` against a real OpenID provider on loopback (oidc-provider, requiring PKCE):
// the CLI reads the server's oidcConfig, sends the "browser" to the provider, takes the code on its
// loopback callback and exchanges it for the ID token.
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { createServer, type AddressInfo } from "node:net";
import { SEED_USERS, startOidcProvider } from "../../../test/support/oidc-provider.js";
import { ApiClient } from "./client.js";
import { jwtClaims } from "./command.js";
import { ssoLogin } from "./sso.js";

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** A server whose GET /api/v1/settings says what `settings` holds. */
async function settingsServer(t: { after: (fn: () => unknown) => void }, settings: unknown): Promise<ApiClient> {
  const srv = http.createServer((_req, res) => { res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(settings)); });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  t.after(() => { srv.closeAllConnections(); srv.close(); });
  const api = new ApiClient({ server: `http://127.0.0.1:${(srv.address() as AddressInfo).port}` });
  t.after(() => api.close());
  return api;
}

test("SSO login: PKCE against the provider, the code on the loopback callback, the ID token back", async (t) => {
  const port = await freePort();
  const idp = await startOidcProvider({ clients: [{ clientId: "hawser-cli", redirectUris: [`http://localhost:${port}/auth/callback`] }], users: SEED_USERS, requirePkce: true });
  t.after(() => idp.close());
  const api = await settingsServer(t, { oidcConfig: { name: "Test IdP", issuer: idp.issuer, clientID: "hawser", cliClientID: "hawser-cli", scopes: ["openid", "profile", "email", "groups"] } });
  let shown = "";
  let browser: Promise<void> | undefined;
  const token = await ssoLogin(api, {
    port,
    openBrowser: (url) => {
      shown = url;
      // The browser: log in at the provider, then follow its redirect to the CLI's callback.
      browser = idp.login(url, "alice", SEED_USERS.alice!.password).then(async (back) => {
        back.hostname = "127.0.0.1";
        const res = await fetch(back);
        assert.equal(res.status, 200, "the callback page says it worked");
      });
    },
  });
  await browser;
  const authorize = new URL(shown);
  assert.equal(authorize.searchParams.get("client_id"), "hawser-cli", "the CLI client (cliClientID), not the server's");
  assert.equal(authorize.searchParams.get("code_challenge_method"), "S256", "PKCE");
  assert.equal(authorize.searchParams.get("redirect_uri"), `http://localhost:${port}/auth/callback`, "argocd's loopback callback");
  const claims = jwtClaims(token) as Record<string, unknown>;
  assert.equal(claims.iss, idp.issuer, "an ID token of the provider");
  assert.equal(claims.aud, "hawser-cli", "issued to the CLI client");
  assert.equal(claims.email, "alice@example.com", "for the user who logged in");
});

test("SSO login refuses clearly without SSO on the server, or when the provider says no", async (t) => {
  const none = await settingsServer(t, { url: "https://argo.example" });
  await assert.rejects(ssoLogin(none, { port: 0, openBrowser: () => undefined }), /no SSO configured/, "settings without oidcConfig");
  const port = await freePort();
  const idp = await startOidcProvider({ clients: [{ clientId: "hawser-cli", redirectUris: [`http://localhost:${port}/auth/callback`] }], users: SEED_USERS });
  t.after(() => idp.close());
  const api = await settingsServer(t, { oidcConfig: { issuer: idp.issuer, clientID: "hawser-cli" } });
  await assert.rejects(ssoLogin(api, {
    port,
    openBrowser: () => { void fetch(`http://127.0.0.1:${port}/auth/callback?error=access_denied&error_description=nope`); },
  }), /the identity provider refused the login: access_denied: nope/, "an error on the callback is the error of the login");
});
