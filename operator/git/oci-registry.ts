// A small client for the OCI distribution API (the registry side of `docker`, `helm` and `oras`):
// the version check `GET /v2/`, a repository's tags (`GET /v2/<name>/tags/list`, paginated by the
// `Link` header), manifests (checked against their sha256 digests) and blobs (streamed, for the caller to check), with the
// registry's authentication: HTTP basic, or the token challenge (`WWW-Authenticate: Bearer
// realm=…,service=…,scope=…`, a token fetched from the realm with the credentials). Used for a
// repository's connection state, the API's oci-tags and OCI artifact sources (oci-artifacts.ts).
// Credentials only ever travel in headers, go to the registry's own host or its token realm over
// TLS, and never appear in a message.
import { createHash } from "node:crypto";
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Readable } from "node:stream";
import { redact } from "../runtime/redact.js";
import { errorMessage } from "../util/index.js";
import { readBounded } from "../util/read-bounded.js";

/** Credentials and transport settings for a registry (a repository Secret's fields). */
export interface OciAuth {
  username?: string;
  password?: string;
  /** Skip TLS verification (the Secret's `insecure`). */
  insecureSkipTLSVerify?: boolean;
  /** PEM CA bundle the registry must chain to (argocd-tls-certs-cm's entry for the host). */
  caData?: string;
  tlsClientCertData?: string;
  tlsClientCertKey?: string;
  /** Talk plain HTTP (the Secret's `insecureOCIForceHttp`). */
  plainHttp?: boolean;
}

/** `oci://host[:port]/path` split into the registry and the repository name inside it. */
export interface OciReference {
  /** host[:port] */
  registry: string;
  /** The repository (may be empty: the registry itself). */
  repository: string;
}

/** Why a registry call failed; `status` is the HTTP status when the registry answered. */
export class OciRegistryError extends Error {
  constructor(message: string, readonly status?: number) {
    super(message);
    this.name = "OciRegistryError";
  }
}

const NAME_PART = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

/**
 * Parses an OCI reference (`oci://` optional, as a Helm Secret with enableOCI writes it), or says
 * what is wrong with it. Split by hand: URL parsing would resolve `..` segments.
 */
export function parseOciReference(ref: string): OciReference | { problem: string } {
  const rest = ref.trim().replace(/^oci:\/\//, "").replace(/\/+$/, "");
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(rest)) return { problem: "must be oci://HOST[:PORT]/PATH" };
  const slash = rest.indexOf("/");
  const registry = slash < 0 ? rest : rest.slice(0, slash);
  const repository = slash < 0 ? "" : rest.slice(slash + 1);
  if (registry.includes("@")) return { problem: "must not carry credentials (put them in the repository Secret)" };
  if (/[?#\s]/.test(rest)) return { problem: "must not have a query, a fragment or spaces" };
  let host: string;
  try {
    host = new URL(`https://${registry}`).hostname;
  } catch {
    return { problem: "is not a valid reference (oci://HOST[:PORT]/PATH)" };
  }
  if (!host) return { problem: "has no registry host (oci://HOST[:PORT]/PATH)" };
  if (repository !== "" && !repository.split("/").every((p) => NAME_PART.test(p))) {
    return { problem: "has a path that is not an OCI repository name (lower-case letters, digits and single separators . _ - per part)" };
  }
  return { registry, repository };
}

export interface RegistryCallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

/**
 * Checks that the registry answers the distribution API and accepts the credentials (`GET /v2/`,
 * through the token challenge when it asks for one).
 */
export async function pingRegistry(registry: string, auth: OciAuth = {}, opts: RegistryCallOptions = {}): Promise<void> {
  const session = new RegistrySession(registry, auth, opts);
  const res = await session.get("/v2/", "");
  if (res.status === 200) return;
  throw session.failure(res, "the registry's API (/v2/)");
}

/** Limits on a tag listing: a registry that pages forever must not keep a request busy. */
export const MAX_TAG_PAGES = 100;
export const MAX_TAGS = 10_000;
const PAGE_SIZE = 1000;

/**
 * The tags of `ref`'s repository, in the registry's order, following `Link: <…>; rel="next"`
 * within the same registry. `maxPages` 1 reads only the first page (enough for a connection test).
 */
export async function listTags(ref: OciReference, auth: OciAuth = {}, opts: RegistryCallOptions & { maxPages?: number } = {}): Promise<string[]> {
  if (!ref.repository) throw new OciRegistryError(`${ref.registry} names a registry, not a repository in it: tags belong to a repository (oci://HOST/PATH)`);
  const session = new RegistrySession(ref.registry, auth, opts);
  const scope = `repository:${ref.repository}:pull`;
  const tags: string[] = [];
  const seen = new Set<string>();
  let path: string | undefined = `/v2/${ref.repository}/tags/list?n=${PAGE_SIZE}`;
  for (let page = 0; path && page < (opts.maxPages ?? MAX_TAG_PAGES); page++) {
    if (seen.has(path)) throw new OciRegistryError(`registry ${ref.registry}: the tag listing of ${ref.repository} loops (its Link header repeats a page)`);
    seen.add(path);
    const res = await session.get(path, scope);
    if (res.status !== 200) throw session.failure(res, `the tags of ${ref.repository}`);
    let body: unknown;
    try {
      body = JSON.parse(res.body.toString("utf8"));
    } catch {
      throw new OciRegistryError(`registry ${ref.registry}: the tag listing of ${ref.repository} is not JSON`);
    }
    const list = (body as { tags?: unknown } | null)?.tags;
    if (list !== null && list !== undefined && !Array.isArray(list)) throw new OciRegistryError(`registry ${ref.registry}: the tag listing of ${ref.repository} has no tags array`);
    for (const t of list ?? []) if (typeof t === "string") tags.push(t);
    if (tags.length > MAX_TAGS) throw new OciRegistryError(`registry ${ref.registry}: ${ref.repository} has more than ${MAX_TAGS} tags`);
    path = nextPage(res.headers.link, session.origin, ref.registry);
  }
  return tags;
}

/** Manifest media types an artifact may have (an image index names several: it is refused by the caller). */
export const MANIFEST_ACCEPT = [
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
].join(", ");
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/**
 * The manifest of `reference` (a tag or a digest): its bytes, media type and digest (the sha256 of
 * the bytes, which is what a digest names; a registry's Docker-Content-Digest is not trusted).
 */
export async function getManifest(ref: OciReference, reference: string, auth: OciAuth = {}, opts: RegistryCallOptions = {}): Promise<{ body: Buffer; mediaType: string; digest: string }> {
  // Written as is (registries expect `sha256:` unescaped), so only a tag or a digest may be one.
  if (!/^[\w][\w.-]{0,127}$/.test(reference) && !/^sha256:[0-9a-f]{64}$/.test(reference)) throw new OciRegistryError(`registry ${ref.registry}: ${JSON.stringify(reference.slice(0, 140))} is neither a tag nor a sha256 digest`);
  const session = new RegistrySession(ref.registry, auth, opts);
  const res = await session.get(`/v2/${ref.repository}/manifests/${reference}`, `repository:${ref.repository}:pull`, { accept: MANIFEST_ACCEPT, maxBytes: MAX_MANIFEST_BYTES });
  if (res.status !== 200) throw session.failure(res, `the manifest ${reference} of ${ref.repository}`);
  const digest = `sha256:${createHash("sha256").update(res.body).digest("hex")}`;
  let mediaType = String(res.headers["content-type"] ?? "").split(";")[0]!.trim();
  try {
    const declared = (JSON.parse(res.body.toString("utf8")) as { mediaType?: unknown }).mediaType;
    if (typeof declared === "string" && declared) mediaType = declared;
  } catch {
    throw new OciRegistryError(`registry ${ref.registry}: the manifest ${reference} of ${ref.repository} is not JSON`);
  }
  return { body: res.body, mediaType, digest };
}

/**
 * A blob's bytes as they arrive, unread (an IncomingMessage: its `content-length` header is there):
 * the caller streams them and must bound them and check them against the digest itself
 * (oci-unpack.ts does while unpacking).
 */
export async function openBlob(ref: OciReference, digest: string, auth: OciAuth = {}, opts: RegistryCallOptions = {}): Promise<Readable> {
  if (!/^sha256:[0-9a-f]{64}$/.test(digest)) throw new OciRegistryError(`registry ${ref.registry}: blob digest ${JSON.stringify(digest.slice(0, 80))} is not a sha256 digest`);
  const session = new RegistrySession(ref.registry, auth, opts);
  const res = await session.open(`/v2/${ref.repository}/blobs/${digest}`, `repository:${ref.repository}:pull`, { accept: "*/*" });
  if (res.status !== 200) throw session.failure(await session.buffered(res, MAX_BODY_BYTES), `the blob ${digest} of ${ref.repository}`);
  return res.body;
}

/** The path of the `rel="next"` link, which must stay on the registry (the token is for it alone). */
function nextPage(link: string | string[] | undefined, origin: string, registry: string): string | undefined {
  const header = Array.isArray(link) ? link.join(", ") : link;
  if (!header) return undefined;
  const m = /<([^>]*)>\s*;\s*rel="?next"?/i.exec(header);
  if (!m) return undefined;
  const next = new URL(m[1]!, origin);
  if (next.origin !== origin) throw new OciRegistryError(`registry ${registry}: its Link header points to another server (${next.host}); not followed`);
  return `${next.pathname}${next.search}`;
}

interface Response { status: number; headers: IncomingHttpHeaders; body: Buffer }
/** An answer whose body is still to be read. */
interface StreamedResponse { status: number; headers: IncomingHttpHeaders; body: IncomingMessage }

/** Registry answers read here are small JSON documents. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;
const MAX_TOKEN_BYTES = 64 * 1024;

/**
 * One conversation with a registry: requests carry basic credentials once the registry asked for
 * them, or the token the realm gave for the scope, fetched once per scope.
 */
class RegistrySession {
  readonly origin: string;
  private readonly tokens = new Map<string, string>();
  private basic = false;

  constructor(private readonly registry: string, private readonly auth: OciAuth, private readonly opts: RegistryCallOptions) {
    this.origin = `${auth.plainHttp ? "http" : "https"}://${registry}`;
  }

  private get hasCredentials(): boolean {
    return !!(this.auth.username || this.auth.password);
  }

  private basicHeader(): string {
    return `Basic ${Buffer.from(`${this.auth.username ?? ""}:${this.auth.password ?? ""}`).toString("base64")}`;
  }

  private authorization(scope: string): string | undefined {
    const token = this.tokens.get(scope);
    if (token) return `Bearer ${token}`;
    return this.basic ? this.basicHeader() : undefined;
  }

  async get(path: string, scope: string, opts: { accept?: string; maxBytes?: number } = {}): Promise<Response> {
    return this.buffered(await this.open(path, scope, opts), opts.maxBytes ?? MAX_BODY_BYTES);
  }

  /** A GET through the registry's authentication, the final answer's body left unread. */
  async open(path: string, scope: string, opts: { accept?: string } = {}): Promise<StreamedResponse> {
    const url = `${this.origin}${path}`;
    const send = (authorization: string | undefined): Promise<StreamedResponse> => this.request(url, authorization, true, 0, opts.accept);
    const first = await send(this.authorization(scope));
    if (first.status !== 401) return first;
    const challenge = parseChallenge(first.headers["www-authenticate"]);
    if (challenge?.scheme === "basic" && this.hasCredentials && !this.basic) {
      first.body.resume();
      this.basic = true;
      return send(this.basicHeader());
    }
    if (challenge?.scheme === "bearer" && !this.tokens.has(scope)) {
      first.body.resume();
      this.tokens.set(scope, await this.fetchToken(challenge.params, scope));
      return send(this.authorization(scope));
    }
    return first;
  }

  /** The answer with its body read, at most `maxBytes` of it. */
  async buffered(res: StreamedResponse, maxBytes: number): Promise<Response> {
    const body = await readBounded(res.body, maxBytes, () => new OciRegistryError(`registry ${this.registry}: an answer is larger than ${maxBytes} bytes`));
    return { status: res.status, headers: res.headers, body };
  }

  /** The distribution token flow: GET realm?service=…&scope=… with basic credentials if any. */
  private async fetchToken(params: Record<string, string>, scope: string): Promise<string> {
    const realm = params.realm;
    if (!realm) throw new OciRegistryError(`registry ${this.registry}: its token challenge names no realm`);
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new OciRegistryError(`registry ${this.registry}: its token realm is not a URL`);
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") throw new OciRegistryError(`registry ${this.registry}: its token realm is not an http(s) URL`);
    // Credentials over plain HTTP only where the registry itself is spoken to that way, on its own host.
    const plainOk = this.auth.plainHttp && url.host === this.registry;
    if (this.hasCredentials && url.protocol === "http:" && !plainOk) {
      throw new OciRegistryError(`registry ${this.registry}: its token realm ${url.origin} is plain HTTP; the credentials are not sent there`);
    }
    if (params.service) url.searchParams.set("service", params.service);
    const wanted = scope || params.scope;
    if (wanted) url.searchParams.set("scope", wanted);
    const res = await this.buffered(await this.request(url.href, this.hasCredentials ? this.basicHeader() : undefined, url.origin === this.origin), MAX_TOKEN_BYTES);
    if (res.status === 401 || res.status === 403) throw new OciRegistryError(`registry ${this.registry}: ${this.hasCredentials ? "the token service rejected the credentials" : "the token service needs credentials (a repository Secret with username and password)"} (HTTP ${res.status})`, res.status);
    if (res.status !== 200) throw new OciRegistryError(`registry ${this.registry}: the token service answered HTTP ${res.status}`, res.status);
    let body: { token?: unknown; access_token?: unknown };
    try {
      body = JSON.parse(res.body.toString("utf8")) as typeof body;
    } catch {
      throw new OciRegistryError(`registry ${this.registry}: the token service's answer is not JSON`);
    }
    const token = typeof body.token === "string" && body.token ? body.token : typeof body.access_token === "string" ? body.access_token : "";
    if (!token) throw new OciRegistryError(`registry ${this.registry}: the token service's answer has no token`);
    return token;
  }

  /** What a non-200 answer means for the user; never quotes a credential. */
  failure(res: Response, what: string): OciRegistryError {
    const where = `registry ${this.registry}`;
    if (res.status === 401) {
      return new OciRegistryError(this.hasCredentials
        ? `${where} rejected the credentials for ${what} (HTTP 401)`
        : `${where} needs credentials for ${what} (HTTP 401): add username and password to the repository Secret`, 401);
    }
    if (res.status === 403) return new OciRegistryError(`${where} denied access to ${what} (HTTP 403)`, 403);
    if (res.status === 404) return new OciRegistryError(`${where} has no ${what.replace(/^the /, "")} (HTTP 404)`, 404);
    const code = registryErrorCode(res.body);
    return new OciRegistryError(`${where} answered HTTP ${res.status} for ${what}${code ? ` (${code})` : ""}`, res.status);
  }

  private request(url: string, authorization: string | undefined, sameOrigin = true, redirects = 0, accept = "application/json"): Promise<StreamedResponse> {
    return new Promise<StreamedResponse>((resolve, reject) => {
      const u = new URL(url);
      const headers: Record<string, string> = { accept };
      if (authorization) headers.authorization = authorization;
      const tls = u.protocol === "https:" ? {
        rejectUnauthorized: !this.auth.insecureSkipTLSVerify,
        // The registry's CA and client certificate are for the registry's own host.
        ...(sameOrigin && this.auth.caData ? { ca: this.auth.caData } : {}),
        ...(sameOrigin && this.auth.tlsClientCertData && this.auth.tlsClientCertKey ? { cert: this.auth.tlsClientCertData, key: this.auth.tlsClientCertKey } : {}),
      } : {};
      const req = (u.protocol === "https:" ? httpsRequest : httpRequest)(u, { method: "GET", headers, agent: false, signal: this.opts.signal, timeout: this.opts.timeoutMs ?? 30_000, ...tls }, (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400 && res.headers.location && redirects < 5) {
          res.resume();
          const next = new URL(res.headers.location, u);
          // Authorization goes to the host it was meant for only.
          const keep = next.origin === u.origin;
          this.request(next.href, keep ? authorization : undefined, keep && sameOrigin, redirects + 1, accept).then(resolve, reject);
          return;
        }
        resolve({ status, headers: res.headers, body: res });
      });
      // An idle connection (no byte for the timeout) fails, also while a body streams.
      req.on("timeout", () => req.destroy(new Error("timed out")));
      req.on("error", (err) => reject(this.transportError(err)));
      req.end();
    });
  }

  private transportError(err: unknown): OciRegistryError {
    const msg = redact(errorMessage(err));
    const code = (err as { code?: string }).code ?? "";
    const hint = /certificate|self[- ]signed|SELF_SIGNED|UNABLE_TO_VERIFY|CERT_/i.test(`${msg} ${code}`)
      ? "TLS certificate verification failed (add the registry's CA to argocd-tls-certs-cm, or mark the repository insecure): "
      : /wrong version number|EPROTO/i.test(`${msg} ${code}`) ? "the registry does not speak TLS (set insecureOCIForceHttp for a plain-HTTP registry): " : "";
    return new OciRegistryError(`registry ${this.registry}: ${hint}${msg}`);
  }
}

/** `Bearer realm="…",service="…"` → scheme and parameters (RFC 7235 auth-params). */
export function parseChallenge(header: string | string[] | undefined): { scheme: "basic" | "bearer"; params: Record<string, string> } | undefined {
  const h = Array.isArray(header) ? header.find((x) => /^\s*bearer\b/i.test(x)) ?? header[0] : header;
  if (!h) return undefined;
  const m = /^\s*(basic|bearer)\b(.*)$/is.exec(h);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  for (const p of m[2]!.matchAll(/([a-z_][a-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/gi)) {
    params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, "$1") : p[3] ?? "";
  }
  return { scheme: m[1]!.toLowerCase() as "basic" | "bearer", params };
}

/** The first error code of a distribution error body (`{"errors":[{"code":"…"}]}`), if any. */
function registryErrorCode(body: Buffer): string | undefined {
  try {
    const code = (JSON.parse(body.toString("utf8")) as { errors?: Array<{ code?: unknown }> }).errors?.[0]?.code;
    return typeof code === "string" && /^[A-Z_]{1,64}$/.test(code) ? code : undefined;
  } catch {
    return undefined;
  }
}
