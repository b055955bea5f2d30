// A minimal OCI distribution registry on loopback for tests: the read side of the distribution
// API that `helm registry login`, `helm show chart` and `helm pull` use (GET /v2/, tags/list with
// `n`/`last` pagination and a `Link` header, manifests, blobs), serving charts packaged with the
// real `helm package` as OCI artifacts with Helm's media types, and any other artifacts a test
// hands it. Over HTTPS (or plain HTTP when no TLS is given), behind HTTP basic auth or the
// distribution token flow (a 401 `Bearer realm=…` challenge and a token endpoint that checks the
// basic credentials and issues a token for one scope).
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse, type Server } from "node:http";
import { createServer } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { resolveTool } from "../../operator/tools/index.js";
import { baseToolEnv, runTool } from "../../plugins/exec.js";

export interface OciRegistry {
  /** `oci://127.0.0.1:<port>/<namespace>` */
  url: string;
  /** `127.0.0.1:<port>` */
  host: string;
  /** Requests that carried valid credentials, as "METHOD path". */
  authorized: string[];
  /** Every request, as "METHOD path?query" (the token endpoint's included). */
  requests: string[];
  /** Authorization headers the registry (not the token endpoint) received. */
  authorizationHeaders: string[];
  /** Publishes (or moves the tag of) an artifact, as a push would. */
  push(a: OciArtifact): void;
  /** The manifest digest a tag names now. */
  digest(repository: string, tag: string): string | undefined;
  close(): Promise<void>;
}

/** An artifact to serve: a manifest with these layers (and config), under `tag` of `repository`. */
export interface OciArtifact {
  /** Repository name inside the registry, e.g. "charts/web" or "manifests/guestbook". */
  repository: string;
  tag: string;
  layers: Array<{ mediaType: string; body: Buffer }>;
  config?: { mediaType: string; body: Buffer };
  artifactType?: string;
  /** Manifest annotations (org.opencontainers.image.*, …). */
  annotations?: Record<string, string>;
}

const sha256 = (b: Buffer): string => `sha256:${createHash("sha256").update(b).digest("hex")}`;

export interface OciRegistryOptions {
  chartDirs?: string[];
  artifacts?: OciArtifact[];
  namespace?: string;
  auth: { username: string; password: string };
  /** "basic" (default) or the distribution token flow. */
  authScheme?: "basic" | "bearer";
  /** The token endpoint's service name in the challenge (bearer only). */
  service?: string;
  /** Without TLS the registry speaks plain HTTP. */
  tls?: { cert: string; key: string };
}

export async function startOciRegistry(opts: OciRegistryOptions): Promise<OciRegistry> {
  const ns = opts.namespace ?? "charts";
  const dir = await mkdtemp(join(tmpdir(), "hawser-oci-"));
  const blobs = new Map<string, { body: Buffer; type: string }>();
  /** repository name → tag → manifest */
  const repos = new Map<string, Map<string, Buffer>>();
  const add = (a: OciArtifact): void => {
    const config = a.config ?? { mediaType: "application/vnd.oci.empty.v1+json", body: Buffer.from("{}") };
    blobs.set(sha256(config.body), { body: config.body, type: config.mediaType });
    for (const l of a.layers) blobs.set(sha256(l.body), { body: l.body, type: l.mediaType });
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      ...(a.artifactType ? { artifactType: a.artifactType } : {}),
      config: { mediaType: config.mediaType, digest: sha256(config.body), size: config.body.length },
      layers: a.layers.map((l) => ({ mediaType: l.mediaType, digest: sha256(l.body), size: l.body.length })),
      ...(a.annotations ? { annotations: a.annotations } : {}),
    }));
    const tags = repos.get(a.repository) ?? new Map<string, Buffer>();
    tags.set(a.tag, manifest);
    repos.set(a.repository, tags);
  };
  if (opts.chartDirs && opts.chartDirs.length > 0) {
    const helm = await resolveTool("helm");
    const env = baseToolEnv({ HELM_CACHE_HOME: join(dir, ".h/cache"), HELM_CONFIG_HOME: join(dir, ".h/config"), HELM_DATA_HOME: join(dir, ".h/data") });
    for (const chart of opts.chartDirs) {
      await runTool(helm, ["package", chart, "-d", dir], { env });
      const meta = parseYaml(await readFile(join(chart, "Chart.yaml"), "utf8")) as { name: string; version: string };
      const tgz = (await readdir(dir)).find((f) => f === `${meta.name}-${meta.version}.tgz`);
      if (!tgz) throw new Error(`oci registry: helm package produced no ${meta.name}-${meta.version}.tgz`);
      add({
        repository: `${ns}/${meta.name}`, tag: meta.version,
        config: { mediaType: "application/vnd.cncf.helm.config.v1+json", body: Buffer.from(JSON.stringify(meta)) },
        layers: [{ mediaType: "application/vnd.cncf.helm.chart.content.v1.tar+gzip", body: await readFile(join(dir, tgz)) }],
      });
    }
  }
  for (const a of opts.artifacts ?? []) add(a);

  const basic = `Basic ${Buffer.from(`${opts.auth.username}:${opts.auth.password}`).toString("base64")}`;
  const bearer = opts.authScheme === "bearer";
  const service = opts.service ?? "hawser-test-registry";
  /** token → the scope it was issued for ("" = none: /v2/ only). */
  const tokens = new Map<string, string>();
  const authorized: string[] = [];
  const requests: string[] = [];
  const authorizationHeaders: string[] = [];
  let origin = "";

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? "/", "http://x");
    const path = url.pathname;
    requests.push(`${req.method} ${path}${url.search}`);
    const json = (status: number, body: unknown, extra: Record<string, string> = {}): void => {
      const b = Buffer.from(JSON.stringify(body));
      res.writeHead(status, { "content-type": "application/json", "content-length": String(b.length), "docker-distribution-api-version": "registry/2.0", ...extra });
      res.end(req.method === "HEAD" ? undefined : b);
    };
    if (bearer && path === "/token") {
      if (req.headers.authorization !== basic) return json(401, { errors: [{ code: "UNAUTHORIZED", message: "bad credentials" }] });
      const token = randomBytes(16).toString("hex");
      tokens.set(token, url.searchParams.get("scope") ?? "");
      return json(200, { token, expires_in: 300 });
    }
    const m = /^\/v2\/(.+)\/(tags\/list|manifests\/([^/]+)|blobs\/([^/]+))$/.exec(path);
    const name = m?.[1];
    authorizationHeaders.push(req.headers.authorization ?? "");
    const allowed = bearer
      ? (() => {
        const t = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
        const scope = t === undefined ? undefined : tokens.get(t);
        return scope !== undefined && (name === undefined || scope.split(" ").includes(`repository:${name}:pull`));
      })()
      : req.headers.authorization === basic;
    if (!allowed) {
      const challenge = bearer
        ? `Bearer realm="${origin}/token",service="${service}"${name ? `,scope="repository:${name}:pull"` : ""}`
        : 'Basic realm="hawser-test-registry"';
      return json(401, { errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] }, { "www-authenticate": challenge });
    }
    authorized.push(`${req.method} ${path}`);
    const send = (status: number, type: string, body: Buffer, extra: Record<string, string> = {}): void => {
      res.writeHead(status, { "content-type": type, "content-length": String(body.length), "docker-distribution-api-version": "registry/2.0", ...extra });
      res.end(req.method === "HEAD" ? undefined : body);
    };
    const notFound = (code = "NAME_UNKNOWN"): void => json(404, { errors: [{ code, message: path }] });
    if (path === "/v2/" || path === "/v2") return json(200, {});
    if (!m) return notFound();
    const tags = repos.get(name!);
    if (!tags) return notFound();
    if (m[2] === "tags/list") {
      // Lexical order, `last` exclusive, `n` a page: the distribution spec's pagination.
      const all = [...tags.keys()].sort();
      const last = url.searchParams.get("last");
      const n = Number(url.searchParams.get("n") ?? "0");
      const from = last === null ? all : all.filter((t) => t > last);
      const page = n > 0 ? from.slice(0, n) : from;
      const more = n > 0 && from.length > n;
      const link: Record<string, string> = more ? { link: `</v2/${name}/tags/list?n=${n}&last=${encodeURIComponent(page[page.length - 1]!)}>; rel="next"` } : {};
      return json(200, { name, tags: page }, link);
    }
    if (m[3] !== undefined) {
      const ref = decodeURIComponent(m[3]);
      const manifest = tags.get(ref) ?? [...tags.values()].find((b) => sha256(b) === ref);
      if (!manifest) return notFound("MANIFEST_UNKNOWN");
      return send(200, "application/vnd.oci.image.manifest.v1+json", manifest, { "docker-content-digest": sha256(manifest) });
    }
    const blob = blobs.get(decodeURIComponent(m[4]!));
    if (!blob) return notFound("BLOB_UNKNOWN");
    return send(200, blob.type, blob.body, { "docker-content-digest": decodeURIComponent(m[4]!) });
  };
  const server: Server = opts.tls ? createServer({ cert: opts.tls.cert, key: opts.tls.key }, handler) : createHttpServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (typeof address !== "object" || address === null) throw new Error("oci registry: no address");
  const host = `127.0.0.1:${address.port}`;
  origin = `${opts.tls ? "https" : "http"}://${host}`;
  return {
    url: `oci://${host}/${ns}`,
    host,
    authorized,
    requests,
    authorizationHeaders,
    push: add,
    digest: (repository, tag) => {
      const m = repos.get(repository)?.get(tag);
      return m ? sha256(m) : undefined;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
