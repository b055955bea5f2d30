// Proxy extensions (`/extensions/<name>/...`, on with --enable-proxy-extension): an authenticated
// caller who may `invoke` the extension and `get` the app named in Argocd-Application-Name reaches
// the extension's backend. As in Argo, the caller's token never leaves the server (Authorization
// and Cookie are dropped); the backend learns who is calling from Argocd-User-Id, Argocd-Username
// and Argocd-User-Groups, and which app from Argocd-Namespace and Argocd-Target-Cluster-*.
import http from "node:http";
import https from "node:https";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { resolveDestination } from "../../cluster/clusters.js";
import { isDestinationPermitted } from "../../engine/project.js";
import type { Logger } from "../../runtime/logger.js";
import { errorMessage } from "../../util/index.js";
import type { AppStateReader } from "../app-state.js";
import type { ServerCache } from "../cache.js";
import { usernameOf } from "../http/api.js";
import { subjectOf, type Authenticator, type Claims, type Enforcer } from "../types.js";
import { parseAppHeader, parseExtensions, serviceFor, type ExtensionBackend } from "./extension-config.js";

export const APP_HEADER = "argocd-application-name";
export const PROJECT_HEADER = "argocd-project-name";

export interface ExtensionProxyDeps {
  app: FastifyInstance;
  cache: ServerCache;
  /** The project with what global projects lend it, and the registered clusters (as the controller sees them). */
  reader: Pick<AppStateReader, "effectiveProject" | "clusterEntries">;
  authenticator: Authenticator;
  enforcer: Enforcer;
  /** The control namespace (sent as Argocd-Namespace; apps in it have the short RBAC name). */
  namespace: string;
  rootPath: string;
  log: Logger;
}

// Connection-scoped headers are the proxy's own business (RFC 9110 §7.6.1); the caller's
// credentials stay here.
const DROPPED = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer",
  "proxy-authorization", "proxy-authenticate", "host", "authorization", "cookie", "content-length"]);

export class ExtensionProxyService {
  private agents = new Map<string, { key: string; agent: http.Agent }>();

  constructor(private readonly deps: ExtensionProxyDeps) {}

  register(): void {
    const { app, rootPath } = this.deps;
    // Its own fastify context so the body is not parsed: it is streamed to the backend as is.
    // eslint-disable-next-line @typescript-eslint/require-await -- fastify takes an async plugin
    void app.register(async (scope) => {
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser("*", (_req, _payload, done) => done(null, undefined));
      scope.route({
        method: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        url: `${rootPath}/extensions/*`,
        handler: async (req, reply) => { await this.handle(req, reply); },
      });
    });
  }

  close(): void {
    for (const { agent } of this.agents.values()) agent.destroy();
    this.agents.clear();
  }

  private async handle(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const { authenticator, enforcer, cache, log } = this.deps;
    // Unauthenticated callers get the API's 401 before anything about the extension is looked at.
    const { claims } = await authenticator.authenticate({ headers: req.headers, remoteAddress: req.socket.remoteAddress });
    const [pathOnly, query] = splitOnce(req.url.slice(this.deps.rootPath.length + "/extensions/".length), "?");
    const slash = pathOnly.indexOf("/");
    const extName = slash < 0 ? pathOnly : pathOnly.slice(0, slash);
    const rest = slash < 0 ? "" : pathOnly.slice(slash);
    if (!extName) return text(reply, 400, "Invalid URL: extension name must be provided");

    const appRef = parseAppHeader(header(req, APP_HEADER));
    const project = header(req, PROJECT_HEADER);
    if (!appRef) return text(reply, 400, "Invalid headers: Argocd-Application-Name must be <namespace>:<app-name>");
    if (!project || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(project)) return text(reply, 400, "Invalid headers: Argocd-Project-Name must be a project name");

    // Argo's order: the app right on the claimed project first, then invoke, then the app itself
    // must exist in that project. Every refusal is the same 401, so nothing about apps leaks.
    const appObject = appRef.namespace === this.deps.namespace ? `${project}/${appRef.name}` : `${project}/${appRef.namespace}/${appRef.name}`;
    const app = cache.app(appRef.namespace, appRef.name);
    // The destination with both its name and server filled in from the registered clusters, so a
    // project rule or an extension service may name either (Argo resolves it the same way).
    const dest = app?.spec?.destination;
    const resolved = resolveDestination(dest, this.deps.reader.clusterEntries());
    const destination = resolved.ok ? { name: resolved.cluster.name, server: resolved.cluster.server, namespace: dest?.namespace } : { ...dest };
    const proj = app ? this.deps.reader.effectiveProject(project) : undefined;
    const refusal = !enforcer.enforce(claims, "applications", "get", appObject) ? `applications, get, ${appObject} denied`
      : !enforcer.enforce(claims, "extensions", "invoke", extName) ? `extensions, invoke, ${extName} denied`
      : !app ? `application ${appRef.namespace}/${appRef.name} not found`
      : (app.spec?.project || "default") !== project ? `the app's project is not "${project}"`
      : !proj ? `project ${project} not found`
      : !isDestinationPermitted(proj.spec ?? {}, destination) ? `project ${project} does not permit the app's destination`
      : undefined;
    if (refusal || !app) {
      log.info("unauthorized extension request", { extension: extName, subject: subjectOf(claims), reason: refusal });
      return text(reply, 401, "Unauthorized extension request");
    }

    let extensions: Map<string, ExtensionBackend>;
    try {
      extensions = parseExtensions(cache.configMap("argocd-cm"), (ref) => this.secretValue(ref));
    } catch (err) {
      log.warn("proxy extension configuration is invalid", { error: errorMessage(err) });
      return text(reply, 500, `invalid proxy extension configuration: ${errorMessage(err)}`);
    }
    const ext = extensions.get(extName);
    if (!ext) return text(reply, 404, "Extension not found");
    const service = serviceFor(ext, destination);
    if (!service) return text(reply, 400, `extension ${extName} has no service for the application's destination cluster`);

    const target = new URL(service.url);
    target.pathname = target.pathname.replace(/\/+$/, "") + (rest || "/");
    target.search = query === undefined ? "" : `?${query}`;
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v === undefined || k.startsWith(":") || DROPPED.has(k.toLowerCase())) continue;
      headers[k] = v;
    }
    headers["argocd-namespace"] = this.deps.namespace;
    // As Argo: the destination as the app's spec writes it.
    if (dest?.name) headers["argocd-target-cluster-name"] = dest.name;
    if (dest?.server) headers["argocd-target-cluster-url"] = dest.server;
    const userId = subjectOf(claims);
    const username = claims ? usernameOf(claims) : "";
    const groups = groupsOf(claims);
    if (userId) headers["argocd-user-id"] = userId;
    if (username) headers["argocd-username"] = username;
    if (groups.length > 0) headers["argocd-user-groups"] = groups.join(",");
    for (const h of service.headers) headers[h.name.toLowerCase()] = h.value;
    if (req.headers["content-length"] !== undefined) headers["content-length"] = String(req.headers["content-length"]);

    reply.hijack();
    const res = reply.raw;
    await new Promise<void>((resolve) => {
      const mod = target.protocol === "https:" ? https : http;
      const upstream = mod.request(target, { method: req.method, headers, agent: this.agentFor(ext, target.protocol) }, (up) => {
        const out: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(up.headers)) {
          if (v !== undefined && (k === "content-length" || !DROPPED.has(k))) out[k] = v;
        }
        res.writeHead(up.statusCode ?? 502, out);
        up.pipe(res);
        up.on("end", resolve);
        up.on("error", () => { res.destroy(); resolve(); });
      });
      // The agent has no connect timeout; Argo's connectionTimeout bounds the dial only.
      const dial = setTimeout(() => upstream.destroy(new Error(`connecting to the backend took longer than ${ext.connectionTimeoutMs} ms`)), ext.connectionTimeoutMs);
      upstream.on("socket", (socket) => {
        if (!socket.connecting) clearTimeout(dial);
        else socket.once("connect", () => clearTimeout(dial));
      });
      upstream.on("error", (err) => {
        clearTimeout(dial);
        log.warn("proxy extension backend failed", { extension: extName, error: errorMessage(err) });
        if (!res.headersSent) {
          res.writeHead(502, { "content-type": "text/plain; charset=utf-8" });
          res.end("Bad Gateway");
        } else res.destroy();
        resolve();
      });
      res.on("close", () => { clearTimeout(dial); upstream.destroy(); resolve(); });
      req.raw.pipe(upstream);
    });
  }

  private agentFor(ext: ExtensionBackend, protocol: string): http.Agent {
    const key = JSON.stringify([protocol, ext.keepAliveMs, ext.idleConnectionTimeoutMs, ext.maxIdleConnections]);
    const id = `${ext.name}|${protocol}`;
    const hit = this.agents.get(id);
    if (hit?.key === key) return hit.agent;
    hit?.agent.destroy();
    const opts = { keepAlive: ext.keepAliveMs > 0, keepAliveMsecs: ext.keepAliveMs, maxFreeSockets: ext.maxIdleConnections, timeout: ext.idleConnectionTimeoutMs };
    const agent = protocol === "https:" ? new https.Agent(opts) : new http.Agent(opts);
    this.agents.set(id, { key, agent });
    return agent;
  }

  /** `$key` in argocd-secret, or `$secret:key` in a Secret labelled part-of argocd (Argo's rule). */
  private secretValue(reference: string): string {
    const body = reference.slice(1);
    const colon = body.indexOf(":");
    const secretName = colon < 0 ? "argocd-secret" : body.slice(0, colon);
    const key = colon < 0 ? body : body.slice(colon + 1);
    if (!secretName || !key) throw new Error(`"${reference}" is not a secret reference ($<key> or $<secret>:<key>)`);
    if (colon >= 0 && this.deps.cache.secretLabels(secretName)?.["app.kubernetes.io/part-of"] !== "argocd") {
      throw new Error(`"${reference}" names Secret ${secretName}, which does not exist or is not labelled app.kubernetes.io/part-of: argocd`);
    }
    const value = this.deps.cache.secret(secretName)?.[key];
    if (value === undefined) throw new Error(`"${reference}": Secret ${secretName} has no key ${key}`);
    return value.trim();
  }
}

function groupsOf(claims: Claims | undefined): string[] {
  const g = claims?.groups;
  return Array.isArray(g) ? g.filter((x): x is string => typeof x === "string") : typeof g === "string" && g ? [g] : [];
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function splitOnce(s: string, sep: string): [string, string | undefined] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + 1)];
}

async function text(reply: FastifyReply, status: number, body: string): Promise<void> {
  await reply.code(status).type("text/plain; charset=utf-8").send(body);
}
