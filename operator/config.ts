// The operator's configuration: command-line flags with Argo CD's names and defaults where Argo
// has them (`--status-processors`, `--operation-processors`, `--app-resync`), parsed into one
// typed object that the rest of the process receives.
import { FlagError, flagInt, flagValue, parseFlags } from "./flags.js";
import {
  DEFAULT_MAX_RENDER_OUTPUT_BYTES, DEFAULT_TOOL_CPU_SECONDS, DEFAULT_TOOL_MEMORY_BYTES, parseByteSize,
} from "../plugins/sandbox.js";
import { DEFAULT_SELF_HEAL_BACKOFF, type SelfHealBackoff } from "./engine/sync/autosync.js";
import { namespacePatternProblems, parseNamespaceList } from "./engine/namespaces.js";
import { parseShardingAlgorithm, type ShardingAlgorithm } from "./engine/sharding.js";
import { parseGoDuration } from "./engine/sync/duration.js";
import { parseLogLevel, type LogLevel } from "./runtime/logger.js";
import { errorMessage } from "./util/index.js";
import { parseLabelSelector } from "./util/labels.js";
import type { OciSourceParams } from "./git/oci-artifacts.js";

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
  /** Webhook requests read or processed at once (argocd-cmd-params-cm server.webhook.parallelism.limit when unset). */
  webhookParallelism?: number;
  leaderElect: boolean;
  leaseName: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  installCrds: boolean;
  /**
   * Controller shards (ARGOCD_CONTROLLER_REPLICAS, default 1). Above 1 the Application controller
   * is sharded by destination cluster over shard Leases (docs/sharding.md).
   */
  replicas: number;
  /** This replica's home shard: --shard or ARGOCD_CONTROLLER_SHARD; unset: the hostname's StatefulSet ordinal. */
  shard?: number;
  /** --sharding-method or ARGOCD_CONTROLLER_SHARDING_ALGORITHM; unset: argocd-cmd-params-cm, then legacy. */
  shardingAlgorithm?: ShardingAlgorithm;
  pluginDirs: string[];
  pluginPackages: string[];
  generatorDirs: string[];
  generatorPackages: string[];
  /** Lua customization trees in Argo's resource_customizations/<group>/<Kind>/ layout. */
  customizationDirs: string[];
  /** Periodic hard refresh (Argo's --app-hard-resync); 0 = off; argocd-cm timeout.hard.reconciliation wins. */
  appHardResyncMs: number;
  /** How often the controller publishes its clusters' info (Argo's fixed 10 s); at least 1 s. */
  clusterInfoPeriodMs: number;
  /** Self-heal backoff from flags; argocd-cmd-params-cm fills what the flags leave unset. */
  selfHeal: CmdParams["selfHeal"];
  /** Argo's controller.diff.server.side: server-side dry-run diffs for every app. */
  serverSideDiff: boolean;
  /** Default for argocd-cm `installationID` (which wins when set). */
  installationID?: string;
  /** --oci-artifact-cache-size; unset: artifactCacheBytes's default from the OCI limits. */
  ociArtifactCacheBytes?: number;
  /** Argo's reposerver.allow.oob.symlinks (or argocd-cmd-params-cm's key): no symlink check. */
  allowOobSymlinks: boolean;
  /** Run the notifications controller (argocd-notifications-cm); --notifications=false or HAWSER_NOTIFICATIONS=false turn it off. */
  notifications: boolean;
  /** Notifications workers (Argo's notifications --processors-count / ARGOCD_NOTIFICATION_CONTROLLER_PROCESSORS_COUNT). */
  notificationsProcessors: number;
  /** Only Applications matching this label selector are notified (Argo's notifications --app-label-selector). */
  notificationsAppLabelSelector?: string;
  /** Cluster Secret labels exported in argocd_cluster_labels (Argo's --metrics-cluster-labels). */
  metricsClusterLabels: string[];
  /** ApplicationSet labels exported in argocd_appset_labels (Argo's --metrics-applicationset-labels). */
  metricsAppSetLabels: string[];
  /** ARGOCD_NOTIFICATION_CONTROLLER_SELF_SERVICE_NOTIFICATION_ENABLED; unset leaves it to argocd-cmd-params-cm. */
  notificationsSelfService?: boolean;
  /**
   * ARGOCD_GIT_MODULES_ENABLED from the environment, as Argo's repo server reads it; unset leaves
   * it to argocd-cmd-params-cm `reposerver.enable.git.submodule`, then Argo's default (true).
   */
  gitSubmodules?: boolean;
  logLevel: LogLevel;
  /**
   * Namespaces besides `namespace` whose Applications are reconciled (globs, `/regex/`); Argo's
   * `--application-namespaces`, else argocd-cmd-params-cm `application.namespaces`. Empty: only
   * the control namespace.
   */
  applicationNamespaces: string[];
  /**
   * Namespaces besides `namespace` whose ApplicationSets are reconciled (Argo's
   * `--applicationset-namespaces`, else argocd-cmd-params-cm `applicationsetcontroller.namespaces`).
   */
  applicationSetNamespaces: string[];
  /**
   * Which of the settings argocd-cmd-params-cm can also set were given explicitly (flag, or
   * HAWSER_LOG_LEVEL): those win over the ConfigMap (applyCmdParams).
   */
  explicit: ReadonlySet<CmdParamsSetting>;
  /** The render sandbox (plugins/sandbox.ts); see docs/security.md. */
  sandbox: SandboxFlags;
}

export interface SandboxFlags {
  /** Base of per-render scratch directories; default $TMPDIR, else /tmp. */
  tmpDir?: string;
  isolation: "auto" | "none";
  toolMemoryBytes: number;
  toolCpuSeconds: number;
  maxRenderOutputBytes: number;
  /** Unset: argocd-cmd-params-cm reposerver.max.combined.directory.manifests.size, else 10M. */
  maxCombinedDirectoryManifestsBytes?: number;
  /** Unset: the combined limit. */
  maxManifestFileBytes?: number;
  /** Run tools in the tool-runner sidecar listening here (plugins/runner/); unset: spawn locally. */
  toolRunnerSocket?: string;
}

export const operatorFlagSpec = {
  values: [
    "kubeconfig", "namespace", "status-processors", "operation-processors", "appset-processors",
    "app-resync", "app-resync-jitter", "metrics-addr", "lease-name", "log-level",
    "lease-duration", "renew-deadline", "retry-period", "webhook-addr", "webhook-parallelism-limit", "installation-id", "oci-artifact-cache-size",
    "tmp-dir", "tool-isolation", "tool-memory-limit", "tool-cpu-limit", "max-render-output",
    "max-combined-directory-manifests-size", "max-manifest-file-size", "tool-runner-socket",
    "app-hard-resync", "cluster-info-period", "notifications-processors-count", "notifications-app-label-selector", "shard", "sharding-method", "self-heal-timeout-seconds", "self-heal-backoff-timeout-seconds", "self-heal-backoff-factor", "self-heal-backoff-cap-seconds",
  ],
  repeatable: ["metrics-cluster-labels", "metrics-applicationset-labels", "application-namespaces", "applicationset-namespaces", "plugin-dir", "plugin-package", "generator-dir", "generator-package", "customizations"],
  booleans: ["leader-elect", "install-crds", "server-side-diff-enabled", "allow-oob-symlinks", "notifications", "help"],
};

export const operatorUsage = `usage: hawser operator [flags]

  --kubeconfig PATH            kubeconfig (default: $KUBECONFIG, ~/.kube/config, or in-cluster)
  --namespace NS               namespace of Applications, AppProjects and settings (default argocd)
  --application-namespaces LIST  other namespaces whose Applications are reconciled: comma-separated
                               globs or /regex/ (repeatable; default: argocd-cmd-params-cm
                               application.namespaces, else none). Apps there may only use projects
                               whose sourceNamespaces allow their namespace
  --applicationset-namespaces LIST  the same for ApplicationSets (default: argocd-cmd-params-cm
                               applicationsetcontroller.namespaces); their Applications are made in
                               their own namespace, for projects whose sourceNamespaces allow it
  --status-processors N        refresh (compare) workers (default 20)
  --operation-processors N     sync workers (default 10)
  --appset-processors N        ApplicationSet workers (default 10)
                               (these three, --server-side-diff-enabled and --log-level take their
                               default from argocd-cmd-params-cm, as in Argo; given here, they win)
  --app-resync SECONDS         periodic refresh; 0 turns it off (default 120; argocd-cm
                               timeout.reconciliation, when set, takes precedence)
  --app-resync-jitter SECONDS  random extra delay per refresh (default 60; argocd-cm
                               timeout.reconciliation.jitter takes precedence)
  --metrics-addr HOST:PORT     /healthz, /readyz and /metrics (default 127.0.0.1:8082; port 0 picks one)
  --webhook-addr HOST:PORT     git webhooks at POST /api/webhook (default 127.0.0.1:8083; "" turns it off)
  --webhook-parallelism-limit N  webhook requests handled at once, more get 503 (default 50;
                               argocd-cmd-params-cm server.webhook.parallelism.limit when unset)
  --leader-elect[=false]       run with Lease-based leader election (default true)
  --lease-name NAME            leader election Lease (default hawser-controller)
  --lease-duration SECONDS     how long a standby waits before taking an unrenewed lease (default 15)
  --renew-deadline SECONDS     how long the leader retries renewing before giving up (default 10)
  --retry-period SECONDS       interval between lease attempts (default 2)
  --shard N                    this replica's home controller shard (default: $ARGOCD_CONTROLLER_SHARD,
                               else the hostname's StatefulSet ordinal); sharding is on when
                               $ARGOCD_CONTROLLER_REPLICAS is above 1 (docs/sharding.md)
  --sharding-method NAME       legacy, round-robin or consistent-hashing (default:
                               $ARGOCD_CONTROLLER_SHARDING_ALGORITHM, else argocd-cmd-params-cm
                               controller.sharding.algorithm, else legacy)
  --install-crds[=false]       install or update the CRDs at start-up (default true)
  --plugin-dir DIR             load config-management plugins from DIR: modules and ConfigManagementPlugin YAML (repeatable)
  --plugin-package NAME        load plugins from an installed npm package (repeatable)
  --generator-dir DIR          load ApplicationSet generator modules from DIR (repeatable)
  --generator-package NAME     load generators from an installed npm package (repeatable)
  --app-hard-resync SECONDS    periodic hard refresh of every app (render cache bypassed, repository
                               re-fetched); 0 turns it off (default 0; argocd-cm timeout.hard.reconciliation,
                               when set, takes precedence)
  --cluster-info-period SECONDS  how often the controller publishes each cluster's connection state,
                               version and cache figures for the API server's clusters list (default 10,
                               Argo's fixed period; a change of the object count alone waits 6 periods)
  --self-heal-timeout-seconds N         fixed wait between self-heal attempts (Argo's deprecated form)
  --self-heal-backoff-timeout-seconds N first self-heal backoff (default 2; argocd-cmd-params-cm
  --self-heal-backoff-factor N          controller.self.heal.* keys apply when these are unset)
  --self-heal-backoff-cap-seconds N     (defaults 3 and 300)
  --customizations DIR         Lua health checks in Argo's resource_customizations/<group>/<Kind>/health.lua
                               layout, over the bundled ones (repeatable; argocd-cm entries win)
  --server-side-diff-enabled   diff with a server-side apply dry run (exact defaults) instead of the
                               client-side prediction; per app: compare-options ServerSideDiff=true|false
  --installation-id ID         mark and recognise this instance's resources when several share a cluster;
                               argocd-cm installationID wins when set (env HAWSER_INSTALLATION_ID)
  --oci-artifact-cache-size SIZE  unpacked OCI artifact content kept for reuse by the process (all its
                               git caches: the shared one, each project's); held trees are never
                               removed (default: 4 x reposerver.oci.manifest.max.extracted.size, 4G at
                               its 1G default; env HAWSER_OCI_ARTIFACT_CACHE_SIZE)
  --allow-oob-symlinks         DANGEROUS: render repositories and charts holding symlinks that point
                               outside them (Argo's reposerver.allow.oob.symlinks; also read from
                               argocd-cmd-params-cm). Anyone who can push can then read any file the
                               operator can, such as its service-account token. Default false.
  --notifications[=false]      run the notifications controller: triggers and templates of
                               argocd-notifications-cm (default true; env HAWSER_NOTIFICATIONS=false)
  --notifications-processors-count N  notifications workers (Argo's notifications controller
                               --processors-count; default: env ARGOCD_NOTIFICATION_CONTROLLER_PROCESSORS_COUNT, else 1)
  --notifications-app-label-selector SELECTOR  notify only Applications whose labels match
                               (Argo's notifications controller --app-label-selector; default all)
  --metrics-cluster-labels KEYS  cluster Secret labels exported in argocd_cluster_labels as label_<key>
                               (comma-separated, repeatable; default none: the metric is off)
  --metrics-applicationset-labels KEYS  ApplicationSet labels exported in argocd_appset_labels
                               (comma-separated, repeatable; default none: the metric is off)
  --log-level LEVEL            debug, info, warn, error (default: argocd-cmd-params-cm controller.log.level,
                               else info; env HAWSER_LOG_LEVEL)

Render sandbox (docs/security.md):
  --tmp-dir DIR                per-render scratch directories and pulled charts (default $TMPDIR or /tmp;
                               must be writable: the chart mounts an emptyDir)
  --tool-isolation MODE        auto: run tools in a private mount and PID namespace that hides the
                               service-account token and kubeconfig, when the kernel allows it;
                               none: turn that off (dangerous) (default auto)
  --tool-memory-limit SIZE     address space of one tool run (RLIMIT_AS; Go tools reserve ~0.8Gi
                               before allocating); 0 = none (default 4Gi)
  --tool-cpu-limit SECONDS     CPU time of one tool run; 0 = none (default 120)
  --max-render-output SIZE     tool output of one render, all tools together (default 32Mi)
  --max-combined-directory-manifests-size SIZE
                               a directory app's files together (default: argocd-cmd-params-cm
                               reposerver.max.combined.directory.manifests.size, else 10M)
  --max-manifest-file-size SIZE
                               one file of a directory app (default: the combined limit)
  --tool-runner-socket PATH    run every tool in the tool-runner sidecar listening on PATH
                               ("hawser tool-runner", a container without the service-account
                               token); start-up fails if it does not answer (default: spawn here)
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
  const namespaceFlag = (name: string): string[] => {
    const patterns = list(name).flatMap((v) => parseNamespaceList(v));
    const bad = namespacePatternProblems(patterns);
    if (bad.length > 0) throw new FlagError(`--${name}: ${bad.join("; ")}`);
    return patterns;
  };
  // Label keys as Kubernetes writes them (optional DNS prefix, a name of at most 63 characters).
  const labelKeysFlag = (name: string): string[] => {
    const keys = [...new Set(list(name).flatMap((v) => v.split(",")).map((k) => k.trim()).filter(Boolean))];
    const bad = keys.filter((k) => !/^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(k));
    if (bad.length > 0) throw new FlagError(`--${name}: not a label key: ${bad.map((k) => JSON.stringify(k)).join(", ")}`);
    return keys;
  };
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
    webhookParallelism: flagValue(flags, "webhook-parallelism-limit") === undefined ? undefined : atLeastOne("webhook-parallelism-limit", 50),
    leaderElect: flags.booleans.get("leader-elect") ?? true,
    leaseName: flagValue(flags, "lease-name") ?? "hawser-controller",
    leaseDurationMs: flagInt(flags, "lease-duration", 15) * 1000,
    renewDeadlineMs: flagInt(flags, "renew-deadline", 10) * 1000,
    retryPeriodMs: flagInt(flags, "retry-period", 2) * 1000,
    installCrds: flags.booleans.get("install-crds") ?? true,
    ...shardingFrom(flagValue(flags, "shard"), flagValue(flags, "sharding-method"), env),
    pluginDirs: list("plugin-dir"),
    pluginPackages: list("plugin-package"),
    generatorDirs: list("generator-dir"),
    generatorPackages: list("generator-package"),
    customizationDirs: list("customizations"),
    appHardResyncMs: flagInt(flags, "app-hard-resync", 0) * 1000,
    clusterInfoPeriodMs: atLeastOne("cluster-info-period", 10) * 1000,
    selfHeal: selfHealFrom((k) => flagValue(flags, k), {
      timeout: "self-heal-timeout-seconds", backoffTimeout: "self-heal-backoff-timeout-seconds",
      factor: "self-heal-backoff-factor", cap: "self-heal-backoff-cap-seconds",
    }, "--"),
    serverSideDiff: flags.booleans.get("server-side-diff-enabled") ?? false,
    installationID: flagValue(flags, "installation-id") ?? (env.HAWSER_INSTALLATION_ID || undefined),
    ...ociArtifactCacheSize(flagValue(flags, "oci-artifact-cache-size") ?? (env.HAWSER_OCI_ARTIFACT_CACHE_SIZE || undefined)),
    allowOobSymlinks: flags.booleans.get("allow-oob-symlinks") ?? false,
    notifications: flags.booleans.get("notifications")
      ?? (env.HAWSER_NOTIFICATIONS !== undefined && env.HAWSER_NOTIFICATIONS.trim() !== ""
        ? parseBoolValue(env.HAWSER_NOTIFICATIONS, "the environment variable HAWSER_NOTIFICATIONS") : true),
    notificationsProcessors: (() => {
      const fromEnv = env.ARGOCD_NOTIFICATION_CONTROLLER_PROCESSORS_COUNT?.trim();
      if (flagValue(flags, "notifications-processors-count") !== undefined || !fromEnv) return atLeastOne("notifications-processors-count", 1);
      const n = Number(fromEnv);
      if (!Number.isSafeInteger(n) || n < 1) throw new FlagError(`the environment variable ARGOCD_NOTIFICATION_CONTROLLER_PROCESSORS_COUNT must be a whole number of at least 1, got "${fromEnv}"`);
      return n;
    })(),
    ...(() => {
      const raw = flagValue(flags, "notifications-app-label-selector");
      if (raw === undefined || raw.trim() === "") return {};
      try {
        parseLabelSelector(raw);
      } catch (err) {
        throw new FlagError(`--notifications-app-label-selector: ${errorMessage(err)}`);
      }
      return { notificationsAppLabelSelector: raw };
    })(),
    ...(env.ARGOCD_NOTIFICATION_CONTROLLER_SELF_SERVICE_NOTIFICATION_ENABLED?.trim()
      ? { notificationsSelfService: parseBoolValue(env.ARGOCD_NOTIFICATION_CONTROLLER_SELF_SERVICE_NOTIFICATION_ENABLED, "the environment variable ARGOCD_NOTIFICATION_CONTROLLER_SELF_SERVICE_NOTIFICATION_ENABLED") }
      : {}),
    ...(env.ARGOCD_GIT_MODULES_ENABLED !== undefined && env.ARGOCD_GIT_MODULES_ENABLED.trim() !== ""
      ? { gitSubmodules: parseBoolValue(env.ARGOCD_GIT_MODULES_ENABLED, "the environment variable ARGOCD_GIT_MODULES_ENABLED") }
      : {}),
    logLevel: (() => {
      try {
        return parseLogLevel(flagValue(flags, "log-level") ?? (env.HAWSER_LOG_LEVEL || undefined));
      } catch (err) {
        throw new FlagError(`--log-level (or HAWSER_LOG_LEVEL): ${errorMessage(err)}`);
      }
    })(),
    metricsClusterLabels: labelKeysFlag("metrics-cluster-labels"),
    metricsAppSetLabels: labelKeysFlag("metrics-applicationset-labels"),
    applicationNamespaces: namespaceFlag("application-namespaces"),
    applicationSetNamespaces: namespaceFlag("applicationset-namespaces"),
    explicit: new Set(([
      ["statusProcessors", flagValue(flags, "status-processors")],
      ["operationProcessors", flagValue(flags, "operation-processors")],
      ["appsetProcessors", flagValue(flags, "appset-processors")],
      ["serverSideDiff", flags.booleans.get("server-side-diff-enabled")],
      ["logLevel", flagValue(flags, "log-level") ?? (env.HAWSER_LOG_LEVEL || undefined)],
      ["applicationNamespaces", flagValue(flags, "application-namespaces")],
      ["applicationSetNamespaces", flagValue(flags, "applicationset-namespaces")],
    ] as const).filter(([, v]) => v !== undefined).map(([k]) => k)),
    sandbox: sandboxFlags((k) => flagValue(flags, k)),
  };
}

/** The sharding settings: flags over Argo's environment variables; a bad value names its source. */
function shardingFrom(shardFlag: string | undefined, methodFlag: string | undefined, env: NodeJS.ProcessEnv): Pick<OperatorConfig, "replicas" | "shard" | "shardingAlgorithm"> {
  const whole = (raw: string, what: string, min: number): number => {
    const v = raw.trim();
    if (!/^-?\d+$/.test(v) || Number(v) < min) throw new FlagError(`${what} must be a whole number of at least ${min}, got "${raw}"`);
    return Number(v);
  };
  const replicasRaw = env.ARGOCD_CONTROLLER_REPLICAS;
  const replicas = replicasRaw !== undefined && replicasRaw.trim() !== "" ? whole(replicasRaw, "the environment variable ARGOCD_CONTROLLER_REPLICAS", 1) : 1;
  const shardRaw = shardFlag ?? (env.ARGOCD_CONTROLLER_SHARD?.trim() ? env.ARGOCD_CONTROLLER_SHARD : undefined);
  const shardWhat = shardFlag !== undefined ? "--shard" : "the environment variable ARGOCD_CONTROLLER_SHARD";
  // Argo's -1 means "from the hostname".
  const shard = shardRaw === undefined ? undefined : whole(shardRaw, shardWhat, -1);
  if (shard !== undefined && shard >= replicas) throw new FlagError(`${shardWhat} is ${shard}, but there are only ${replicas} shards (ARGOCD_CONTROLLER_REPLICAS); shards count from 0`);
  const methodRaw = methodFlag ?? (env.ARGOCD_CONTROLLER_SHARDING_ALGORITHM?.trim() ? env.ARGOCD_CONTROLLER_SHARDING_ALGORITHM : undefined);
  let shardingAlgorithm: ShardingAlgorithm | undefined;
  if (methodRaw !== undefined) {
    const parsed = parseShardingAlgorithm(methodRaw);
    if (typeof parsed === "object") throw new FlagError(parsed.error.replace("argocd-cmd-params-cm controller.sharding.algorithm", methodFlag !== undefined ? "--sharding-method" : "the environment variable ARGOCD_CONTROLLER_SHARDING_ALGORITHM"));
    shardingAlgorithm = parsed;
  }
  return { replicas, ...(shard !== undefined && shard >= 0 ? { shard } : {}), ...(shardingAlgorithm ? { shardingAlgorithm } : {}) };
}

/**
 * `--oci-artifact-cache-size` (or HAWSER_OCI_ARTIFACT_CACHE_SIZE) as bytes, for the operator and
 * the API server; unset leaves the default to the OCI limits (artifactCacheBytes).
 */
export function ociArtifactCacheSize(raw: string | undefined): { ociArtifactCacheBytes?: number } {
  if (raw === undefined) return {};
  try {
    return { ociArtifactCacheBytes: parseByteSize(raw, "--oci-artifact-cache-size") };
  } catch (err) {
    throw new FlagError(errorMessage(err));
  }
}

function sandboxFlags(get: (key: string) => string | undefined): SandboxFlags {
  const size = (key: string): number | undefined => {
    const raw = get(key);
    if (raw === undefined) return undefined;
    try {
      return parseByteSize(raw, `--${key}`);
    } catch (err) {
      throw new FlagError(errorMessage(err));
    }
  };
  const isolation = get("tool-isolation") ?? "auto";
  if (isolation !== "auto" && isolation !== "none") throw new FlagError(`--tool-isolation must be auto or none, got "${isolation}"`);
  const cpu = get("tool-cpu-limit");
  const cpuSeconds = cpu === undefined ? DEFAULT_TOOL_CPU_SECONDS : Number(cpu);
  if (!Number.isInteger(cpuSeconds) || cpuSeconds < 0) throw new FlagError(`--tool-cpu-limit must be a whole number of seconds, got "${cpu}"`);
  const tmpDir = get("tmp-dir");
  if (tmpDir === "") throw new FlagError("--tmp-dir must name a directory");
  const toolRunnerSocket = get("tool-runner-socket");
  if (toolRunnerSocket !== undefined && !toolRunnerSocket.startsWith("/")) throw new FlagError(`--tool-runner-socket must be an absolute path, got "${toolRunnerSocket}"`);
  return {
    ...(tmpDir !== undefined ? { tmpDir } : {}),
    ...(toolRunnerSocket !== undefined ? { toolRunnerSocket } : {}),
    isolation,
    toolMemoryBytes: size("tool-memory-limit") ?? DEFAULT_TOOL_MEMORY_BYTES,
    toolCpuSeconds: cpuSeconds,
    maxRenderOutputBytes: size("max-render-output") ?? DEFAULT_MAX_RENDER_OUTPUT_BYTES,
    maxCombinedDirectoryManifestsBytes: size("max-combined-directory-manifests-size"),
    maxManifestFileBytes: size("max-manifest-file-size"),
  };
}

/** What Hawser takes from argocd-cmd-params-cm (the controller's settings in Argo CD). */
export interface CmdParams {
  selfHeal: { timeoutMs?: number; backoffTimeoutMs?: number; factor?: number; capMs?: number };
  /** controller.sync.wave.delay.seconds (Argo's ARGOCD_SYNC_WAVE_DELAY). */
  waveDelayMs?: number;
  /** reposerver.allow.oob.symlinks: "true" turns the out-of-bounds symlink check off. */
  allowOobSymlinks: boolean;
  /** reposerver.enable.git.submodule (Argo's ARGOCD_GIT_MODULES_ENABLED). */
  gitSubmodules?: boolean;
  /** reposerver.max.combined.directory.manifests.size (Argo's default 10M applies when unset). */
  maxCombinedDirectoryManifestsBytes?: number;
  /** reposerver.oci.manifest.max.extracted.size, reposerver.disable.oci.manifest.max.extracted.size, reposerver.oci.layer.media.types. */
  oci?: OciSourceParams;
  /** server.webhook.parallelism.limit. */
  webhookParallelism?: number;
  /** controller.status.processors. */
  statusProcessors?: number;
  /** controller.operation.processors. */
  operationProcessors?: number;
  /** applicationsetcontroller.concurrent.reconciliations.max. */
  appsetProcessors?: number;
  /** controller.diff.server.side. */
  serverSideDiff?: boolean;
  /** controller.log.level. */
  logLevel?: LogLevel;
  /** application.namespaces (Argo's ARGOCD_APPLICATION_NAMESPACES). */
  applicationNamespaces?: string[];
  /** applicationsetcontroller.namespaces. */
  applicationSetNamespaces?: string[];
  /** notificationscontroller.selfservice.enabled: argocd-notifications-cm in each app's namespace too. */
  notificationsSelfService?: boolean;
  /** controller.sharding.algorithm. */
  shardingAlgorithm?: ShardingAlgorithm;
  /** controller.metrics.cache.expiration: how often the per-app counters and histograms are reset (unset or 0: never). */
  metricsCacheExpirationMs?: number;
}

/** Settings both a flag and an argocd-cmd-params-cm key can set. */
export type CmdParamsSetting = "statusProcessors" | "operationProcessors" | "appsetProcessors" | "serverSideDiff" | "logLevel" | "applicationNamespaces" | "applicationSetNamespaces";

/**
 * The configuration with argocd-cmd-params-cm applied as Argo applies it: the ConfigMap reaches
 * Argo's controller as environment variables that are the flags' defaults, so a key replaces the
 * default and a flag given explicitly still wins.
 */
export function applyCmdParams(config: OperatorConfig, params: CmdParams): OperatorConfig {
  const out = { ...config };
  const take = <K extends CmdParamsSetting>(key: K): void => {
    const v = params[key];
    if (v !== undefined && !config.explicit.has(key)) (out as Pick<OperatorConfig, K>)[key] = v as OperatorConfig[K];
  };
  take("statusProcessors");
  take("operationProcessors");
  take("appsetProcessors");
  take("serverSideDiff");
  take("logLevel");
  take("applicationNamespaces");
  take("applicationSetNamespaces");
  return out;
}

function selfHealFrom(get: (key: string) => string | undefined, keys: { timeout: string; backoffTimeout: string; factor: string; cap: string }, prefix: string): CmdParams["selfHeal"] {
  const num = (key: string): number | undefined => {
    const raw = get(key);
    if (raw === undefined || raw.trim() === "") return undefined;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) throw new FlagError(`${prefix}${key} must be a non-negative number, got "${raw}"`);
    return n;
  };
  const out: CmdParams["selfHeal"] = {};
  const timeout = num(keys.timeout);
  const backoffTimeout = num(keys.backoffTimeout);
  const factor = num(keys.factor);
  const cap = num(keys.cap);
  if (timeout !== undefined) out.timeoutMs = timeout * 1000;
  if (backoffTimeout !== undefined) out.backoffTimeoutMs = backoffTimeout * 1000;
  if (factor !== undefined) out.factor = factor;
  if (cap !== undefined) out.capMs = cap * 1000;
  return out;
}

/** argocd-cmd-params-cm `data`, read once at start-up (Argo needs a restart for these too). */
export function parseCmdParams(data: Record<string, string> | undefined): CmdParams {
  const d = data ?? {};
  const params: CmdParams = {
    selfHeal: selfHealFrom((k) => d[k], {
      timeout: "controller.self.heal.timeout.seconds", backoffTimeout: "controller.self.heal.backoff.timeout.seconds",
      factor: "controller.self.heal.backoff.factor", cap: "controller.self.heal.backoff.cap.seconds",
    }, "argocd-cmd-params-cm "),
    allowOobSymlinks: parseBool(d["reposerver.allow.oob.symlinks"], "reposerver.allow.oob.symlinks"),
    oci: parseOciParams(d),
  };
  const modules = d["reposerver.enable.git.submodule"];
  if (modules !== undefined && modules.trim() !== "") params.gitSubmodules = parseBool(modules, "reposerver.enable.git.submodule");
  const expiration = d["controller.metrics.cache.expiration"];
  if (expiration !== undefined && expiration.trim() !== "") {
    try {
      params.metricsCacheExpirationMs = parseGoDuration(expiration.trim());
    } catch (err) {
      throw new FlagError(`argocd-cmd-params-cm controller.metrics.cache.expiration: ${errorMessage(err)}`);
    }
  }
  const wave = d["controller.sync.wave.delay.seconds"];
  if (wave !== undefined && wave.trim() !== "") {
    const n = Number(wave);
    if (!Number.isFinite(n) || n < 0) throw new FlagError(`argocd-cmd-params-cm controller.sync.wave.delay.seconds must be a non-negative number, got "${wave}"`);
    params.waveDelayMs = n * 1000;
  }
  const combined = d["reposerver.max.combined.directory.manifests.size"];
  if (combined !== undefined && combined.trim() !== "") {
    try {
      params.maxCombinedDirectoryManifestsBytes = parseByteSize(combined, "argocd-cmd-params-cm reposerver.max.combined.directory.manifests.size");
    } catch (err) {
      throw new FlagError(errorMessage(err));
    }
  }
  const parallelism = d["server.webhook.parallelism.limit"];
  if (parallelism !== undefined && parallelism.trim() !== "") {
    const n = Number(parallelism);
    if (!Number.isSafeInteger(n) || n < 1) throw new FlagError(`argocd-cmd-params-cm server.webhook.parallelism.limit must be a whole number of at least 1, got "${parallelism}"`);
    params.webhookParallelism = n;
  }
  const workers = (key: string): number | undefined => {
    const raw = d[key];
    if (raw === undefined || raw.trim() === "") return undefined;
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < 1) throw new FlagError(`argocd-cmd-params-cm ${key} must be a whole number of at least 1, got "${raw}"`);
    return n;
  };
  const status = workers("controller.status.processors");
  if (status !== undefined) params.statusProcessors = status;
  const operation = workers("controller.operation.processors");
  if (operation !== undefined) params.operationProcessors = operation;
  const appset = workers("applicationsetcontroller.concurrent.reconciliations.max");
  if (appset !== undefined) params.appsetProcessors = appset;
  const selfService = d["notificationscontroller.selfservice.enabled"];
  if (selfService !== undefined && selfService.trim() !== "") params.notificationsSelfService = parseBool(selfService, "notificationscontroller.selfservice.enabled");
  const ssd = d["controller.diff.server.side"];
  if (ssd !== undefined && ssd.trim() !== "") params.serverSideDiff = parseBool(ssd, "controller.diff.server.side");
  const level = d["controller.log.level"];
  if (level !== undefined && level.trim() !== "") params.logLevel = parseCmdLogLevel(level);
  const namespaceKey = (key: string): string[] | undefined => {
    const raw = d[key];
    if (raw === undefined || raw.trim() === "") return undefined;
    const list = parseNamespaceList(raw);
    const bad = namespacePatternProblems(list);
    if (bad.length > 0) throw new FlagError(`argocd-cmd-params-cm ${key}: ${bad.join("; ")}`);
    return list;
  };
  const algorithm = d["controller.sharding.algorithm"];
  if (algorithm !== undefined && algorithm.trim() !== "") {
    const parsed = parseShardingAlgorithm(algorithm);
    if (typeof parsed === "object") throw new FlagError(parsed.error);
    params.shardingAlgorithm = parsed;
  }
  const appNamespaces = namespaceKey("application.namespaces");
  if (appNamespaces) params.applicationNamespaces = appNamespaces;
  const appSetNamespaces = namespaceKey("applicationsetcontroller.namespaces");
  if (appSetNamespaces) params.applicationSetNamespaces = appSetNamespaces;
  return params;
}

/** An RFC 6838 media type name (`type/subtype`, as `application/vnd.oci.image.layer.v1.tar+gzip`). */
const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;

/**
 * The OCI artifact source keys, as Argo's repo server reads them (its --oci-* flags): a size as a
 * Kubernetes quantity, a boolean, a comma-separated list of media types. A blank value is unset.
 */
export function parseOciParams(d: Record<string, string>): OciSourceParams {
  const out: OciSourceParams = {};
  const sizeKey = "reposerver.oci.manifest.max.extracted.size";
  const size = d[sizeKey];
  if (size !== undefined && size.trim() !== "") {
    let n: number;
    try {
      n = parseByteSize(size, `argocd-cmd-params-cm ${sizeKey}`);
    } catch (err) {
      throw new FlagError(errorMessage(err));
    }
    if (n < 1) throw new FlagError(`argocd-cmd-params-cm ${sizeKey} must be at least 1 byte, got "${size}" (to lift the limit, set reposerver.disable.oci.manifest.max.extracted.size to "true")`);
    out.maxExtractedBytes = n;
  }
  const disable = d["reposerver.disable.oci.manifest.max.extracted.size"];
  if (disable !== undefined && disable.trim() !== "") out.disableMaxExtractedSize = parseBool(disable, "reposerver.disable.oci.manifest.max.extracted.size");
  const typesKey = "reposerver.oci.layer.media.types";
  const types = d[typesKey];
  if (types !== undefined && types.trim() !== "") {
    const list = types.split(",").map((t) => t.trim()).filter((t) => t !== "");
    const bad = list.filter((t) => !MEDIA_TYPE.test(t));
    if (list.length === 0 || bad.length > 0) {
      throw new FlagError(`argocd-cmd-params-cm ${typesKey} must be a comma-separated list of media types (type/subtype), got ${bad.length > 0 ? bad.map((t) => JSON.stringify(t.slice(0, 100))).join(", ") : JSON.stringify(types)}`);
    }
    out.layerMediaTypes = [...new Set(list)];
  }
  return out;
}

/** Argo's level names (logrus) mapped onto Hawser's four; anything else is an error. */
function parseCmdLogLevel(raw: string): LogLevel {
  const v = raw.trim().toLowerCase();
  const levels: Record<string, LogLevel> = { debug: "debug", info: "info", warn: "warn", warning: "warn", error: "error" };
  const level = levels[v];
  if (level === undefined) throw new FlagError(`argocd-cmd-params-cm controller.log.level must be debug, info, warn or error, got "${raw}"`);
  return level;
}

/** A boolean setting as Go's strconv.ParseBool reads it; anything else is an error, not "false". */
function parseBool(raw: string | undefined, key: string): boolean {
  if (raw === undefined || raw.trim() === "") return false;
  return parseBoolValue(raw, `argocd-cmd-params-cm ${key}`);
}

/** Go's strconv.ParseBool spellings, as Argo reads these settings; anything else stops the start. */
function parseBoolValue(raw: string, what: string): boolean {
  const v = raw.trim();
  if (["1", "t", "T", "true", "TRUE", "True"].includes(v)) return true;
  if (["0", "f", "F", "false", "FALSE", "False"].includes(v)) return false;
  throw new FlagError(`${what} must be true or false, got "${raw}"`);
}

/**
 * The self-heal backoff: flags over argocd-cmd-params-cm over Argo's defaults. A fixed timeout
 * (the deprecated form, seed 003's `controller.self.heal.timeout.seconds: "5"`) waits the same
 * time before every attempt, unless a backoff is configured too.
 */
export function selfHealBackoff(flags: CmdParams["selfHeal"], cm: CmdParams["selfHeal"]): SelfHealBackoff {
  const m = { ...cm, ...Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined)) };
  const backoffSet = m.backoffTimeoutMs !== undefined || m.factor !== undefined || m.capMs !== undefined;
  if (m.timeoutMs !== undefined && !backoffSet) return { durationMs: m.timeoutMs, factor: 1, capMs: m.timeoutMs };
  return {
    durationMs: m.backoffTimeoutMs ?? DEFAULT_SELF_HEAL_BACKOFF.durationMs,
    factor: m.factor ?? DEFAULT_SELF_HEAL_BACKOFF.factor,
    capMs: m.capMs ?? DEFAULT_SELF_HEAL_BACKOFF.capMs,
  };
}
