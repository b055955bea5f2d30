// Building the sync plan: one task per (object, phase) from the target manifests and the live
// objects, ordered as gitops-engine orders them (pkg/sync/sync_context.go getSyncTasks,
// pkg/sync/sync_tasks.go): phase → wave → kind → name, then Namespaces and CRDs moved ahead of
// the first object that needs them, prune waves reversed and PruneLast prunes put last.
import type { ManagedNamespaceMetadata, SyncOperation } from "../../api/index.js";
import {
  describeObject,
  hookDeletePolicies,
  hookTypes,
  isHook,
  isSkipped,
  mergeSyncOptions,
  parseSyncOptions,
  resourceSyncOptions,
  syncWave,
  SyncAnnotationError,
  type SyncOptions,
} from "./annotations.js";
import { resourceRefKey, type HookDeletePolicy, type HookType, type KubeObject, type ResourceRef, type SyncPhase } from "./types.js";
import { splitApiVersion } from "../../util/index.js";

/** Helm's kind_sorter order, which gitops-engine copies; kinds not listed go after all of these. */
export const KIND_ORDER: readonly string[] = [
  "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "PodSecurityPolicy", "PodDisruptionBudget",
  "ServiceAccount", "Secret", "SecretList", "ConfigMap", "StorageClass", "PersistentVolume",
  "PersistentVolumeClaim", "CustomResourceDefinition", "ClusterRole", "ClusterRoleList",
  "ClusterRoleBinding", "ClusterRoleBindingList", "Role", "RoleList", "RoleBinding", "RoleBindingList",
  "Service", "DaemonSet", "Pod", "ReplicationController", "ReplicaSet", "Deployment",
  "HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob", "IngressClass", "Ingress", "APIService",
];
const KIND_RANK = new Map(KIND_ORDER.map((k, i) => [k, i - KIND_ORDER.length]));
const PHASE_RANK: Record<SyncPhase, number> = { PreSync: -1, Sync: 0, PostSync: 1, SyncFail: 2 };
const SYNC_HOOK_PHASES = new Set<HookType>(["PreSync", "Sync", "PostSync", "SyncFail"]);

/**
 * Cluster-scoped kinds of the built-in APIs, used to decide whether the destination namespace
 * applies when the caller has no discovery at hand (the CLI); the controller passes discovery.
 */
const CLUSTER_SCOPED = new Set([
  "/Namespace", "/Node", "/PersistentVolume", "/ComponentStatus",
  "apiextensions.k8s.io/CustomResourceDefinition", "apiregistration.k8s.io/APIService",
  "rbac.authorization.k8s.io/ClusterRole", "rbac.authorization.k8s.io/ClusterRoleBinding",
  "storage.k8s.io/StorageClass", "storage.k8s.io/CSIDriver", "storage.k8s.io/CSINode", "storage.k8s.io/VolumeAttachment",
  "networking.k8s.io/IngressClass", "scheduling.k8s.io/PriorityClass", "node.k8s.io/RuntimeClass",
  "admissionregistration.k8s.io/MutatingWebhookConfiguration", "admissionregistration.k8s.io/ValidatingWebhookConfiguration",
  "admissionregistration.k8s.io/ValidatingAdmissionPolicy", "admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding",
  "certificates.k8s.io/CertificateSigningRequest", "flowcontrol.apiserver.k8s.io/FlowSchema",
  "flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration", "policy/PodSecurityPolicy",
  "snapshot.storage.k8s.io/VolumeSnapshotClass", "argoproj.io/ClusterWorkflowTemplate",
]);

export type TaskOperation = "create" | "apply" | "replace" | "prune";

/** Why a prune task will not delete: the op did not ask to prune, or the resource forbids it. */
export type PruneSkipReason = "requires-pruning" | "no-prune";

export interface SyncTask {
  /** Argo's result key: `group/kind/namespace/name:phase`; also how results are matched. */
  id: string;
  ref: ResourceRef;
  version: string;
  phase: SyncPhase;
  wave: number;
  /** Set for hooks: the hook type this task runs as (the phase, for the sync hooks). */
  hookType?: HookType;
  operation: TaskOperation;
  /** The object to apply or create (hooks carry their final name); absent for prunes. */
  target?: KubeObject;
  live?: KubeObject;
  /** Hooks only. */
  deletePolicies?: HookDeletePolicy[];
  /** App options with the resource's annotation applied over them. */
  options: SyncOptions;
  pruneSkipped?: PruneSkipReason;
  /** Prune=confirm: the prune waits for the Application's deletion-approved annotation. */
  requiresConfirmation?: boolean;
  /** The auto-created destination namespace (CreateNamespace=true). */
  managedNamespace?: boolean;
  /** The kind's CRD is part of this sync, so it may be unknown to the cluster until applied. */
  crdInSync?: boolean;
}

export interface PlanInput {
  /** Rendered manifests (hooks included). */
  target: readonly KubeObject[];
  /** Live objects the Application manages (hooks included). */
  live: readonly KubeObject[];
  /** spec.syncPolicy.syncOptions. */
  appSyncOptions?: readonly string[];
  operation?: Pick<SyncOperation, "prune" | "dryRun" | "resources" | "syncStrategy" | "syncOptions">;
  /** The revision being synced; its first 7 characters go into generated hook names. */
  revision?: string;
  /** The operation's start (RFC 3339); its Unix seconds go into generated hook names. */
  startedAt?: string;
  destinationNamespace?: string;
  /** The live destination namespace, when it exists (for CreateNamespace=true). */
  liveNamespace?: KubeObject;
  managedNamespaceMetadata?: ManagedNamespaceMetadata;
  /** Discovery: is this kind namespaced? undefined falls back to the built-in list. */
  isNamespaced?: (group: string, kind: string) => boolean | undefined;
  /** For ApplyOutOfSyncOnly: whether a resource differs from its target. Default: all do. */
  isOutOfSync?: (ref: ResourceRef) => boolean;
}

export interface SyncPlan {
  tasks: SyncTask[];
  /** More than one (phase, wave): non-hook resources then gate the next wave on their health. */
  multiStep: boolean;
  dryRun: boolean;
  prune: boolean;
  /** Selective sync or the apply strategy: hooks are not run. */
  hooksSkipped: boolean;
  options: SyncOptions;
  revision: string;
  startedAt?: string;
  /** Unknown or misplaced options, for a condition. */
  warnings: string[];
}

/** Builds the ordered tasks of a sync. Throws SyncAnnotationError on a bad annotation. */
export function buildSyncPlan(input: PlanInput): SyncPlan {
  const op = input.operation ?? {};
  const appParsed = parseSyncOptions(input.appSyncOptions, "app");
  const opParsed = parseSyncOptions(op.syncOptions, "app");
  const options = mergeSyncOptions(appParsed.options, opParsed.options);
  // syncStrategy.{apply,hook}.force forces every resource, as `argocd app sync --force`.
  if (op.syncStrategy?.apply?.force || op.syncStrategy?.hook?.force) options.force = true;
  const warnings = [...appParsed.warnings, ...opParsed.warnings];
  const selected = op.resources ?? [];
  const hooksSkipped = selected.length > 0 || op.syncStrategy?.apply !== undefined;
  const prune = op.prune === true;
  const dryRun = op.dryRun === true;
  const revision = input.revision ?? "";

  const namespaceOf = (obj: KubeObject, group: string): string => {
    if (obj.metadata.namespace) return obj.metadata.namespace;
    const namespaced = input.isNamespaced?.(group, obj.kind) ?? !CLUSTER_SCOPED.has(`${group}/${obj.kind}`);
    return namespaced ? (input.destinationNamespace ?? "") : "";
  };

  const liveByKey = new Map<string, KubeObject>();
  for (const obj of input.live) {
    const { group } = splitApiVersion(obj.apiVersion);
    liveByKey.set(resourceRefKey(refOf(obj, group, obj.metadata.namespace ?? "")), obj);
  }

  const tasks: SyncTask[] = [];
  const targetKeys = new Set<string>();
  for (const raw of input.target) {
    const { group, version } = splitApiVersion(raw.apiVersion);
    const namespace = namespaceOf(raw, group);
    if (isSkipped(raw)) {
      // Neither applied nor pruned: the live copy, if any, is left alone.
      if (raw.metadata.name) targetKeys.add(resourceRefKey(refOf(raw, group, namespace)));
      continue;
    }
    const res = resourceSyncOptions(raw);
    warnings.push(...res.warnings.map((w) => `${describeObject(raw)}: ${w}`));
    const taskOptions = mergeSyncOptions(options, res.options);
    if (isHook(raw)) {
      if (hooksSkipped) continue;
      const wave = syncWave(raw);
      for (const hookType of hookTypes(raw)) {
        if (!SYNC_HOOK_PHASES.has(hookType)) continue; // Skip, PreDelete, PostDelete: not during a sync
        const phase = hookType as SyncPhase;
        const name = raw.metadata.name || hookName(raw, revision, phase, input.startedAt);
        const target: KubeObject = { ...raw, metadata: { ...raw.metadata, name, namespace: namespace || undefined } };
        if (!namespace) delete target.metadata.namespace;
        if (raw.metadata.generateName && !raw.metadata.name) delete target.metadata.generateName;
        const ref = { group, kind: raw.kind, namespace, name };
        const live = liveByKey.get(resourceRefKey(ref));
        targetKeys.add(resourceRefKey(ref));
        tasks.push({
          id: taskId(ref, phase), ref, version, phase, wave, hookType, operation: "create", target, live,
          deletePolicies: hookDeletePolicies(raw), options: taskOptions,
        });
      }
      continue;
    }
    if (!raw.metadata.name) throw new SyncAnnotationError(`${describeObject(raw)}: a resource that is not a hook needs metadata.name`);
    const ref = refOf(raw, group, namespace);
    const key = resourceRefKey(ref);
    targetKeys.add(key);
    const target: KubeObject = namespace && !raw.metadata.namespace ? { ...raw, metadata: { ...raw.metadata, namespace } } : raw;
    const live = liveByKey.get(key);
    tasks.push({
      id: taskId(ref, "Sync"), ref, version, phase: "Sync", wave: syncWave(raw), target, live,
      operation: taskOptions.replace ? "replace" : live ? "apply" : "create", options: taskOptions,
    });
  }

  for (const [key, live] of liveByKey) {
    // Live hooks are never pruned: they belong to earlier operations and their delete policies.
    if (targetKeys.has(key) || isHook(live)) continue;
    const { group, version } = splitApiVersion(live.apiVersion);
    const ref = refOf(live, group, live.metadata.namespace ?? "");
    const taskOptions = mergeSyncOptions(options, resourceSyncOptions(live).options);
    const task: SyncTask = {
      id: taskId(ref, "Sync"), ref, version, phase: "Sync", wave: syncWave(live), live, operation: "prune", options: taskOptions,
    };
    if (taskOptions.prune === false) task.pruneSkipped = "no-prune";
    else if (!prune) task.pruneSkipped = "requires-pruning";
    else if (taskOptions.prune === "confirm") task.requiresConfirmation = true;
    tasks.push(task);
  }

  // The same object twice (e.g. from two sources): the last one wins, as in Argo, and is reported.
  const byId = new Map<string, SyncTask>();
  for (const t of tasks) {
    if (byId.has(t.id)) warnings.push(`${t.ref.kind} ${t.ref.namespace ? `${t.ref.namespace}/` : ""}${t.ref.name} appears more than once; the last one is used`);
    byId.delete(t.id);
    byId.set(t.id, t);
  }
  let selectedTasks = [...byId.values()];
  if (selected.length > 0) {
    const wanted = new Set(selected.map((r) => resourceRefKey({ group: r.group ?? "", kind: r.kind, namespace: r.namespace ?? "", name: r.name })));
    selectedTasks = tasks.filter((t) => wanted.has(resourceRefKey(t.ref)));
  }
  if (options.applyOutOfSyncOnly && input.isOutOfSync) {
    const outOfSync = input.isOutOfSync;
    selectedTasks = selectedTasks.filter((t) => t.hookType !== undefined || t.operation === "prune" || outOfSync(t.ref));
  }

  const nsTask = namespaceTask(input, options, selectedTasks);
  if (nsTask) selectedTasks.push(nsTask);

  reversePruneWaves(selectedTasks);
  applyPruneLast(selectedTasks);
  const sorted = sortTasks(selectedTasks);
  const crdKinds = new Set(sorted.map((t) => crdKey(t.target)).filter((k): k is string => k !== undefined));
  for (const t of sorted) if (crdKinds.has(`${t.ref.group}/${t.ref.kind}`)) t.crdInSync = true;
  const steps = new Set(sorted.filter((t) => t.phase !== "SyncFail").map((t) => `${t.phase}/${t.wave}`));
  return {
    tasks: sorted,
    multiStep: steps.size > 1,
    dryRun,
    prune,
    hooksSkipped,
    options,
    revision,
    startedAt: input.startedAt,
    warnings,
  };
}

function refOf(obj: KubeObject, group: string, namespace: string): ResourceRef {
  return { group, kind: obj.kind, namespace, name: obj.metadata.name ?? "" };
}

export function taskId(ref: ResourceRef, phase: SyncPhase): string {
  return `${resourceRefKey(ref)}:${phase}`;
}

/**
 * gitops-engine's generated hook name: `<generateName><revision[0:7]>-<phase>-<unix start>`,
 * lowercased, so every pass of the same operation derives the same name.
 */
export function hookName(obj: KubeObject, revision: string, phase: SyncPhase, startedAt: string | undefined): string {
  if (startedAt === undefined) {
    throw new SyncAnnotationError(`${describeObject(obj)}: a hook with generateName needs the operation's start time to be named`);
  }
  const ms = Date.parse(startedAt);
  if (Number.isNaN(ms)) throw new SyncAnnotationError(`operation start time ${JSON.stringify(startedAt)} is not a timestamp`);
  const rev = revision.length >= 8 ? revision.slice(0, 7) : revision;
  return `${obj.metadata.generateName ?? ""}${rev}-${phase}-${Math.floor(ms / 1000)}`.toLowerCase();
}

/** CreateNamespace=true: create (or update the managed metadata of) the destination namespace. */
function namespaceTask(input: PlanInput, options: SyncOptions, tasks: SyncTask[]): SyncTask | undefined {
  const ns = input.destinationNamespace;
  if (!options.createNamespace || !ns) return undefined;
  // A Namespace in the manifests wins over the managed one.
  if (tasks.some((t) => t.target && t.ref.group === "" && t.ref.kind === "Namespace" && t.ref.name === ns)) return undefined;
  if (input.target.some((o) => o.kind === "Namespace" && o.apiVersion === "v1" && o.metadata.name === ns)) return undefined;
  const meta = input.managedNamespaceMetadata;
  const target: KubeObject = { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } };
  if (meta?.labels) target.metadata.labels = { ...meta.labels };
  if (meta?.annotations) target.metadata.annotations = { ...meta.annotations };
  const live = input.liveNamespace;
  if (live && subset(meta?.labels, live.metadata.labels) && subset(meta?.annotations, live.metadata.annotations)) return undefined;
  const ref = { group: "", kind: "Namespace", namespace: "", name: ns };
  return {
    id: taskId(ref, "PreSync"), ref, version: "v1", phase: "PreSync", wave: 0, target, live,
    operation: live ? "apply" : "create", options, managedNamespace: true,
  };
}

function subset(want: Record<string, string> | undefined, have: Record<string, string> | undefined): boolean {
  return Object.entries(want ?? {}).every(([k, v]) => have?.[k] === v);
}

/** Symmetric swap of the distinct prune waves: what was created last is pruned first. */
function reversePruneWaves(tasks: SyncTask[]): void {
  const prunes = tasks.filter((t) => t.operation === "prune");
  const waves = [...new Set(prunes.map((t) => t.wave))].sort((a, b) => a - b);
  const mirror = new Map(waves.map((w, i) => [w, waves[waves.length - 1 - i] as number]));
  for (const t of prunes) t.wave = mirror.get(t.wave) ?? t.wave;
}

/** PruneLast: after the last Sync-phase wave (counting prunes), never before wave 1. */
function applyPruneLast(tasks: SyncTask[]): void {
  let last = 0;
  for (const t of tasks) if (t.phase === "Sync" && t.wave > last) last = t.wave;
  for (const t of tasks) if (t.operation === "prune" && t.options.pruneLast) t.wave = last + 1;
}

function compareTasks(a: SyncTask, b: SyncTask): number {
  return PHASE_RANK[a.phase] - PHASE_RANK[b.phase]
    || a.wave - b.wave
    || (KIND_RANK.get(a.ref.kind) ?? 0) - (KIND_RANK.get(b.ref.kind) ?? 0)
    || cmp(a.ref.name, b.ref.name)
    // Not in Argo (its sort is unstable here); fixed so plans are reproducible.
    || cmp(a.ref.namespace, b.ref.namespace)
    || cmp(a.ref.group, b.ref.group);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Sorts, then moves Namespaces and CRDs ahead of their first dependant (sync_tasks.go Sort). */
export function sortTasks(tasks: SyncTask[]): SyncTask[] {
  const sorted = [...tasks].sort(compareTasks);
  adjustDeps(
    sorted,
    (t) => (t.ref.group === "" && t.ref.kind === "Namespace" ? t.ref.name : undefined),
    (t) => t.ref.namespace || undefined,
  );
  adjustDeps(
    sorted,
    (t) => crdKey(t.target),
    (t) => `${t.ref.group}/${t.ref.kind}`,
  );
  return sorted;
}

function crdKey(obj: KubeObject | undefined): string | undefined {
  if (!obj || obj.kind !== "CustomResourceDefinition" || !obj.apiVersion.startsWith("apiextensions.k8s.io/")) return undefined;
  const spec = obj.spec as { group?: unknown; names?: { kind?: unknown } } | undefined;
  if (typeof spec?.group !== "string" || typeof spec.names?.kind !== "string") return undefined;
  return `${spec.group}/${spec.names.kind}`;
}

/**
 * A dependency (Namespace, CRD) found after its first dependant moves to just before it and takes
 * the dependant's phase and wave. Prune tasks neither move nor count as dependants.
 */
function adjustDeps(
  tasks: SyncTask[],
  depKeyOf: (t: SyncTask) => string | undefined,
  dependsOn: (t: SyncTask) => string | undefined,
): void {
  const firstIndex = new Map<string, number>();
  for (let i = 0; i < tasks.length; i++) {
    const t = tasks[i] as SyncTask;
    if (!t.target) continue;
    const depKey = depKeyOf(t);
    if (depKey !== undefined) {
      const index = firstIndex.get(depKey);
      if (index === undefined) continue;
      const dependant = tasks[index] as SyncTask;
      t.wave = dependant.wave;
      t.phase = dependant.phase;
      t.id = taskId(t.ref, t.phase);
      tasks.splice(i, 1);
      tasks.splice(index, 0, t);
      for (const [k, v] of firstIndex) if (v >= index) firstIndex.set(k, v + 1);
    } else {
      const key = dependsOn(t);
      if (key !== undefined && !firstIndex.has(key)) firstIndex.set(key, i);
    }
  }
}
