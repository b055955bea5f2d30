// Sessions (argo-cd-server.md §1.4 "Session", §2): local login and the argocd.token cookie, user
// info, SSO login through the OpenID provider (/auth/login, /auth/callback), logout
// (/auth/logout revokes the token's id), and the project role token routes, whose permission rule
// (projects,update or membership of one of the role's groups) belongs with sessions.
import type { FastifyReply, FastifyRequest } from "fastify";
import { parseRbacConfig } from "../../engine/rbac/index.js";
import type { KubeClient, KubeObject } from "../../kube/client.js";
import type { Logger } from "../../runtime/logger.js";
import { errorMessage } from "../../util/index.js";
import { tokenOf, userInfo, type ServerAuth } from "../auth/index.js";
import { clearTokenCookies, parseCookieHeader, tokenCookieCount, tokenCookies } from "../auth/cookies.js";
import { STATE_COOKIE, ssoGroups, type SsoClient } from "../auth/oidc/sso.js";
import { createProjectToken, deleteProjectToken } from "../auth/project-tokens.js";
import type { ServerCache } from "../cache.js";
import type { ApiRequest, ApiRouter } from "../http/api.js";
import { checkBody } from "../http/body.js";
import { ApiError, Code, toApiError, unauthenticated } from "../http/errors.js";
import type { ServerEnforcer } from "../rbac/index.js";
import type { Claims } from "../types.js";
import type { ProjectTokenHandlers } from "./projects.js";

export interface SessionServiceDeps {
  cache: ServerCache;
  client: KubeClient;
  auth: ServerAuth;
  sso: SsoClient;
  enforcer: ServerEnforcer;
  insecure: boolean;
  baseHref: string;
  log: Logger;
}

export class SessionService {
  constructor(private readonly deps: SessionServiceDeps) {}

  private cookieOptions(): { basehref: string; insecure: boolean; maxParts: number } {
    return { basehref: this.deps.baseHref, insecure: this.deps.insecure, maxParts: this.deps.auth.maxCookieParts };
  }

  setTokenCookie(reply: FastifyReply, token: string): void {
    void reply.header("Set-Cookie", tokenCookies(token, this.cookieOptions()));
  }

  private scopes(): string[] {
    return [...parseRbacConfig(this.deps.cache.configMap("argocd-rbac-cm")).config.scopes];
  }

  register(r: ApiRouter): void {
    r.post("/api/v1/session", (req) => this.login(req), { optionalAuth: true });
    r.delete("/api/v1/session", (req) => this.deleteSession(req), { optionalAuth: true });
    r.get("/api/v1/session/userinfo", ({ caller }) => userInfo(caller.claims, this.scopes()), { optionalAuth: true });
    r.raw("GET", "/auth/login", (req, reply) => this.ssoLogin(req, reply));
    r.raw("GET", "/auth/callback", (req, reply) => this.ssoCallback(req, reply));
    r.raw("GET", "/auth/logout", (req, reply) => this.logout(req, reply));
  }

  private async login({ body, raw, reply }: ApiRequest): Promise<unknown> {
    const req = checkBody(body, { username: "scalar", password: "scalar", token: "scalar" }, "session");
    if (req.token !== undefined) throw unauthenticated("token-based session creation is not supported; log in with username and password");
    const username = typeof req.username === "string" ? req.username : "";
    const password = typeof req.password === "string" ? req.password : "";
    // The TCP peer, never X-Forwarded-For, which the client writes itself (see sourceKey).
    const { token } = await this.deps.auth.sessions.login(username, password, raw.socket.remoteAddress);
    this.setTokenCookie(reply, token);
    return { token };
  }

  private requestBase(req: FastifyRequest): string {
    return `${this.deps.insecure ? "http" : "https"}://${req.headers.host ?? "localhost"}`;
  }

  private async sendError(reply: FastifyReply, err: unknown): Promise<void> {
    const e = toApiError(err);
    await reply.code(e.httpStatus).type("text/plain; charset=utf-8").send(e.message);
  }

  private async ssoLogin(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    try {
      const q = req.query as Record<string, string | undefined>;
      const { location, stateCookie } = await this.deps.sso.loginRedirect(q.return_url ?? "", this.requestBase(req));
      await reply.header("Set-Cookie", stateCookie.header).redirect(location, 303);
    } catch (err) {
      await this.sendError(reply, err);
    }
  }

  private async ssoCallback(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    try {
      const cookies = parseCookieHeader(req.headers.cookie);
      const result = await this.deps.sso.callback(req.query as Record<string, string>, cookies.get(STATE_COOKIE));
      await reply.header("Set-Cookie", [...tokenCookies(result.idToken, this.cookieOptions()), result.clearStateCookie]).redirect(result.returnUrl, 303);
    } catch (err) {
      this.deps.log.info("SSO callback refused", { error: errorMessage(err) });
      await this.sendError(reply, err);
    }
  }

  /**
   * `DELETE /api/v1/session`: revokes the caller's token (from the Authorization header or the
   * argocd.token cookie) and clears the cookie, as Argo's session Delete does.
   */
  private async deleteSession({ caller, raw, reply }: ApiRequest): Promise<unknown> {
    await this.deps.auth.sessions.logout(caller.claims, rawTokenOf(raw.headers, this.deps.auth.maxCookieParts));
    const cookies = parseCookieHeader(raw.headers.cookie);
    void reply.header("Set-Cookie", clearTokenCookies(Math.max(1, tokenCookieCount(cookies)), this.cookieOptions()));
    return {};
  }

  private async logout(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const cookies = parseCookieHeader(req.headers.cookie);
    const clear = clearTokenCookies(Math.max(1, tokenCookieCount(cookies)), this.cookieOptions());
    const cm = this.deps.cache.configMap("argocd-cm") ?? {};
    let target = cm.url || "/";
    try {
      const request = { headers: req.headers, remoteAddress: req.socket.remoteAddress };
      const auth = await this.deps.auth.authenticator.authenticate(request, { optional: true });
      // The browser logs out with its cookie, the CLI with its header: either carries the token.
      const raw = rawTokenOf(req.headers, this.deps.auth.maxCookieParts);
      await this.deps.auth.sessions.logout(auth.claims, raw);
      if (auth.claims && auth.claims.iss !== "argocd") {
        const idp = raw ? this.deps.sso.logoutUrl(raw, target) : undefined;
        if (idp) target = idp;
      }
    } catch (err) {
      this.deps.log.info("logout: token not revoked", { error: errorMessage(err) });
    }
    await reply.header("Set-Cookie", clear).redirect(target, 303);
  }

  /** May the caller manage tokens of `role` in `project`: projects,update, or one of the role's groups. */
  private mayManageTokens(claims: Claims | undefined, project: string, role: string): void {
    if (this.deps.enforcer.enforce(claims, "projects", "update", project)) return;
    const roleGroups = this.deps.cache.project(project)?.spec?.roles?.find((r) => r.name === role)?.groups ?? [];
    const mine = claims ? ssoGroups(claims, this.scopes()) : [];
    if (roleGroups.some((g) => mine.includes(g))) return;
    const denial = this.deps.enforcer.denial(claims, "projects", "update", project);
    throw denial ?? new ApiError(Code.PermissionDenied, "permission denied");
  }

  projectTokenHandlers(): ProjectTokenHandlers {
    const { cache } = this.deps;
    const deps = { client: this.deps.client, namespace: cache.namespace, state: cache, awaitOwnWrite: (w: KubeObject) => cache.awaitOwnWrite(w) };
    return {
      create: async ({ params, body, caller }: ApiRequest) => {
        const req = checkBody(body, { project: "scalar", role: "scalar", description: "scalar", expiresIn: "scalar", id: "scalar" }, "project token");
        this.mayManageTokens(caller.claims, params.project!, params.role!);
        return createProjectToken(deps, params.project!, params.role!, {
          ...(req.expiresIn !== undefined ? { expiresIn: Number(req.expiresIn) } : {}),
          ...(typeof req.id === "string" && req.id ? { id: req.id } : {}),
          ...(typeof req.description === "string" ? { description: req.description } : {}),
        });
      },
      delete: async ({ params, query, caller }: ApiRequest) => {
        this.mayManageTokens(caller.claims, params.project!, params.role!);
        const id = Array.isArray(query.id) ? query.id[0] : query.id;
        await deleteProjectToken(deps, params.project!, params.role!, Number(params.iat), id || undefined);
        return {};
      },
    };
  }
}

/** The request's token (header or cookie), or undefined when it has none or a malformed cookie. */
function rawTokenOf(headers: Record<string, string | string[] | undefined>, maxCookieParts: number): string | undefined {
  try {
    return tokenOf({ headers }, maxCookieParts);
  } catch {
    return undefined;
  }
}
