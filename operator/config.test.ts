import { test } from "node:test";
import assert from "node:assert/strict";
import { FlagError } from "./flags.js";
import { applyCmdParams, ociArtifactCacheSize, parseCmdParams, parseOperatorConfig, selfHealBackoff, type OperatorConfig } from "./config.js";

test("defaults follow Argo CD's", () => {
  const c = parseOperatorConfig([], {}) as OperatorConfig;
  assert.equal(c.namespace, "argocd");
  assert.equal(c.statusProcessors, 20);
  assert.equal(c.operationProcessors, 10);
  assert.equal(c.appResyncMs, 120_000);
  assert.equal(c.appResyncJitterMs, 60_000);
  assert.equal(c.leaderElect, true);
  assert.equal(c.metricsPort, 8082);
});

test("seed 003's controller flags are accepted", () => {
  const c = parseOperatorConfig(["--app-resync=3600", "--status-processors=10", "--operation-processors", "5", "--plugin-dir", "/a", "--plugin-dir=/b", "--leader-elect=false"], {}) as OperatorConfig;
  assert.equal(c.appResyncMs, 3_600_000);
  assert.equal(c.statusProcessors, 10);
  assert.equal(c.operationProcessors, 5);
  assert.deepEqual(c.pluginDirs, ["/a", "/b"]);
  assert.equal(c.leaderElect, false);
});

test("bad flags are errors naming the flag", () => {
  assert.throws(() => parseOperatorConfig(["--status-processors=0"], {}), (e: unknown) => e instanceof FlagError && /--status-processors must be at least 1/.test(e.message));
  assert.throws(() => parseOperatorConfig(["--no-such-flag"], {}), /unknown flag --no-such-flag/);
  assert.throws(() => parseOperatorConfig(["--metrics-addr", "nope"], {}), /--metrics-addr must be HOST:PORT/);
  assert.throws(() => parseOperatorConfig(["--app-resync", "ten"], {}), /--app-resync must be a non-negative integer/);
});

test("customization directories and the installation id", () => {
  const c = parseOperatorConfig(["--customizations", "/lua/a", "--customizations=/lua/b", "--installation-id", "blue"], {}) as OperatorConfig;
  assert.deepEqual(c.customizationDirs, ["/lua/a", "/lua/b"], "repeatable, in order");
  assert.equal(c.installationID, "blue", "flag");
  const fromEnv = parseOperatorConfig([], { HAWSER_INSTALLATION_ID: "green" }) as OperatorConfig;
  assert.equal(fromEnv.installationID, "green", "env default");
  assert.equal((parseOperatorConfig([], {}) as OperatorConfig).installationID, undefined, "none by default");
});

test("self-heal backoff: flags over argocd-cmd-params-cm over Argo's defaults", () => {
  assert.deepEqual(selfHealBackoff({}, {}), { durationMs: 2000, factor: 3, capMs: 300_000 }, "Argo's defaults");
  const seed003 = parseCmdParams({ "server.insecure": "true", "controller.self.heal.timeout.seconds": "5" });
  assert.deepEqual(selfHealBackoff({}, seed003.selfHeal), { durationMs: 5000, factor: 1, capMs: 5000 }, "seed 003: a fixed 5 s between attempts");
  const cm = parseCmdParams({ "controller.self.heal.backoff.timeout.seconds": "1", "controller.self.heal.backoff.factor": "2", "controller.sync.wave.delay.seconds": "0.5" });
  assert.deepEqual(selfHealBackoff({}, cm.selfHeal), { durationMs: 1000, factor: 2, capMs: 300_000 }, "backoff keys");
  assert.equal(cm.waveDelayMs, 500, "wave delay");
  const flags = (parseOperatorConfig(["--self-heal-backoff-cap-seconds", "10", "--self-heal-backoff-factor=4"], {}) as OperatorConfig).selfHeal;
  assert.deepEqual(selfHealBackoff(flags, cm.selfHeal), { durationMs: 1000, factor: 4, capMs: 10_000 }, "flags win field by field");
  assert.throws(() => parseCmdParams({ "controller.self.heal.timeout.seconds": "soon" }), /controller\.self\.heal\.timeout\.seconds/);
});

test("--app-hard-resync: seconds between hard refreshes, 0 (seed 003, the default) is off", () => {
  assert.equal((parseOperatorConfig([], {}) as OperatorConfig).appHardResyncMs, 0, "off by default");
  assert.equal((parseOperatorConfig(["--app-hard-resync=0"], {}) as OperatorConfig).appHardResyncMs, 0, "0 accepted");
  assert.equal((parseOperatorConfig(["--app-hard-resync=3600"], {}) as OperatorConfig).appHardResyncMs, 3_600_000, "seconds");
  assert.throws(() => parseOperatorConfig(["--app-hard-resync=soon"], {}), /--app-hard-resync must be a non-negative integer/);
});

test("--cluster-info-period: seconds between cluster info cycles, Argo's 10 by default, at least 1", () => {
  assert.equal((parseOperatorConfig([], {}) as OperatorConfig).clusterInfoPeriodMs, 10_000);
  assert.equal((parseOperatorConfig(["--cluster-info-period=2"], {}) as OperatorConfig).clusterInfoPeriodMs, 2_000);
  assert.throws(() => parseOperatorConfig(["--cluster-info-period=0"], {}), /--cluster-info-period must be at least 1/);
  assert.throws(() => parseOperatorConfig(["--cluster-info-period=soon"], {}), /--cluster-info-period must be a non-negative integer/);
});

test("out-of-bounds symlinks: off by default; the flag or argocd-cmd-params-cm turns the check off", () => {
  assert.equal((parseOperatorConfig([], {}) as OperatorConfig).allowOobSymlinks, false, "checked by default");
  assert.equal((parseOperatorConfig(["--allow-oob-symlinks"], {}) as OperatorConfig).allowOobSymlinks, true, "flag");
  assert.equal(parseCmdParams({}).allowOobSymlinks, false, "absent key");
  assert.equal(parseCmdParams({ "reposerver.allow.oob.symlinks": "true" }).allowOobSymlinks, true, "Argo's key");
  assert.equal(parseCmdParams({ "reposerver.allow.oob.symlinks": "false" }).allowOobSymlinks, false, "explicit false");
  // A typo must not silently pick a side.
  assert.throws(() => parseCmdParams({ "reposerver.allow.oob.symlinks": "yes please" }), /reposerver\.allow\.oob\.symlinks must be true or false/);
});

test("render sandbox flags and Argo's reposerver.max.combined.directory.manifests.size", () => {
  const d = parseOperatorConfig([], {}) as OperatorConfig;
  assert.deepEqual(d.sandbox, {
    isolation: "auto", toolMemoryBytes: 4 * 1024 ** 3, toolCpuSeconds: 120, maxRenderOutputBytes: 32 * 1024 ** 2,
    maxCombinedDirectoryManifestsBytes: undefined, maxManifestFileBytes: undefined,
  });
  const c = parseOperatorConfig(["--tmp-dir=/scratch", "--tool-isolation=none", "--tool-memory-limit=512Mi", "--tool-cpu-limit=30",
    "--max-render-output=64Mi", "--max-combined-directory-manifests-size=20M", "--max-manifest-file-size=1M"], {}) as OperatorConfig;
  assert.deepEqual(c.sandbox, {
    tmpDir: "/scratch", isolation: "none", toolMemoryBytes: 512 * 1024 ** 2, toolCpuSeconds: 30, maxRenderOutputBytes: 64 * 1024 ** 2,
    maxCombinedDirectoryManifestsBytes: 20_000_000, maxManifestFileBytes: 1_000_000,
  });
  assert.throws(() => parseOperatorConfig(["--tool-isolation=off"], {}), (e: unknown) => e instanceof FlagError && /--tool-isolation must be auto or none/.test(e.message));
  assert.equal((parseOperatorConfig(["--tool-runner-socket=/run/hawser/tools.sock"], {}) as OperatorConfig).sandbox.toolRunnerSocket, "/run/hawser/tools.sock");
  assert.throws(() => parseOperatorConfig(["--tool-runner-socket=tools.sock"], {}), (e: unknown) => e instanceof FlagError && /--tool-runner-socket must be an absolute path/.test(e.message));
  assert.throws(() => parseOperatorConfig(["--max-render-output=lots"], {}), (e: unknown) => e instanceof FlagError && /--max-render-output: "lots" is not a size/.test(e.message));
  assert.equal(parseCmdParams({ "reposerver.max.combined.directory.manifests.size": "25M" }).maxCombinedDirectoryManifestsBytes, 25_000_000);
  assert.throws(() => parseCmdParams({ "reposerver.max.combined.directory.manifests.size": "big" }), /reposerver\.max\.combined\.directory\.manifests\.size: "big" is not a size/);
});

test("webhook parallelism: --webhook-parallelism-limit, else argocd-cmd-params-cm server.webhook.parallelism.limit", () => {
  const config = parseOperatorConfig(["--webhook-parallelism-limit", "8"]) as OperatorConfig;
  assert.equal(config.webhookParallelism, 8);
  assert.equal((parseOperatorConfig([]) as OperatorConfig).webhookParallelism, undefined, "unset: the ConfigMap or Argo's 50 applies");
  assert.throws(() => parseOperatorConfig(["--webhook-parallelism-limit", "0"]), /--webhook-parallelism-limit must be at least 1/);
  assert.equal(parseCmdParams({ "server.webhook.parallelism.limit": "20" }).webhookParallelism, 20);
  assert.equal(parseCmdParams({}).webhookParallelism, undefined);
  for (const bad of ["0", "-3", "2.5", "many"]) {
    assert.throws(() => parseCmdParams({ "server.webhook.parallelism.limit": bad }), /server\.webhook\.parallelism\.limit must be a whole number of at least 1/, bad);
  }
});

test("argocd-cmd-params-cm controller keys replace the flags' defaults; explicit flags win", () => {
  const cm = parseCmdParams({
    "controller.status.processors": "50", "controller.operation.processors": "25", "controller.diff.server.side": "true",
    "controller.log.level": "debug", "applicationsetcontroller.concurrent.reconciliations.max": "4",
  });
  const fromCm = applyCmdParams(parseOperatorConfig([], {}) as OperatorConfig, cm);
  assert.deepEqual(
    [fromCm.statusProcessors, fromCm.operationProcessors, fromCm.serverSideDiff, fromCm.logLevel, fromCm.appsetProcessors],
    [50, 25, true, "debug", 4], "every key applies when no flag is given");
  const flags = parseOperatorConfig(["--status-processors=7", "--operation-processors", "3", "--server-side-diff-enabled=false", "--log-level=warn", "--appset-processors=2"], {}) as OperatorConfig;
  const withFlags = applyCmdParams(flags, cm);
  assert.deepEqual(
    [withFlags.statusProcessors, withFlags.operationProcessors, withFlags.serverSideDiff, withFlags.logLevel, withFlags.appsetProcessors],
    [7, 3, false, "warn", 2], "explicit flags win, even when they spell the default");
  const byEnv = applyCmdParams(parseOperatorConfig([], { HAWSER_LOG_LEVEL: "error" }) as OperatorConfig, cm);
  assert.equal(byEnv.logLevel, "error", "HAWSER_LOG_LEVEL is explicit too");
  const emptyEnv = applyCmdParams(parseOperatorConfig([], { HAWSER_LOG_LEVEL: "" }) as OperatorConfig, cm);
  assert.equal(emptyEnv.logLevel, "debug", "an empty HAWSER_LOG_LEVEL is unset: the ConfigMap applies");
  const none = applyCmdParams(parseOperatorConfig([], {}) as OperatorConfig, parseCmdParams({}));
  assert.deepEqual([none.statusProcessors, none.operationProcessors, none.serverSideDiff, none.logLevel, none.appsetProcessors],
    [20, 10, false, "info", 10], "neither: Argo's defaults");
  assert.equal(parseCmdParams({ "controller.log.level": "warning" }).logLevel, "warn", "logrus's name for warn");
});

test("invalid argocd-cmd-params-cm controller keys are start-up errors naming the key", () => {
  const cases: [string, string, RegExp][] = [
    ["controller.status.processors", "0", /controller\.status\.processors must be a whole number of at least 1, got "0"/],
    ["controller.operation.processors", "lots", /controller\.operation\.processors must be a whole number/],
    ["applicationsetcontroller.concurrent.reconciliations.max", "1.5", /applicationsetcontroller\.concurrent\.reconciliations\.max must be a whole number/],
    ["controller.diff.server.side", "yes", /controller\.diff\.server\.side must be true or false/],
    ["controller.log.level", "loud", /controller\.log\.level must be debug, info, warn or error, got "loud"/],
  ];
  for (const [key, value, message] of cases) {
    assert.throws(() => parseCmdParams({ [key]: value }), (e: unknown) => e instanceof FlagError && message.test(e.message), `${key}: ${value}`);
  }
  assert.throws(() => parseOperatorConfig(["--log-level=loud"], {}), (e: unknown) => e instanceof FlagError && /--log-level/.test(e.message), "a bad flag names the flag");
});

test("application namespaces: --application-namespaces wins over argocd-cmd-params-cm application.namespaces", () => {
  const cm = parseCmdParams({ "application.namespaces": "team-*, /^ops-[0-9]+$/" });
  assert.deepEqual(cm.applicationNamespaces, ["team-*", "/^ops-[0-9]+$/"], "the key is a comma-separated list");
  const fromCm = applyCmdParams(parseOperatorConfig([], {}) as OperatorConfig, cm);
  assert.deepEqual(fromCm.applicationNamespaces, ["team-*", "/^ops-[0-9]+$/"], "the key applies when no flag is given");
  const flags = parseOperatorConfig(["--application-namespaces", "a,b", "--application-namespaces=c"], {}) as OperatorConfig;
  assert.deepEqual(flags.applicationNamespaces, ["a", "b", "c"], "the flag is comma-separated and repeatable");
  assert.deepEqual(applyCmdParams(flags, cm).applicationNamespaces, ["a", "b", "c"], "an explicit flag wins");
  const none = applyCmdParams(parseOperatorConfig([], {}) as OperatorConfig, parseCmdParams({}));
  assert.deepEqual(none.applicationNamespaces, [], "neither: only the control namespace");
  assert.throws(() => parseCmdParams({ "application.namespaces": "ok,/[/" }),
    (e: unknown) => e instanceof FlagError && /application\.namespaces: "\/\[\/" is not a valid regular expression/.test(e.message), "a bad regex in the key names the key");
  assert.throws(() => parseOperatorConfig(["--application-namespaces=/(/"], {}),
    (e: unknown) => e instanceof FlagError && /--application-namespaces: "\/\(\/" is not a valid regular expression/.test(e.message), "a bad regex in the flag names the flag");
});

test("applicationset namespaces: --applicationset-namespaces wins over applicationsetcontroller.namespaces", () => {
  const cm = parseCmdParams({ "applicationsetcontroller.namespaces": "team-*" });
  assert.deepEqual(applyCmdParams(parseOperatorConfig([], {}) as OperatorConfig, cm).applicationSetNamespaces, ["team-*"], "the key applies when no flag is given");
  const flags = parseOperatorConfig(["--applicationset-namespaces=a,/^b$/"], {}) as OperatorConfig;
  assert.deepEqual(applyCmdParams(flags, cm).applicationSetNamespaces, ["a", "/^b$/"], "an explicit flag wins");
  assert.deepEqual(applyCmdParams(parseOperatorConfig([], {}) as OperatorConfig, parseCmdParams({})).applicationSetNamespaces, [], "neither: only the control namespace");
  assert.throws(() => parseCmdParams({ "applicationsetcontroller.namespaces": "/(/" }),
    (e: unknown) => e instanceof FlagError && /applicationsetcontroller\.namespaces: "\/\(\/" is not a valid regular expression/.test(e.message), "a bad regex names the key");
});

test("submodules: ARGOCD_GIT_MODULES_ENABLED from the environment, argocd-cmd-params-cm reposerver.enable.git.submodule, Go's bool spellings, bad values stop the start", () => {
  const cfg = (env: NodeJS.ProcessEnv): OperatorConfig => parseOperatorConfig([], env) as OperatorConfig;
  assert.equal(cfg({}).gitSubmodules, undefined, "unset: left to the ConfigMap, then Argo's default (on)");
  assert.equal(cfg({ ARGOCD_GIT_MODULES_ENABLED: "false" }).gitSubmodules, false);
  assert.equal(cfg({ ARGOCD_GIT_MODULES_ENABLED: "1" }).gitSubmodules, true);
  assert.equal(cfg({ ARGOCD_GIT_MODULES_ENABLED: "F" }).gitSubmodules, false);
  assert.throws(() => cfg({ ARGOCD_GIT_MODULES_ENABLED: "off" }), /the environment variable ARGOCD_GIT_MODULES_ENABLED must be true or false, got "off"/);
  assert.equal(parseCmdParams({}).gitSubmodules, undefined);
  assert.equal(parseCmdParams({ "reposerver.enable.git.submodule": "false" }).gitSubmodules, false);
  assert.equal(parseCmdParams({ "reposerver.enable.git.submodule": "true" }).gitSubmodules, true);
  assert.throws(() => parseCmdParams({ "reposerver.enable.git.submodule": "nope" }), /argocd-cmd-params-cm reposerver\.enable\.git\.submodule must be true or false, got "nope"/);
});

test("notifications flags: Argo's --processors-count (flag or ARGOCD_NOTIFICATION_CONTROLLER_PROCESSORS_COUNT) and --app-label-selector", () => {
  const cfg = (args: string[], env: NodeJS.ProcessEnv = {}): OperatorConfig => parseOperatorConfig(args, env) as OperatorConfig;
  assert.equal(cfg([]).notificationsProcessors, 1, "Argo's default is one worker");
  assert.equal(cfg([]).notificationsAppLabelSelector, undefined, "no selector: every app");
  assert.equal(cfg([], { ARGOCD_NOTIFICATION_CONTROLLER_PROCESSORS_COUNT: "4" }).notificationsProcessors, 4, "the environment variable");
  assert.equal(cfg(["--notifications-processors-count=3"], { ARGOCD_NOTIFICATION_CONTROLLER_PROCESSORS_COUNT: "4" }).notificationsProcessors, 3, "the flag wins");
  assert.equal(cfg(["--notifications-app-label-selector", "team in (a,b),!skip"]).notificationsAppLabelSelector, "team in (a,b),!skip");
  assert.throws(() => cfg(["--notifications-processors-count=0"]), (e: unknown) => e instanceof FlagError && /--notifications-processors-count must be at least 1/.test(e.message));
  assert.throws(() => cfg([], { ARGOCD_NOTIFICATION_CONTROLLER_PROCESSORS_COUNT: "many" }),
    (e: unknown) => e instanceof FlagError && /ARGOCD_NOTIFICATION_CONTROLLER_PROCESSORS_COUNT must be a whole number of at least 1, got "many"/.test(e.message));
  assert.throws(() => cfg(["--notifications-app-label-selector=a in b"]),
    (e: unknown) => e instanceof FlagError && /--notifications-app-label-selector: cannot parse label selector/.test(e.message), "a bad selector stops the start, naming the flag");
});

test("self-service notifications: argocd-cmd-params-cm notificationscontroller.selfservice.enabled, or the environment variable", () => {
  assert.equal(parseCmdParams({}).notificationsSelfService, undefined, "unset: off");
  assert.equal(parseCmdParams({ "notificationscontroller.selfservice.enabled": "true" }).notificationsSelfService, true);
  assert.throws(() => parseCmdParams({ "notificationscontroller.selfservice.enabled": "yes please" }),
    /argocd-cmd-params-cm notificationscontroller\.selfservice\.enabled must be true or false, got "yes please"/);
  const env = { ARGOCD_NOTIFICATION_CONTROLLER_SELF_SERVICE_NOTIFICATION_ENABLED: "false" };
  assert.equal((parseOperatorConfig([], env) as OperatorConfig).notificationsSelfService, false, "the environment variable (which wins in operator.ts)");
  assert.equal((parseOperatorConfig([], {}) as OperatorConfig).notificationsSelfService, undefined);
});

test("sharding: ARGOCD_CONTROLLER_REPLICAS, the shard from --shard or ARGOCD_CONTROLLER_SHARD, the algorithm from flag, env or argocd-cmd-params-cm", () => {
  const plain = parseOperatorConfig([], {}) as OperatorConfig;
  assert.equal(plain.replicas, 1, "one replica unless told");
  assert.equal(plain.shard, undefined, "no shard: the hostname decides");
  const env = parseOperatorConfig([], { ARGOCD_CONTROLLER_REPLICAS: "3", ARGOCD_CONTROLLER_SHARD: "2", ARGOCD_CONTROLLER_SHARDING_ALGORITHM: "round-robin" }) as OperatorConfig;
  assert.deepEqual([env.replicas, env.shard, env.shardingAlgorithm], [3, 2, "round-robin"], "Argo's environment variables");
  const flag = parseOperatorConfig(["--shard", "0", "--sharding-method", "consistent-hashing"], { ARGOCD_CONTROLLER_REPLICAS: "3", ARGOCD_CONTROLLER_SHARD: "2" }) as OperatorConfig;
  assert.deepEqual([flag.shard, flag.shardingAlgorithm], [0, "consistent-hashing"], "flags win over the environment");
  assert.equal((parseOperatorConfig([], { ARGOCD_CONTROLLER_REPLICAS: "3", ARGOCD_CONTROLLER_SHARD: "-1" }) as OperatorConfig).shard, undefined, "Argo's -1: from the hostname");
  assert.throws(() => parseOperatorConfig([], { ARGOCD_CONTROLLER_REPLICAS: "0" }), /ARGOCD_CONTROLLER_REPLICAS must be a whole number of at least 1, got "0"/);
  assert.throws(() => parseOperatorConfig(["--shard", "3"], { ARGOCD_CONTROLLER_REPLICAS: "3" }), /--shard is 3, but there are only 3 shards/);
  assert.throws(() => parseOperatorConfig([], { ARGOCD_CONTROLLER_SHARD: "x" }), /ARGOCD_CONTROLLER_SHARD must be a whole number/);
  assert.throws(() => parseOperatorConfig(["--sharding-method", "hash"], {}), /--sharding-method must be one of legacy, round-robin, consistent-hashing, got "hash"/);
  assert.equal(parseCmdParams({ "controller.sharding.algorithm": "consistent-hashing" }).shardingAlgorithm, "consistent-hashing", "argocd-cmd-params-cm");
  assert.throws(() => parseCmdParams({ "controller.sharding.algorithm": "nope" }), /argocd-cmd-params-cm controller\.sharding\.algorithm must be one of/);
});

test("--metrics-cluster-labels and --metrics-applicationset-labels: comma-separated and repeatable, label keys checked", () => {
  const cfg = (args: string[]): OperatorConfig => parseOperatorConfig(args, {}) as OperatorConfig;
  assert.deepEqual(cfg([]).metricsClusterLabels, [], "off by default");
  assert.deepEqual(cfg(["--metrics-cluster-labels", "env, team.example.com/owner", "--metrics-cluster-labels=env,region"]).metricsClusterLabels,
    ["env", "team.example.com/owner", "region"], "comma lists and repeats, duplicates dropped");
  assert.deepEqual(cfg(["--metrics-applicationset-labels=team"]).metricsAppSetLabels, ["team"]);
  assert.throws(() => cfg(["--metrics-cluster-labels", "bad key!"]), (e: unknown) => e instanceof FlagError && /--metrics-cluster-labels: not a label key: "bad key!"/.test(e.message));
});

test("argocd-cmd-params-cm controller.metrics.cache.expiration: a Go duration; a bad one names the key", () => {
  assert.equal(parseCmdParams({}).metricsCacheExpirationMs, undefined, "unset: never reset");
  assert.equal(parseCmdParams({ "controller.metrics.cache.expiration": "24h0m0s" }).metricsCacheExpirationMs, 86_400_000);
  assert.equal(parseCmdParams({ "controller.metrics.cache.expiration": "90s" }).metricsCacheExpirationMs, 90_000);
  assert.throws(() => parseCmdParams({ "controller.metrics.cache.expiration": "daily" }), /argocd-cmd-params-cm controller\.metrics\.cache\.expiration: /);
});

test("argocd-cmd-params-cm reposerver.oci.*: the unpacked size, its off switch and the layer media types; malformed values stop the start naming the key", () => {
  assert.deepEqual(parseCmdParams({}).oci, {}, "unset: the defaults apply");
  assert.deepEqual(parseCmdParams({ "reposerver.oci.manifest.max.extracted.size": " ", "reposerver.oci.layer.media.types": "" }).oci, {}, "blank is unset");
  assert.deepEqual(parseCmdParams({
    "reposerver.oci.manifest.max.extracted.size": "1G",
    "reposerver.disable.oci.manifest.max.extracted.size": "true",
    "reposerver.oci.layer.media.types": " application/vnd.oci.image.layer.v1.tar+gzip ,application/vnd.example.manifests.v1.tar,application/vnd.oci.image.layer.v1.tar+gzip",
  }).oci, {
    maxExtractedBytes: 1_000_000_000,
    disableMaxExtractedSize: true,
    layerMediaTypes: ["application/vnd.oci.image.layer.v1.tar+gzip", "application/vnd.example.manifests.v1.tar"],
  }, "Argo's quantity, a Go boolean, a trimmed and de-duplicated list");
  assert.equal(parseCmdParams({ "reposerver.oci.manifest.max.extracted.size": "512Mi" }).oci?.maxExtractedBytes, 512 * 2 ** 20);
  assert.equal(parseCmdParams({ "reposerver.disable.oci.manifest.max.extracted.size": "false" }).oci?.disableMaxExtractedSize, false);
  const bad: Array<[string, string, RegExp]> = [
    ["reposerver.oci.manifest.max.extracted.size", "huge", /argocd-cmd-params-cm reposerver\.oci\.manifest\.max\.extracted\.size: "huge" is not a size/],
    ["reposerver.oci.manifest.max.extracted.size", "-1G", /reposerver\.oci\.manifest\.max\.extracted\.size: "-1G" is not a size/],
    ["reposerver.oci.manifest.max.extracted.size", "0", /reposerver\.oci\.manifest\.max\.extracted\.size must be at least 1 byte, got "0" \(to lift the limit, set reposerver\.disable\.oci\.manifest\.max\.extracted\.size/],
    ["reposerver.disable.oci.manifest.max.extracted.size", "yes", /argocd-cmd-params-cm reposerver\.disable\.oci\.manifest\.max\.extracted\.size must be true or false, got "yes"/],
    ["reposerver.oci.layer.media.types", "application/vnd.oci.image.layer.v1.tar;application/zip", /reposerver\.oci\.layer\.media\.types must be a comma-separated list of media types \(type\/subtype\), got "application\/vnd\.oci\.image\.layer\.v1\.tar;application\/zip"/],
    ["reposerver.oci.layer.media.types", "tar+gzip", /got "tar\+gzip"/],
    ["reposerver.oci.layer.media.types", " , ,", /must be a comma-separated list of media types \(type\/subtype\), got " , ,"/],
  ];
  for (const [key, value, why] of bad) assert.throws(() => parseCmdParams({ [key]: value }), (e: unknown) => e instanceof FlagError && why.test(e.message), `${key}: ${value}`);
});

test("--oci-artifact-cache-size: a size from the flag, else HAWSER_OCI_ARTIFACT_CACHE_SIZE, else unset (the default follows the OCI limits)", () => {
  assert.equal((parseOperatorConfig(["--oci-artifact-cache-size", "8Gi"], {}) as OperatorConfig).ociArtifactCacheBytes, 8 * 2 ** 30);
  assert.equal((parseOperatorConfig(["--oci-artifact-cache-size=512M"], { HAWSER_OCI_ARTIFACT_CACHE_SIZE: "1G" }) as OperatorConfig).ociArtifactCacheBytes, 512e6, "the flag wins");
  assert.equal((parseOperatorConfig([], { HAWSER_OCI_ARTIFACT_CACHE_SIZE: "6G" }) as OperatorConfig).ociArtifactCacheBytes, 6e9, "env");
  assert.equal((parseOperatorConfig([], {}) as OperatorConfig).ociArtifactCacheBytes, undefined);
  assert.throws(() => parseOperatorConfig(["--oci-artifact-cache-size", "lots"], {}), /--oci-artifact-cache-size: "lots" is not a size/);
  assert.deepEqual(ociArtifactCacheSize(undefined), {});
});
