// Serving the Web UI: the pure rules (cache headers by file name, encoding negotiation, <base href>,
// which paths fall back to index.html) and the service itself over fastify's in-process injection,
// mounted beside API routes, on a built UI made in a temporary directory.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { memoryLogger } from "../../runtime/logger.js";
import { createApi } from "../http/api.js";
import { unauthenticated } from "../http/errors.js";
import type { Authenticator, Enforcer } from "../types.js";
import { cacheControlOf, normaliseBaseHref, pickEncoding, resolveUiPath, UiService, withBaseHref, type UiServiceDeps } from "./ui.js";

test("hashed assets are immutable for a year, index.html is revalidated, other files an hour", () => {
  assert.equal(cacheControlOf("assets/index-CI66YZNU.js"), "public, max-age=31536000, immutable");
  assert.equal(cacheControlOf("assets/index-DwikBOTU.css"), "public, max-age=31536000, immutable");
  assert.equal(cacheControlOf("index.html"), "no-cache");
  assert.equal(cacheControlOf("favicon.svg"), "public, max-age=3600");
  assert.equal(cacheControlOf("assets/logo.svg"), "public, max-age=3600", "no hash in the name: it may change");
});

test("encoding negotiation prefers brotli, honours q=0 and falls back to none", () => {
  const both = { br: true, gzip: true };
  assert.equal(pickEncoding("gzip, deflate, br", both), "br");
  assert.equal(pickEncoding("gzip, br;q=0", both), "gzip");
  assert.equal(pickEncoding("identity", both), undefined);
  assert.equal(pickEncoding(undefined, both), undefined);
  assert.equal(pickEncoding("*", both), "br");
  assert.equal(pickEncoding("br", { br: false, gzip: true }), undefined, "a small file held uncompressed");
});

test("<base href> takes --basehref with slashes at both ends, escaped", () => {
  assert.equal(normaliseBaseHref("/"), "/");
  assert.equal(normaliseBaseHref(""), "/");
  assert.equal(normaliseBaseHref("argo-cd"), "/argo-cd/");
  assert.equal(normaliseBaseHref("/argo-cd/"), "/argo-cd/");
  assert.equal(withBaseHref('<head>\n<base href="/">\n<title>x</title>', "/a/b"), '<head>\n<base href="/a/b/">\n<title>x</title>');
  assert.equal(withBaseHref("<head><title>x</title>", "/a"), '<head><base href="/a/"><title>x</title>', "added when the page has none");
  assert.equal(withBaseHref('<head><base href="/">', '/x"><script>'), '<head><base href="/x&quot;>&lt;script>/">');
});

test("client routes fall back to index.html; server paths, traversal and missing files with an extension do not", () => {
  const files = new Set(["index.html", "assets/index-AAAAAAAA.js", "favicon.svg"]);
  assert.equal(resolveUiPath("/", files), "index.html");
  assert.equal(resolveUiPath("/applications", files), "index.html");
  assert.equal(resolveUiPath("/applications/argocd/demo-dev", files), "index.html");
  assert.equal(resolveUiPath("/login", files), "index.html");
  assert.equal(resolveUiPath("/favicon.svg", files), "favicon.svg");
  assert.equal(resolveUiPath("/assets/index-AAAAAAAA.js", files), "assets/index-AAAAAAAA.js");
  assert.equal(resolveUiPath("/assets/index-OLDOLDOL.js", files), undefined, "a stale script is a 404, not HTML");
  assert.equal(resolveUiPath("/api/v1/nope", files), undefined);
  assert.equal(resolveUiPath("/auth/whatever", files), undefined);
  assert.equal(resolveUiPath("/healthz", files), undefined);
  assert.equal(resolveUiPath("/assets/../index.html", files), undefined);
  assert.equal(resolveUiPath("/applications", new Set<string>()), undefined, "no UI built: nothing to fall back to");
});

const authenticator: Authenticator = {
  async authenticate(_req, opts) {
    if (opts?.optional) return { claims: undefined };
    throw unauthenticated();
  },
};
const enforcer: Enforcer = { enforce: () => false };

function builtUi(): string {
  const dir = mkdtempSync(join(tmpdir(), "hawser-ui-"));
  mkdirSync(join(dir, "assets"));
  writeFileSync(join(dir, "index.html"), '<!doctype html><html><head><base href="/"><script type="module" src="./assets/index-AAAAAAAA.js"></script></head><body></body></html>');
  writeFileSync(join(dir, "assets", "index-AAAAAAAA.js"), `console.log(${JSON.stringify("x".repeat(5000))});\n`);
  writeFileSync(join(dir, "favicon.svg"), "<svg/>");
  return dir;
}

function server(dir: string, opts: { rootPath?: string; baseHref?: string; ui?: Partial<UiServiceDeps> } = {}) {
  const { logger, lines } = memoryLogger();
  const { app, router } = createApi({ insecure: true, rootPath: opts.rootPath ?? "", apiContentTypes: ["application/json"], bodyLimit: 1024, authenticator, enforcer, log: logger });
  router.get("/api/v1/open", () => ({ api: true }), { optionalAuth: true });
  router.get("/api/v1/things/:name", () => ({ api: true }));
  new UiService({ dir, baseHref: opts.baseHref ?? "/", log: logger, ...opts.ui }).register(router);
  return { app, lines };
}

test("the UI is served beside the API: API routes keep priority, client routes get index.html", async (t) => {
  const dir = builtUi();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { app } = server(dir, { baseHref: "/argo-cd" });
  t.after(() => app.close());

  const api = await app.inject({ method: "GET", url: "/api/v1/open" });
  assert.deepEqual(api.json(), { api: true }, "a static API route");
  const param = await app.inject({ method: "GET", url: "/api/v1/things/x" });
  assert.equal(param.statusCode, 401, "a parametric API route still authenticates, the UI does not answer it");
  const unknownApi = await app.inject({ method: "GET", url: "/api/v1/unknown/path" });
  assert.equal(unknownApi.statusCode, 404);
  assert.equal(unknownApi.body, "Not Found", "an unknown API path is the plain 404, never the page");

  for (const url of ["/", "/applications", "/applications/argocd/demo-dev?view=list", "/login?return_url=x"]) {
    const page = await app.inject({ method: "GET", url });
    assert.equal(page.statusCode, 200, url);
    assert.equal(page.headers["content-type"], "text/html; charset=utf-8", url);
    assert.equal(page.headers["cache-control"], "no-cache", url);
    assert.match(page.body, /<base href="\/argo-cd\/">/, `${url}: the base href from --basehref`);
  }

  const js = await app.inject({ method: "GET", url: "/assets/index-AAAAAAAA.js", headers: { "accept-encoding": "gzip, br" } });
  assert.equal(js.statusCode, 200);
  assert.equal(js.headers["cache-control"], "public, max-age=31536000, immutable");
  assert.equal(js.headers["content-encoding"], "br");
  assert.equal(js.headers.vary, "Accept-Encoding");
  assert.match(brotliDecompressSync(js.rawPayload).toString(), /^console\.log\("x{5000}"\);/, "the brotli body is the file");
  const gz = await app.inject({ method: "GET", url: "/assets/index-AAAAAAAA.js", headers: { "accept-encoding": "gzip" } });
  assert.equal(gz.headers["content-encoding"], "gzip");
  assert.match(gunzipSync(gz.rawPayload).toString(), /^console\.log/, "the gzip body is the file");
  const plain = await app.inject({ method: "GET", url: "/assets/index-AAAAAAAA.js" });
  assert.equal(plain.headers["content-encoding"], undefined);
  assert.equal(plain.headers["content-type"], "text/javascript; charset=utf-8");

  const etag = String(plain.headers.etag);
  const again = await app.inject({ method: "GET", url: "/assets/index-AAAAAAAA.js", headers: { "if-none-match": etag } });
  assert.equal(again.statusCode, 304, "a revalidation with the same ETag");

  const stale = await app.inject({ method: "GET", url: "/assets/index-OLDOLDOL.js" });
  assert.equal(stale.statusCode, 404);
  const head = await app.inject({ method: "HEAD", url: "/applications" });
  assert.equal(head.statusCode, 200, "HEAD as GET");
  const post = await app.inject({ method: "POST", url: "/applications", headers: { "content-type": "application/json" }, payload: "{}" });
  assert.equal(post.statusCode, 404, "only GET serves the page");
});

test("under --rootpath the UI is served below the prefix only", async (t) => {
  const dir = builtUi();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { app } = server(dir, { rootPath: "/argo-cd", baseHref: "/argo-cd" });
  t.after(() => app.close());
  assert.equal((await app.inject({ method: "GET", url: "/argo-cd/applications" })).statusCode, 200);
  assert.equal((await app.inject({ method: "GET", url: "/argo-cd/" })).statusCode, 200);
  assert.equal((await app.inject({ method: "GET", url: "/applications" })).statusCode, 404, "outside the root path");
});

test("without a built UI the server still runs, answers 404 and says why in its log", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "hawser-ui-empty-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { app, lines } = server(join(dir, "missing"));
  t.after(() => app.close());
  assert.equal((await app.inject({ method: "GET", url: "/applications" })).statusCode, 404);
  assert.ok(lines.some((l) => String(l.msg).includes("the Web UI is not built")), `a warning names the problem: ${JSON.stringify(lines)}`);
});

test("X-Frame-Options and Content-Security-Policy on every UI file (Argo's defaults, a value, or none); compress false sends files as they are", async (t) => {
  const dir = builtUi();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { app } = server(dir);
  t.after(() => app.close());
  for (const url of ["/", "/assets/index-AAAAAAAA.js"]) {
    const res = await app.inject({ method: "GET", url });
    assert.equal(res.headers["x-frame-options"], "sameorigin", `${url}: Argo's default X-Frame-Options`);
    assert.equal(res.headers["content-security-policy"], "frame-ancestors 'self';", `${url}: Argo's default policy`);
  }
  const { app: custom } = server(dir, { ui: { xFrameOptions: "deny", contentSecurityPolicy: "", compress: false } });
  t.after(() => custom.close());
  const res = await custom.inject({ method: "GET", url: "/assets/index-AAAAAAAA.js", headers: { "accept-encoding": "gzip, br" } });
  assert.equal(res.headers["x-frame-options"], "deny", "the configured value");
  assert.equal(res.headers["content-security-policy"], undefined, "an empty policy sends no header");
  assert.equal(res.headers["content-encoding"], undefined, "compress false: not compressed");
  assert.match(res.body, /^console\.log/, "the file as it is");
});
