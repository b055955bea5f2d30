// A minimal OCI distribution registry on loopback for tests: the read side of the distribution
// API that `helm registry login`, `helm show chart` and `helm pull` use (GET /v2/, tags/list,
// manifests, blobs), serving charts packaged with the real `helm package` as OCI artifacts with
// Helm's media types, over HTTPS and behind HTTP basic auth.
import { createHash } from "node:crypto";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { createServer, type Server } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { resolveTool } from "../../operator/tools/index.js";
import { baseToolEnv, runTool } from "../../plugins/exec.js";

export interface OciRegistry {
  /** `oci://127.0.0.1:<port>/<namespace>` */
  url: string;
  /** Requests that carried valid credentials, as "METHOD path". */
  authorized: string[];
  close(): Promise<void>;
}

const sha256 = (b: Buffer): string => `sha256:${createHash("sha256").update(b).digest("hex")}`;

export async function startOciRegistry(opts: { chartDirs: string[]; namespace?: string; auth: { username: string; password: string }; tls: { cert: string; key: string } }): Promise<OciRegistry> {
  const ns = opts.namespace ?? "charts";
  const dir = await mkdtemp(join(tmpdir(), "hawser-oci-"));
  const helm = await resolveTool("helm");
  const env = baseToolEnv({ HELM_CACHE_HOME: join(dir, ".h/cache"), HELM_CONFIG_HOME: join(dir, ".h/config"), HELM_DATA_HOME: join(dir, ".h/data") });
  const blobs = new Map<string, { body: Buffer; type: string }>();
  /** repository name → tag → manifest */
  const repos = new Map<string, Map<string, Buffer>>();
  for (const chart of opts.chartDirs) {
    await runTool(helm, ["package", chart, "-d", dir], { env });
    const meta = parseYaml(await readFile(join(chart, "Chart.yaml"), "utf8")) as { name: string; version: string };
    const tgz = (await readdir(dir)).find((f) => f === `${meta.name}-${meta.version}.tgz`);
    if (!tgz) throw new Error(`oci registry: helm package produced no ${meta.name}-${meta.version}.tgz`);
    const layer = await readFile(join(dir, tgz));
    const config = Buffer.from(JSON.stringify(meta));
    blobs.set(sha256(layer), { body: layer, type: "application/vnd.cncf.helm.chart.content.v1.tar+gzip" });
    blobs.set(sha256(config), { body: config, type: "application/vnd.cncf.helm.config.v1+json" });
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.cncf.helm.config.v1+json", digest: sha256(config), size: config.length },
      layers: [{ mediaType: "application/vnd.cncf.helm.chart.content.v1.tar+gzip", digest: sha256(layer), size: layer.length }],
    }));
    const tags = repos.get(`${ns}/${meta.name}`) ?? new Map<string, Buffer>();
    tags.set(meta.version, manifest);
    repos.set(`${ns}/${meta.name}`, tags);
  }
  const expected = `Basic ${Buffer.from(`${opts.auth.username}:${opts.auth.password}`).toString("base64")}`;
  const authorized: string[] = [];
  const server: Server = createServer({ cert: opts.tls.cert, key: opts.tls.key }, (req, res) => {
    const path = (req.url ?? "/").split("?")[0]!;
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { "www-authenticate": 'Basic realm="hawser-test-registry"', "content-type": "application/json" })
        .end(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] }));
      return;
    }
    authorized.push(`${req.method} ${path}`);
    const send = (status: number, type: string, body: Buffer, extra: Record<string, string> = {}): void => {
      res.writeHead(status, { "content-type": type, "content-length": String(body.length), "docker-distribution-api-version": "registry/2.0", ...extra });
      res.end(req.method === "HEAD" ? undefined : body);
    };
    const notFound = (): void => send(404, "application/json", Buffer.from(JSON.stringify({ errors: [{ code: "NOT_FOUND", message: path }] })));
    if (path === "/v2/" || path === "/v2") return send(200, "application/json", Buffer.from("{}"));
    const m = /^\/v2\/(.+)\/(tags\/list|manifests\/([^/]+)|blobs\/([^/]+))$/.exec(path);
    if (!m) return notFound();
    const tags = repos.get(m[1]!);
    if (!tags) return notFound();
    if (m[2] === "tags/list") return send(200, "application/json", Buffer.from(JSON.stringify({ name: m[1], tags: [...tags.keys()] })));
    if (m[3] !== undefined) {
      const ref = decodeURIComponent(m[3]);
      const manifest = tags.get(ref) ?? [...tags.values()].find((b) => sha256(b) === ref);
      if (!manifest) return notFound();
      return send(200, "application/vnd.oci.image.manifest.v1+json", manifest, { "docker-content-digest": sha256(manifest) });
    }
    const blob = blobs.get(decodeURIComponent(m[4]!));
    if (!blob) return notFound();
    return send(200, blob.type, blob.body, { "docker-content-digest": decodeURIComponent(m[4]!) });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (typeof address !== "object" || address === null) throw new Error("oci registry: no address");
  return {
    url: `oci://127.0.0.1:${address.port}/${ns}`,
    authorized,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
