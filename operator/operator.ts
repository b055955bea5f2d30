// The operator process: connects to the cluster, installs the CRDs, loads plugin and generator
// modules, serves health and metrics, and runs the controllers while it holds the leader lease.
// Losing the lease stops the controllers and ends the process (a supervisor restarts it as a
// fresh candidate), as controller-runtime does, so two leaders never act at once.
import { KubeConfig } from "@kubernetes/client-node";
import { builtinGenerators, type GeneratorRegistry } from "../generators/index.js";
import { builtinPlugins, type PluginRegistry } from "../plugins/index.js";
import { ARGO_API_VERSION } from "./api/annotations.js";
import { settingsWarnings } from "./api/compatibility.js";
import { applyCmdParams, parseCmdParams, selfHealBackoff, type CmdParams, type OperatorConfig } from "./config.js";
import { configureSandbox, DEFAULT_MAX_COMBINED_DIRECTORY_MANIFESTS_BYTES, defaultMaskedPaths, detectIsolation } from "../plugins/sandbox.js";
import { localLauncher, setToolLauncher } from "../plugins/exec.js";
import { connectToolRunner } from "../plugins/runner/client.js";
import { ApplicationController } from "./controllers/application/controller.js";
import { ApplicationSetController } from "./controllers/applicationset/controller.js";
import { NotificationsController } from "./controllers/notifications/controller.js";
import { RepoDataFetcher } from "./controllers/notifications/repo-data.js";
import type { ApplicationObject } from "./appstate/types.js";
import { KubeApiError, KubeClient } from "./kube/client.js";
import { errorMessage } from "./util/index.js";
import { installCrds } from "./kube/crd-install.js";
import { requestResource } from "./kube/request-resource.js";
import { loadUserModules, type ModuleLoadReport } from "./modules/loader.js";
import { EventRecorder } from "./runtime/events.js";
import { AdaptiveLimiter } from "./kube/adaptive.js";
import { defaultIdentity, LeaderElector } from "./runtime/leader-election.js";
import { ShardLeases, shardLeaseName } from "./runtime/shard-leases.js";
import { DEFAULT_SHARDING_ALGORITHM, hostnameOrdinal } from "./engine/sharding.js";
import { hostname } from "node:os";
import { createLogger, type Logger } from "./runtime/logger.js";
import { OperatorMetrics } from "./runtime/metrics.js";
import { startProbeServer, type ProbeServer } from "./runtime/probes.js";
import { Informer } from "./runtime/informer.js";
import { configuredProviders, webhookSecretsFrom, type SecretReferenceLookup } from "./webhook/auth.js";
import { SecretCredentialStore, SECRET_TYPE_LABEL } from "./git/credentials.js";
import { ProjectRepoCaches } from "./git/project-repos.js";
import { OCI_PULL_FAILURE_REASONS, artifactCacheBytes, ociLimitsFrom, processArtifactBudget, warnSmallArtifactCache } from "./git/oci-artifacts.js";
import { GitTrustFiles } from "./git/trust.js";
import { GitTrustWatch } from "./git/trust-watch.js";
import { bundledCustomizationsDir, loadCustomizationTree } from "./lua/load.js";
import { DEFAULT_WEBHOOK_PARALLELISM, maxPayloadBytesFrom, startWebhookServer, type WebhookServer } from "./webhook/server.js";

export function loadKubeConfig(path?: string): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromDefault();
  return kc;
}

export interface RunningOperator {
  client: KubeClient;
  probes: ProbeServer;
  webhook?: WebhookServer;
  plugins: PluginRegistry;
  generators: GeneratorRegistry;
  moduleReports: ModuleLoadReport[];
  /** Resolves when the operator has stopped (signal, lost lease, or fatal error). */
  done: Promise<void>;
  stop(): Promise<void>;
}

export async function startOperator(config: OperatorConfig, log: Logger = createLogger({ level: config.logLevel })): Promise<RunningOperator> {
  const metrics = new OperatorMetrics();
  const client = new KubeClient(loadKubeConfig(config.kubeconfig));
  client.onRequest((verb, path, code, ms) => {
    metrics.kubeRequests.inc({ verb, code: String(code), resource: requestResource(path) });
    metrics.kubeRequestDuration.observe({ verb }, ms / 1000);
  });
  metrics.argo.observeKubeClient(client);

  // Not ready until the CRDs and the default project exist: whoever waits for readiness then
  // creates Applications in that project.
  let crdsReady = false;
  let controller: ApplicationController | undefined;
  let appsetController: ApplicationSetController | undefined;
  let notifications: NotificationsController | undefined;
  // Assigned once below; declared here because the readiness check reads it first.
  // eslint-disable-next-line prefer-const
  let elector: LeaderElector | undefined;
  const probes = await startProbeServer({ host: config.metricsHost, port: config.metricsPort, registry: metrics.registry });
  probes.addReadinessCheck("crds", () => ({ ok: crdsReady, reason: "CRDs and the default project are being installed" }));
  probes.addReadinessCheck("caches", () => ({
    ok: (!elector?.isLeader || ((controller?.hasSynced ?? false) && (appsetController?.hasSynced ?? false)))
      && (!sharded || (controller?.hasSynced ?? false)),
    reason: "informer caches are syncing",
  }));
  log.info("serving health and metrics", { address: `${config.metricsHost}:${probes.port}` });

  // Modules first: a broken user module is reported at once, before any cluster work.
  const plugins = builtinPlugins();
  const generators = builtinGenerators();
  const moduleReports = await loadUserModules({
    pluginDirs: config.pluginDirs, pluginPackages: config.pluginPackages,
    generatorDirs: config.generatorDirs, generatorPackages: config.generatorPackages,
    plugins, generators, log,
  });
  log.info("modules ready", { plugins: plugins.names(), generators: generators.names() });

  await ensureNamespace(client, config.namespace, log);
  if (config.installCrds) {
    await installCrds(client);
    log.info("CRDs installed");
  }
  await ensureDefaultProject(client, config.namespace, log);
  crdsReady = true;
  // Controller settings Argo keeps in argocd-cmd-params-cm (read once; Argo restarts for them too).
  const cmdParamsCm = await client.get("v1", "ConfigMap", "argocd-cmd-params-cm", config.namespace);
  const cmdParamsData = (cmdParamsCm as { data?: Record<string, string> } | undefined)?.data;
  const cmdParams = parseCmdParams(cmdParamsData);
  // The keys that have flags too: a key replaces the flag's default, an explicit flag wins.
  const settings = applyCmdParams(config, cmdParams);
  if (settings.logLevel !== config.logLevel) log.setLevel(settings.logLevel);
  // Say once, where operators look first, which settings they wrote that do nothing here.
  const argocdCm = await client.get("v1", "ConfigMap", "argocd-cm", config.namespace);
  for (const line of [...settingsWarnings("argocd-cm", (argocdCm as { data?: Record<string, string> } | undefined)?.data), ...settingsWarnings("argocd-cmd-params-cm", cmdParamsData)]) log.warn(line);
  const selfHeal = selfHealBackoff(config.selfHeal, cmdParams.selfHeal);
  log.info("controller settings", {
    selfHealBackoff: selfHeal, waveDelayMs: cmdParams.waveDelayMs ?? 2000, statusProcessors: settings.statusProcessors,
    operationProcessors: settings.operationProcessors, appsetProcessors: settings.appsetProcessors, serverSideDiff: settings.serverSideDiff, logLevel: settings.logLevel,
  });
  const allowOobSymlinks = config.allowOobSymlinks || cmdParams.allowOobSymlinks;
  if (allowOobSymlinks) log.warn("out-of-bounds symlink check is off (reposerver.allow.oob.symlinks): repositories can make tools read files outside them");
  await setUpRenderSandbox(config, cmdParams, log);

  // The Application controller's writes to its Applications and every Event share one limiter;
  // Events take its low lane, so in a burst they yield to the status writes a sync waits for. Its
  // floor is one slot per refresh and operation worker: it orders writes, it does not slow them.
  const appWorkers = settings.statusProcessors + settings.operationProcessors;
  const controlPlaneWrites = new AdaptiveLimiter({ initial: appWorkers, min: appWorkers, max: Math.max(64, appWorkers), onWait: metrics.limiterWait("control-plane") });
  const events = new EventRecorder(client, "hawser-application-controller", log, config.namespace, { limiter: controlPlaneWrites });

  // Controller sharding (docs/sharding.md): with more than one shard, every replica runs the
  // Application controller for the shards whose Leases it holds; the ApplicationSet and
  // notifications controllers, which act on every app, run on the leader only.
  const sharded = config.replicas > 1;
  if (sharded && !config.leaderElect) {
    throw new Error("ARGOCD_CONTROLLER_REPLICAS is above 1 but --leader-elect=false: the ApplicationSet and notifications controllers must run on one replica only, which leader election decides");
  }
  const identity = defaultIdentity();
  let shardLeases: ShardLeases | undefined;

  // Repository credentials come from Argo's repository / repo-creds Secrets, kept current by an
  // informer; the cache consults them on every git operation.
  const credentials = new SecretCredentialStore();
  const repoSecrets = new Informer(client, { apiVersion: "v1", kind: "Secret", namespace: config.namespace, labelSelector: `${SECRET_TYPE_LABEL} in (repository,repo-creds)`, log });
  repoSecrets.addHandler({
    add: (s) => credentials.upsert(s),
    update: (_o, s) => credentials.upsert(s),
    delete: (s) => credentials.remove(s),
  });
  repoSecrets.start();
  // ssh host keys (argocd-ssh-known-hosts-cm) and custom CAs (argocd-tls-certs-cm) as files the git
  // commands read, kept current; loaded before anything can fetch, and the mode said once.
  const trustFiles = new GitTrustFiles();
  const gitTrust = new GitTrustWatch({ client, namespace: config.namespace, files: trustFiles, log, metrics });
  await gitTrust.start();
  // Submodules: the operator's environment (Argo's ARGOCD_GIT_MODULES_ENABLED), else argocd-cmd-params-cm, else on.
  const submodules = config.gitSubmodules ?? cmdParams.gitSubmodules ?? true;
  if (!submodules) log.info("git submodules are not checked out (ARGOCD_GIT_MODULES_ENABLED / reposerver.enable.git.submodule is false)");
  // OCI artifact sources: argocd-cmd-params-cm's reposerver.oci.* keys (limits and layer media types).
  const oci = cmdParams.oci ?? {};
  const ociLimits = ociLimitsFrom(oci);
  if (oci.disableMaxExtractedSize) log.warn("the unpacked size limit of OCI artifact sources is off (reposerver.disable.oci.manifest.max.extracted.size): an artifact is bounded only by its layer size, its entry count and the disk");
  const ociCacheBytes = artifactCacheBytes(ociLimits, config.ociArtifactCacheBytes);
  warnSmallArtifactCache(log, ociCacheBytes, ociLimits);
  // One shared cache for unscoped Secrets, one per project with project-scoped Secrets (project-repos.ts).
  const repoCaches = new ProjectRepoCaches({
    credentials,
    cache: {
      logger: log, trust: () => trustFiles.current(), submodules, onOperation: (e) => metrics.argo.observeGitOperation(e),
      ociLimits, ...(oci.layerMediaTypes ? { ociLayerMediaTypes: oci.layerMediaTypes } : {}),
      // One bound for every cache of the process (the API server's too when it shares it).
      ociBudget: processArtifactBudget(ociCacheBytes),
      ociMetrics: metrics.ociArtifactCacheMetrics(OCI_PULL_FAILURE_REASONS),
    },
  });
  const repos = repoCaches.shared;
  metrics.watchOciArtifactCache(() => repoCaches.ociArtifactUsage());
  // controller.metrics.cache.expiration (Argo's --metrics-cache-expiration): unref'd, so it never keeps the process alive.
  const expiryMs = cmdParams.metricsCacheExpirationMs ?? 0;
  const metricsExpiry = expiryMs > 0
    ? setInterval(() => {
        log.info("resetting the per-app metrics (controller.metrics.cache.expiration)", { everyMs: expiryMs });
        metrics.argo.resetExpiringSeries();
      }, expiryMs).unref()
    : undefined;
  metrics.argo.repoPendingRequests.addSource(() => repoCaches.pendingRequests().map((r) => ({ labels: { repo: r.repo }, value: r.pending })));
  // User trees first: the first tree with a script for a kind wins, so users override the bundled.
  const healthTrees = [...config.customizationDirs.map((d) => loadCustomizationTree(d)), loadCustomizationTree(bundledCustomizationsDir())];

  // Webhook secrets live in argocd-secret and the payload limit in argocd-cm; one-object informers
  // keep them current.
  const argocdSecret = new Informer(client, { apiVersion: "v1", kind: "Secret", namespace: config.namespace, fieldSelector: "metadata.name=argocd-secret", log });
  // Secrets a webhook secret may refer to (`$name:key`), as Argo: those labelled part-of argocd.
  const referencedSecrets = new Informer(client, { apiVersion: "v1", kind: "Secret", namespace: config.namespace, labelSelector: "app.kubernetes.io/part-of=argocd", log });
  const lookupSecret = (name: string, key: string): string | undefined => {
    const data = (referencedSecrets.get(`${config.namespace}/${name}`) as { data?: Record<string, string> } | undefined)?.data?.[key];
    return data === undefined ? undefined : Buffer.from(data, "base64").toString("utf8");
  };
  const webhookCm = new Informer(client, { apiVersion: "v1", kind: "ConfigMap", namespace: config.namespace, fieldSelector: "metadata.name=argocd-cm", log });
  let webhook: WebhookServer | undefined;
  if (config.webhookAddr !== "") {
    argocdSecret.start();
    referencedSecrets.start();
    webhookCm.start();
    logWebhookAuthMode(argocdSecret, referencedSecrets, lookupSecret, log);
    let lastLimitError: string | undefined;
    const colon = config.webhookAddr.lastIndexOf(":");
    const parallelism = config.webhookParallelism ?? cmdParams.webhookParallelism ?? DEFAULT_WEBHOOK_PARALLELISM;
    webhook = await startWebhookServer({
      host: config.webhookAddr.slice(0, colon) || "0.0.0.0",
      port: Number(config.webhookAddr.slice(colon + 1)),
      // Until argocd-secret has been read, a configured secret may be unknown: refuse meanwhile.
      secrets: () => (argocdSecret.hasSynced && referencedSecrets.hasSynced
        ? webhookSecretsFrom(argocdSecret.get(`${config.namespace}/argocd-secret`) as { data?: Record<string, string> } | undefined, lookupSecret)
        : undefined),
      maxPayloadBytes: () => {
        const limit = maxPayloadBytesFrom((webhookCm.get(`${config.namespace}/argocd-cm`) as { data?: Record<string, string> } | undefined)?.data);
        if (limit.error !== lastLimitError) {
          lastLimitError = limit.error;
          if (limit.error) log.warn(limit.error);
        }
        return limit.bytes;
      },
      parallelism,
      onPush: (event) => {
        if (!controller) {
          log.info("webhook push ignored: not the leader");
          return;
        }
        const apps = controller.refreshForPush(event);
        const sets = appsetController?.refreshForPush(event) ?? [];
        log.info("webhook push: refreshing applications", { applications: apps.length, applicationSets: sets.length });
      },
      log,
    });
    log.info("serving git webhooks", { address: `${config.webhookAddr.slice(0, colon) || "0.0.0.0"}:${webhook.port}`, path: "/api/webhook", parallelism });
  }
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => { resolveDone = r; });
  let stopping: Promise<void> | undefined;

  const newApplicationController = (): ApplicationController => new ApplicationController({
      client, namespace: config.namespace, statusProcessors: settings.statusProcessors, operationProcessors: settings.operationProcessors,
      resyncMs: config.appResyncMs, resyncJitterMs: config.appResyncJitterMs, hardResyncMs: config.appHardResyncMs, log, metrics, events, writeLimiter: controlPlaneWrites,
      repos, reposForProject: (project) => repoCaches.forProject(project), plugins, healthTrees, installationID: config.installationID, serverSideDiff: settings.serverSideDiff,
      selfHealBackoff: selfHeal, ...(cmdParams.waveDelayMs !== undefined ? { waveDelayMs: cmdParams.waveDelayMs } : {}),
      allowOutOfBoundsSymlinks: allowOobSymlinks, applicationNamespaces: settings.applicationNamespaces,
      metricsClusterLabels: config.metricsClusterLabels,
      // What the API server's clusters list shows, named by the Lease that makes this replica its
      // publisher: a shard's, else the leader's; none without leader election (nothing to check).
      clusterInfo: {
        identity, periodMs: config.clusterInfoPeriodMs,
        leaseOf: (shard) => (shardLeases && shard !== undefined ? shardLeaseName(config.leaseName, shard) : config.leaderElect ? config.leaseName : undefined),
      },
      ...(shardLeases ? {
        sharding: {
          replicas: config.replicas, algorithm: config.shardingAlgorithm ?? cmdParams.shardingAlgorithm ?? DEFAULT_SHARDING_ALGORITHM,
          holds: (shard: number) => shardLeases!.owns(shard), moveGraceMs: config.leaseDurationMs,
        },
      } : {}),
  });

  const startControllers = async (): Promise<void> => {
    metrics.leader.set(1);
    // Sharded, the Application controller already runs (for the shards this replica holds).
    const appController = controller ?? newApplicationController();
    if (!controller) {
      controller = appController;
      await appController.start();
    }
    appsetController = new ApplicationSetController({
      client, namespace: config.namespace, workers: settings.appsetProcessors, generators, repos, reposForProject: (project) => repoCaches.forProject(project), log, metrics,
      projects: appController.projects,
      events: new EventRecorder(client, "hawser-applicationset-controller", log, config.namespace, { limiter: controlPlaneWrites }),
      applicationSetNamespaces: settings.applicationSetNamespaces, metricsLabels: config.metricsAppSetLabels,
    });
    await appsetController.start();
    if (config.notifications) {
      notifications = new NotificationsController({
        client, namespace: config.namespace, apps: appController.apps, projects: appController.projects, log, events, registry: metrics.registry,
        repoData: new RepoDataFetcher((app) => repoCaches.forProject(appController.projectNameOf(app as unknown as ApplicationObject)), plugins, () => appController.settings()), processors: config.notificationsProcessors,
        ...(config.notificationsAppLabelSelector ? { appLabelSelector: config.notificationsAppLabelSelector } : {}),
        selfService: config.notificationsSelfService ?? cmdParams.notificationsSelfService ?? false,
      });
      await notifications.start();
    }
    log.info("controllers started", {
      namespace: config.namespace, applicationNamespaces: settings.applicationNamespaces, applicationSetNamespaces: settings.applicationSetNamespaces,
    });
  };

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      log.info("shutting down");
      clearInterval(metricsExpiry);
      await notifications?.stop();
      await controller?.stop();
      await appsetController?.stop();
      // After the controller drained: the shards go free at once rather than after their duration.
      await shardLeases?.stop();
      // Idle `git cat-file --batch` children would keep the process alive until their idle timeout.
      repoCaches.close();
      await webhook?.close();
      await argocdSecret.stop();
      await referencedSecrets.stop();
      await webhookCm.stop();
      await repoSecrets.stop();
      await gitTrust.stop();
      await elector?.stop();
      metrics.leader.set(0);
      await probes.close();
      client.close();
      log.info("stopped");
      resolveDone();
    })();
    return stopping;
  };

  elector = config.leaderElect
    ? new LeaderElector({
        client, namespace: config.namespace, name: config.leaseName, log, identity,
        leaseDurationMs: config.leaseDurationMs, renewDeadlineMs: config.renewDeadlineMs, retryPeriodMs: config.retryPeriodMs,
        onStartedLeading: startControllers,
        onStoppedLeading: () => {
          log.error("leader lease lost; stopping so that only one leader acts");
          void stop();
        },
      })
    : undefined;
  if (sharded) {
    const ordinal = hostnameOrdinal(hostname());
    const home = config.shard ?? (ordinal !== undefined && ordinal < config.replicas ? ordinal : undefined);
    if (config.shard === undefined && ordinal !== undefined && ordinal >= config.replicas) {
      log.warn("the hostname's StatefulSet ordinal is not below ARGOCD_CONTROLLER_REPLICAS: this replica has no home shard and takes whatever shard is free", { ordinal, replicas: config.replicas });
    }
    shardLeases = new ShardLeases({
      client, namespace: config.namespace, prefix: config.leaseName, replicas: config.replicas, identity,
      ...(home !== undefined ? { home } : {}),
      leaseDurationMs: config.leaseDurationMs, renewDeadlineMs: config.renewDeadlineMs, retryPeriodMs: config.retryPeriodMs, log,
      onAcquired: (shard) => {
        void controller?.shardAcquired(shard).catch((err: unknown) => log.error("could not start a controller shard", { shard, error: errorMessage(err) }));
      },
      drain: (shard) => controller?.drainShard(shard) ?? Promise.resolve(),
      onLost: (shard) => controller?.shardLost(shard),
    });
    controller = newApplicationController();
    await controller.start();
    log.info("sharded application controller started", {
      replicas: config.replicas, homeShard: home, identity,
      algorithm: config.shardingAlgorithm ?? cmdParams.shardingAlgorithm ?? DEFAULT_SHARDING_ALGORITHM,
    });
    shardLeases.start();
  }
  if (elector) {
    log.info("waiting for the leader lease", { lease: `${config.namespace}/${config.leaseName}`, identity: elector.identity });
    elector.start();
  } else {
    await startControllers();
  }

  return { client, probes, webhook, plugins, generators, moduleReports, done, stop };
}

/**
 * Says at start-up, and whenever argocd-secret changes, whether webhooks are authenticated: with
 * no webhook secret anyone who can reach the endpoint can trigger refreshes (Argo's default).
 */
function logWebhookAuthMode(argocdSecret: Informer, referencedSecrets: Informer, lookup: SecretReferenceLookup, log: Logger): void {
  let last: string | undefined;
  const report = (secret: unknown): void => {
    // Until both are loaded a reference may look unresolved; the first report waits for them.
    if (!argocdSecret.hasSynced || !referencedSecrets.hasSynced) return;
    const secrets = webhookSecretsFrom(secret as { data?: Record<string, string> } | undefined, lookup);
    const providers = configuredProviders(secrets);
    const key = JSON.stringify([providers, secrets.unresolved]);
    if (key === last) return;
    last = key;
    if (providers.length === 0) log.warn("git webhooks are unauthenticated: no webhook secret in argocd-secret, so anyone who can reach the endpoint can trigger refreshes");
    else log.info("git webhooks require a signature or token", { providers });
    for (const reason of Object.values(secrets.unresolved ?? {})) log.warn(reason);
  };
  argocdSecret.addHandler({ add: (s) => report(s), update: (_o, s) => report(s), delete: () => report(undefined) });
  void Promise.all([argocdSecret.waitForSync(), referencedSecrets.waitForSync()]).then(() => report(argocdSecret.list()[0]));
}

async function ensureNamespace(client: KubeClient, name: string, log: Logger): Promise<void> {
  if (await client.get("v1", "Namespace", name)) return;
  try {
    await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name } });
    log.info("created the operator namespace", { namespace: name });
  } catch (err) {
    if (!(err instanceof KubeApiError && err.isConflict)) throw err;
  }
}

/** Argo CD always has a permissive `default` project; Applications without a project use it. */
async function ensureDefaultProject(client: KubeClient, namespace: string, log: Logger): Promise<void> {
  if (await client.get(ARGO_API_VERSION, "AppProject", "default", namespace)) return;
  try {
    await client.create({
      apiVersion: ARGO_API_VERSION,
      kind: "AppProject",
      metadata: { name: "default", namespace },
      spec: {
        sourceRepos: ["*"],
        destinations: [{ server: "*", namespace: "*" }],
        clusterResourceWhitelist: [{ group: "*", kind: "*" }],
      },
    });
    log.info("created the default AppProject", { namespace });
  } catch (err) {
    if (!(err instanceof KubeApiError && err.isConflict)) throw err;
  }
}

/**
 * The render sandbox's settings (flags over argocd-cmd-params-cm over defaults), and a check of
 * which isolation the kernel allows, logged once so an operator without it is visible.
 */
export async function setUpRenderSandbox(config: OperatorConfig, cmdParams: CmdParams, log: Logger): Promise<void> {
  const f = config.sandbox;
  const combined = f.maxCombinedDirectoryManifestsBytes ?? cmdParams.maxCombinedDirectoryManifestsBytes ?? DEFAULT_MAX_COMBINED_DIRECTORY_MANIFESTS_BYTES;
  const settings = configureSandbox({
    ...(f.tmpDir !== undefined ? { tmpBase: f.tmpDir } : {}),
    isolation: f.isolation,
    toolMemoryBytes: f.toolMemoryBytes,
    toolCpuSeconds: f.toolCpuSeconds,
    maxRenderOutputBytes: f.maxRenderOutputBytes,
    maxCombinedDirectoryManifestsBytes: combined,
    maxManifestFileBytes: f.maxManifestFileBytes ?? combined,
    // The kubeconfig this operator was started with is a credential too.
    maskedPaths: defaultMaskedPaths(process.env, config.kubeconfig ? [config.kubeconfig] : []),
  });
  const limitFields = {
    tmpDir: settings.tmpBase, toolMemoryBytes: settings.toolMemoryBytes, toolCpuSeconds: settings.toolCpuSeconds,
    maxRenderOutputBytes: settings.maxRenderOutputBytes, maxCombinedDirectoryManifestsBytes: settings.maxCombinedDirectoryManifestsBytes,
  };
  if (f.toolRunnerSocket !== undefined) {
    // Tools start in the sidecar: what matters is the runner's isolation, not this process's.
    const { launcher, info } = await connectToolRunner(f.toolRunnerSocket);
    setToolLauncher(launcher);
    const fields = { launcher: launcher.name, socket: f.toolRunnerSocket, isolation: info.isolation, limits: info.limits, tokenReadable: info.tokenReadable, ...limitFields };
    if (info.tokenReadable || !info.limits) {
      log.warn("render sandbox is degraded: the tool runner can read a service-account token or runs tools without CPU and memory limits", fields);
    } else {
      log.info("render sandbox", fields);
    }
    return;
  }
  setToolLauncher(localLauncher);
  const isolation = await detectIsolation();
  const fields = { launcher: localLauncher.name, isolation: isolation.mode, limits: isolation.limits, maskedPaths: settings.maskedPaths, ...limitFields };
  if (isolation.mode === "none" || !isolation.limits) {
    log.warn("render sandbox is degraded: tools can read what the operator can (including its service-account token) or run without CPU and memory limits", {
      ...fields, reason: isolation.reason ?? (isolation.limits ? undefined : "prlimit (util-linux) not found"),
    });
  } else {
    log.info("render sandbox", fields);
  }
}
