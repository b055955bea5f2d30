// Argo's per-task permission check, run before every sync step: each resource must be a kind the
// project allows, go to a namespace the project's destinations allow (and the cluster Secret's
// `namespaces` limit), and — with FailOnSharedResource — not be tracked by another Application.
// Any failure fails the operation before anything is applied. Pure.
//
// It fails closed: without a loaded project every task is refused, and a kind that discovery does
// not know is classified from a CRD in the same sync; when nothing can classify it, it passes only
// if the project would allow it both as a namespaced and as a cluster-scoped kind.
import { isClusterPermitted, isDestinationPermitted, isResourcePermitted, unscopedClusterMessage, type ClusterRef, type ProjectPolicySpec } from "../project.js";
import { describeObject } from "./annotations.js";
import { type KubeObject } from "./types.js";
import { splitApiVersion } from "../../util/index.js";

export interface TaskValidationInput {
  targets: readonly KubeObject[];
  /** Whether a kind is namespaced; undefined when discovery does not know it. */
  isNamespaced: (apiVersion: string, kind: string) => boolean | undefined;
  projectName: string;
  /** The loaded project; undefined when it does not exist (every task is then refused). */
  project: ProjectPolicySpec | undefined;
  /** The resolved destination cluster (with its Secret's `project`, if any). */
  destination: ClusterRef;
  /** Every registered cluster, for permitOnlyProjectScopedClusters; without it only the destination counts. */
  clusters?: readonly ClusterRef[];
  /** The cluster Secret's namespace limit: a message when the namespace is not managed. */
  clusterAdmits?: (namespace: string | undefined) => string | undefined;
  failOnSharedResource?: boolean;
  /** The app's own tracking key, and which app (if any) tracks the live counterpart of a target. */
  trackingKey?: string;
  trackedByOther?: (obj: KubeObject) => string | undefined;
}

/** The project's message when it cannot be loaded (Argo: "Failed to load application project"). */
export function missingProjectMessage(projectName: string): string {
  return `Failed to load application project: AppProject "${projectName}" not found`;
}

/** Scopes declared by CustomResourceDefinitions in the sync, by "group/Kind". */
function crdScopes(targets: readonly KubeObject[]): Map<string, boolean> {
  const scopes = new Map<string, boolean>();
  for (const t of targets) {
    if (t.kind !== "CustomResourceDefinition" || splitApiVersion(t.apiVersion).group !== "apiextensions.k8s.io") continue;
    const spec = (t as { spec?: { group?: unknown; names?: { kind?: unknown }; scope?: unknown } }).spec;
    if (typeof spec?.group !== "string" || typeof spec.names?.kind !== "string") continue;
    if (spec.scope === "Namespaced" || spec.scope === "Cluster") scopes.set(`${spec.group}/${spec.names.kind}`, spec.scope === "Namespaced");
  }
  return scopes;
}

export function invalidSyncTasks(input: TaskValidationInput): string[] {
  const project = input.project;
  if (!project) return [missingProjectMessage(input.projectName)];
  // Argo checks the cluster with every task; it is the same for all of them, so once.
  if (!isClusterPermitted(project, input.projectName, input.destination, input.clusters ?? [input.destination])) {
    return [unscopedClusterMessage(input.projectName, input.destination)];
  }
  const problems: string[] = [];
  const declared = crdScopes(input.targets);
  for (const obj of input.targets) {
    const { group } = splitApiVersion(obj.apiVersion);
    const namespaced = input.isNamespaced(obj.apiVersion, obj.kind) ?? declared.get(`${group}/${obj.kind}`);
    const res = { group, kind: obj.kind, name: obj.metadata.name };
    if (namespaced === undefined) {
      // Not classifiable yet: it may turn out either way, so both readings must be allowed.
      const ns = obj.metadata.namespace;
      const bothAllowed = isResourcePermitted(project, res, true) && isResourcePermitted(project, res, false)
        && (!ns || isDestinationPermitted(project, { ...input.destination, namespace: ns }));
      if (!bothAllowed) {
        problems.push(`resource ${group}:${obj.kind} is not known to the destination cluster and cannot be checked against project ${input.projectName}`);
        continue;
      }
    } else {
      if (!isResourcePermitted(project, res, namespaced)) {
        problems.push(`resource ${group}:${obj.kind} is not permitted in project ${input.projectName}`);
        continue;
      }
      const ns = namespaced ? obj.metadata.namespace : undefined;
      if (ns && !isDestinationPermitted(project, { ...input.destination, namespace: ns })) {
        problems.push(`namespace ${ns} is not permitted in project '${input.projectName}'`);
        continue;
      }
    }
    const limit = input.clusterAdmits?.(namespaced === false ? undefined : obj.metadata.namespace);
    if (limit) {
      problems.push(`${describeObject(obj)}: ${limit}`);
      continue;
    }
    if (input.failOnSharedResource) {
      const other = input.trackedByOther?.(obj);
      if (other && other !== input.trackingKey) {
        problems.push(`shared resource found: ${describeObject(obj)} is part of applications ${other} and ${input.trackingKey ?? ""}`);
      }
    }
  }
  return [...new Set(problems)];
}

/**
 * Whether a live object may be managed (pruned, deleted, adopted) by an app of this project:
 * Argo's IsLiveResourcePermitted. Objects outside the project's kinds or destinations are not the
 * app's, whatever tracking data they carry; without a project nothing is.
 */
export function isLiveResourcePermitted(project: ProjectPolicySpec | undefined, obj: KubeObject, destination: { server: string; name: string }): boolean {
  if (!project) return false;
  const { group } = splitApiVersion(obj.apiVersion);
  const ns = obj.metadata.namespace;
  if (!isResourcePermitted(project, { group, kind: obj.kind, name: obj.metadata.name }, !!ns)) return false;
  return !ns || isDestinationPermitted(project, { ...destination, namespace: ns });
}
