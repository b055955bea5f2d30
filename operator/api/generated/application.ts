// Generated from crds/application.yaml by hack/gen-types.ts; do not edit. Run `npm run gen:types`.
import type { ObjectMeta } from "../object.js";

/**
 * A set of Kubernetes manifests, rendered from one or more sources, that the controller keeps in step with a destination cluster and namespace.
 */
export interface Application {
  /**
   * Versioned schema of this object; always argoproj.io/v1alpha1.
   */
  apiVersion: string;
  /**
   * Always Application.
   */
  kind: string;
  metadata: ObjectMeta;
  spec: ApplicationSpec;
  operation?: Operation;
  status?: ApplicationStatus;
  [k: string]: unknown;
}
/**
 * What to deploy, where to deploy it, and how to keep it in sync.
 */
export interface ApplicationSpec {
  /**
   * Name of the AppProject (in the controller's namespace) that governs this application. Hawser defaults it to "default", the project that always exists and permits everything.
   */
  project: string;
  source?: ApplicationSource;
  /**
   * Several sources whose manifests are rendered separately and combined; when set, `source` is ignored.
   */
  sources?: ApplicationSource[];
  sourceHydrator?: SourceHydrator;
  destination: ApplicationDestination;
  syncPolicy?: SyncPolicy;
  /**
   * Differences between desired and live state that do not make the application OutOfSync.
   */
  ignoreDifferences?: ResourceIgnoreDifferences[];
  /**
   * Free-form key/value pairs shown with the application.
   */
  info?: Info[];
  /**
   * How many entries status.history keeps (used for rollback); 10 when unset.
   */
  revisionHistoryLimit?: number;
}
/**
 * One place manifests come from: a git directory, a Helm chart from a Helm or OCI repository, plus options for the tool that renders them.
 */
export interface ApplicationSource {
  /**
   * URL of the git repository, Helm repository or oci:// registry.
   */
  repoURL: string;
  /**
   * Git branch, tag, commit SHA or HEAD, or a semver constraint over tags; for a Helm repository chart, the chart version or a version constraint. Empty means HEAD (git) or the latest version (Helm).
   */
  targetRevision?: string;
  /**
   * Directory inside the repository that holds the manifests; unused for a repository chart.
   */
  path?: string;
  /**
   * Name of the chart when repoURL is a Helm or OCI repository.
   */
  chart?: string;
  /**
   * Multi-source only: exposes this source's checkout to the other sources as $<ref>, e.g. for Helm value files.
   */
  ref?: string;
  /**
   * A label for this source among several, used to address it from the CLI.
   */
  name?: string;
  /**
   * Only tags starting with this prefix are considered when targetRevision is a semver constraint; the prefix is stripped for matching and kept in the result.
   */
  tagPrefix?: string;
  helm?: ApplicationSourceHelm;
  kustomize?: ApplicationSourceKustomize;
  directory?: ApplicationSourceDirectory;
  plugin?: ApplicationSourcePlugin;
}
/**
 * Options for rendering a Helm chart with `helm template`.
 */
export interface ApplicationSourceHelm {
  /**
   * Value files, relative to the source path, as $<ref>/path into a ref source, or as URLs; later files override earlier ones.
   */
  valueFiles?: string[];
  /**
   * Skip value files that do not exist instead of failing.
   */
  ignoreMissingValueFiles?: boolean;
  /**
   * Inline values as a YAML document in a string.
   */
  values?: string;
  /**
   * Inline values as a structured object; wins over `values`.
   */
  valuesObject?: {
    [k: string]: unknown;
  };
  /**
   * Individual values, as with `helm --set` (or `--set-string`); they win over every other value source.
   */
  parameters?: HelmParameter[];
  /**
   * Values read from files, as with `helm --set-file`.
   */
  fileParameters?: HelmFileParameter[];
  /**
   * Helm release name; defaults to the application name.
   */
  releaseName?: string;
  /**
   * Namespace passed to Helm as the release namespace; defaults to the destination namespace.
   */
  namespace?: string;
  /**
   * Helm major version (v2 or v3); kept for compatibility, only v3 is used.
   */
  version?: string;
  /**
   * Send repository credentials to every domain the chart pulls from (`--pass-credentials`).
   */
  passCredentials?: boolean;
  /**
   * Leave the chart's crds/ directory out of the output.
   */
  skipCrds?: boolean;
  /**
   * Do not validate values against the chart's values.schema.json.
   */
  skipSchemaValidation?: boolean;
  /**
   * Leave the chart's test hooks out of the output.
   */
  skipTests?: boolean;
  /**
   * Kubernetes version the chart sees as .Capabilities; defaults to the destination's.
   */
  kubeVersion?: string;
  /**
   * API versions the chart sees as .Capabilities.APIVersions; defaults to the destination's.
   */
  apiVersions?: string[];
}
export interface HelmParameter {
  /**
   * Dotted path of the value.
   */
  name?: string;
  /**
   * The value, as a string.
   */
  value?: string;
  /**
   * Keep the value a string instead of letting Helm infer its type.
   */
  forceString?: boolean;
}
export interface HelmFileParameter {
  /**
   * Dotted path of the value.
   */
  name?: string;
  /**
   * File whose content becomes the value.
   */
  path?: string;
}
/**
 * Options applied on top of the kustomization before `kustomize build`.
 */
export interface ApplicationSourceKustomize {
  /**
   * Prefix added to the name of every resource.
   */
  namePrefix?: string;
  /**
   * Suffix added to the name of every resource.
   */
  nameSuffix?: string;
  /**
   * Namespace set on every namespaced resource.
   */
  namespace?: string;
  /**
   * Image overrides. Each entry is either Argo CD's string form (`name=newName:tag`, `name:tag`, `name@digest`) or Kustomize's object form ({name, newName, newTag, digest}); Hawser accepts both.
   */
  images?: (string | {name?: string; newName?: string; newTag?: string; digest?: string})[];
  /**
   * Replica count overrides by workload name.
   */
  replicas?: KustomizeReplica[];
  /**
   * Labels added to every resource (and to selectors, unless labelWithoutSelector).
   */
  commonLabels?: {
    [k: string]: string;
  };
  /**
   * Annotations added to every resource.
   */
  commonAnnotations?: {
    [k: string]: string;
  };
  /**
   * Substitute ${ARGOCD_APP_*} variables in commonAnnotations values.
   */
  commonAnnotationsEnvsubst?: boolean;
  /**
   * Overwrite labels that already exist with commonLabels.
   */
  forceCommonLabels?: boolean;
  /**
   * Overwrite annotations that already exist with commonAnnotations.
   */
  forceCommonAnnotations?: boolean;
  /**
   * Add commonLabels to metadata only, not to selectors.
   */
  labelWithoutSelector?: boolean;
  /**
   * With labelWithoutSelector, still add commonLabels to pod templates.
   */
  labelIncludeTemplates?: boolean;
  /**
   * Patches applied after the kustomization's own.
   */
  patches?: KustomizePatch[];
  /**
   * Kustomize components added to the build.
   */
  components?: string[];
  /**
   * Skip components that do not exist instead of failing.
   */
  ignoreMissingComponents?: boolean;
  /**
   * Name of a Kustomize binary configured in the operator settings.
   */
  version?: string;
  /**
   * Kubernetes version passed to Helm charts inflated by Kustomize.
   */
  kubeVersion?: string;
  /**
   * API versions passed to Helm charts inflated by Kustomize.
   */
  apiVersions?: string[];
}
export interface KustomizeReplica {
  /**
   * Name of the Deployment, StatefulSet or other scalable resource.
   */
  name: string;
  /**
   * Number of replicas.
   */
  count: number | string;
}
export interface KustomizePatch {
  /**
   * File in the source holding the patch.
   */
  path?: string;
  /**
   * Inline strategic-merge or JSON6902 patch.
   */
  patch?: string;
  target?: KustomizeSelector;
  /**
   * Kustomize patch options such as allowNameChange and allowKindChange.
   */
  options?: {
    [k: string]: boolean;
  };
}
/**
 * Resources the patch applies to.
 */
export interface KustomizeSelector {
  /**
   * API group of the targeted resources.
   */
  group?: string;
  /**
   * API version of the targeted resources.
   */
  version?: string;
  /**
   * Kind of the targeted resources.
   */
  kind?: string;
  /**
   * Name (a regular expression) of the targeted resources.
   */
  name?: string;
  /**
   * Namespace (a regular expression) of the targeted resources.
   */
  namespace?: string;
  /**
   * Label selector the targeted resources must match.
   */
  labelSelector?: string;
  /**
   * Annotation selector the targeted resources must match.
   */
  annotationSelector?: string;
}
/**
 * Options for a plain directory of YAML/JSON (and Jsonnet) files.
 */
export interface ApplicationSourceDirectory {
  /**
   * Also read subdirectories.
   */
  recurse?: boolean;
  /**
   * Glob of files to read; {a,b} alternatives are allowed.
   */
  include?: string;
  /**
   * Glob of files to skip; wins over include.
   */
  exclude?: string;
  /**
   * Read every file, not only .yaml, .yml, .json and .jsonnet.
   */
  disableExtensionFilter?: boolean;
  jsonnet?: ApplicationSourceJsonnet;
}
/**
 * Options for evaluating *.jsonnet files.
 */
export interface ApplicationSourceJsonnet {
  /**
   * External variables (std.extVar).
   */
  extVars?: JsonnetVar[];
  /**
   * Top-level arguments.
   */
  tlas?: JsonnetVar[];
  /**
   * Library search paths, relative to the repository root.
   */
  libs?: string[];
}
export interface JsonnetVar {
  /**
   * Variable name.
   */
  name: string;
  /**
   * Variable value: a string, or Jsonnet code when code is true.
   */
  value: string;
  /**
   * Evaluate value as Jsonnet code instead of passing it as a string.
   */
  code?: boolean;
}
/**
 * Render with a config-management plugin.
 */
export interface ApplicationSourcePlugin {
  /**
   * Plugin name, optionally suffixed with -<version>; empty means discover a plugin.
   */
  name?: string;
  /**
   * Environment variables, exposed to the plugin as ARGOCD_ENV_<name>.
   */
  env?: EnvEntry[];
  /**
   * Parameters announced to the plugin (ARGOCD_APP_PARAMETERS and PARAM_* variables).
   */
  parameters?: PluginParameter[];
}
export interface EnvEntry {
  /**
   * Variable name, without the ARGOCD_ENV_ prefix.
   */
  name: string;
  /**
   * Variable value.
   */
  value: string;
}
export interface PluginParameter {
  /**
   * Parameter name.
   */
  name?: string;
  /**
   * A string value.
   */
  string?: string;
  /**
   * A list value.
   */
  array?: string[];
  /**
   * A map value.
   */
  map?: {
    [k: string]: string;
  };
}
/**
 * Render manifests from a dry source, commit them to a branch, and sync from that branch. Mutually exclusive with source and sources.
 */
export interface SourceHydrator {
  drySource: DrySource;
  syncSource: SyncSource;
  hydrateTo?: HydrateTo;
}
/**
 * Where the unrendered configuration lives.
 */
export interface DrySource {
  /**
   * Repository holding the unrendered configuration.
   */
  repoURL: string;
  /**
   * Branch, tag or commit of the dry source to render.
   */
  targetRevision: string;
  /**
   * Directory in the repository to render.
   */
  path: string;
  helm?: ApplicationSourceHelm;
  kustomize?: ApplicationSourceKustomize;
  directory?: ApplicationSourceDirectory;
  plugin?: ApplicationSourcePlugin;
}
/**
 * Where the rendered manifests are committed and synced from.
 */
export interface SyncSource {
  /**
   * Branch the rendered manifests are committed to and synced from.
   */
  targetBranch: string;
  /**
   * Directory on that branch that receives the rendered manifests.
   */
  path: string;
  /**
   * Repository to push to; defaults to the dry source's.
   */
  repoURL?: string;
}
/**
 * Branch to commit to first (e.g. for review) before it reaches syncSource.targetBranch.
 */
export interface HydrateTo {
  /**
   * Branch that receives the commits first.
   */
  targetBranch: string;
}
/**
 * Target cluster and namespace. Give the cluster by exactly one of server (API URL) or name (cluster secret name).
 */
export interface ApplicationDestination {
  /**
   * API server URL; https://kubernetes.default.svc is the cluster the controller runs in.
   */
  server?: string;
  /**
   * Name of a registered cluster; in-cluster is the cluster the controller runs in.
   */
  name?: string;
  /**
   * Namespace for namespaced resources that do not set one themselves.
   */
  namespace?: string;
}
/**
 * When and how syncs happen.
 */
export interface SyncPolicy {
  automated?: SyncPolicyAutomated;
  /**
   * Options as Key=value strings (e.g. CreateNamespace=true, ServerSideApply=true, PrunePropagationPolicy=foreground).
   */
  syncOptions?: string[];
  retry?: RetryStrategy;
  managedNamespaceMetadata?: ManagedNamespaceMetadata;
}
/**
 * Present (even empty) to sync automatically whenever the application is OutOfSync.
 */
export interface SyncPolicyAutomated {
  /**
   * Set to false to pause auto-sync while keeping its settings; unset means true.
   */
  enabled?: boolean;
  /**
   * Auto-sync may delete resources that are no longer in the source.
   */
  prune?: boolean;
  /**
   * Re-sync when live state drifts although the source did not change.
   */
  selfHeal?: boolean;
  /**
   * Allow an auto-sync with pruning that would delete every resource.
   */
  allowEmpty?: boolean;
}
/**
 * How a failed sync is retried.
 */
export interface RetryStrategy {
  /**
   * Maximum number of retries; 0 means none, a negative value means no limit.
   */
  limit?: number;
  backoff?: Backoff;
  /**
   * Re-resolve the target revision before each retry instead of retrying the same revision.
   */
  refresh?: boolean;
}
/**
 * Delay between retries, growing geometrically.
 */
export interface Backoff {
  /**
   * First delay, as a duration string (e.g. 5s) or a number of seconds in a string.
   */
  duration?: string;
  /**
   * Multiplier applied to the delay after each retry.
   */
  factor?: number;
  /**
   * Upper bound of the delay, as a duration string (e.g. 3m).
   */
  maxDuration?: string;
}
/**
 * Labels and annotations for the namespace created by CreateNamespace=true.
 */
export interface ManagedNamespaceMetadata {
  /**
   * Labels set on the namespace.
   */
  labels?: {
    [k: string]: string;
  };
  /**
   * Annotations set on the namespace.
   */
  annotations?: {
    [k: string]: string;
  };
}
export interface ResourceIgnoreDifferences {
  /**
   * API group; * matches every group.
   */
  group?: string;
  /**
   * Kind; * matches every kind.
   */
  kind: string;
  /**
   * Exact resource name; empty matches every name.
   */
  name?: string;
  /**
   * Exact resource namespace; empty matches every namespace.
   */
  namespace?: string;
  /**
   * RFC 6901 pointers to ignored fields.
   */
  jsonPointers?: string[];
  /**
   * jq path expressions selecting ignored fields.
   */
  jqPathExpressions?: string[];
  /**
   * Fields owned by these field managers are ignored.
   */
  managedFieldsManagers?: string[];
}
export interface Info {
  /**
   * Name of the entry.
   */
  name: string;
  /**
   * Value of the entry.
   */
  value: string;
}
/**
 * A requested operation (currently always a sync). The controller starts it, copies it to status.operationState.operation and removes this field.
 */
export interface Operation {
  sync?: SyncOperation;
  initiatedBy?: OperationInitiator;
  /**
   * Free-form key/value pairs describing the operation.
   */
  info?: Info[];
  retry?: RetryStrategy;
}
/**
 * Parameters of a sync.
 */
export interface SyncOperation {
  /**
   * Revision to sync to (single source); empty means the target revision.
   */
  revision?: string;
  /**
   * Revisions to sync to, one per source (multi-source).
   */
  revisions?: string[];
  /**
   * Delete resources that are no longer in the source.
   */
  prune?: boolean;
  /**
   * Go through the sync without changing anything.
   */
  dryRun?: boolean;
  syncStrategy?: SyncStrategy;
  /**
   * Sync only these resources (a selective sync; hooks are skipped).
   */
  resources?: SyncOperationResource[];
  source?: ApplicationSource;
  /**
   * Sources to sync instead of spec.sources (multi-source), e.g. for a rollback.
   */
  sources?: ApplicationSource[];
  /**
   * Options as Key=value strings (e.g. CreateNamespace=true, ServerSideApply=true, PrunePropagationPolicy=foreground).
   */
  syncOptions?: string[];
  /**
   * Manifests to sync instead of rendering the source (a local sync).
   */
  manifests?: string[];
  /**
   * Number of self-heal attempts so far at this revision (set by the controller).
   */
  autoHealAttemptsCount?: number;
}
/**
 * Hook (default, runs hooks) or apply (skips hooks).
 */
export interface SyncStrategy {
  apply?: SyncStrategyApply;
  hook?: SyncStrategyHook;
}
/**
 * Apply every resource and skip hooks.
 */
export interface SyncStrategyApply {
  /**
   * Delete and re-create resources that cannot be updated in place.
   */
  force?: boolean;
}
/**
 * Run hooks around the apply (the default).
 */
export interface SyncStrategyHook {
  /**
   * Delete and re-create resources that cannot be updated in place.
   */
  force?: boolean;
}
export interface SyncOperationResource {
  /**
   * API group of the resource; empty for the core group.
   */
  group?: string;
  /**
   * Kind of the resource.
   */
  kind: string;
  /**
   * Name of the resource.
   */
  name: string;
  /**
   * Namespace of the resource; empty for cluster-scoped resources.
   */
  namespace?: string;
}
/**
 * Who asked for the operation.
 */
export interface OperationInitiator {
  /**
   * User who requested the operation.
   */
  username?: string;
  /**
   * True when the controller started it (auto-sync, self-heal).
   */
  automated?: boolean;
}
/**
 * What the controller observed; written only by the controller.
 */
export interface ApplicationStatus {
  sync?: SyncStatus;
  health?: HealthStatus;
  /**
   * Every resource the application manages, with its sync state.
   */
  resources?: ResourceStatus[];
  summary?: ApplicationSummary;
  /**
   * Errors and warnings about the application.
   */
  conditions?: ApplicationCondition[];
  /**
   * When the application was last fully compared.
   */
  reconciledAt?: string;
  /**
   * Deprecated; kept for compatibility.
   */
  observedAt?: string;
  operationState?: OperationState;
  /**
   * Past successful syncs, newest last; used for rollback.
   */
  history?: RevisionHistory[];
  /**
   * Tool used to render the source.
   */
  sourceType?: "Helm" | "Kustomize" | "Directory" | "Plugin";
  /**
   * Tool used per source.
   *
   * Items: Tool used to render the source.
   */
  sourceTypes?: ("Helm" | "Kustomize" | "Directory" | "Plugin")[];
  /**
   * Where per-resource health is kept; empty means in status.resources.
   */
  resourceHealthSource?: string;
  /**
   * Namespace of the controller that manages the application.
   */
  controllerNamespace?: string;
  sourceHydrator?: SourceHydratorStatus;
}
/**
 * Whether live state matches the desired state, and at which revision.
 */
export interface SyncStatus {
  /**
   * Synced, OutOfSync, or Unknown when the comparison could not be made.
   */
  status: "Synced" | "OutOfSync" | "Unknown";
  /**
   * Resolved commit SHA or chart version compared against.
   */
  revision?: string;
  /**
   * Resolved revisions, one per source.
   */
  revisions?: string[];
  comparedTo?: ComparedTo;
}
/**
 * The spec the comparison was made against.
 */
export interface ComparedTo {
  source?: ApplicationSource;
  /**
   * The sources compared against (multi-source).
   */
  sources?: ApplicationSource[];
  destination?: ApplicationDestination;
  /**
   * The ignore rules that were in effect.
   */
  ignoreDifferences?: ResourceIgnoreDifferences[];
}
/**
 * Assessed health.
 */
export interface HealthStatus {
  /**
   * Healthy, Progressing, Degraded, Suspended, Missing or Unknown.
   */
  status?: "Healthy" | "Progressing" | "Degraded" | "Suspended" | "Missing" | "Unknown";
  /**
   * Why the status is what it is, when there is more to say.
   */
  message?: string;
  /**
   * When the status last changed.
   */
  lastTransitionTime?: string;
}
export interface ResourceStatus {
  /**
   * API group of the resource; empty for the core group.
   */
  group?: string;
  /**
   * API version of the resource.
   */
  version?: string;
  /**
   * Kind of the resource.
   */
  kind?: string;
  /**
   * Namespace of the resource; empty for cluster-scoped resources.
   */
  namespace?: string;
  /**
   * Name of the resource.
   */
  name?: string;
  /**
   * Synced, OutOfSync, or Unknown when the comparison could not be made.
   */
  status?: "Synced" | "OutOfSync" | "Unknown";
  health?: HealthStatus;
  /**
   * The resource is a hook.
   */
  hook?: boolean;
  /**
   * The resource is live but no longer in the source.
   */
  requiresPruning?: boolean;
  /**
   * Pruning or deleting it waits for the deletion-approved annotation.
   */
  requiresDeletionConfirmation?: boolean;
  /**
   * Sync wave of the resource (argocd.argoproj.io/sync-wave).
   */
  syncWave?: number;
}
/**
 * Facts gathered from the live resources.
 */
export interface ApplicationSummary {
  /**
   * URLs found on ingresses, services and link annotations.
   */
  externalURLs?: string[];
  /**
   * Container images in use.
   */
  images?: string[];
  /**
   * The application manages other Applications.
   */
  isAppOfApps?: boolean;
}
export interface ApplicationCondition {
  /**
   * Condition type, e.g. ComparisonError, SyncError, InvalidSpecError, SharedResourceWarning, OrphanedResourceWarning; the suffix gives the severity.
   */
  type: string;
  /**
   * Human-readable detail.
   */
  message: string;
  /**
   * When the condition was last raised or changed.
   */
  lastTransitionTime?: string;
}
/**
 * Progress and result of the current or last operation.
 */
export interface OperationState {
  operation: Operation;
  /**
   * Running, Terminating, Failed, Error or Succeeded.
   */
  phase: "Running" | "Terminating" | "Failed" | "Error" | "Succeeded";
  /**
   * Human-readable progress or outcome.
   */
  message?: string;
  syncResult?: SyncOperationResult;
  /**
   * When the operation started.
   */
  startedAt: string;
  /**
   * When the operation finished.
   */
  finishedAt?: string;
  /**
   * Retries made so far.
   */
  retryCount?: number;
}
/**
 * Outcome of the sync.
 */
export interface SyncOperationResult {
  /**
   * Revision that was synced (single source).
   */
  revision: string;
  /**
   * Revisions that were synced, one per source.
   */
  revisions?: string[];
  source?: ApplicationSource;
  /**
   * Sources that were synced (multi-source).
   */
  sources?: ApplicationSource[];
  managedNamespaceMetadata?: ManagedNamespaceMetadata;
  /**
   * Outcome per resource and hook.
   */
  resources?: ResourceResult[];
}
export interface ResourceResult {
  /**
   * API group of the resource; empty for the core group.
   */
  group: string;
  /**
   * API version of the resource.
   */
  version: string;
  /**
   * Kind of the resource.
   */
  kind: string;
  /**
   * Namespace of the resource; empty for cluster-scoped resources.
   */
  namespace: string;
  /**
   * Name of the resource.
   */
  name: string;
  /**
   * Synced, SyncFailed, Pruned or PruneSkipped.
   */
  status?: "Synced" | "SyncFailed" | "Pruned" | "PruneSkipped";
  /**
   * What happened to the resource.
   */
  message?: string;
  /**
   * Hook type, when the resource is a hook.
   */
  hookType?: "PreSync" | "Sync" | "PostSync" | "SyncFail" | "Skip" | "PreDelete" | "PostDelete";
  /**
   * Running, Terminating, Failed, Error or Succeeded.
   */
  hookPhase?: "Running" | "Terminating" | "Failed" | "Error" | "Succeeded";
  /**
   * Phase the resource was applied in.
   */
  syncPhase?: "PreSync" | "Sync" | "PostSync" | "SyncFail" | "PreDelete" | "PostDelete";
  /**
   * Container images of the resource.
   */
  images?: string[];
}
export interface RevisionHistory {
  /**
   * Unique, increasing identifier of the entry; rollback refers to it.
   */
  id: number;
  /**
   * Revision that was deployed (single source).
   */
  revision?: string;
  /**
   * Revisions that were deployed, one per source.
   */
  revisions?: string[];
  source?: ApplicationSource;
  /**
   * Sources that were deployed (multi-source).
   */
  sources?: ApplicationSource[];
  /**
   * When the sync that deployed it started.
   */
  deployStartedAt?: string;
  /**
   * When the sync that deployed it finished.
   */
  deployedAt: string;
  initiatedBy?: OperationInitiator;
}
/**
 * Progress of source hydration.
 */
export interface SourceHydratorStatus {
  lastSuccessfulOperation?: SuccessfulHydrateOperation;
  currentOperation?: HydrateOperation;
  /**
   * Dry-source revision the application was last compared at.
   */
  lastComparedDryRevision?: string;
}
/**
 * The last hydration that succeeded.
 */
export interface SuccessfulHydrateOperation {
  /**
   * Dry-source commit that was rendered.
   */
  drySHA?: string;
  /**
   * Commit holding the rendered manifests.
   */
  hydratedSHA?: string;
  sourceHydrator?: SourceHydrator;
}
/**
 * The running or last hydration.
 */
export interface HydrateOperation {
  /**
   * Hydrating, Failed or Hydrated.
   */
  phase?: "Hydrating" | "Failed" | "Hydrated";
  /**
   * Human-readable progress or error.
   */
  message?: string;
  /**
   * Dry-source commit being rendered.
   */
  drySHA?: string;
  /**
   * Commit holding the rendered manifests, once there is one.
   */
  hydratedSHA?: string;
  /**
   * When the hydration started.
   */
  startedAt?: string;
  /**
   * When the hydration finished.
   */
  finishedAt?: string;
  sourceHydrator?: SourceHydrator;
}
