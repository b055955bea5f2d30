// The first stage of an Application's state: its spec validated against what exists (the project,
// a destination, a source), as InvalidSpecError conditions in Argo's wording. Comparing with git
// and the live cluster builds on it; an operation re-checks the same rules before it writes.
// Pure: it receives what it needs and returns the status.
import { ApplicationConditionType, setConditions, type ApplicationCondition } from "../api/conditions.js";
import { isClusterPermitted, isDestinationPermitted, isSourcePermitted, unscopedClusterMessage, validateProjectSpec, type ClusterRef, type ProjectPolicySpec } from "../engine/project.js";
import { appNamespaceNotPermittedMessage, isAppNamespacePermitted } from "../engine/namespaces.js";
import { trackingKey, trackingLabelProblem, type TrackingMethod } from "../engine/tracking.js";
import type { DestinationResolution } from "../cluster/clusters.js";
import { sourceIntegrityRefusal } from "./signatures.js";
import type { ApplicationObject, AppProjectObject } from "./types.js";

export interface ValidationInputs {
  app: ApplicationObject;
  /** Looks up an AppProject in the controller namespace. */
  project: (name: string) => AppProjectObject | undefined;
  controllerNamespace: string;
  now: () => string;
  /** Resolves the destination against the registered clusters; without it any destination is taken as is. */
  resolveDestination?: (dest: { server?: string; name?: string }) => DestinationResolution;
  /** Every registered cluster, for permitOnlyProjectScopedClusters; without it only the resolved one counts. */
  clusters?: () => readonly ClusterRef[];
  /** argocd-cm `application.resourceTrackingMethod` (annotation when unset). */
  trackingMethod?: TrackingMethod;
  /** Why argocd-cm `globalProjects` is unreadable: the project's full rules are then unknown. */
  globalProjectsError?: string | undefined;
}

export interface ValidationOutcome {
  status: NonNullable<ApplicationObject["status"]>;
  /** Conditions that became true in this refresh (for Events). */
  newErrors: ApplicationCondition[];
}

/** Problems with the spec that stop any comparison, in Argo's wording where Argo has one. */
export function validateSpec(inputs: Omit<ValidationInputs, "now">): string[] {
  const { app, project, controllerNamespace, resolveDestination, clusters } = inputs;
  const problems: string[] = [];
  const labelProblem = trackingLabelProblem(trackingKey(app.metadata.name ?? "", app.metadata.namespace ?? controllerNamespace, controllerNamespace), inputs.trackingMethod ?? "annotation");
  if (labelProblem) problems.push(labelProblem);
  // Fail closed: a global project may carry the deny window or blacklist that matters.
  if (inputs.globalProjectsError) problems.push(`argocd-cm ${inputs.globalProjectsError}; no application is compared or synced until it is fixed`);
  const projectName = app.spec.project || "default";
  let proj = project(projectName);
  if (!proj) {
    problems.push(`Application referencing project ${projectName} which does not exist`);
  } else if (!isAppNamespacePermitted(((proj.spec ?? {}) as ProjectPolicySpec).sourceNamespaces, app.metadata.namespace, controllerNamespace)) {
    // As in Argo, a project the app may not use counts as no project: nothing else is checked against it.
    problems.push(appNamespaceNotPermittedMessage(app.metadata.name ?? "", app.metadata.namespace ?? "", projectName));
    proj = undefined;
  }
  const policy = (proj?.spec ?? {}) as ProjectPolicySpec;
  if (proj) problems.push(...validateProjectSpec(policy).map((p) => `project ${projectName} is invalid: ${p}`));
  const integrity = proj && sourceIntegrityRefusal(projectName, (proj.spec as { sourceIntegrity?: unknown } | undefined)?.sourceIntegrity);
  if (integrity) problems.push(integrity);
  const dest = app.spec.destination;
  if (!dest || (!dest.server && !dest.name)) {
    problems.push("Destination server missing from app spec");
  } else if (dest.server && dest.name) {
    problems.push("application destination can't have both name and server defined");
  }
  const sources = app.spec.sources && app.spec.sources.length > 0 ? app.spec.sources : app.spec.source ? [app.spec.source] : [];
  if (sources.length === 0) problems.push("spec.source or spec.sources must be set");
  const multi = (app.spec.sources?.length ?? 0) > 0;
  sources.forEach((s, i) => {
    const field = multi ? `spec.sources[${i}]` : "spec.source";
    const problem = sourceShapeProblem(s, field, multi);
    if (problem) problems.push(problem);
    if (s.repoURL && proj && !isSourcePermitted(policy, s.repoURL)) {
      problems.push(`application repo ${s.repoURL} is not permitted in project '${projectName}'`);
    }
    // Argo refuses a Helm-repository chart without a version rather than take the newest: a new
    // chart release would otherwise change what is deployed with nothing changed in the spec.
    if (s.chart && !s.targetRevision?.trim()) problems.push(`${field}.targetRevision is required if the manifest source is a helm chart`);
  });
  if (dest && (dest.server || dest.name) && !(dest.server && dest.name)) {
    // Argo checks the project against both the server and the name of the resolved cluster.
    let checked: { server?: string; name?: string; namespace?: string } = dest;
    let cluster: ClusterRef | undefined;
    if (resolveDestination) {
      const resolved = resolveDestination(dest);
      if (!resolved.ok) {
        problems.push(resolved.message);
        return problems;
      }
      cluster = resolved.cluster;
      checked = { server: cluster.server, name: cluster.name, namespace: dest.namespace };
    }
    if (proj && !isDestinationPermitted(policy, checked)) {
      const where = dest.server ? `server '${dest.server}'` : `name '${dest.name}'`;
      problems.push(`application destination ${where} and namespace '${dest.namespace ?? ""}' do not match any of the allowed destinations in project '${projectName}'`);
    } else if (proj) {
      // Fails closed: an unresolved destination has no known scope.
      const ref = cluster ?? { server: dest.server ?? "", name: dest.name ?? "" };
      if (!isClusterPermitted(policy, projectName, ref, clusters?.() ?? (cluster ? [cluster] : []))) problems.push(unscopedClusterMessage(projectName, ref));
    }
  }
  return problems;
}

/**
 * Argo's rule for what a source must name: a repository, and a path in it (`.` is the root) or a
 * Helm chart; in a multi-source app a `ref` alone is enough (such a source only lends its checkout
 * to the others' value files). A source naming none of them would otherwise render the whole
 * repository by accident. Argo words the single-source case without `ref`, which is no use there.
 */
export function sourceShapeProblem(s: { repoURL?: string; path?: string; chart?: string; ref?: string }, field: string, multi: boolean): string | undefined {
  const named = (v: string | undefined): boolean => (v ?? "").trim() !== "";
  if (named(s.repoURL) && (named(s.path) || named(s.chart) || (multi && named(s.ref)))) return undefined;
  return multi
    ? `${field}.repoURL and either ${field}.path, ${field}.chart, or ${field}.ref are required`
    : `${field}.repoURL and either ${field}.path or ${field}.chart are required`;
}

export function validateApplication(inputs: ValidationInputs): ValidationOutcome {
  const { app } = inputs;
  const problems = validateSpec(inputs);
  const previous = app.status?.conditions ?? [];
  const conditions = setConditions(
    previous,
    problems.map((message) => ({ type: ApplicationConditionType.InvalidSpecError, message })),
    [ApplicationConditionType.InvalidSpecError],
    inputs.now,
  );
  const before = new Set(previous.map((c) => `${c.type}\u0000${c.message}`));
  const newErrors = conditions.filter((c) => !before.has(`${c.type}\u0000${c.message}`));
  const status: ValidationOutcome["status"] = { ...(app.status ?? {}), controllerNamespace: inputs.controllerNamespace };
  if (conditions.length > 0) status.conditions = conditions;
  else delete status.conditions;
  return { status, newErrors };
}
