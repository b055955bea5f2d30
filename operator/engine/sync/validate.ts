// Argo's per-task permission check, run before every sync step: each resource must be a kind the
// project allows, go to a namespace the project's destinations allow (and the cluster Secret's
// `namespaces` limit), and — with FailOnSharedResource — not be tracked by another Application.
// Any failure fails the operation before anything is applied. Pure.
import { isDestinationPermitted, isResourcePermitted, type ProjectPolicySpec } from "../project.js";
import { describeObject } from "./annotations.js";
import { splitApiVersion, type KubeObject } from "./types.js";

export interface TaskValidationInput {
  targets: readonly KubeObject[];
  /** Whether a kind is namespaced; undefined when discovery does not know it. */
  isNamespaced: (apiVersion: string, kind: string) => boolean | undefined;
  projectName: string;
  project?: ProjectPolicySpec;
  /** The resolved destination cluster. */
  destination: { server: string; name: string };
  /** The cluster Secret's namespace limit: a message when the namespace is not managed. */
  clusterAdmits?: (namespace: string | undefined) => string | undefined;
  failOnSharedResource?: boolean;
  /** The app's own tracking key, and which app (if any) tracks the live counterpart of a target. */
  trackingKey?: string;
  trackedByOther?: (obj: KubeObject) => string | undefined;
}

export function invalidSyncTasks(input: TaskValidationInput): string[] {
  const problems: string[] = [];
  for (const obj of input.targets) {
    const { group } = splitApiVersion(obj.apiVersion);
    const namespaced = input.isNamespaced(obj.apiVersion, obj.kind);
    const ns = namespaced === false ? undefined : obj.metadata.namespace;
    if (input.project) {
      if (namespaced !== undefined && !isResourcePermitted(input.project, { group, kind: obj.kind, name: obj.metadata.name }, namespaced)) {
        problems.push(`resource ${group}:${obj.kind} is not permitted in project ${input.projectName}`);
        continue;
      }
      if (ns && !isDestinationPermitted(input.project, { ...input.destination, namespace: ns })) {
        problems.push(`namespace ${ns} is not permitted in project '${input.projectName}'`);
        continue;
      }
    }
    const limit = namespaced === undefined ? undefined : input.clusterAdmits?.(ns);
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
