// `hawser server`: builds the API server from its parts and starts it. The informer caches come
// first (every answer reads them), then the signing key and initial admin password (one replica
// wins), then authentication (local sessions and SSO), RBAC (argocd-rbac-cm and project roles,
// rebuilt when they change), the services, and the listener.
import { join } from "node:path";
import { getCiphers } from "node:tls";
import type { FastifyRequest } from "fastify";
import type { GeneratorRegistry } from "../../generators/index.js";
import type { PluginRegistry } from "../../plugins/index.js";
import type { KubeClient } from "../kube/client.js";
import { packageRoot } from "../paths.js";
import type { Logger } from "../runtime/logger.js";
import { errorMessage } from "../util/index.js";
import { AppStateReader } from "./app-state.js";
import { createServerAuth } from "./auth/index.js";
import { bootstrapSecrets } from "./auth/bootstrap.js";
import { reportSsoSettings } from "./auth/oidc/report.js";
import { SsoClient } from "./auth/oidc/sso.js";
import { ServerCache } from "./cache.js";
import { GitTrustFiles } from "../git/trust.js";
import { GitTrustWatch } from "../git/trust-watch.js";
import { createApi, listen } from "./http/api.js";
import { selfSignedCertificate, type TlsMaterial } from "./http/tls.js";
import { ServerMetrics } from "./metrics.js";
import { ServerEnforcer } from "./rbac/index.js";
import { paramLookup, parseServerParams, type ServerParams } from "./server-params.js";
import { AccountService } from "./services/accounts.js";
import { AppDiffService } from "./services/app-diff.js";
import { AppStreamService } from "./services/app-streams.js";
import { BadgeService } from "./services/badge.js";
import { CertificateService } from "./services/certificates.js";
import { GpgKeyService } from "./services/gpgkeys.js";
import { RepoDetailsService } from "./services/repo-details.js";
import { AppLogService } from "./services/app-logs.js";
import { AppRevisionService } from "./services/app-revisions.js";
import { ApplicationActionService } from "./services/app-actions.js";
import { ApplicationService } from "./services/applications.js";
import { ApplicationSetService } from "./services/applicationsets.js";
import { AppSetStreamService } from "./services/appset-streams.js";
import { ClusterService } from "./services/clusters.js";
import { registerDexRefusal } from "./services/dex.js";
import { LinkService } from "./services/links.js";
import { DocsService } from "./services/docs.js";
import { ExtensionProxyService } from "./services/extensions.js";
import { MetaService, packageVersion } from "./services/meta.js";
import { ProjectService } from "./services/projects.js";
import { RepositoryService } from "./services/repositories.js";
import { SessionService } from "./services/session.js";
import { TerminalService } from "./services/terminal.js";
import { TreeCache } from "./tree-cache.js";
import { AppHosts } from "./services/app-hosts.js";
import { NotificationService } from "./services/notifications.js";
import { UiService } from "./services/ui.js";
import { OCI_PULL_FAILURE_REASONS, type OciSourceParams } from "../git/oci-artifacts.js";

export interface ServerOptions {
  client: KubeClient;
  namespace: string;
  address: string;
  port: number;
  insecure: boolean;
  tls?: TlsMaterial;
  /** --basehref: the path the UI is served under (cookie path). */
  baseHref: string;
  /** --rootpath: a prefix stripped from every request. */
  rootPath: string;
  apiContentTypes: string[];
  applicationNamespaces: string[];
  applicationSetNamespaces: string[];
  plugins: PluginRegistry;
  generators: GeneratorRegistry;
  log: Logger;
  bodyLimit?: number;
  repoCacheDir?: string;
  /** argocd-cm installationID's default (the operator's --installation-id). */
  installationID?: string;
  /** argocd-cmd-params-cm's reposerver.oci.* keys, for the OCI artifact sources this server renders. */
  oci?: OciSourceParams;
  /** --oci-artifact-cache-size; unset: artifactCacheBytes's default from `oci`'s limits. */
  ociArtifactCacheBytes?: number;
  /** The built Web UI (--staticassets); default dist/ui of the package. */
  staticAssets?: string;
  /** --enable-proxy-extension: serve /extensions/<name>/... (off: those paths are 404). */
  enableProxyExtension?: boolean;
  /** --metrics-port: Prometheus metrics at /metrics (0 or absent: none). */
  metricsPort?: number;
  /** --metrics-address; default `address`. */
  metricsAddress?: string;
  /** Argo's server settings (gzip, headers, TLS, auth, caches); default: Argo's defaults and the ARGOCD_* variables. */
  settings?: ServerParams;
}

export interface RunningServer {
  url: string;
  /** host:port of /metrics, when served. */
  metricsAddress?: string;
  stop(): Promise<void>;
}

export async function startServer(o: ServerOptions): Promise<RunningServer> {
  const { client, namespace, log } = o;
  const settings = o.settings ?? parseServerParams(paramLookup(() => undefined, {}, process.env), getCiphers());
  const cache = new ServerCache({ client, namespace, applicationNamespaces: o.applicationNamespaces, applicationSetNamespaces: o.applicationSetNamespaces, log });
  await cache.start();
  const boot = await bootstrapSecrets(client, namespace, { log });
  if (boot.createdAdminPassword) log.info("initial admin password created in Secret argocd-initial-admin-secret (key password)");
  await cache.awaitSecret("argocd-secret", 30_000);

  const sso = new SsoClient({ state: cache, basehref: o.baseHref, insecure: o.insecure, stateMaxAgeSeconds: settings.oidcCacheExpirationMs / 1000 });
  const auth = createServerAuth({
    client, namespace, state: cache, idTokens: sso, log, disableAuth: settings.disableAuth,
    maxCookieParts: settings.cookieMaxNumber, loginAttemptsExpirationMs: settings.loginAttemptsExpirationMs,
  });
  reportSsoSettings(sso, log, cache);
  const enforcer = new ServerEnforcer(cache, namespace, { disableAuth: settings.disableAuth });
  const refreshRbac = (): void => {
    enforcer.refresh().then((r) => {
      for (const p of r.problems ?? []) log.warn("RBAC policy problem", { problem: p });
    }).catch((err: unknown) => log.error("RBAC policy could not be loaded; the last valid one stays in force", { error: errorMessage(err) }));
  };
  await enforcer.refresh();
  cache.onConfigMap({ add: refreshRbac, update: refreshRbac, delete: refreshRbac });
  cache.projectsInformer.addHandler({ add: refreshRbac, update: refreshRbac, delete: refreshRbac });

  const tls = o.insecure ? undefined : o.tls ?? selfSignedCertificate(["localhost", "127.0.0.1", o.address].filter((h) => h && h !== "0.0.0.0"));
  const errorCodes = new WeakMap<FastifyRequest, number>();
  const { app, router } = createApi({
    insecure: o.insecure, ...(tls ? { tls } : {}), tlsPolicy: settings.tls, enableGzip: settings.enableGzip, rootPath: o.rootPath, apiContentTypes: o.apiContentTypes,
    bodyLimit: o.bodyLimit ?? 4 * 1024 * 1024, authenticator: auth.authenticator, enforcer, log,
    onApiError: (req, code) => errorCodes.set(req, code),
  });
  // Before the routes, so its hook sees every one.
  const metrics = o.metricsPort ? new ServerMetrics({ version: `v${packageVersion()}`, rootPath: o.rootPath }) : undefined;
  metrics?.instrument(app, (req) => errorCodes.get(req));
  // Before any route exists, so /swagger.json lists every one.
  const docs = new DocsService({ rootPath: o.rootPath, version: `v${packageVersion()}` });
  docs.recordRoutes(app);
  docs.register(router);
  // The server's git trusts exactly what the controller's does (argocd-tls-certs-cm, argocd-ssh-known-hosts-cm).
  const trustFiles = new GitTrustFiles();
  const gitTrust = new GitTrustWatch({ client, namespace, files: trustFiles, log });
  await gitTrust.start();
  const reader = new AppStateReader({ cache, client, plugins: o.plugins, log, trust: () => trustFiles.current(), ...(o.repoCacheDir ? { repoCacheDir: o.repoCacheDir } : {}), ...(o.installationID ? { installationID: o.installationID } : {}), ...(o.oci ? { oci: o.oci } : {}), ...(o.ociArtifactCacheBytes !== undefined ? { ociArtifactCacheBytes: o.ociArtifactCacheBytes } : {}), ...(metrics ? { ociMetrics: metrics.ociArtifacts.counters(OCI_PULL_FAILURE_REASONS) } : {}) });
  metrics?.ociArtifacts.watch(() => reader.ociArtifactUsage());
  const session = new SessionService({ cache, client, auth, sso, enforcer, insecure: o.insecure, baseHref: o.baseHref, log });
  session.register(router);
  router.onRenewedToken = (reply, token) => session.setTokenCookie(reply, token);
  new MetaService({ cache, oidcSettings: () => sso.settingsView() as Record<string, unknown> | undefined, pluginNames: () => o.plugins.userPluginNames() }).register(router);
  const trees = new TreeCache({ log });
  const hosts = new AppHosts(trees, () => cache.configMap("argocd-cm"));
  const applications = new ApplicationService({ cache, client, log, reader, rbac: enforcer, trees, hosts });
  applications.register(router);
  new AppDiffService({ apps: applications, reader }).register(router);
  new AppStreamService({ cache, apps: applications, reader, trees, hosts }).register(router);
  const appSets = new ApplicationSetService({ cache, client, generators: o.generators, repos: reader.repoReader, reposForProject: (p) => reader.reposFor(p), namespaces: o.applicationSetNamespaces, log });
  appSets.register(router);
  new AppSetStreamService({ cache, client, appSets }).register(router);
  new AppLogService({ cache, apps: applications, reader, log }).register(router);
  new AppRevisionService({ cache, apps: applications, reader }).register(router);
  new LinkService({ cache, apps: applications, reader, log }).register(router);
  new ApplicationActionService({ cache, client, reader, log }).register(router);
  // The web terminal is a WebSocket upgrade, outside fastify's routes.
  const terminal = new TerminalService({ cache, apps: applications, reader, client, authenticator: auth.authenticator, enforcer, rootPath: o.rootPath, log });
  terminal.attach(app.server);
  router.raw("GET", "/terminal", async (_req, reply) => {
    await reply.code(400).type("text/plain; charset=utf-8").send("/terminal is a WebSocket: send an upgrade request\n");
  });
  new ProjectService({ cache, client, reader, tokens: session.projectTokenHandlers() }).register(router);
  new ClusterService({ cache, client, reader, probeTtlMs: settings.connectionStatusTtlMs }).register(router);
  new RepositoryService({ cache, client, reader, probeTtlMs: settings.connectionStatusTtlMs }).register(router);
  new AccountService({ cache, client, auth, enforcer }).register(router);
  registerDexRefusal(router);
  new RepoDetailsService({ cache, reader, plugins: o.plugins }).register(router);
  new CertificateService({ cache, client }).register(router);
  new GpgKeyService({ cache, client }).register(router);
  new BadgeService({ cache }).register(router);
  new NotificationService({ cache }).register(router);
  // Argo's liveness answer: 200 "ok\n", no auth.
  router.raw("GET", "/healthz", async (_req, reply) => { await reply.type("text/plain; charset=utf-8").send("ok\n"); });
  const extensions = o.enableProxyExtension
    ? new ExtensionProxyService({ app, cache, reader, authenticator: auth.authenticator, enforcer, namespace, rootPath: o.rootPath, log })
    : undefined;
  extensions?.register();
  new UiService({
    dir: o.staticAssets ?? join(packageRoot(), "dist", "ui"), baseHref: o.baseHref, log,
    xFrameOptions: settings.xFrameOptions, contentSecurityPolicy: settings.contentSecurityPolicy, compress: settings.enableGzip,
  }).register(router);

  const url = await listen(app, { address: o.address, port: o.port, insecure: o.insecure, rootPath: o.rootPath });
  log.info("API server listening", { url });
  const metricsServer = metrics ? await metrics.listen(o.metricsAddress ?? o.address, o.metricsPort!) : undefined;
  if (metricsServer) log.info("serving metrics", { address: metricsServer.address });
  return {
    url,
    ...(metricsServer ? { metricsAddress: metricsServer.address } : {}),
    async stop() {
      terminal.close();
      await metricsServer?.close();
      await app.close();
      extensions?.close();
      await trees.stop();
      reader.close();
      await gitTrust.stop();
      await cache.stop();
    },
  };
}
