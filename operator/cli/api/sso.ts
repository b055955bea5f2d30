// `hawser login --sso`, as `argocd login --sso`: the CLI is an OAuth2 public client of the
// server's OpenID provider (settings.oidcConfig: issuer and cliClientID, else clientID). It opens
// a loopback listener, sends the user's browser to the provider with PKCE (S256), state and
// nonce, takes the code on http://localhost:PORT/auth/callback, exchanges it itself and keeps the
// ID token, which the server accepts as a bearer token (argo-cd-server.md §2.1, §2.6).
import { spawn } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import * as oidc from "openid-client";
import type { ApiClient } from "./client.js";

export interface OidcSettings { issuer?: string; clientID?: string; cliClientID?: string; scopes?: string[] }

export interface SsoOptions {
  /** Loopback port for the callback (argocd's default 8085; 0 picks a free one). */
  port: number;
  /** Shows the URL to open; the default prints it and tries the desktop's opener. */
  openBrowser?: (url: string) => void;
  /** Gives up after this long without a callback (default 5 minutes). */
  timeoutMs?: number;
}

function defaultOpen(url: string): void {
  process.stderr.write(`Opening the browser for SSO login. If it does not open, visit:\n\n  ${url}\n\n`);
  const opener = process.platform === "darwin" ? "open" : process.platform === "win32" ? "explorer" : "xdg-open";
  try {
    const child = spawn(opener, [url], { stdio: "ignore", detached: true });
    child.on("error", () => undefined);
    child.unref();
  } catch {
    // No desktop: the printed URL is the way.
  }
}

/** The ID token from an SSO login; throws a message naming what is missing or refused. */
export async function ssoLogin(api: ApiClient, opts: SsoOptions): Promise<string> {
  const settings = await api.request<{ oidcConfig?: OidcSettings; url?: string }>("GET", "/api/v1/settings");
  const cfg = settings.oidcConfig;
  if (!cfg?.issuer) {
    // Argo's CLI would fall back to the server's Dex; a Hawser server has none, so say so.
    throw new Error("the server has no SSO configured (settings.oidcConfig is empty: set argocd-cm oidc.config; "
      + "argocd-cm dex.config is not supported, Hawser runs no Dex)");
  }
  const clientId = cfg.cliClientID || cfg.clientID;
  if (!clientId) throw new Error("the server's oidcConfig names no client (cliClientID or clientID)");
  const issuer = new URL(cfg.issuer);
  const config = await oidc.discovery(issuer, clientId, undefined, oidc.None(), issuer.protocol === "http:" ? { execute: [oidc.allowInsecureRequests] } : undefined);
  const verifier = oidc.randomPKCECodeVerifier();
  const challenge = await oidc.calculatePKCECodeChallenge(verifier);
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const scopes = cfg.scopes && cfg.scopes.length > 0 ? cfg.scopes : ["openid", "profile", "email", "groups"];
  if (!scopes.includes("openid")) scopes.unshift("openid");

  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err) => reject(new Error(`cannot listen on 127.0.0.1:${opts.port} for the SSO callback: ${err.message} (choose another with --sso-port)`)));
    server.listen(opts.port, "127.0.0.1", () => resolve());
  });
  try {
    const port = (server.address() as AddressInfo).port;
    const redirectUri = `http://localhost:${port}/auth/callback`;
    const authUrl = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri, scope: scopes.join(" "), state, nonce,
      code_challenge: challenge, code_challenge_method: "S256",
    });
    const callback = new Promise<URL>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no SSO callback arrived within the time limit")), opts.timeoutMs ?? 300_000);
      server.on("request", (req, res) => {
        const url = new URL(req.url ?? "/", redirectUri);
        if (url.pathname !== "/auth/callback") {
          res.writeHead(404).end();
          return;
        }
        const error = url.searchParams.get("error");
        res.writeHead(error ? 400 : 200, { "Content-Type": "text/plain; charset=utf-8" });
        res.end(error ? `Login failed: ${error}. You may close this window.\n` : "Authentication successful. You may close this window and return to the CLI.\n");
        clearTimeout(timer);
        if (error) reject(new Error(`the identity provider refused the login: ${error}${url.searchParams.get("error_description") ? `: ${url.searchParams.get("error_description")}` : ""}`));
        else resolve(url);
      });
    });
    (opts.openBrowser ?? defaultOpen)(authUrl.href);
    const returned = await callback;
    const tokens = await oidc.authorizationCodeGrant(config, returned, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true });
    if (!tokens.id_token) throw new Error("the identity provider returned no ID token");
    return tokens.id_token;
  } finally {
    server.close();
    server.closeAllConnections();
  }
}
