// The HTTP front of `hawser server`: one fastify instance serving HTTP/1.1 and HTTP/2 (TLS with
// ALPN, HTTP/1.1 only when --insecure), the rules every API request goes through (the content-type
// guard against cross-site form posts, the body limit, authentication, errors in Argo's shape),
// and `ApiRouter`, through which the services register their routes. A route handler gets the
// caller and returns a JSON-able value; streams take over the response themselves.
import http from "node:http";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { Logger } from "../../runtime/logger.js";
import { errorMessage } from "../../util/index.js";
import { subjectOf, type Authenticator, type Claims, type Enforcer } from "../types.js";
import { ApiError, Code, invalidArgument, permissionDenied, toApiError, type GrpcCode } from "./errors.js";
import { installGzip } from "./compress.js";
import type { TlsMaterial, TlsPolicy } from "./tls.js";

export interface ApiServerOptions {
  /** Serve plain HTTP/1.1 (behind a TLS-terminating proxy), as Argo's --insecure. */
  insecure: boolean;
  tls?: TlsMaterial;
  /** server.tls.minversion / maxversion / ciphers as Node options; Node's defaults when absent. */
  tlsPolicy?: TlsPolicy;
  /** server.enable.gzip: gzip answers for clients that accept it (not event streams). */
  enableGzip?: boolean;
  /** A path prefix stripped from every request (--rootpath), e.g. "/argo-cd". "" for none. */
  rootPath: string;
  /** Media types accepted on non-GET API requests (Argo's --api-content-types). */
  apiContentTypes: string[];
  /** Largest request body in bytes. */
  bodyLimit: number;
  authenticator: Authenticator;
  enforcer: Enforcer;
  log: Logger;
  /** Told the gRPC code of each failed request (the metrics label it). */
  onApiError?: (req: FastifyRequest, code: GrpcCode) => void;
  /** Name of the session cookie's path and attributes: set by the session service. */
  onRenewedToken?: (reply: FastifyReply, token: string) => void;
}

/** Who is calling, and the RBAC checks on their behalf. */
export interface Caller {
  /** undefined = anonymous. */
  readonly claims: Claims | undefined;
  /** The RBAC subject (federated user id, else sub), "" when anonymous. */
  readonly subject: string;
  /** The name written to initiatedBy.username and shown by userinfo. */
  readonly username: string;
  can(resource: string, action: string, object: string): boolean;
  /** Throws Argo's PermissionDenied unless allowed. */
  require(resource: string, action: string, object: string): void;
}

export type Query = Record<string, string | string[] | undefined>;

/** The first value of a query parameter, undefined when absent or empty. */
export function queryValue(q: Query, key: string): string | undefined {
  const v = q[key];
  return (Array.isArray(v) ? v[0] : v) || undefined;
}

export interface ApiRequest {
  params: Record<string, string>;
  query: Query;
  body: unknown;
  caller: Caller;
  raw: FastifyRequest;
  reply: FastifyReply;
}

/**
 * A JSON response already serialised, in pieces sent as they are produced (a list of 10,000 apps
 * is neither one string nor one long block of the event loop).
 */
export class JsonPieces {
  constructor(readonly pieces: Iterable<string>) {}
}

/** Returns the response body (or a promise of it); a stream handler hijacks the reply and returns undefined. */
export type Handler = (req: ApiRequest) => unknown;

export interface RouteOptions {
  /** The caller may be unauthenticated (session, settings, version): auth is tried, never required. */
  optionalAuth?: boolean;
}

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export class ApiRouter {
  /** Where a renewed session token goes (the session service sets the cookie). */
  onRenewedToken: ((reply: FastifyReply, token: string) => void) | undefined;

  constructor(private readonly app: FastifyInstance, private readonly opts: ApiServerOptions) {
    this.onRenewedToken = opts.onRenewedToken;
  }

  get(path: string, handler: Handler, options?: RouteOptions): void { this.route("GET", path, handler, options); }
  post(path: string, handler: Handler, options?: RouteOptions): void { this.route("POST", path, handler, options); }
  put(path: string, handler: Handler, options?: RouteOptions): void { this.route("PUT", path, handler, options); }
  patch(path: string, handler: Handler, options?: RouteOptions): void { this.route("PATCH", path, handler, options); }
  delete(path: string, handler: Handler, options?: RouteOptions): void { this.route("DELETE", path, handler, options); }

  /** A route outside the JSON API (e.g. /auth/login, which redirects); the handler writes the reply. */
  raw(method: Method, path: string, handler: (req: FastifyRequest, reply: FastifyReply) => Promise<void>): void {
    this.app.route({ method, url: this.opts.rootPath + path, handler: async (req, reply) => { await handler(req, reply); } });
  }

  private route(method: Method, path: string, handler: Handler, options: RouteOptions = {}): void {
    this.app.route({
      method,
      url: this.opts.rootPath + path,
      handler: async (req, reply) => {
        const auth = await this.opts.authenticator.authenticate(
          { headers: req.headers, remoteAddress: req.socket.remoteAddress },
          { optional: options.optionalAuth === true },
        );
        if (auth.renewedToken) this.onRenewedToken?.(reply, auth.renewedToken);
        const caller = makeCaller(auth.claims, this.opts.enforcer);
        const result = await handler({
          params: decodeParams(req.params as Record<string, string>),
          query: req.query as Query,
          body: req.body,
          caller,
          raw: req,
          reply,
        });
        if (reply.sent) return reply;
        if (result instanceof JsonPieces) return reply.code(200).type("application/json").send(Readable.from(result.pieces));
        return reply.code(200).type("application/json").send(JSON.stringify(result ?? {}));
      },
    });
  }
}

/**
 * Path values arrive percent-encoded; fastify decodes them once. Repository URLs and cluster ids
 * are sent encoded as a whole by Argo's clients, so decode once more where an escape remains.
 */
function decodeParams(params: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) {
    try { out[k] = /%[0-9A-Fa-f]{2}/.test(v) ? decodeURIComponent(v) : v; } catch { out[k] = v; }
  }
  return out;
}

export function makeCaller(claims: Claims | undefined, enforcer: Enforcer): Caller {
  const subject = subjectOf(claims);
  const username = claims ? usernameOf(claims) : "";
  return {
    claims,
    subject,
    username,
    can: (resource, action, object) => enforcer.enforce(claims, resource, action, object),
    require(resource, action, object) {
      if (!enforcer.enforce(claims, resource, action, object)) throw permissionDenied(resource, action, object, subject, claims?.iat);
    },
  };
}

/** Argo's username: local tokens carry the account name in sub; SSO tokens email, else the federated id, else sub. */
export function usernameOf(claims: Claims): string {
  if (claims.iss === "argocd" || claims.iss === undefined) return claims.sub ?? "";
  return (typeof claims.email === "string" && claims.email) || claims.federated_claims?.user_id || claims.sub || "";
}

/** Builds the fastify instance with the API rules; services add routes through the returned router. */
export function createApi(opts: ApiServerOptions): { app: FastifyInstance; router: ApiRouter } {
  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    // Filled in below once fastify exists (the server must exist first for serverFactory).
    dispatch(req, res);
  };
  let dispatch: (req: http.IncomingMessage, res: http.ServerResponse) => void = () => undefined;
  const app = Fastify({
    bodyLimit: opts.bodyLimit,
    logger: false,
    // The client closing a stream must not be logged as an error.
    return503OnClosing: false,
    serverFactory: (fastifyHandler) => {
      dispatch = fastifyHandler;
      if (opts.insecure || !opts.tls) return http.createServer(handler);
      const server = http2.createSecureServer({ key: opts.tls.key, cert: opts.tls.cert, allowHTTP1: true, ...(opts.tlsPolicy ?? {}) }, handler as unknown as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void);
      return server as unknown as http.Server;
    },
  });

  if (opts.enableGzip) installGzip(app);

  app.removeAllContentTypeParsers();
  // JSON bodies; an empty body is an empty message (Argo's gateway accepts it).
  app.addContentTypeParser(opts.apiContentTypes.length > 0 ? opts.apiContentTypes : ["application/json"], { parseAs: "string" }, (_req, body, done) => {
    const text = String(body).trim();
    if (!text) { done(null, undefined); return; }
    try { done(null, JSON.parse(text)); } catch (err) { done(invalidArgument(`the request body is not valid JSON: ${errorMessage(err)}`), undefined); }
  });
  // Anything else is read as text so the guard below answers it, not fastify's own 415.
  app.addContentTypeParser("*", { parseAs: "string" }, (_req, body, done) => done(null, body));

  const apiPrefix = `${opts.rootPath}/api/`;
  const allowed = new Set(opts.apiContentTypes.map((t) => t.toLowerCase()));
  app.addHook("onRequest", async (req, reply) => {
    if (req.method === "GET" || req.method === "HEAD" || req.method === "OPTIONS") return;
    if (!req.url.startsWith(apiPrefix)) return;
    const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
    if (!allowed.has(type)) {
      await reply.code(415).type("text/plain; charset=utf-8").send("Invalid content type");
    }
  });

  app.setErrorHandler(async (err, req, reply) => {
    const fastifyStatus = (err as { statusCode?: number }).statusCode;
    const apiErr = err instanceof ApiError ? err
      : fastifyStatus === 413 ? new ApiError(Code.ResourceExhausted, `request body larger than ${opts.bodyLimit} bytes`)
      : fastifyStatus !== undefined && fastifyStatus >= 400 && fastifyStatus < 500 ? new ApiError(Code.InvalidArgument, errorMessage(err))
      : toApiError(err);
    if (apiErr.code === Code.Unknown || apiErr.code === Code.Internal) opts.log.warn("API request failed", { method: req.method, url: req.url.split("?")[0], error: apiErr.message });
    const status = fastifyStatus === 413 ? 413 : apiErr.httpStatus;
    opts.onApiError?.(req, apiErr.code);
    await reply.code(status).type("application/json").send(JSON.stringify(apiErr));
  });

  app.setNotFoundHandler(async (_req, reply) => {
    await reply.code(404).type("text/plain; charset=utf-8").send("Not Found");
  });

  return { app, router: new ApiRouter(app, opts) };
}

/** Starts listening; resolves to the base URL (https:// unless insecure). */
export async function listen(app: FastifyInstance, opts: { address: string; port: number; insecure: boolean; rootPath: string }): Promise<string> {
  await app.listen({ host: opts.address, port: opts.port });
  const addr = app.server.address() as AddressInfo;
  const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  return `${opts.insecure ? "http" : "https"}://${host}:${addr.port}${opts.rootPath}`;
}
