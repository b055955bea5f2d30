// The unauthenticated descriptive endpoints of Argo's server: /swagger.json (built from the routes
// this server registered), /swagger-ui (a small self-contained page over it, no CDN), and
// /download/argocd-<os>-<arch>, where Argo serves its Go CLI binary. Hawser's CLI is a Node.js
// program, so there is no binary to hand out: that path answers 404 with how to get the CLI.
import type { FastifyInstance } from "fastify";
import type { ApiRouter } from "../http/api.js";
import { openApiDocument, type RegisteredRoute } from "../http/openapi.js";

export const CLI_DOWNLOAD_MESSAGE = "Hawser does not ship a CLI binary: its CLI is a Node.js program. "
  + "Install the hawser package with npm and run `npx hawser login <server>`; `npx hawser --help` lists the commands.\n";

export class DocsService {
  private readonly routes: RegisteredRoute[] = [];
  private document: string | undefined;

  constructor(private readonly opts: { rootPath: string; version: string }) {}

  /** Call before any route is registered: records each one as fastify adds it. */
  recordRoutes(app: FastifyInstance): void {
    app.addHook("onRoute", (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      const url = route.url.startsWith(this.opts.rootPath) ? route.url.slice(this.opts.rootPath.length) : route.url;
      for (const method of methods) this.routes.push({ method: String(method), url });
      this.document = undefined;
    });
  }

  register(r: ApiRouter): void {
    r.raw("GET", "/swagger.json", async (_req, reply) => {
      this.document ??= JSON.stringify(openApiDocument(this.routes, this.opts.version), null, 2);
      await reply.type("application/json").send(this.document);
    });
    r.raw("GET", "/swagger-ui", async (_req, reply) => {
      await reply.type("text/html; charset=utf-8").send(SWAGGER_UI);
    });
    r.raw("GET", "/download/*", async (_req, reply) => {
      await reply.code(404).type("text/plain; charset=utf-8").send(CLI_DOWNLOAD_MESSAGE);
    });
  }
}

// Relative "swagger.json" resolves next to /swagger-ui, so the page works under --rootpath too.
// The script only sets textContent, so nothing from the document is parsed as HTML.
const SWAGGER_UI = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Hawser API</title>
<style>
body { font-family: sans-serif; margin: 2em; }
table { border-collapse: collapse; width: 100%; }
td, th { border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
.verb { font-weight: bold; font-family: monospace; }
code { font-size: 0.95em; }
</style>
</head>
<body>
<h1 id="title">Hawser API</h1>
<p>The routes this server serves, from <a href="swagger.json">swagger.json</a>.</p>
<table><thead><tr><th>Verb</th><th>Path</th><th>Path parameters</th><th>Query parameters</th></tr></thead><tbody id="routes"></tbody></table>
<script>
fetch("swagger.json").then((r) => r.json()).then((doc) => {
  document.getElementById("title").textContent = doc.info.title + " " + doc.info.version;
  const body = document.getElementById("routes");
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [verb, op] of Object.entries(ops)) {
      const row = body.insertRow();
      const cells = [verb.toUpperCase(), path,
        op.parameters.filter((p) => p.in === "path").map((p) => p.name).join(", "),
        op.parameters.filter((p) => p.in === "query").map((p) => p.name).join(", ")];
      cells.forEach((text, i) => {
        const cell = row.insertCell();
        const el = document.createElement(i === 0 ? "span" : "code");
        if (i === 0) el.className = "verb";
        el.textContent = text;
        cell.appendChild(el);
      });
    }
  }
});
</script>
</body>
</html>
`;
