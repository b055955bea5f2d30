// `hawser server`: builds the API server from its parts and starts it. The informer caches come
// first (every answer reads them), then the signing key and initial admin password (one replica
// wins), then authentication (local sessions and SSO), RBAC (argocd-rbac-cm and project roles,
// rebuilt when they change), the services, and the listener.
import type { GeneratorRegistry } from "../../generators/index.js";
import type { PluginRegistry } from "../../plugins/index.js";
import type { KubeClient } from "../kube/client.js";
import type { Logger } from "../runtime/logger.js";
import { errorMessage } from "../util/index.js";
import { AppStateReader } from "./app-state.js";
import { createServerAuth } from "./auth/index.js";
import { bootstrapSecrets } from "./auth/bootstrap.js";
import { SsoClient } from "./auth/oidc/sso.js";
import { ServerCache } from "./cache.js";
import { createApi, listen } from "./http/api.js";
import { selfSignedCertificate, type TlsMaterial } from "./http/tls.js";
import { ServerEnforcer } from "./rbac/index.js";
import { AccountService } from "./services/accounts.js";
import { ApplicationActionService } from "./services/app-actions.js";
import { ApplicationService } from "./services/applications.js";
import { ApplicationSetService } from "./services/applicationsets.js";
import { ClusterService } from "./services/clusters.js";
import { MetaService } from "./services/meta.js";
import { ProjectService } from "./services/projects.js";
import { RepositoryService } from "./services/repositories.js";
import { SessionService } from "./services/session.js";

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
}

export interface RunningServer {
  url: string;
  stop(): Promise<void>;
}

export async function startServer(o: ServerOptions): Promise<RunningServer> {
  const { client, namespace, log } = o;
  const cache = new ServerCache({ client, namespace, applicationNamespaces: o.applicationNamespaces, applicationSetNamespaces: o.applicationSetNamespaces, log });
  await cache.start();
  const boot = await bootstrapSecrets(client, namespace, { log });
  if (boot.createdAdminPassword) log.info("initial admin password created in Secret argocd-initial-admin-secret (key password)");
  await cache.waitForSecret("argocd-secret");

  const sso = new SsoClient({ state: cache, basehref: o.baseHref, insecure: o.insecure });
  const auth = createServerAuth({ client, namespace, state: cache, idTokens: sso, log });
  const enforcer = new ServerEnforcer(cache, namespace);
  const refreshRbac = (): void => {
    enforcer.refresh().then((r) => {
      for (const p of r.problems ?? []) log.warn("RBAC policy problem", { problem: p });
    }).catch((err: unknown) => log.error("RBAC policy could not be loaded; the last valid one stays in force", { error: errorMessage(err) }));
  };
  await enforcer.refresh();
  cache.onConfigMap({ add: refreshRbac, update: refreshRbac, delete: refreshRbac });
  cache.projectsInformer.addHandler({ add: refreshRbac, update: refreshRbac, delete: refreshRbac });

  const tls = o.insecure ? undefined : o.tls ?? selfSignedCertificate(["localhost", "127.0.0.1", o.address].filter((h) => h && h !== "0.0.0.0"));
  const { app, router } = createApi({
    insecure: o.insecure, ...(tls ? { tls } : {}), rootPath: o.rootPath, apiContentTypes: o.apiContentTypes,
    bodyLimit: o.bodyLimit ?? 4 * 1024 * 1024, authenticator: auth.authenticator, enforcer, log,
  });
  const reader = new AppStateReader({ cache, client, plugins: o.plugins, log, ...(o.repoCacheDir ? { repoCacheDir: o.repoCacheDir } : {}), ...(o.installationID ? { installationID: o.installationID } : {}) });
  const session = new SessionService({ cache, client, auth, sso, enforcer, insecure: o.insecure, baseHref: o.baseHref, log });
  session.register(router);
  router.onRenewedToken = (reply, token) => session.setTokenCookie(reply, token);
  new MetaService({ cache, oidcSettings: () => sso.settingsView() as Record<string, unknown> | undefined }).register(router);
  new ApplicationService({ cache, client, log, reader, rbac: enforcer }).register(router);
  new ApplicationActionService({ cache, client, reader, log }).register(router);
  new ApplicationSetService({ cache, client, generators: o.generators, repos: reader.repoReader, namespaces: o.applicationSetNamespaces, log }).register(router);
  new ProjectService({ cache, client, reader, tokens: session.projectTokenHandlers() }).register(router);
  new ClusterService({ cache, client, reader }).register(router);
  new RepositoryService({ cache, client, reader }).register(router);
  new AccountService({ cache, client, auth, enforcer }).register(router);
  router.raw("GET", "/healthz", async (_req, reply) => { await reply.type("text/plain").send("ok"); });

  const url = await listen(app, { address: o.address, port: o.port, insecure: o.insecure, rootPath: o.rootPath });
  log.info("API server listening", { url });
  return {
    url,
    async stop() {
      await app.close();
      reader.close();
      await cache.stop();
    },
  };
}
