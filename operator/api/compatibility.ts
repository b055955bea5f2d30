// Argo CD's settings ConfigMaps, key by key, with what Hawser does with each today. One table
// feeds two readers: the operator's start-up warning for keys that are set but have no effect
// (operator.ts) and docs/compatibility.md, whose ConfigMap sections a test keeps equal to it.
// Keys are those Argo CD documents (its argocd-cm.yaml, argocd-cmd-params-cm.yaml and RBAC docs);
// `<...>` stands for a user-chosen part (a group_Kind, an account name, a version).

export type SettingsConfigMap = "argocd-cm" | "argocd-cmd-params-cm" | "argocd-rbac-cm" | "argocd-ssh-known-hosts-cm" | "argocd-tls-certs-cm";

/**
 * honoured: read and acted on (`modules` says where); partly: read, with the gap in `note`;
 * refused: read and rejected on purpose (`note` says why); not yet: no effect today (`issue`
 * brings it, when one is filed); ignored: deprecated or moot in Hawser, no effect by design.
 */
export type SupportStatus = "honoured" | "partly" | "refused" | "not yet" | "ignored";

export interface SettingKey {
  configMap: SettingsConfigMap;
  key: string;
  status: SupportStatus;
  /** Repository-relative files that read the key (honoured and partly). */
  modules?: readonly string[];
  /** The issue that brings it (not yet, partly). */
  issue?: number;
  note: string;
}

const CM = "argocd-cm";
const PARAMS = "argocd-cmd-params-cm";
const RBAC = "argocd-rbac-cm";
const KNOWN_HOSTS = "argocd-ssh-known-hosts-cm";
const TLS_CERTS = "argocd-tls-certs-cm";
const TRUST = ["operator/git/trust.ts", "operator/git/trust-watch.ts", "operator/git/cli-auth.ts"];
const SETTINGS = "operator/engine/settings.ts";
const RENDER_SETTINGS = "operator/render/settings.ts";
const CONFIG = "operator/config.ts";
const RBAC_POLICY = "operator/engine/rbac/policy.ts";
const RBAC_ENFORCER = "operator/engine/rbac/enforcer.ts";
const RBAC_REQUESTS = "operator/engine/rbac/requests.ts";

const honoured = (configMap: SettingsConfigMap, key: string, modules: string[], note: string): SettingKey => ({ configMap, key, status: "honoured", modules, note });
const notYet = (configMap: SettingsConfigMap, key: string, issue: number | undefined, note: string): SettingKey => ({ configMap, key, status: "not yet", ...(issue !== undefined ? { issue } : {}), note });
const partly = (configMap: SettingsConfigMap, key: string, modules: string[], note: string): SettingKey => ({ configMap, key, status: "partly", modules, issue: API, note });
const ignored = (configMap: SettingsConfigMap, key: string, note: string): SettingKey => ({ configMap, key, status: "ignored", note });

/** API server, accounts, SSO and RBAC: issue 13. */
const API = 13;
/** Why the Dex settings do nothing: the operator and `hawser server` warn with it when one is set. */
const NO_DEX = "Hawser runs no Dex (no issue filed): configure SSO with argocd-cm `oidc.config` directly; a Dex of your own works as its issuer";
/** Web UI: issue 14. */
const UI = 14;
/** Metrics, notifications, sharding, resource actions: issue 15. */
const DAY2 = 15;

export const SETTING_KEYS: readonly SettingKey[] = [
  // argocd-cm: tracking and identity
  honoured(CM, "installationID", [SETTINGS], "marks this instance's resources; `--installation-id` is the default"),
  honoured(CM, "application.instanceLabelKey", [SETTINGS], "label used by `label` and `annotation+label` tracking"),
  honoured(CM, "application.resourceTrackingMethod", [SETTINGS], "`annotation` (default), `label`, `annotation+label`; another value is an error; with `label`, an app whose tracking key passes 63 characters is InvalidSpecError, with `annotation+label` the label is cut as in Argo"),
  honoured(CM, "application.sync.impersonation.enabled", [SETTINGS, "operator/controllers/application/context.ts"], "a sync's and a cascade deletion's writes, and a server-side diff's dry runs, are sent as the project's first matching destinationServiceAccounts entry (`Impersonate-User`, global projects' entries after the project's own), so Kubernetes RBAC decides; no match fails the sync with Argo's message (a server-side diff: a ComparisonError); reads and discovery stay on the operator's identity"),
  honoured(CM, "application.sync.requireOverridePrivilegeForRevisionSync", ["operator/server/services/applications.ts"], "a sync to another revision than targetRevision also needs `override`"),
  honoured(CM, "application.allowedNodeLabels", ["operator/server/services/app-hosts.ts"], "comma-separated node label keys: the resource tree's `hosts` (the Nodes the app's pods run on, with their capacity, the app's and other pods' cpu/memory/storage requests and system info, from the server's Node and Pod watches of the destination) carry only these labels, and the UI's pods view shows them per node; unset shows none, as Argo"),
  honoured(CM, "cluster.inClusterEnabled", [SETTINGS, "operator/cluster/clusters.ts", "operator/controllers/applicationset/controller.ts", "operator/cli/appset.ts"], "`\"false\"`: Applications aimed at the implicit in-cluster destination get an InvalidSpecError and the cluster generator leaves it out (a cluster Secret for that server still counts)"),
  honoured(CM, "globalProjects", [SETTINGS, "operator/engine/global-projects.ts", "operator/controllers/application/context.ts", "operator/cli/project.ts"], "projects selected by `labelSelector` get the global project's resource allow/deny lists, syncWindows, sourceRepos, destinations and destinationServiceAccounts appended (Argo's virtual project), in the controller and the CLI; an unreadable value makes every app InvalidSpecError"),
  // argocd-cm: resource customizations, diffing and health
  honoured(CM, "resource.customizations", [SETTINGS], "the legacy YAML blob: health.lua, useOpenLibs, ignoreDifferences, actions"),
  honoured(CM, "resource.customizations.health.<group_kind>", [SETTINGS, "operator/lua/customizations.ts"], "Lua health checks, wildcard keys included; they take precedence over Hawser's bundled scripts (operator/lua/resource_customizations: Argo Rollouts/Workflows/Events, ApplicationSet, cert-manager, External Secrets, Sealed Secrets, Crossplane, Flux, Knative, KEDA, Strimzi, CloudNativePG, Prometheus Operator, Gateway API, Cluster API, Tekton, Kyverno, Velero, Karpenter) and the built-in checks, as in Argo; docs/health.md lists every check"),
  honoured(CM, "resource.customizations.useOpenLibs.<group_kind>", [SETTINGS, "operator/lua/customizations.ts"], "adds coroutine and utf8; io, debug and unsafe os stay out"),
  honoured(CM, "resource.customizations.ignoreDifferences.<group_kind>", [SETTINGS, "operator/engine/diff/index.ts"], "JSON pointers, jq paths, managedFieldsManagers"),
  honoured(CM, "resource.customizations.ignoreDifferences.all", [SETTINGS, "operator/engine/diff/index.ts"], "applies to every kind"),
  honoured(CM, "resource.customizations.actions.<group_kind>", [SETTINGS, "operator/lua/actions.ts", "operator/appstate/resource-actions.ts", "operator/server/services/app-actions.ts"], "discovery.lua and definitions[{name, action.lua}], mergeBuiltinActions, wildcard keys; the actions of a resource an app manages (or of its descendants) are listed and run through the API (`GET`/`POST .../resource/actions`, `.../actions/v2`) and `hawser app actions list|run` (also --core); results patch the live object (status through its subresource) or create objects (create-job), each checked against the project, creations dry-run first, written as the project's destination service account under sync impersonation; built-in actions for apps Deployment (restart, pause, resume), StatefulSet and DaemonSet (restart), batch CronJob (create-job, suspend, resume) and Job (suspend, resume), and argoproj.io Rollout (restart, abort, retry, promote-full, pause, resume)"),
  notYet(CM, "resource.customizations.ignoreResourceUpdates.<group_kind>", undefined, "parsed, but every watched change triggers a refresh; no issue filed"),
  notYet(CM, "resource.customizations.ignoreResourceUpdates.all", undefined, "parsed, not applied; no issue filed"),
  notYet(CM, "resource.ignoreResourceUpdatesEnabled", undefined, "goes with ignoreResourceUpdates; no issue filed"),
  honoured(CM, "resource.customizations.knownTypeFields.<group_kind>", [SETTINGS, "operator/engine/diff/merge.ts"], "below the named fields a custom resource is compared as a Kubernetes type (omitempty zero values equal absent)"),
  honoured(CM, "resource.compareoptions", [SETTINGS, "operator/engine/diff/index.ts"], "ignoreAggregatedRoles, ignoreResourceStatusField, ignoreDifferencesOnResourceUpdates"),
  honoured(CM, "resource.exclusions", [SETTINGS], "Argo's default exclusions always apply too"),
  honoured(CM, "resource.inclusions", [SETTINGS], "globs over apiGroups, kinds and clusters"),
  notYet(CM, "resource.respectRBAC", undefined, "watching only what the operator may list; no issue filed"),
  notYet(CM, "resource.includeEventLabelKeys", DAY2, "labels copied onto Events"),
  notYet(CM, "resource.excludeEventLabelKeys", DAY2, "labels kept off Events"),
  honoured(CM, "resource.sensitive.mask.annotations", ["operator/engine/diff/index.ts", "operator/server/services/applications.ts"], "the listed annotation keys' values are masked (`++++++++`) in the API's resource, resource patch, managed-resources and manifests answers, on every kind (Argo masks them on Secrets); tree nodes and events carry no annotations"),
  notYet(CM, "ignore.normalizer.jq.timeout", undefined, "jq runs synchronously in WebAssembly and cannot be timed out (docs/decisions.md); no issue filed"),
  // argocd-cm: reconciliation
  honoured(CM, "timeout.reconciliation", [SETTINGS, "operator/controllers/application/refresh.ts"], "periodic refresh; wins over `--app-resync`"),
  honoured(CM, "timeout.reconciliation.jitter", [SETTINGS, "operator/controllers/application/refresh.ts"], "wins over `--app-resync-jitter`"),
  honoured(CM, "timeout.hard.reconciliation", [SETTINGS, "operator/controllers/application/refresh.ts"], "a hard refresh (render cache bypassed, refs re-fetched) of every app at that interval; over `--app-hard-resync`"),
  // argocd-cm: metrics (docs/metrics.md)
  honoured(CM, "metrics.application.labels", ["operator/controllers/application/metrics.ts"], "Application labels exported in `argocd_app_labels` as `label_<key>` (Argo's `--metrics-application-labels`); a comma- or newline-separated list, read at every scrape"),
  honoured(CM, "metrics.application.conditions", ["operator/controllers/application/metrics.ts"], "condition types counted in `argocd_app_condition` (Argo's `--metrics-application-conditions`); a comma- or newline-separated list, read at every scrape; unset, the metric is off"),
  // argocd-cm: rendering
  honoured(CM, "kustomize.buildOptions", [RENDER_SETTINGS], "extra `kustomize build` flags"),
  honoured(CM, "kustomize.buildOptions.<version>", [RENDER_SETTINGS], "flags for the kustomize named by `spec.source.kustomize.version`"),
  honoured(CM, "kustomize.path.<version>", [RENDER_SETTINGS], "the kustomize binary for that version"),
  honoured(CM, "helm.valuesFileSchemes", [RENDER_SETTINGS], "URL schemes allowed in `valueFiles`"),
  honoured(CM, "helm.enable", [RENDER_SETTINGS], "`false` turns Helm detection off"),
  honoured(CM, "kustomize.enable", [RENDER_SETTINGS], "`false` turns Kustomize detection off"),
  honoured(CM, "jsonnet.enable", [RENDER_SETTINGS], "`false` turns Jsonnet evaluation off"),
  ignored(CM, "repositories", "deprecated in Argo; use repository Secrets, which Hawser reads"),
  ignored(CM, "repository.credentials", "deprecated in Argo; use repo-creds Secrets, which Hawser reads"),
  ignored(CM, "helm.repositories", "deprecated in Argo; use repository Secrets"),
  // argocd-cm: webhooks
  honoured(CM, "webhook.maxPayloadSizeMB", ["operator/webhook/server.ts"], "default 50"),
  // argocd-cm: API server, accounts, SSO (issue 13)
  honoured(CM, "url", ["operator/server/auth/oidc/config.ts"], "the external URL: SSO redirect URI and return_url check, logout target"),
  honoured(CM, "additionalUrls", ["operator/server/auth/oidc/config.ts"], "more external URLs SSO logins may return to"),
  honoured(CM, "admin.enabled", ["operator/server/auth/accounts.ts"], "the admin account (`hawser server`)"),
  honoured(CM, "accounts.<name>", ["operator/server/auth/accounts.ts"], "local accounts with `login` and/or `apiKey`"),
  honoured(CM, "accounts.<name>.enabled", ["operator/server/auth/accounts.ts"], "default true"),
  honoured(CM, "users.anonymous.enabled", ["operator/server/auth/accounts.ts"], "anonymous callers get only what policy.default and `g, , <role>` grant"),
  honoured(CM, "users.session.duration", ["operator/server/auth/accounts.ts"], "login token lifetime (default 24h)"),
  honoured(CM, "passwordPattern", ["operator/server/auth/accounts.ts"], "default ^.{8,32}$"),
  partly(CM, "oidc.config", ["operator/server/auth/oidc/config.ts", "operator/server/auth/oidc/sso.ts"], "issuer, clients, scopes, requestedIDTokenClaims, logoutURL, rootCA, PKCE, audiences, $secret references; groups from UserInfo (`enableUserInfoGroups` with `userInfoPath`, `userInfoBaseURL`, `userInfoCacheExpiration`, default 5m; no answer refuses the session); ID token refresh (`refreshTokenThreshold`, the new token set as the cookie). The IdP's access and refresh tokens stay in the server replica's memory (Argo: Redis), so with several replicas or after a restart a UserInfo session must log in again and refresh stops. `azure.*` is not yet"),
  honoured(CM, "oidc.tls.insecure.skip.verify", ["operator/server/auth/oidc/config.ts"], "skips TLS verification to the IdP (a warning says so)"),
  { configMap: CM, key: "dex.config", status: "refused", note: "Hawser runs no Dex: the API server logs so at start and on change, `GET /api/v1/settings` has no `dexConfig`, `/api/dex/*` answers 501, and `/auth/login` and `hawser login --sso` say so; use `oidc.config` (a Dex of your own works as its issuer)" },
  ignored(CM, "server.rbac.log.enforce.enable", "removed in Argo CD 3.0, which always checks `logs, get` (with `applications, get`) for pod logs; so does Hawser's API server (`operator/server/services/app-logs.ts`)"),
  honoured(CM, "server.rbac.disableApplicationFineGrainedRBACInheritance", [RBAC_REQUESTS], "unset or true: patching or deleting a resource of an app checks only `update/<group>/<kind>/<ns>/<name>` (`delete/...`); \"false\": the plain action on the app first (`canOnResource`); enforced by the API server's resource endpoints and answered the same way by can-i (`update|delete/<g>/<k>/<ns>/<n>` as the action, slashes percent-encoded), which the Web UI asks before offering a resource's Delete"),
  honoured(CM, "server.rbac.rollback.enforce.enable", [RBAC_REQUESTS], "true: a rollback checks `rollback` instead of `sync` (`rollbackAction`, `canIRequest`), in the API server's rollback and can-i"),
  honoured(CM, "statusbadge.enabled", ["operator/server/services/badge.ts"], "`GET /api/badge` (no login) renders an app's health and sync status, or several projects' apps aggregated (`project`, `namespace`, `revision`, `keepFullRevision`, `width`, `showAppName`; \"Not Found\" for a missing app) only when \"true\"; otherwise every request gets the same Unknown badge, so nothing about apps is revealed"),
  honoured(CM, "statusbadge.url", ["operator/server/services/meta.ts"], "returned as `statusBadgeRootUrl` by `GET /api/v1/settings`, the root URL of badge snippets"),
  honoured(CM, "exec.enabled", ["operator/server/services/terminal.ts", "operator/engine/terminal.ts", "operator/server/services/meta.ts"], "only \"true\" turns on the web terminal (`/terminal`, a WebSocket exec into a container of one of the app's pods on its destination cluster, checked as Argo: `applications, get` and `exec, create` on the app, the pod in the app's resource tree, running, with the container); off, `/terminal` answers 404 saying so; `GET /api/v1/settings` returns it as `execEnabled`. Each session records a `TerminalSessionStarted` Event on the Application and ends when the token expires, is revoked or loses either permission"),
  honoured(CM, "exec.shells", ["operator/engine/terminal.ts"], "comma-separated, default `bash,sh,powershell,cmd`; without `shell` they are tried in order until one exists in the container; a `shell` not in the list is refused (400), where Argo would fall back to the list"),
  honoured(CM, "extension.config", ["operator/server/services/extension-config.ts", "operator/server/services/extensions.ts"], "proxy extensions (with `--enable-proxy-extension`): `extensions[].name` and `backend.{connectionTimeout, keepAlive, idleConnectionTimeout, maxIdleConnections, services[].{url, headers[{name, value}], cluster{name, server}}}`; header values may be `$key` (argocd-secret) or `$secret:key` (a Secret labelled part-of argocd); read on every call, so a change applies at once; a bad setting answers 500 naming the key and field. `/extensions/<name>/<path>` needs a token, `extensions, invoke, <name>` and `applications, get` on the app of `Argocd-Application-Name` (`<ns>:<app>`) whose project is `Argocd-Project-Name` and permits the app's destination; every refusal is Argo's plain 401 `Unauthorized extension request` (malformed headers 400, unknown extension 404, no service for the app's cluster 400, backend unreachable 502). Authorization and Cookie are not forwarded; the backend gets `Argocd-Namespace`, `Argocd-Target-Cluster-Name`/`-URL`, `Argocd-User-Id` (the subject), `Argocd-Username`, `Argocd-User-Groups` (the token's groups, comma-separated). Not done: per-extension metrics"),
  honoured(CM, "extension.config.<name>", ["operator/server/services/extension-config.ts"], "as `extension.config`; the value is one backend and the key's suffix its name; a name configured twice is an error"),
  honoured(CM, "server.maxPodLogsToRender", ["operator/server/services/app-logs.ts", "operator/cli/app/logs.ts"], "default 10: a logs request selecting more pods is 400 (`hawser app logs --core`: an error); a value that is not a whole number fails the request naming the key"),
  // argocd-cm: UI (issue 14)
  honoured(CM, "ui.bannercontent", ["operator/server/services/meta.ts", "ui/src/components/Banner.tsx"], "the banner on every page for logged-in users (`uiBannerContent` in `GET /api/v1/settings`); closable, and stays closed for the same text"),
  honoured(CM, "ui.bannerurl", ["operator/server/services/meta.ts", "ui/src/components/Banner.tsx"], "the banner links there"),
  honoured(CM, "ui.bannerpermanent", ["operator/server/services/meta.ts", "ui/src/components/Banner.tsx"], "\"true\": the banner has no close button"),
  honoured(CM, "ui.bannerposition", ["operator/server/services/meta.ts", "ui/src/components/Banner.tsx"], "`top` (default) or `bottom`"),
  honoured(CM, "ui.view.resources.disabled", ["operator/server/services/meta.ts", "ui/src/components/Layout.tsx", "ui/src/pages/Resources.tsx"], "\"true\": the cross-app resource list (`/resources`) is left out of the navigation and its page says it is turned off (`uiViewResourcesDisabled` in `GET /api/v1/settings`); the list only reads the applications the user may already get"),
  honoured(CM, "ui.cssurl", ["operator/server/services/meta.ts", "ui/src/components/Banner.tsx"], "a stylesheet added to every page, the login page too"),
  honoured(CM, "help.chatUrl", ["operator/server/services/meta.ts", "ui/src/pages/Help.tsx"], "the Help page's chat link"),
  honoured(CM, "help.chatText", ["operator/server/services/meta.ts", "ui/src/pages/Help.tsx"], "the chat link's text"),
  honoured(CM, "help.download.<os-arch>", ["operator/server/services/meta.ts", "ui/src/pages/Help.tsx"], "`help.binaryUrls` in `GET /api/v1/settings`: one CLI download link per platform on the Help page"),
  honoured(CM, "application.links", ["operator/engine/deep-links.ts", "operator/server/services/links.ts", "ui/src/components/DeepLinks.tsx"], "deep links (Argo's list of `url`, `title`, `description`, `icon.class`, `if`): `GET /api/v1/applications/{name}/links`, shown on the app page; `url` is a Go template and `if` an expr condition over `app`/`application`, `project` and `cluster` (name, server, namespaces; no credentials); a link whose condition is false or fails, whose template fails, or whose URL is not absolute (or a `/` path) or would run script is left out and logged; a setting that cannot be read answers 500 naming the key, entry and field"),
  honoured(CM, "project.links", ["operator/engine/deep-links.ts", "operator/server/services/links.ts", "ui/src/pages/Projects.tsx"], "as `application.links`, over `project`: `GET /api/v1/projects/{name}/links`, shown on the project page"),
  honoured(CM, "resource.links", ["operator/engine/deep-links.ts", "operator/server/services/links.ts", "ui/src/components/ResourcePanel.tsx"], "as `application.links`, plus `resource` (the live object of the app's tree, Secret values masked): `GET /api/v1/applications/{name}/resource/links`, shown on the resource panel"),
  notYet(CM, "ga.trackingid", UI, "UI analytics"),
  notYet(CM, "ga.anonymizeusers", UI, "UI analytics"),

  // argocd-cmd-params-cm: application controller
  honoured(PARAMS, "application.namespaces", [CONFIG, "operator/engine/namespaces.ts", "operator/controllers/application/controller.ts"], "Applications in these namespaces (comma-separated globs or `/regex/`) are reconciled too, from one cluster-wide watch; `--application-namespaces` wins when given; an invalid regex stops the start"),
  honoured(PARAMS, "controller.status.processors", [CONFIG, "operator/operator.ts"], "refresh workers; `--status-processors` wins when given"),
  honoured(PARAMS, "controller.operation.processors", [CONFIG, "operator/operator.ts"], "sync workers; `--operation-processors` wins when given"),
  honoured(PARAMS, "controller.diff.server.side", [CONFIG, "operator/operator.ts"], "server-side diff for every app; `--server-side-diff-enabled` wins when given"),
  honoured(PARAMS, "controller.log.level", [CONFIG, "operator/operator.ts"], "the operator's log level (`warning` is `warn`); `--log-level` or HAWSER_LOG_LEVEL wins when given"),
  ignored(PARAMS, "controller.log.format", "Hawser always logs JSON lines"),
  honoured(PARAMS, "controller.self.heal.timeout.seconds", [CONFIG], "fixed self-heal wait (Argo's deprecated form); flags win"),
  honoured(PARAMS, "controller.self.heal.backoff.timeout.seconds", [CONFIG], "first self-heal backoff; flags win"),
  honoured(PARAMS, "controller.self.heal.backoff.factor", [CONFIG], "self-heal backoff factor; flags win"),
  honoured(PARAMS, "controller.self.heal.backoff.cap.seconds", [CONFIG], "self-heal backoff cap; flags win"),
  ignored(PARAMS, "controller.self.heal.backoff.cooldown.seconds", "deprecated in Argo, no effect there either"),
  honoured(PARAMS, "controller.sync.wave.delay.seconds", [CONFIG], "pause between sync waves (Argo's ARGOCD_SYNC_WAVE_DELAY)"),
  notYet(PARAMS, "controller.sync.timeout.seconds", undefined, "no limit on an operation's duration; no issue filed"),
  notYet(PARAMS, "controller.kubectl.parallelism.limit", undefined, "applies are bounded per cluster by the write limiter; no issue filed"),
  notYet(PARAMS, "controller.repo.error.grace.period.seconds", undefined, "render errors show at once; no issue filed"),
  ignored(PARAMS, "controller.repo.server.timeout.seconds", "no separate repo server: rendering runs in the operator or its tool runner"),
  ignored(PARAMS, "controller.repo.server.plaintext", "no separate repo server"),
  ignored(PARAMS, "controller.repo.server.strict.tls", "no separate repo server"),
  ignored(PARAMS, "controller.resource.health.persist", "health is always kept in the Application's status (no Redis)"),
  ignored(PARAMS, "controller.app.state.cache.expiration", "no Redis cache"),
  ignored(PARAMS, "controller.default.cache.expiration", "no Redis cache"),
  honoured(PARAMS, "controller.metrics.cache.expiration", ["operator/operator.ts", "operator/runtime/argo-metrics.ts"], "a Go duration: on that period argocd_app_sync_total, argocd_app_k8s_request_total, argocd_cluster_events_total and argocd_app_reconcile are reset, as Argo's --metrics-cache-expiration; unset or 0: never"),
  honoured(PARAMS, "controller.sharding.algorithm", [CONFIG, "operator/engine/sharding.ts", "operator/controllers/application/sharding.ts", "operator/cli/admin/cluster-shards.ts"], "`legacy` (FNV-1a of the cluster Secret's UID mod replicas, in-cluster on shard 0), `round-robin`, `consistent-hashing` (bounded loads); a Secret's `shard` pins; replicas from `ARGOCD_CONTROLLER_REPLICAS`, shards held through Leases (docs/sharding.md); `--sharding-method` or ARGOCD_CONTROLLER_SHARDING_ALGORITHM wins; `hawser admin cluster shards` prints the assignment"),
  notYet(PARAMS, "controller.k8sclient.retry.max", undefined, "no issue filed"),
  notYet(PARAMS, "controller.k8sclient.retry.base.backoff", undefined, "no issue filed"),
  notYet(PARAMS, "controller.ignore.normalizer.jq.timeout", undefined, "jq cannot be timed out (docs/decisions.md); no issue filed"),
  ignored(PARAMS, "controller.cluster.cache.batch.events.processing", "Hawser's watch caches queue keys, not events"),
  ignored(PARAMS, "controller.cluster.cache.events.processing.interval", "Hawser's watch caches queue keys, not events"),
  notYet(PARAMS, "hydrator.enabled", undefined, "source hydrator; no issue filed"),
  notYet(PARAMS, "controller.hydration.processors", undefined, "source hydrator; no issue filed"),
  notYet(PARAMS, "controller.k8s.client.qps", undefined, "writes are bounded per cluster by the write limiter; no issue filed"),
  notYet(PARAMS, "controller.k8s.client.burst", undefined, "writes are bounded per cluster by the write limiter; no issue filed"),
  ignored(PARAMS, "otlp.insecure", "no tracing"),
  ignored(PARAMS, "otlp.headers", "no tracing"),
  ignored(PARAMS, "otlp.attrs", "no tracing"),
  ignored(PARAMS, "otlp.address", "no tracing"),
  ignored(PARAMS, "redis.server", "no Redis"),
  ignored(PARAMS, "redis.compression", "no Redis"),
  ignored(PARAMS, "redis.db", "no Redis"),
  ignored(PARAMS, "repo.server", "no separate repo server"),
  // argocd-cmd-params-cm: repo server (rendering runs in the operator)
  honoured(PARAMS, "reposerver.allow.oob.symlinks", [CONFIG, "operator/operator.ts"], "turns the symlink containment check off; `--allow-oob-symlinks` too"),
  honoured(PARAMS, "reposerver.max.combined.directory.manifests.size", [CONFIG], "a directory app's files together; the flag wins"),
  notYet(PARAMS, "reposerver.parallelism.limit", undefined, "renders are bounded by the status processors; no issue filed"),
  notYet(PARAMS, "reposerver.git.request.timeout", undefined, "no issue filed"),
  notYet(PARAMS, "reposerver.git.lsremote.parallelism.limit", undefined, "no issue filed"),
  honoured(PARAMS, "reposerver.enable.git.submodule", [CONFIG, "operator/operator.ts", "operator/git/repo-cache.ts"], "submodules are checked out at the commits their parent pins, each with its own repository Secret's credentials (default `true`); `\"false\"` leaves their directories empty; `ARGOCD_GIT_MODULES_ENABLED` in the operator's environment, the variable this key sets in Argo, wins"),
  notYet(PARAMS, "reposerver.include.hidden.directories", undefined, "no issue filed"),
  notYet(PARAMS, "reposerver.plugin.tar.exclusions", undefined, "no issue filed"),
  ignored(PARAMS, "reposerver.log.format", "Hawser always logs JSON lines"),
  ignored(PARAMS, "reposerver.log.level", "one process: `--log-level`"),
  ignored(PARAMS, "reposerver.disable.tls", "no separate repo server"),
  ignored(PARAMS, "reposerver.repo.cache.expiration", "no Redis cache"),
  ignored(PARAMS, "reposerver.default.cache.expiration", "no Redis cache"),
  ignored(PARAMS, "reposerver.tls.minversion", "no separate repo server"),
  ignored(PARAMS, "reposerver.tls.maxversion", "no separate repo server"),
  ignored(PARAMS, "reposerver.tls.ciphers", "no separate repo server"),
  ignored(PARAMS, "reposerver.revision.cache.lock.timeout", "no Redis cache"),
  notYet(PARAMS, "reposerver.streamed.manifest.max.tar.size", undefined, "render output is capped by `--max-render-output`; no issue filed"),
  notYet(PARAMS, "reposerver.streamed.manifest.max.extracted.size", undefined, "render output is capped by `--max-render-output`; no issue filed"),
  notYet(PARAMS, "reposerver.helm.manifest.max.extracted.size", undefined, "render output is capped by `--max-render-output`; no issue filed"),
  notYet(PARAMS, "reposerver.disable.helm.manifest.max.extracted.size", undefined, "no issue filed"),
  honoured(PARAMS, "reposerver.oci.manifest.max.extracted.size", [CONFIG, "operator/operator.ts", "operator/cli/server.ts", "operator/git/oci-artifacts.ts"], "the most file content an OCI artifact source may unpack to (in the operator and the API server, which read the key at start), a quantity as Argo's (`1G`, `512Mi`); default Argo's `1G` (the layer streams to disk, so neither the layer nor what it unpacks to is held in memory); the layer as pulled may then be as large (at least 64 MiB); over it, or a gzip stream inflating past it, a ComparisonError names this key; the artifact cache keeps 4 × the layer bound by default, for all of a process's git caches together (`--oci-artifact-cache-size`); a malformed value stops the operator at start naming the key"),
  honoured(PARAMS, "reposerver.disable.oci.manifest.max.extracted.size", [CONFIG, "operator/operator.ts", "operator/cli/server.ts", "operator/git/oci-artifacts.ts"], "`\"true\"` lifts the unpacked size limit (logged as a warning at start); the layer bound (the size key, `1G` unless set, and at least 64 MiB) and the 20,000-entry bound stay, and the disk bounds the rest"),
  honoured(PARAMS, "reposerver.oci.layer.media.types", [CONFIG, "operator/operator.ts", "operator/cli/server.ts", "operator/git/oci-artifacts.ts"], "comma-separated layer media types an OCI artifact source may have, replacing Argo's default (`application/vnd.oci.image.layer.v1.tar`, `…tar+gzip`, `application/vnd.cncf.helm.chart.content.v1.tar+gzip`); a listed type must hold a tar, gzip-compressed or not; another layer type is a ComparisonError naming it and the list; an entry that is not `type/subtype` stops the operator at start naming the key"),
  // argocd-cmd-params-cm: API server (issue 13)
  honoured(PARAMS, "server.webhook.parallelism.limit", [CONFIG, "operator/operator.ts"], "webhook requests in progress; `--webhook-parallelism-limit` wins"),
  honoured(PARAMS, "server.insecure", ["operator/cli/server.ts"], "plain HTTP; `--insecure` wins"),
  honoured(PARAMS, "server.basehref", ["operator/cli/server.ts"], "cookie path; `--basehref` wins"),
  honoured(PARAMS, "server.rootpath", ["operator/cli/server.ts"], "path prefix of every route; `--rootpath` wins"),
  honoured(PARAMS, "server.disable.auth", ["operator/cli/server.ts", "operator/server/server-params.ts", "operator/server/auth/authenticator.ts", "operator/server/rbac/index.ts"], "no token is read and every caller is admin with RBAC off, as Argo's; the server logs a loud warning at start; `--disable-auth` wins, then this key, then `ARGOCD_SERVER_DISABLE_AUTH`"),
  honoured(PARAMS, "server.enable.gzip", ["operator/cli/server.ts", "operator/server/server-params.ts", "operator/server/http/compress.ts", "operator/server/http/stream.ts", "operator/server/services/ui.ts"], "default true: answers and UI files are gzipped for clients that accept it (the application list as a stream); NDJSON watch streams are compressed and flushed after every burst of events, server-sent event streams never (Argo's rule); `--enable-gzip=false` or `\"false\"` turns it off"),
  honoured(PARAMS, "server.x.frame.options", ["operator/cli/server.ts", "operator/server/server-params.ts", "operator/server/services/ui.ts"], "X-Frame-Options on the UI's files, as Argo's static handler (default `sameorigin`; empty: no header); `--x-frame-options` wins"),
  honoured(PARAMS, "server.content.security.policy", ["operator/cli/server.ts", "operator/server/server-params.ts", "operator/server/services/ui.ts"], "Content-Security-Policy on the UI's files (default `frame-ancestors 'self';`; empty: no header); `--content-security-policy` wins"),
  honoured(PARAMS, "server.tls.minversion", ["operator/server/server-params.ts", "operator/server/http/tls.ts"], "`1.0`…`1.3` (default 1.2); a lower TLS version is refused at the handshake; another value, or a minimum above the maximum, stops the server naming the key; `--tlsminversion` wins"),
  honoured(PARAMS, "server.tls.maxversion", ["operator/server/server-params.ts", "operator/server/http/tls.ts"], "`1.0`…`1.3` (default 1.3); `--tlsmaxversion` wins"),
  honoured(PARAMS, "server.tls.ciphers", ["operator/server/server-params.ts", "operator/server/http/tls.ts"], "Argo's `:`-separated IANA names (Go's list; default `TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384:TLS_RSA_WITH_AES_256_GCM_SHA384`) mapped to OpenSSL's for TLS ≤ 1.2; TLS 1.3 suites are always on, as in Go; an unknown name, or one this OpenSSL lacks (RC4, 3DES), stops the server naming it; `--tlsciphers` wins"),
  honoured(PARAMS, "server.log.level", ["operator/cli/server.ts", "operator/server/server-params.ts"], "debug, info (default), warn (or warning), error; `--loglevel` (also `--log-level`) wins, then this key, then `ARGOCD_SERVER_LOGLEVEL`"),
  honoured(PARAMS, "server.log.format", ["operator/cli/server.ts", "operator/server/server-params.ts", "operator/runtime/logger.ts"], "`json` (default: one JSON object per line) or `text` (logrus-style `time=… level=… msg=…` lines); `--logformat` wins"),
  honoured(PARAMS, "server.login.attempts.expiration", ["operator/server/server-params.ts", "operator/server/auth/session.ts"], "default 24h: a failed login counts towards the lock-out at most this long (and at most `ARGOCD_SESSION_FAILURE_WINDOW_SECONDS`, default 300, when that is shorter); `--login-attempts-expiration` wins"),
  honoured(PARAMS, "server.enable.proxy.extension", ["operator/cli/server.ts"], "`--enable-proxy-extension`, else this key, else `ARGOCD_SERVER_ENABLE_PROXY_EXTENSION`; off by default, and then `/extensions/...` is 404"),
  honoured(PARAMS, "server.api.content.types", ["operator/cli/server.ts"], "media types accepted on non-GET API calls (default application/json)"),
  honoured(PARAMS, "server.staticassets", ["operator/cli/server.ts", "operator/server/services/ui.ts"], "the built Web UI served at `/`; `--staticassets` wins"),
  honoured(PARAMS, "server.http.cookie.maxnumber", ["operator/server/server-params.ts", "operator/server/auth/cookies.ts"], "default 20: the most `argocd.token`, `argocd.token-1`… cookies a session token is split over (a longer token is refused at login) or read back from; `ARGOCD_MAX_COOKIE_NUMBER` when the key is unset"),
  honoured(PARAMS, "server.oidc.cache.expiration", ["operator/server/server-params.ts", "operator/server/auth/oidc/sso.ts"], "default 3m, as Argo: how long an SSO login's state is accepted back from the IdP (the `argocd.oauthstate` cookie itself lives Argo's 5 minutes, which bounds a longer setting); `--oidc-cache-expiration` wins"),
  honoured(PARAMS, "server.connection.status.cache.expiration", ["operator/server/server-params.ts", "operator/server/services/repositories.ts", "operator/server/services/clusters.ts"], "default 1h, as Argo: how long a repository's connection state is reused before it is probed again (`forceRefresh=true` probes at once); clusters show what the application controller publishes every 10 s, so this applies only to the server's own probe of a cluster no controller has published (invalidate-cache or any write of the cluster probes again); `--connection-status-cache-expiration` wins"),
  ignored(PARAMS, "server.app.state.cache.expiration", "no Redis cache"),
  ignored(PARAMS, "server.default.cache.expiration", "no Redis cache"),
  ignored(PARAMS, "server.repo.server.timeout.seconds", "no separate repo server"),
  ignored(PARAMS, "server.repo.server.plaintext", "no separate repo server"),
  ignored(PARAMS, "server.repo.server.strict.tls", "no separate repo server"),
  notYet(PARAMS, "server.dex.server", undefined, NO_DEX),
  notYet(PARAMS, "server.dex.server.strict.tls", undefined, NO_DEX),
  notYet(PARAMS, "dexserver.log.level", undefined, NO_DEX),
  notYet(PARAMS, "dexserver.log.format", undefined, NO_DEX),
  notYet(PARAMS, "dexserver.disable.tls", undefined, NO_DEX),
  // argocd-cmd-params-cm: ApplicationSet controller
  honoured(PARAMS, "applicationsetcontroller.namespaces", [CONFIG, "operator/controllers/applicationset/controller.ts", "operator/appset/validate.ts"], "ApplicationSets in these namespaces are reconciled too (cluster-wide watch, filtered); their Applications are always made in the set's namespace, and only for projects whose sourceNamespaces admit it; `--applicationset-namespaces` wins when given"),
  honoured(PARAMS, "applicationsetcontroller.concurrent.reconciliations.max", [CONFIG, "operator/operator.ts"], "ApplicationSet workers; `--appset-processors` wins when given"),
  notYet(PARAMS, "applicationsetcontroller.policy", undefined, "each ApplicationSet's syncPolicy.applicationsSync applies; no issue filed"),
  notYet(PARAMS, "applicationsetcontroller.enable.policy.override", undefined, "no issue filed"),
  notYet(PARAMS, "applicationsetcontroller.enable.progressive.syncs", undefined, "RollingSync always runs when a set asks for it; no issue filed"),
  notYet(PARAMS, "applicationsetcontroller.enable.new.git.file.globbing", undefined, "no issue filed"),
  notYet(PARAMS, "applicationsetcontroller.requeue.after", undefined, "no issue filed"),
  notYet(PARAMS, "applicationsetcontroller.status.max.resources.count", undefined, "no issue filed"),
  notYet(PARAMS, "applicationsetcontroller.global.preserved.annotations", undefined, "no issue filed"),
  notYet(PARAMS, "applicationsetcontroller.global.preserved.labels", undefined, "no issue filed"),
  notYet(PARAMS, "applicationsetcontroller.enable.scm.providers", undefined, "there is no SCM provider generator; no issue filed"),
  notYet(PARAMS, "applicationsetcontroller.allowed.scm.providers", undefined, "there is no SCM provider generator; no issue filed"),
  notYet(PARAMS, "applicationsetcontroller.enable.git.submodule", undefined, "the git generator lists and reads the parent repository's own files, never a submodule's; no issue filed"),
  ignored(PARAMS, "applicationsetcontroller.webhook.parallelism.limit", "one webhook endpoint serves both controllers: `server.webhook.parallelism.limit` applies"),
  notYet(PARAMS, "applicationsetcontroller.scm.root.ca.path", undefined, "there is no SCM provider generator; no issue filed"),
  notYet(PARAMS, "applicationsetcontroller.enable.tokenref.strict.mode", undefined, "there is no SCM provider generator; no issue filed"),
  ignored(PARAMS, "applicationsetcontroller.debug", "one process: `--log-level`"),
  ignored(PARAMS, "applicationsetcontroller.enable.leader.election", "one process: `--leader-elect` covers both controllers"),
  ignored(PARAMS, "applicationsetcontroller.dryrun", "use `hawser appset diff`"),
  ignored(PARAMS, "applicationsetcontroller.log.level", "one process: `--log-level`"),
  ignored(PARAMS, "applicationsetcontroller.log.format", "Hawser always logs JSON lines"),
  // argocd-cmd-params-cm: notifications (issue 15)
  ignored(PARAMS, "notificationscontroller.log.level", "the notifications controller runs inside the operator and logs at its level (docs/notifications.md)"),
  honoured(PARAMS, "notificationscontroller.selfservice.enabled", ["operator/controllers/notifications/controller.ts"], "an Application outside the control namespace is also notified by argocd-notifications-cm and -secret of its own namespace; keys carry the config's namespace and `.secrets` is hidden from templates, as in Argo (docs/notifications.md); env ARGOCD_NOTIFICATION_CONTROLLER_SELF_SERVICE_NOTIFICATION_ENABLED wins"),
  ignored(PARAMS, "notificationscontroller.log.format", "the notifications controller runs inside the operator and logs as it does (JSON lines)"),
  ignored(PARAMS, "notificationscontroller.repo.server.plaintext", "no separate repo server: the notifications controller runs in the operator process"),

  // argocd-rbac-cm (issue 13): parsed and decided by operator/engine/rbac, offline through
  // `hawser admin rbac can|validate`; the API server that enforces it on each endpoint is being built.
  honoured(RBAC, "policy.csv", [RBAC_POLICY, RBAC_ENFORCER], "p and g lines as Argo reads them (6 and 3 fields, allow|deny; an invalid line is an error naming the key and line, and the policy is not loaded); checked by `hawser admin rbac can|validate`; enforced on every API server endpoint and stream"),
  honoured(RBAC, "policy.<name>.csv", [RBAC_POLICY], "appended after policy.csv in key order, as in Argo; enforced on every API server endpoint and stream"),
  honoured(RBAC, "policy.default", [RBAC_POLICY, RBAC_ENFORCER], "tried first for every request, anonymous included; only its allow ends the evaluation (Argo 3.x); enforced on every API server endpoint and stream"),
  honoured(RBAC, "policy.matchMode", [RBAC_POLICY, RBAC_ENFORCER], "`glob` (default: `*` spans `/`) or `regex` (unanchored; a pattern that does not compile is an error); another value is an error; enforced on every API server endpoint and stream"),
  honoured(RBAC, "scopes", [RBAC_POLICY, RBAC_ENFORCER], "a YAML list of the claims read as groups (default [groups]); enforced on every API server endpoint and stream"),
  // argocd-ssh-known-hosts-cm and argocd-tls-certs-cm: which git servers are trusted
  honoured(KNOWN_HOSTS, "ssh_known_hosts", TRUST, "while the ConfigMap exists, ssh host keys are checked strictly against these lines only (an empty value trusts no host; a malformed line is dropped and logged); without it a host's key is trusted on first use and a changed key refused, which the start-up log says (Argo refuses unknown hosts); `insecure` on the repository turns checking off, as in Argo; re-read when the ConfigMap changes"),
  honoured(TLS_CERTS, "<server_name>", [...TRUST, "operator/render/index.ts", "plugins/helm/repo.ts", "plugins/helm/index.ts", "operator/git/oci-registry.ts"], "PEM CA certificates for the https server of that host name (no port): git repositories (`http.sslCAInfo`, git-lfs too), Helm chart repositories (index.yaml, `helm pull`, chart dependencies' `helm repo add`) and OCI registries (`helm registry login`/`show chart`/`pull`; the distribution API for connection states, oci-tags and OCI artifact sources) are then verified against them only, handed over as files (`--ca-file`); an entry that is not a valid certificate fails that server's fetches with an error naming the key instead of falling back to the system CAs; re-read when the ConfigMap changes"),
];

/** What Hawser does with each sync option (`syncPolicy.syncOptions`, `argocd.argoproj.io/sync-options`). */
export interface OptionSupport {
  option: string;
  status: SupportStatus;
  modules?: readonly string[];
  issue?: number;
  note: string;
}

const PLAN = "operator/engine/sync/plan.ts";
const STEP = "operator/engine/sync/step.ts";

export const SYNC_OPTIONS: readonly OptionSupport[] = [
  { option: "Prune=false", status: "honoured", modules: [PLAN], note: "never pruned; the resource stays OutOfSync" },
  { option: "Prune=confirm", status: "honoured", modules: [PLAN], note: "waits for the Application's deletion-approved annotation" },
  { option: "Delete=false", status: "honoured", modules: ["operator/engine/sync/deletion.ts"], note: "kept when the Application is deleted" },
  { option: "Delete=confirm", status: "honoured", modules: ["operator/engine/sync/deletion.ts"], note: "deletion waits for deletion-approved" },
  { option: "PruneLast=true", status: "honoured", modules: [PLAN], note: "prunes after the last wave" },
  { option: "PrunePropagationPolicy=foreground|background|orphan", status: "honoured", modules: [STEP], note: "default foreground" },
  { option: "ApplyOutOfSyncOnly=true", status: "honoured", modules: [PLAN], note: "only OutOfSync and missing resources are applied" },
  { option: "SkipDryRunOnMissingResource=true", status: "honoured", modules: [STEP], note: "also automatic when the CRD is in the same sync" },
  { option: "CreateNamespace=true", status: "honoured", modules: [PLAN], note: "with managedNamespaceMetadata" },
  { option: "FailOnSharedResource=true", status: "honoured", modules: ["operator/engine/sync/validate.ts"], note: "a resource tracked by another app fails the sync" },
  { option: "Replace=true", status: "honoured", modules: [STEP, "operator/controllers/application/executor.ts"], note: "replace (create when missing); with Force=true delete, wait until gone, create (`kubectl replace --force`), after a dry-run create proved the new object valid" },
  { option: "Force=true", status: "honoured", modules: [STEP, "operator/controllers/application/executor.ts"], note: "with Replace=true: delete and re-create; otherwise delete and re-create when an apply is refused as invalid (immutable fields); either only after a dry-run create shows the new object valid, so the live one is never lost for nothing" },
  { option: "Validate=false", status: "honoured", modules: [STEP, "operator/controllers/application/executor.ts"], note: "writes use fieldValidation=Ignore and applies drop the fields the apiserver does not know; by default (as kubectl's --validate=strict) fieldValidation=Strict refuses them" },
  { option: "ServerSideApply=true", status: "honoured", modules: [STEP], note: "Hawser always applies server-side (field manager `hawser`)" },
  { option: "ServerSideApply=false", status: "refused", modules: ["operator/engine/sync/annotations.ts"], note: "applies stay server-side; a SyncOptionWarning condition says so (docs/decisions.md)" },
  { option: "ClientSideApplyMigration=false", status: "honoured", modules: ["operator/engine/sync/csa-migration.ts", "operator/controllers/application/csa-migration.ts"], note: "the migration is on by default: before applying an existing object, the fields an `Update` entry of `kubectl-client-side-apply` (or the manager in the Application's `argocd.argoproj.io/client-side-apply-migration-manager`) owns move to Hawser's `Apply` entry, so a field later removed from git is removed; this option turns it off" },
  { option: "RespectIgnoreDifferences=true", status: "honoured", modules: ["operator/engine/sync/respect.ts", "operator/engine/diff/respect.ts"], note: "fields matched by ignoreDifferences (app and argocd-cm: JSON pointers, jq paths, managers) keep their live values when an existing object is applied; hooks are left as rendered" },
  { option: "timeout.reconcile=<duration>", status: "honoured", modules: ["operator/engine/sync/annotations.ts", "operator/controllers/application/refresh.ts"], note: "Hawser's own: this app's refresh interval" },
];

/** Compare options: the `argocd.argoproj.io/compare-options` annotation and argocd-cm `resource.compareoptions`. */
export const COMPARE_OPTIONS: readonly OptionSupport[] = [
  { option: "IgnoreExtraneous", status: "honoured", modules: ["operator/engine/diff/index.ts"], note: "an extra live copy does not make the app OutOfSync" },
  { option: "ServerSideDiff=true|false", status: "honoured", modules: ["operator/appstate/pipeline.ts"], note: "per app; wins over `--server-side-diff-enabled`" },
  { option: "IncludeMutationWebhook=true", status: "not yet", note: "mutating-webhook changes always count as live state (docs/decisions.md); no issue filed" },
  { option: "resource.compareoptions ignoreAggregatedRoles", status: "honoured", modules: ["operator/engine/diff/normalize.ts"], note: "aggregated ClusterRole rules are not compared" },
  { option: "resource.compareoptions ignoreResourceStatusField", status: "honoured", modules: ["operator/engine/diff/normalize.ts"], note: "`all` (default), `crd`, `none`/`off`" },
  { option: "resource.compareoptions ignoreDifferencesOnResourceUpdates", status: "not yet", note: "parsed; goes with ignoreResourceUpdates; no issue filed" },
];

function keyPattern(key: string): RegExp {
  const escaped = key.split(/(<[^>]+>)/).map((part) => (part.startsWith("<") ? ".+" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))).join("");
  return new RegExp(`^${escaped}$`);
}

const exact = new Map(SETTING_KEYS.filter((k) => !k.key.includes("<")).map((k) => [`${k.configMap}\n${k.key}`, k]));
// Longer literal text first, so `resource.customizations.health.<group_kind>` beats a shorter pattern.
const patterns = SETTING_KEYS.filter((k) => k.key.includes("<"))
  .map((k) => ({ entry: k, re: keyPattern(k.key), literal: k.key.replace(/<[^>]+>/g, "").length }))
  .sort((a, b) => b.literal - a.literal);

/** The table entry for a key as set in a ConfigMap, placeholders matched; undefined when unknown. */
export function settingKeyFor(configMap: SettingsConfigMap, key: string): SettingKey | undefined {
  return exact.get(`${configMap}\n${key}`) ?? patterns.find((p) => p.entry.configMap === configMap && p.re.test(key))?.entry;
}

/**
 * One line per key set in `data` that does not fully take effect: not implemented, deliberately
 * ignored, partly honoured, or unknown to Hawser. Only key names appear, never values (they can be
 * secrets). Sorted by key, so the log reads the same on every start.
 */
export function settingsWarnings(configMap: SettingsConfigMap, data: Record<string, string> | undefined): string[] {
  const out: string[] = [];
  for (const key of Object.keys(data ?? {}).sort()) {
    const entry = settingKeyFor(configMap, key);
    if (!entry) {
      out.push(`${configMap} key ${key} is not known to Hawser (a typo, or a newer Argo CD setting) and has no effect`);
      continue;
    }
    const why = `${entry.note}${entry.issue !== undefined ? `; planned in issue ${entry.issue}` : ""}`;
    if (entry.status === "not yet" || entry.status === "refused") out.push(`${configMap} key ${key} is not implemented by Hawser and has no effect (${why})`);
    else if (entry.status === "ignored") out.push(`${configMap} key ${key} has no effect in Hawser (${why})`);
    else if (entry.status === "partly") out.push(`${configMap} key ${key} is only partly implemented by Hawser (${why})`);
  }
  return out;
}
