// Validation of the Applications an ApplicationSet generates, before anything is written
// (Argo's validateGeneratedApplications, plus the checks the apiserver would make): names must be
// DNS-1123 subdomains and unique across the set, the destination must name exactly one of server
// and name, and the project must exist and, for a set outside the control namespace, admit that
// namespace in its sourceNamespaces.
import { appNamespaceNotPermittedMessage, isAppNamespacePermitted } from "../engine/namespaces.js";
import type { GeneratedApplication } from "./render.js";

export interface ValidationDeps {
  projectExists(name: string): Promise<boolean>;
  /**
   * With `projectSourceNamespaces`: Applications generated outside this namespace must use a
   * project whose sourceNamespaces admit theirs (the controller would refuse them anyway; the set
   * says so before writing them).
   */
  controlNamespace?: string;
  /** An existing project's sourceNamespaces (undefined: none). */
  projectSourceNamespaces?(name: string): Promise<string[] | undefined>;
  /** Optional: a problem with the destination (e.g. an unknown cluster), or undefined. */
  destinationProblem?(destination: Record<string, unknown>): Promise<string | undefined>;
}

export interface ValidationResult {
  /** An error that invalidates the whole set (duplicate names). */
  setError?: string;
  /** Problems per Application name. */
  appErrors: Map<string, string[]>;
  /**
   * The Applications whose project does not exist (name → project); their problem is also in
   * appErrors. Argo writes the set's other Applications meanwhile (generate.ts: `partial`).
   */
  missingProjects: Map<string, string>;
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function nameProblem(name: string): string | undefined {
  if (name === "") return "the name is empty";
  if (name.length > 253) return `the name "${name}" is longer than 253 characters`;
  if (!DNS1123_SUBDOMAIN.test(name)) {
    return `the name "${name}" is not a valid DNS-1123 subdomain (lower-case letters, digits, "-" and "."; starting and ending with a letter or digit)`;
  }
  return undefined;
}

export function destinationShapeProblem(dest: unknown): string | undefined {
  const d = dest !== null && typeof dest === "object" ? (dest as Record<string, unknown>) : {};
  const server = typeof d.server === "string" ? d.server : "";
  const name = typeof d.name === "string" ? d.name : "";
  if (server !== "" && name !== "") return `application destination can't have both name ("${name}") and server ("${server}") defined`;
  if (server === "" && name === "") return "application destination spec is invalid: it needs a server or a name (both are empty)";
  return undefined;
}

export async function validateApplications(appSetName: string, apps: GeneratedApplication[], deps: ValidationDeps): Promise<ValidationResult> {
  const counts = new Map<string, number>();
  for (const app of apps) counts.set(app.metadata.name, (counts.get(app.metadata.name) ?? 0) + 1);
  const dups = [...counts].filter(([, n]) => n > 1);
  const result: ValidationResult = { appErrors: new Map(), missingProjects: new Map() };
  if (dups.length > 0) {
    result.setError = `ApplicationSet ${appSetName} contains applications with duplicate name: ${dups.map(([n, c]) => `"${n}" (${c} times)`).join(", ")}`;
  }
  const projectCache = new Map<string, boolean>();
  for (const app of apps) {
    const problems: string[] = [];
    const np = nameProblem(app.metadata.name);
    if (np) problems.push(np);
    const project = typeof app.spec.project === "string" ? app.spec.project : "";
    if (project === "") problems.push("the project is empty");
    else {
      let exists = projectCache.get(project);
      if (exists === undefined) {
        exists = await deps.projectExists(project);
        projectCache.set(project, exists);
      }
      if (!exists) {
        problems.push(`application references project ${project} which does not exist`);
        result.missingProjects.set(app.metadata.name, project);
      }
      else if (deps.controlNamespace !== undefined && deps.projectSourceNamespaces && app.metadata.namespace !== deps.controlNamespace
        && !isAppNamespacePermitted(await deps.projectSourceNamespaces(project), app.metadata.namespace, deps.controlNamespace)) {
        problems.push(appNamespaceNotPermittedMessage(app.metadata.name, app.metadata.namespace, project));
      }
    }
    const dp = destinationShapeProblem(app.spec.destination) ?? (deps.destinationProblem && app.spec.destination !== null && typeof app.spec.destination === "object" ? await deps.destinationProblem(app.spec.destination as Record<string, unknown>) : undefined);
    if (dp) problems.push(dp);
    if (problems.length > 0) {
      const list = result.appErrors.get(app.metadata.name) ?? [];
      for (const p of problems) if (!list.includes(p)) list.push(p);
      result.appErrors.set(app.metadata.name, list);
    }
  }
  return result;
}
