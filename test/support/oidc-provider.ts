// A real OpenID provider (the certified `oidc-provider` package) on 127.0.0.1 for SSO tests. Its
// protocol endpoints are the package's own; only the login and consent pages, which every
// deployment of oidc-provider writes itself, are here: a password form for the test users and an
// "approve" form. `login()` drives them with plain HTTP requests, as a browser without JavaScript
// would, and returns the provider's redirect back to the client (code, state, iss).
import { execFileSync } from "node:child_process";
import { randomBytes, timingSafeEqual } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exportJWK, generateKeyPair, importJWK, SignJWT } from "jose";
import Provider from "oidc-provider";
import { idpFetch } from "../../operator/server/auth/oidc/sso.js";

export interface TestUser {
  password: string;
  email?: string;
  name?: string;
  groups: string[];
  /** Groups the UserInfo endpoint answers with, when they should differ from the ID token's. */
  userInfoGroups?: string[];
}

export interface TestClient {
  clientId: string;
  /** Omit for a public client (PKCE, no secret). */
  clientSecret?: string;
  redirectUris: string[];
}

export interface TestOidcProviderOptions {
  clients: TestClient[];
  users: Record<string, TestUser>;
  /** Make the provider refuse authorization requests without PKCE (so a passing flow proves it was sent). */
  requirePkce?: boolean;
  /** Issue refresh tokens with every code exchange (the clients may then use the refresh_token grant). */
  refreshTokens?: boolean;
  /** Serve https with this certificate (see selfSignedCertificate); the issuer is then https://127.0.0.1:<port>. */
  tls?: { cert: string; key: string };
}

export interface TestOidcProvider {
  /** http(s)://127.0.0.1:<port> */
  issuer: string;
  /**
   * Follows an authorize URL through the provider's interaction (password form, then consent) and
   * returns the redirect to the client's redirect URI. Throws when the provider refuses.
   */
  login(authorizeUrl: string, username: string, password: string): Promise<URL>;
  /**
   * Signs a JWT with the provider's own ID token key (RS256, its kid), for tokens a real login
   * cannot produce (no audience, no expiry). `iss` defaults to the issuer; the caller sets the rest.
   */
  signWithProviderKey(claims: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

/** Alice and bob as in seed 000's teams. */
export const SEED_USERS: Record<string, TestUser> = {
  alice: { password: "alice-password-1", email: "alice@example.com", name: "Alice", groups: ["backend-developers"] },
  bob: { password: "bob-password-1", email: "bob@example.com", name: "Bob", groups: ["frontend-developers"] },
};

export async function startOidcProvider(options: TestOidcProviderOptions): Promise<TestOidcProvider> {
  const server = options.tls ? createTlsServer({ cert: options.tls.cert, key: options.tls.key }) : createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const issuer = `${options.tls ? "https" : "http"}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  const signingKey = { ...(await exportJWK(privateKey)), kid: randomBytes(8).toString("hex"), alg: "RS256", use: "sig" };

  const provider = new Provider(issuer, {
    clients: options.clients.map((c) => ({
      client_id: c.clientId,
      ...(c.clientSecret ? { client_secret: c.clientSecret } : { token_endpoint_auth_method: "none" }),
      redirect_uris: c.redirectUris,
      grant_types: options.refreshTokens ? ["authorization_code", "refresh_token"] : ["authorization_code"],
      response_types: ["code"],
    })),
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString("hex")] },
    scopes: ["openid", "offline_access", "profile", "email", "groups"],
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"], groups: ["groups"] },
    // Put the scopes' claims in the ID token too, as Dex and most IdPs Argo users run do.
    conformIdTokenClaims: false,
    features: {
      devInteractions: { enabled: false },
      claimsParameter: { enabled: true },
    },
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 3600, IdToken: 3600 },
    pkce: { required: () => options.requirePkce ?? false },
    ...(options.refreshTokens ? { issueRefreshToken: () => true } : {}),
    findAccount: (_ctx: unknown, id: string) => {
      const user = options.users[id];
      if (!user) return undefined;
      return {
        accountId: id,
        // Read at each call, so a test may change a user's groups while sessions are open.
        claims: (use: string) => ({
          sub: id, email: user.email, email_verified: user.email !== undefined, name: user.name,
          groups: use === "userinfo" && user.userInfoGroups ? user.userInfoGroups : user.groups,
        }),
      };
    },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
  });
  // A protocol error would otherwise be logged by koa as a stack trace on the test's stderr.
  provider.on("server_error", () => undefined);
  const protocol = provider.callback();

  server.on("request", (req, res) => {
    const match = /^\/interaction\/([\w-]+)(?:\/(login|confirm))?$/.exec((req.url ?? "").split("?")[0] ?? "");
    if (!match) {
      protocol(req, res);
      return;
    }
    interaction(provider, options.users, req, res, match[2]).catch((err: unknown) => {
      res.statusCode = 500;
      res.end(`interaction failed: ${err instanceof Error ? err.message : String(err)}`);
    });
  });

  return {
    issuer,
    signWithProviderKey: async (claims) => new SignJWT({ iss: issuer, ...claims })
      .setProtectedHeader({ alg: "RS256", kid: signingKey.kid, typ: "JWT" })
      .sign(await importJWK(signingKey, "RS256")),
    login: (authorizeUrl, username, password) => driveLogin(issuer, authorizeUrl, username, password, options.tls?.cert),
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** The interaction pages: GET shows the form of the current prompt, POST login/confirm handle it. */
async function interaction(provider: Provider, users: Record<string, TestUser>, req: IncomingMessage, res: ServerResponse, action: string | undefined): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  if (req.method === "GET" && action === undefined) {
    res.setHeader("Content-Type", "text/html; charset=utf-8");
    const form = details.prompt.name === "login"
      ? `<form method="post" action="/interaction/${details.uid}/login"><input name="login"><input name="password" type="password"></form>`
      : `<form method="post" action="/interaction/${details.uid}/confirm"><button>Approve</button></form>`;
    res.end(`<!doctype html><html><body data-prompt="${details.prompt.name}">${form}</body></html>`);
    return;
  }
  if (req.method !== "POST") {
    res.statusCode = 405;
    res.end();
    return;
  }
  const form = new URLSearchParams(await readBody(req));
  if (action === "login") {
    const login = form.get("login") ?? "";
    const user = Object.hasOwn(users, login) ? users[login] : undefined;
    if (!user || !samePassword(user.password, form.get("password") ?? "")) {
      res.statusCode = 401;
      res.setHeader("Content-Type", "text/html; charset=utf-8");
      res.end(`<!doctype html><html><body data-prompt="login" data-error="invalid login">Invalid login</body></html>`);
      return;
    }
    await provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
    return;
  }
  // Consent: grant what the client asked for.
  const accountId = details.session?.accountId;
  const clientId = details.params.client_id;
  if (typeof accountId !== "string" || typeof clientId !== "string") throw new Error("consent without a login");
  const grant = details.grantId ? await provider.Grant.find(details.grantId) : new provider.Grant({ accountId, clientId });
  if (!grant) throw new Error("grant not found");
  const missingScope = details.prompt.details.missingOIDCScope;
  if (Array.isArray(missingScope)) grant.addOIDCScope(missingScope.join(" "));
  const missingClaims = details.prompt.details.missingOIDCClaims;
  if (Array.isArray(missingClaims)) grant.addOIDCClaims(missingClaims as string[]);
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

function samePassword(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** A browser's part: follow redirects with a cookie jar, fill the forms the pages show. */
async function driveLogin(issuer: string, authorizeUrl: string, username: string, password: string, ca?: string): Promise<URL> {
  // The global fetch cannot trust a test CA; this one (node's https with `ca`) never follows redirects.
  const send = idpFetch(ca, false);
  const jar = new Map<string, string>();
  const cookieHeader = (): string => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
  const remember = (res: Response): void => {
    for (const line of res.headers.getSetCookie()) {
      const [pair = ""] = line.split(";");
      const eq = pair.indexOf("=");
      if (eq < 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === "" || /expires=Thu, 01 Jan 1970/i.test(line) || /max-age=0/i.test(line)) jar.delete(name);
      else jar.set(name, value);
    }
  };
  let url = new URL(authorizeUrl);
  let init: { method: string; body?: string; headers?: Record<string, string> } = { method: "GET" };
  for (let hop = 0; hop < 20; hop++) {
    const res = await send(url.href, { method: init.method, body: init.body, headers: { ...init.headers, cookie: cookieHeader() } });
    remember(res);
    const location = res.headers.get("location");
    if (res.status >= 300 && res.status < 400 && location) {
      await res.arrayBuffer();
      const next = new URL(location, url);
      // Anything off the provider is the redirect back to the client: the result.
      if (next.origin !== new URL(issuer).origin) return next;
      url = next;
      init = { method: "GET" };
      continue;
    }
    const body = await res.text();
    const prompt = /data-prompt="(\w+)"/.exec(body)?.[1];
    if (res.status !== 200 || !prompt) throw new Error(`the provider answered ${res.status} at ${url.pathname}: ${body.slice(0, 300)}`);
    const action = /action="([^"]+)"/.exec(body)?.[1];
    if (!action) throw new Error(`no form on the ${prompt} page`);
    const form = prompt === "login" ? new URLSearchParams({ login: username, password }) : new URLSearchParams();
    url = new URL(action, url);
    init = { method: "POST", body: form.toString(), headers: { "content-type": "application/x-www-form-urlencoded" } };
  }
  throw new Error("the login did not finish within 20 requests");
}

/** A self-signed certificate for 127.0.0.1 (it is its own CA), made with the openssl CLI. */
export function selfSignedCertificate(): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), "hawser-oidc-tls-"));
  try {
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
      "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-addext", "basicConstraints=critical,CA:TRUE",
      "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"),
    ], { stdio: ["ignore", "ignore", "pipe"] });
    return { cert: readFileSync(join(dir, "cert.pem"), "utf8"), key: readFileSync(join(dir, "key.pem"), "utf8") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
