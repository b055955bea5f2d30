// A loopback Helm chart repository for tests: charts packaged with `helm package`, indexed with
// `helm repo index`, served over HTTP (index.yaml + .tgz), optionally behind basic auth, or over
// HTTPS (optionally requiring a client certificate signed by a given CA).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { resolveTool } from "../../operator/tools/index.js";
import { baseToolEnv, runTool } from "../../plugins/exec.js";

export interface HelmRepo {
  url: string;
  /** Requests served, by path (to assert caching). */
  requests: string[];
  close(): Promise<void>;
}

export interface HelmRepoTls {
  /** PEM server certificate (valid for 127.0.0.1) and key. */
  cert: string;
  key: string;
  /** PEM CA whose client certificates are required; none means no client certificate is asked for. */
  clientCa?: string;
}

export async function startHelmRepo(opts: { chartDirs: string[]; auth?: { username: string; password: string }; tls?: HelmRepoTls }): Promise<HelmRepo> {
  const dir = await mkdtemp(join(tmpdir(), "hawser-helm-repo-"));
  const helm = await resolveTool("helm");
  const env = baseToolEnv({ HELM_CACHE_HOME: join(dir, ".h/cache"), HELM_CONFIG_HOME: join(dir, ".h/config"), HELM_DATA_HOME: join(dir, ".h/data") });
  for (const chart of opts.chartDirs) await runTool(helm, ["package", chart, "-d", dir], { env });
  const requests: string[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const path = decodeURIComponent((req.url ?? "/").split("?")[0]!);
    requests.push(path);
    if (opts.auth) {
      const expected = `Basic ${Buffer.from(`${opts.auth.username}:${opts.auth.password}`).toString("base64")}`;
      if (req.headers.authorization !== expected) {
        res.writeHead(401, { "www-authenticate": 'Basic realm="charts"' }).end();
        return;
      }
    }
    const name = basename(path);
    if (name !== "index.yaml" && !name.endsWith(".tgz")) {
      res.writeHead(404).end();
      return;
    }
    readFile(join(dir, name)).then(
      (body) => res.writeHead(200, { "content-type": name.endsWith(".tgz") ? "application/gzip" : "text/yaml" }).end(body),
      () => res.writeHead(404).end(),
    );
  };
  const server: Server = opts.tls
    ? createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key, ...(opts.tls.clientCa ? { ca: opts.tls.clientCa, requestCert: true, rejectUnauthorized: true } : {}) }, handler)
    : createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (typeof address !== "object" || address === null) throw new Error("helm repo: no address");
  const url = `${opts.tls ? "https" : "http"}://127.0.0.1:${address.port}`;
  await runTool(helm, ["repo", "index", dir, "--url", url], { env });
  return {
    url,
    requests,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
