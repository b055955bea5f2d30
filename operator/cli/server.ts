// `hawser server`: the API server (Argo's argocd-server), until SIGTERM/SIGINT. Flags keep Argo's
// names and defaults; argocd-cmd-params-cm's server.* keys fill what the flags leave unset, then
// the environment (Argo's ARGOCD_SERVER_* variables).
import { builtinGenerators } from "../../generators/index.js";
import { builtinPlugins } from "../../plugins/index.js";
import type { CommandModule } from "../cli.js";
import { namespacePatternProblems, parseNamespaceList } from "../engine/namespaces.js";
import { FlagError, flagValue, parseFlags } from "../flags.js";
import { KubeClient } from "../kube/client.js";
import { loadUserModules } from "../modules/loader.js";
import { loadKubeConfig } from "../operator.js";
import { createLogger, parseLogLevel } from "../runtime/logger.js";
import { startServer } from "../server/server.js";

const USAGE = `usage: hawser server [flags]

Serves Argo CD's REST API (and, later, the Web UI) for the Applications, AppProjects and
ApplicationSets of a namespace.

  --kubeconfig PATH              kubeconfig (default: $KUBECONFIG, in-cluster, ~/.kube/config)
  --namespace NS                 the control namespace (default argocd; $ARGOCD_NAMESPACE)
  --address ADDR                 listen address (default 0.0.0.0; argocd-cmd-params-cm server.listen.address)
  --port N                       listen port (default 8080)
  --insecure                     plain HTTP/1.1 instead of TLS (behind a TLS-terminating proxy;
                                 server.insecure, $ARGOCD_SERVER_INSECURE)
  --basehref PATH                the path the UI is served under (default /; server.basehref)
  --rootpath PATH                a path prefix stripped from every request (server.rootpath)
  --staticassets DIR             the built Web UI to serve at / (default: the package's dist/ui; server.staticassets)
  --api-content-types LIST       media types accepted on non-GET API calls, ";"-separated
                                 (default application/json; server.api.content.types, $ARGOCD_API_CONTENT_TYPES)
  --application-namespaces LIST  namespaces besides NS whose Applications are served (application.namespaces)
  --applicationset-namespaces LIST  the same for ApplicationSets (applicationsetcontroller.namespaces)
  --plugin-dir DIR / --generator-dir DIR  user config-management plugins and generators (as the operator)
  --installation-id ID           the default of argocd-cm installationID (as the operator's flag), so
                                 diffs see what that operator marks
  --repo-cache-dir DIR           where the server's git checkouts live (default ~/.cache/hawser/server)
  --enable-proxy-extension       serve proxy extensions (argocd-cm extension.config*) under
                                 /extensions/<name>/ (default off; server.enable.proxy.extension)
  --metrics-port N               Prometheus metrics at /metrics on this port (default 8083, as
                                 Argo; 0 turns them off). Not the operator's webhook port, which
                                 also defaults to 8083: give one of them another port when both
                                 run on one host
  --metrics-address ADDR         the metrics listen address (default: --address)
  --log-level LEVEL              debug, info, warn, error (default info)

TLS: the certificate in Secret argocd-server-tls (tls.crt, tls.key) when it exists, else a
self-signed one made at start-up. The initial admin password is written to Secret
argocd-initial-admin-secret (key password) on first start.
`;

export const command: CommandModule = {
  summary: "run the API server (Argo CD's REST API, sessions, SSO, RBAC)",
  async run(args) {
    const flags = parseFlags(args, {
      values: ["kubeconfig", "namespace", "address", "port", "basehref", "rootpath", "api-content-types", "application-namespaces", "applicationset-namespaces", "repo-cache-dir", "log-level", "installation-id", "staticassets", "metrics-port", "metrics-address"],
      repeatable: ["plugin-dir", "generator-dir"],
      booleans: ["insecure", "help", "enable-proxy-extension"],
    });
    if (flags.booleans.get("help")) {
      process.stdout.write(USAGE);
      return 0;
    }
    if (flags.positional.length > 0) throw new FlagError(`unexpected argument "${flags.positional[0]}"\n\n${USAGE}`);
    const env = process.env;
    const log = createLogger({ level: parseLogLevel(flagValue(flags, "log-level")), fields: { component: "hawser-server" } });
    const client = new KubeClient(loadKubeConfig(flagValue(flags, "kubeconfig")));
    const namespace = flagValue(flags, "namespace") ?? env.ARGOCD_NAMESPACE ?? "argocd";
    const params = ((await client.get("v1", "ConfigMap", "argocd-cmd-params-cm", namespace)) as { data?: Record<string, string> } | undefined)?.data ?? {};
    const pick = (flag: string, key: string, envName?: string): string | undefined => flagValue(flags, flag) ?? params[key] ?? (envName ? env[envName] : undefined);
    const insecure = flags.booleans.get("insecure") ?? ((params["server.insecure"] ?? env.ARGOCD_SERVER_INSECURE) === "true");
    const enableProxyExtension = flags.booleans.get("enable-proxy-extension") ?? ((params["server.enable.proxy.extension"] ?? env.ARGOCD_SERVER_ENABLE_PROXY_EXTENSION) === "true");
    const portRaw = flagValue(flags, "port") ?? "8080";
    const port = Number(portRaw);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new FlagError(`--port must be a port number, got "${portRaw}"`);
    const metricsRaw = flagValue(flags, "metrics-port") ?? "8083";
    const metricsPort = Number(metricsRaw);
    if (!/^\d+$/.test(metricsRaw) || metricsPort > 65535) throw new FlagError(`--metrics-port must be a port number (0 turns metrics off), got "${metricsRaw}"`);
    const rootPath = (pick("rootpath", "server.rootpath") ?? "").replace(/\/+$/, "");
    if (rootPath && !rootPath.startsWith("/")) throw new FlagError(`--rootpath must start with "/", got "${rootPath}"`);
    const appNamespaces = parseNamespaceList(pick("application-namespaces", "application.namespaces"));
    const appSetNamespaces = parseNamespaceList(pick("applicationset-namespaces", "applicationsetcontroller.namespaces"));
    for (const p of [...namespacePatternProblems(appNamespaces), ...namespacePatternProblems(appSetNamespaces)]) throw new FlagError(p);
    const plugins = builtinPlugins();
    const generators = builtinGenerators();
    await loadUserModules({ pluginDirs: flags.values.get("plugin-dir") ?? [], generatorDirs: flags.values.get("generator-dir") ?? [], plugins, generators, log });
    const tlsSecret = insecure ? undefined : await client.get("v1", "Secret", "argocd-server-tls", namespace) as { data?: Record<string, string> } | undefined;
    const tls = tlsSecret?.data?.["tls.crt"] && tlsSecret.data["tls.key"]
      ? { cert: Buffer.from(tlsSecret.data["tls.crt"], "base64").toString(), key: Buffer.from(tlsSecret.data["tls.key"], "base64").toString() }
      : undefined;
    const running = await startServer({
      client, namespace, insecure, ...(tls ? { tls } : {}), port,
      address: pick("address", "server.listen.address") ?? "0.0.0.0",
      baseHref: pick("basehref", "server.basehref") ?? "/",
      rootPath,
      apiContentTypes: (pick("api-content-types", "server.api.content.types", "ARGOCD_API_CONTENT_TYPES") ?? "application/json").split(";").map((s) => s.trim()).filter(Boolean),
      applicationNamespaces: appNamespaces, applicationSetNamespaces: appSetNamespaces,
      plugins, generators, log, enableProxyExtension, metricsPort,
      ...(flagValue(flags, "metrics-address") ? { metricsAddress: flagValue(flags, "metrics-address")! } : {}),
      ...(flagValue(flags, "repo-cache-dir") ? { repoCacheDir: flagValue(flags, "repo-cache-dir")! } : {}),
      ...(flagValue(flags, "installation-id") ? { installationID: flagValue(flags, "installation-id")! } : {}),
      ...(pick("staticassets", "server.staticassets") ? { staticAssets: pick("staticassets", "server.staticassets")! } : {}),
    });
    await new Promise<void>((resolve) => {
      const stop = (signal: string): void => {
        log.info("signal received", { signal });
        void running.stop().finally(resolve);
      };
      process.once("SIGTERM", () => stop("SIGTERM"));
      process.once("SIGINT", () => stop("SIGINT"));
    });
    client.close();
    return 0;
  },
};
