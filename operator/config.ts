// The operator's configuration: command-line flags with Argo CD's names and defaults where Argo
// has them (`--status-processors`, `--operation-processors`, `--app-resync`), parsed into one
// typed object that the rest of the process receives.
import { FlagError, flagInt, flagValue, parseFlags } from "./cli/flags.js";
import { parseLogLevel, type LogLevel } from "./runtime/logger.js";

export interface OperatorConfig {
  kubeconfig?: string;
  namespace: string;
  statusProcessors: number;
  operationProcessors: number;
  appsetProcessors: number;
  /** Periodic refresh of every Application; 0 turns it off. */
  appResyncMs: number;
  appResyncJitterMs: number;
  /** host:port of /healthz, /readyz, /metrics. */
  metricsHost: string;
  metricsPort: number;
  /** host:port of the git webhook endpoint (`POST /api/webhook`); empty turns it off. */
  webhookAddr: string;
  leaderElect: boolean;
  leaseName: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  installCrds: boolean;
  pluginDirs: string[];
  pluginPackages: string[];
  generatorDirs: string[];
  generatorPackages: string[];
  /** Lua customization trees in Argo's resource_customizations/<group>/<Kind>/ layout. */
  customizationDirs: string[];
  /** Argo's controller.diff.server.side: server-side dry-run diffs for every app. */
  serverSideDiff: boolean;
  /** Default for argocd-cm `installationID` (which wins when set). */
  installationID?: string;
  logLevel: LogLevel;
}

export const operatorFlagSpec = {
  values: [
    "kubeconfig", "namespace", "status-processors", "operation-processors", "appset-processors",
    "app-resync", "app-resync-jitter", "metrics-addr", "lease-name", "log-level",
    "lease-duration", "renew-deadline", "retry-period", "webhook-addr", "installation-id",
  ],
  repeatable: ["plugin-dir", "plugin-package", "generator-dir", "generator-package", "customizations"],
  booleans: ["leader-elect", "install-crds", "server-side-diff-enabled", "help"],
};

export const operatorUsage = `usage: hawser operator [flags]

  --kubeconfig PATH            kubeconfig (default: $KUBECONFIG, ~/.kube/config, or in-cluster)
  --namespace NS               namespace of Applications, AppProjects and settings (default argocd)
  --status-processors N        refresh (compare) workers (default 20)
  --operation-processors N     sync workers (default 10)
  --appset-processors N        ApplicationSet workers (default 10)
  --app-resync SECONDS         periodic refresh; 0 turns it off (default 120; argocd-cm
                               timeout.reconciliation, when set, takes precedence)
  --app-resync-jitter SECONDS  random extra delay per refresh (default 60; argocd-cm
                               timeout.reconciliation.jitter takes precedence)
  --metrics-addr HOST:PORT     /healthz, /readyz and /metrics (default 127.0.0.1:8082; port 0 picks one)
  --webhook-addr HOST:PORT     git webhooks at POST /api/webhook (default 127.0.0.1:8083; "" turns it off)
  --leader-elect[=false]       run with Lease-based leader election (default true)
  --lease-name NAME            leader election Lease (default hawser-controller)
  --lease-duration SECONDS     how long a standby waits before taking an unrenewed lease (default 15)
  --renew-deadline SECONDS     how long the leader retries renewing before giving up (default 10)
  --retry-period SECONDS       interval between lease attempts (default 2)
  --install-crds[=false]       install or update the CRDs at start-up (default true)
  --plugin-dir DIR             load config-management plugins from DIR: modules and ConfigManagementPlugin YAML (repeatable)
  --plugin-package NAME        load plugins from an installed npm package (repeatable)
  --generator-dir DIR          load ApplicationSet generator modules from DIR (repeatable)
  --generator-package NAME     load generators from an installed npm package (repeatable)
  --customizations DIR         Lua health checks in Argo's resource_customizations/<group>/<Kind>/health.lua
                               layout, over the bundled ones (repeatable; argocd-cm entries win)
  --server-side-diff-enabled   diff with a server-side apply dry run (exact defaults) instead of the
                               client-side prediction; per app: compare-options ServerSideDiff=true|false
  --installation-id ID         mark and recognise this instance's resources when several share a cluster;
                               argocd-cm installationID wins when set (env HAWSER_INSTALLATION_ID)
  --log-level LEVEL            debug, info, warn, error (default info; env HAWSER_LOG_LEVEL)
`;

export function parseOperatorConfig(args: string[], env: NodeJS.ProcessEnv = process.env): OperatorConfig | "help" {
  const flags = parseFlags(args, operatorFlagSpec);
  if (flags.booleans.get("help")) return "help";
  if (flags.positional.length > 0) throw new FlagError(`unexpected argument "${flags.positional[0]}"`);
  const addr = flagValue(flags, "metrics-addr") ?? "127.0.0.1:8082";
  const colon = addr.lastIndexOf(":");
  const metricsPort = Number(addr.slice(colon + 1));
  if (colon < 0 || !Number.isInteger(metricsPort) || metricsPort < 0 || metricsPort > 65535) {
    throw new FlagError(`--metrics-addr must be HOST:PORT, got "${addr}"`);
  }
  const webhookAddr = flagValue(flags, "webhook-addr") ?? "127.0.0.1:8083";
  if (webhookAddr !== "" && !/^[^:]*:\d{1,5}$/.test(webhookAddr)) throw new FlagError(`--webhook-addr must be HOST:PORT or "", got "${webhookAddr}"`);
  const list = (name: string): string[] => flags.values.get(name) ?? [];
  const atLeastOne = (name: string, fallback: number): number => {
    const n = flagInt(flags, name, fallback);
    if (n < 1) throw new FlagError(`--${name} must be at least 1`);
    return n;
  };
  return {
    kubeconfig: flagValue(flags, "kubeconfig"),
    namespace: flagValue(flags, "namespace") ?? env.HAWSER_NAMESPACE ?? "argocd",
    statusProcessors: atLeastOne("status-processors", 20),
    operationProcessors: atLeastOne("operation-processors", 10),
    appsetProcessors: atLeastOne("appset-processors", 10),
    appResyncMs: flagInt(flags, "app-resync", 120) * 1000,
    appResyncJitterMs: flagInt(flags, "app-resync-jitter", 60) * 1000,
    metricsHost: addr.slice(0, colon) || "127.0.0.1",
    metricsPort,
    webhookAddr,
    leaderElect: flags.booleans.get("leader-elect") ?? true,
    leaseName: flagValue(flags, "lease-name") ?? "hawser-controller",
    leaseDurationMs: flagInt(flags, "lease-duration", 15) * 1000,
    renewDeadlineMs: flagInt(flags, "renew-deadline", 10) * 1000,
    retryPeriodMs: flagInt(flags, "retry-period", 2) * 1000,
    installCrds: flags.booleans.get("install-crds") ?? true,
    pluginDirs: list("plugin-dir"),
    pluginPackages: list("plugin-package"),
    generatorDirs: list("generator-dir"),
    generatorPackages: list("generator-package"),
    customizationDirs: list("customizations"),
    serverSideDiff: flags.booleans.get("server-side-diff-enabled") ?? false,
    installationID: flagValue(flags, "installation-id") ?? (env.HAWSER_INSTALLATION_ID || undefined),
    logLevel: parseLogLevel(flagValue(flags, "log-level") ?? env.HAWSER_LOG_LEVEL),
  };
}
