// `hawser server`: the API server (Argo's argocd-server), until SIGTERM/SIGINT. Flags keep Argo's
// names and defaults; argocd-cmd-params-cm's server.* keys fill what the flags leave unset, then
// the environment (Argo's ARGOCD_SERVER_* variables).
import { getCiphers } from "node:tls";
import { builtinGenerators } from "../../generators/index.js";
import { builtinPlugins } from "../../plugins/index.js";
import { settingsWarnings } from "../api/compatibility.js";
import type { CommandModule } from "../cli.js";
import { namespacePatternProblems, parseNamespaceList } from "../engine/namespaces.js";
import { ociArtifactCacheSize, parseOciParams } from "../config.js";
import { FlagError, flagValue, parseFlags } from "../flags.js";
import { KubeClient } from "../kube/client.js";
import { loadUserModules } from "../modules/loader.js";
import { loadKubeConfig } from "../operator.js";
import { createLogger } from "../runtime/logger.js";
import { paramLookup, parseServerParams } from "../server/server-params.js";
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
  --oci-artifact-cache-size SIZE unpacked OCI artifact content kept by the process, as the operator's
                                 flag (default: 4 x reposerver.oci.manifest.max.extracted.size;
                                 env HAWSER_OCI_ARTIFACT_CACHE_SIZE)
  --enable-proxy-extension       serve proxy extensions (argocd-cm extension.config*) under
                                 /extensions/<name>/ (default off; server.enable.proxy.extension)
  --metrics-port N               Prometheus metrics at /metrics on this port (default 8083, as
                                 Argo; 0 turns them off). Not the operator's webhook port, which
                                 also defaults to 8083: give one of them another port when both
                                 run on one host
  --metrics-address ADDR         the metrics listen address (default: --address)
  --loglevel LEVEL               debug, info, warn, error (default info; server.log.level,
                                 $ARGOCD_SERVER_LOGLEVEL; --log-level is the same flag)
  --logformat FORMAT             json or text (logrus-style key=value lines) (default json;
                                 server.log.format, $ARGOCD_SERVER_LOGFORMAT)
  --disable-auth                 no authentication and no RBAC: every caller is admin. Only for a
                                 server nobody else can reach (server.disable.auth)
  --enable-gzip                  gzip answers for clients that accept it, event streams flushed
                                 per event (default true; --enable-gzip=false; server.enable.gzip)
  --x-frame-options VALUE        X-Frame-Options of the UI's files (default sameorigin; "" sends
                                 none; server.x.frame.options)
  --content-security-policy V    Content-Security-Policy of the UI's files (default
                                 "frame-ancestors 'self';"; "" sends none; server.content.security.policy)
  --tlsminversion V / --tlsmaxversion V
                                 TLS versions accepted: 1.0, 1.1, 1.2, 1.3 (default 1.2 and 1.3;
                                 server.tls.minversion / maxversion)
  --tlsciphers LIST              TLS ≤ 1.2 cipher suites, IANA names ":"-separated (default
                                 TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384:TLS_RSA_WITH_AES_256_GCM_SHA384;
                                 TLS 1.3's are always on; server.tls.ciphers)
  --login-attempts-expiration D  how long failed logins are remembered at most (default 24h;
                                 server.login.attempts.expiration)
  --oidc-cache-expiration D      how long an SSO login may take at the IdP (default: the state
                                 cookie's 5m; server.oidc.cache.expiration)
  --connection-status-cache-expiration D
                                 how long a repository's (default 1h) and a cluster's (default 10s)
                                 connection state is reused (server.connection.status.cache.expiration)
  (argocd-cmd-params-cm server.http.cookie.maxnumber, $ARGOCD_MAX_COOKIE_NUMBER: the most cookies
  a session token is split over, default 20)

TLS: the certificate in Secret argocd-server-tls (tls.crt, tls.key) when it exists, else a
self-signed one made at start-up. The initial admin password is written to Secret
argocd-initial-admin-secret (key password) on first start.
`;

export const command: CommandModule = {
  summary: "run the API server (Argo CD's REST API, sessions, SSO, RBAC)",
  async run(args) {
    const flags = parseFlags(args, {
      values: ["kubeconfig", "namespace", "address", "port", "basehref", "rootpath", "api-content-types", "application-namespaces", "applicationset-namespaces", "repo-cache-dir", "log-level", "installation-id", "staticassets", "metrics-port", "metrics-address", "oci-artifact-cache-size",
        "loglevel", "logformat", "x-frame-options", "content-security-policy", "tlsminversion", "tlsmaxversion", "tlsciphers", "login-attempts-expiration", "oidc-cache-expiration", "connection-status-cache-expiration"],
      repeatable: ["plugin-dir", "generator-dir"],
      booleans: ["insecure", "help", "enable-proxy-extension", "disable-auth", "enable-gzip"],
    });
    if (flags.booleans.get("help")) {
      process.stdout.write(USAGE);
      return 0;
    }
    if (flags.positional.length > 0) throw new FlagError(`unexpected argument "${flags.positional[0]}"\n\n${USAGE}`);
    const env = process.env;
    const client = new KubeClient(loadKubeConfig(flagValue(flags, "kubeconfig")));
    const namespace = flagValue(flags, "namespace") ?? env.ARGOCD_NAMESPACE ?? "argocd";
    const params = ((await client.get("v1", "ConfigMap", "argocd-cmd-params-cm", namespace)) as { data?: Record<string, string> } | undefined)?.data ?? {};
    // Argo's server settings (server-params.ts); the logger needs two of them, so they come first.
    let settings;
    try {
      settings = parseServerParams(paramLookup((flag) => {
        if (flag === "disable-auth" || flag === "enable-gzip") return flags.booleans.has(flag) ? String(flags.booleans.get(flag)) : undefined;
        return flagValue(flags, flag) ?? (flag === "loglevel" ? flagValue(flags, "log-level") : undefined);
      }, params, env), getCiphers());
    } catch (err) {
      client.close();
      throw new FlagError((err as Error).message);
    }
    const log = createLogger({ level: settings.logLevel, format: settings.logFormat, fields: { component: "hawser-server" } });
    if (settings.disableAuth) {
      log.warn("AUTHENTICATION AND RBAC ARE DISABLED (server.disable.auth / --disable-auth): every caller, logged in or not, is admin and may do anything this server's service account can. Never expose this server");
    }
    // The server's own keys (and Dex's) that do nothing here, said where the server's admin looks.
    const serverKeys = Object.fromEntries(Object.entries(params).filter(([k]) => k.startsWith("server.") || k.startsWith("dexserver.")));
    for (const line of settingsWarnings("argocd-cmd-params-cm", serverKeys)) log.warn(line);
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
    // The OCI artifact sources this server renders (app manifests, diffs) follow the controller's keys.
    const oci = parseOciParams(params);
    const { ociArtifactCacheBytes } = ociArtifactCacheSize(flagValue(flags, "oci-artifact-cache-size") ?? (process.env.HAWSER_OCI_ARTIFACT_CACHE_SIZE || undefined));
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
      client, namespace, insecure, ...(tls ? { tls } : {}), port, settings,
      address: pick("address", "server.listen.address") ?? "0.0.0.0",
      baseHref: pick("basehref", "server.basehref") ?? "/",
      rootPath,
      apiContentTypes: (pick("api-content-types", "server.api.content.types", "ARGOCD_API_CONTENT_TYPES") ?? "application/json").split(";").map((s) => s.trim()).filter(Boolean),
      applicationNamespaces: appNamespaces, applicationSetNamespaces: appSetNamespaces,
      plugins, generators, log, enableProxyExtension, metricsPort, oci,
      ...(ociArtifactCacheBytes !== undefined ? { ociArtifactCacheBytes } : {}),
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
