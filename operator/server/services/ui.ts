// The Web UI's files (built by `npm run build` into dist/ui, or --staticassets): read once at
// start, compressed once each on first request (brotli and gzip, off the event loop), and served
// at `/` behind the API. Hashed assets
// (assets/*-<hash>.*) never change under their name, so they are cached for a year; index.html
// is the entry that names them, so it is revalidated every time and carries `<base href>` from
// --basehref. Any other GET that is not a file and not an API path gets index.html, so the
// browser's client routes (/applications/x, /login) survive a reload (the SPA fallback).
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join, relative, sep } from "node:path";
import { promisify } from "node:util";
import { brotliCompress, constants as zlib, gzip } from "node:zlib";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Logger } from "../../runtime/logger.js";
import type { ApiRouter } from "../http/api.js";

export interface UiServiceDeps {
  /** The built UI (index.html and assets/). */
  dir: string;
  /** --basehref: written into index.html's `<base href>`. */
  baseHref: string;
  log: Logger;
  /** server.x.frame.options (Argo's default "sameorigin"); "" sends none. */
  xFrameOptions?: string;
  /** server.content.security.policy (Argo's default "frame-ancestors 'self';"); "" sends none. */
  contentSecurityPolicy?: string;
  /** server.enable.gzip; false: files are sent as they are. Default true. */
  compress?: boolean;
}

interface Asset {
  body: Buffer;
  /** Whether compressing pays (text, over 1 KiB). */
  compressible: boolean;
  /** Each encoding once, on first demand, shared by concurrent requests. */
  encoded: Map<"br" | "gzip", Promise<Buffer>>;
  type: string;
  etag: string;
  cacheControl: string;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".woff": "font/woff",
  ".txt": "text/plain; charset=utf-8",
};

/** Paths the UI never answers: they belong to the API and the auth endpoints, which answer 404 themselves. */
const SERVER_PREFIXES = ["/api/", "/auth/", "/extensions/", "/terminal", "/swagger", "/download/", "/healthz"];

export function contentTypeOf(path: string): string {
  return TYPES[extname(path).toLowerCase()] ?? "application/octet-stream";
}

/** Vite names built files `<name>-<hash>.<ext>` under assets/: their content never changes under that name. */
export function cacheControlOf(path: string): string {
  if (path === "index.html") return "no-cache";
  if (/^assets\/.+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/.test(path)) return "public, max-age=31536000, immutable";
  return "public, max-age=3600";
}

/** The best encoding the client accepts among those we hold: brotli, then gzip, else none. */
export function pickEncoding(acceptEncoding: string | undefined, available: { br: boolean; gzip: boolean }): "br" | "gzip" | undefined {
  const accepted = new Map<string, number>();
  for (const part of (acceptEncoding ?? "").split(",")) {
    const [name, ...params] = part.trim().toLowerCase().split(";");
    if (!name) continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    accepted.set(name, q ? Number(q.slice(2)) : 1);
  }
  const ok = (enc: string): boolean => (accepted.get(enc) ?? accepted.get("*") ?? 0) > 0;
  if (available.br && ok("br")) return "br";
  if (available.gzip && ok("gzip")) return "gzip";
  return undefined;
}

/** `<base href>` as the browser needs it: a path with a slash at both ends ("/", "/argo-cd/"). */
export function normaliseBaseHref(baseHref: string): string {
  const trimmed = baseHref.replace(/^\/+|\/+$/g, "");
  return trimmed ? `/${trimmed}/` : "/";
}

/** index.html with its `<base href="...">` set; the value is attribute-escaped (it comes from a flag). */
export function withBaseHref(html: string, baseHref: string): string {
  const value = normaliseBaseHref(baseHref).replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
  if (/<base\s[^>]*href=/i.test(html)) return html.replace(/<base\s[^>]*href="[^"]*"[^>]*>/i, `<base href="${value}">`);
  return html.replace(/<head>/i, `<head><base href="${value}">`);
}

/**
 * What a GET for `path` (after the root path, starting with "/") gets: a file, index.html for a
 * client route, or nothing (404) for server paths and for missing files with an extension, so
 * a stale script URL fails plainly instead of receiving HTML.
 */
export function resolveUiPath(path: string, files: { has(name: string): boolean }): string | undefined {
  if (SERVER_PREFIXES.some((p) => path === p.replace(/\/$/, "") || path.startsWith(p))) return undefined;
  const rel = decodeURIComponentSafe(path).replace(/^\/+/, "");
  if (rel.split("/").some((seg) => seg === ".." || seg === ".")) return undefined;
  if (rel && files.has(rel)) return rel;
  if (extname(rel)) return undefined;
  return files.has("index.html") ? "index.html" : undefined;
}

function decodeURIComponentSafe(s: string): string {
  try { return decodeURIComponent(s); } catch { return s; }
}

function listFiles(dir: string, out: string[] = [], base = dir): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) listFiles(path, out, base);
    else out.push(relative(base, path).split(sep).join("/"));
  }
  return out;
}

const COMPRESSIBLE = /^(text\/|application\/json|image\/svg)/;
const brotli = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

function makeAsset(path: string, body: Buffer): Asset {
  const type = contentTypeOf(path);
  return {
    body, type, etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`, cacheControl: cacheControlOf(path),
    // Small files gain nothing from compression.
    compressible: COMPRESSIBLE.test(type) && body.length >= 1024,
    encoded: new Map(),
  };
}

/** The asset in `enc`; brotli at quality 9 (11 costs seconds of CPU for a few percent). */
function encode(asset: Asset, enc: "br" | "gzip"): Promise<Buffer> {
  let p = asset.encoded.get(enc);
  if (!p) {
    p = enc === "br"
      ? brotli(asset.body, { params: { [zlib.BROTLI_PARAM_QUALITY]: 9, [zlib.BROTLI_PARAM_SIZE_HINT]: asset.body.length } })
      : gzipAsync(asset.body, { level: 9 });
    asset.encoded.set(enc, p);
  }
  return p;
}

export class UiService {
  private readonly assets = new Map<string, Asset>();

  constructor(private readonly deps: UiServiceDeps) {
    let files: string[] = [];
    try {
      files = listFiles(deps.dir);
    } catch {
      files = [];
    }
    for (const f of files) {
      let body = readFileSync(join(deps.dir, f));
      if (f === "index.html") body = Buffer.from(withBaseHref(body.toString("utf8"), deps.baseHref));
      this.assets.set(f, makeAsset(f, body));
    }
    if (!this.assets.has("index.html")) {
      deps.log.warn("the Web UI is not built: / answers 404 (run npm run build, or give --staticassets a built UI)", { dir: deps.dir });
    }
  }

  register(r: ApiRouter): void {
    // A wildcard route ranks below every static and parametric route, so API paths keep priority.
    r.raw("GET", "/*", (req, reply) => this.serve(req, reply));
  }

  private async serve(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const wildcard = (req.params as Record<string, string | undefined>)["*"] ?? "";
    const path = `/${wildcard.split("?")[0] ?? ""}`;
    const file = resolveUiPath(path, this.assets);
    const asset = file ? this.assets.get(file) : undefined;
    if (!asset) {
      await reply.code(404).type("text/plain; charset=utf-8").send("Not Found");
      return;
    }
    void reply.header("Cache-Control", asset.cacheControl).header("ETag", asset.etag).header("Vary", "Accept-Encoding").header("X-Content-Type-Options", "nosniff");
    // On every file of the UI, as Argo's static handler does (the API answers are not pages).
    const frameOptions = this.deps.xFrameOptions ?? "sameorigin";
    const csp = this.deps.contentSecurityPolicy ?? "frame-ancestors 'self';";
    if (frameOptions) void reply.header("X-Frame-Options", frameOptions);
    if (csp) void reply.header("Content-Security-Policy", csp);
    if (req.headers["if-none-match"] === asset.etag) {
      await reply.code(304).send();
      return;
    }
    const compress = asset.compressible && this.deps.compress !== false;
    const enc = pickEncoding(req.headers["accept-encoding"], { br: compress, gzip: compress });
    const body = enc ? await encode(asset, enc) : asset.body;
    if (enc) void reply.header("Content-Encoding", enc);
    await reply.code(200).type(asset.type).send(body);
  }
}
