// Argo CD's Account service over REST (argo-cd-server.md §1.4 "Account", §3.6): local accounts
// (argocd-cm accounts.* and argocd-secret), can-i, password changes and API-key tokens. A local
// user needs no permission for their own account; anyone else needs accounts,get / update.
import { parseAccounts, ARGOCD_CM, ARGOCD_SECRET } from "../auth/accounts.js";
import { deleteAccountToken, generateAccountToken, localAccountOf, updatePassword } from "../auth/account-admin.js";
import type { ServerAuth } from "../auth/index.js";
import type { KubeClient } from "../../kube/client.js";
import type { ServerCache } from "../cache.js";
import type { ApiRequest, ApiRouter, Caller } from "../http/api.js";
import { checkBody } from "../http/body.js";
import { invalidArgument, notFound } from "../http/errors.js";
import type { ServerEnforcer } from "../rbac/index.js";

export interface AccountServiceDeps {
  cache: ServerCache;
  client: KubeClient;
  auth: ServerAuth;
  enforcer: ServerEnforcer;
}

export class AccountService {
  constructor(private readonly deps: AccountServiceDeps) {}

  register(r: ApiRouter): void {
    r.get("/api/v1/account", ({ caller }) => ({ items: this.accounts().filter((a) => this.may(caller, "get", a.name)).map((a) => this.view(a)) }));
    r.get("/api/v1/account/can-i/:resource/:action/*", ({ caller, params }) => ({ value: this.canI(caller, params.resource!, params.action!, params["*"] ?? "") }));
    r.get("/api/v1/account/:name", ({ caller, params }) => {
      this.require(caller, "get", params.name!);
      const a = this.accounts().find((x) => x.name === params.name);
      if (!a) throw notFound(`account '${params.name}' does not exist`);
      return this.view(a);
    });
    r.put("/api/v1/account/password", (req) => this.password(req));
    r.post("/api/v1/account/:name/token", (req) => this.createToken(req));
    r.delete("/api/v1/account/:name/token/:id", (req) => this.deleteToken(req));
  }

  private accounts(): ReturnType<typeof parseAccounts> {
    return parseAccounts(this.deps.cache.configMap(ARGOCD_CM) ?? {}, this.deps.cache.secret(ARGOCD_SECRET) ?? {}).sort((a, b) => a.name.localeCompare(b.name));
  }

  private view(a: ReturnType<typeof parseAccounts>[number]): Record<string, unknown> {
    return {
      name: a.name,
      ...(a.enabled ? { enabled: true } : {}),
      ...(a.capabilities.length ? { capabilities: a.capabilities } : {}),
      ...(a.tokens.length ? { tokens: a.tokens.map((t) => ({ id: t.id, issuedAt: t.iat, ...(t.exp ? { expiresAt: t.exp } : {}) })) } : {}),
    };
  }

  /** Own local account: always; otherwise RBAC accounts,<action>. */
  private may(caller: Caller, action: "get" | "update", name: string): boolean {
    return localAccountOf(caller.claims) === name || caller.can("accounts", action, name);
  }

  private require(caller: Caller, action: "get" | "update", name: string): void {
    if (localAccountOf(caller.claims) !== name) caller.require("accounts", action, name);
  }

  private canI(caller: Caller, resource: string, action: string, subresource: string): "yes" | "no" {
    try {
      return this.deps.enforcer.canI(caller.claims, resource, action, subresource);
    } catch (err) {
      throw invalidArgument(err instanceof Error ? err.message : String(err));
    }
  }

  private adminDeps(): Parameters<typeof updatePassword>[0] {
    const { cache } = this.deps;
    return { client: this.deps.client, namespace: cache.namespace, state: cache, limiter: this.deps.auth.limiter, awaitOwnWrite: (w) => cache.awaitOwnWrite(w) };
  }

  private async password({ caller, body }: ApiRequest): Promise<unknown> {
    const req = checkBody(body, { name: "scalar", currentPassword: "scalar", newPassword: "scalar" }, "password");
    const name = typeof req.name === "string" && req.name ? req.name : localAccountOf(caller.claims);
    if (name && localAccountOf(caller.claims) !== name) caller.require("accounts", "update", name);
    await updatePassword(this.adminDeps(), caller.claims, name, typeof req.currentPassword === "string" ? req.currentPassword : "", typeof req.newPassword === "string" ? req.newPassword : "");
    return {};
  }

  private async createToken({ caller, params, body }: ApiRequest): Promise<unknown> {
    const req = checkBody(body, { name: "scalar", expiresIn: "scalar", id: "scalar" }, "token");
    this.require(caller, "update", params.name!);
    return generateAccountToken(this.adminDeps(), params.name!, {
      ...(req.expiresIn !== undefined ? { expiresIn: Number(req.expiresIn) } : {}),
      ...(typeof req.id === "string" && req.id ? { id: req.id } : {}),
    });
  }

  private async deleteToken({ caller, params }: ApiRequest): Promise<unknown> {
    this.require(caller, "update", params.name!);
    await deleteAccountToken(this.adminDeps(), params.name!, params.id!);
    return {};
  }
}


