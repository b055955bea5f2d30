// The policy an AppProject's `spec.roles[]` adds while a request concerns that project
// (argo-cd-server.md §3.4, §4): for role r of project p, an implicit `projects, get, p` for
// `proj:p:r`, the role's own policies and `g, <group>, proj:p:r` per group. A role with any invalid
// part is dropped whole and reported, so a typo never leaves half a role in force.
import type { AppProject, ProjectRole } from "../../api/index.js";
import { errorFirstLine } from "../../util/index.js";
import { ruleFromFields, splitCsvLine, type RbacProblem, type RbacRule } from "./policy.js";

/** Resources a project role may name (§3.4). */
export const PROJECT_ROLE_RESOURCES: readonly string[] = ["applications", "applicationsets", "repositories", "clusters", "logs", "exec"];

const ROLE_NAME = /^[a-zA-Z0-9]([-_a-zA-Z0-9]*[a-zA-Z0-9])?$/;

export function projectRoleSubject(project: string, role: string): string {
  return `proj:${project}:${role}`;
}

/** `proj:<p>:<r>` split, or undefined for any other subject. */
export function parseProjectSubject(subject: string): { project: string; role: string } | undefined {
  if (!subject.startsWith("proj:")) return undefined;
  const parts = subject.split(":");
  if (parts.length !== 3) return undefined;
  return { project: parts[1]!, role: parts[2]! };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/** One policy line of role `role` of project `project`: the rule, or why it is refused. */
function roleRule(project: string, role: string, line: string): RbacRule | string {
  let fields: string[];
  try {
    fields = splitCsvLine(line.trim());
  } catch (err) {
    return errorFirstLine(err);
  }
  // Fields are compared trimmed on both sides, as Argo validates them.
  fields = fields.map((f) => f.trim());
  if (fields.length !== 6 || fields[0] !== "p") return "must be of the form 'p, sub, res, act, obj, eft'";
  const [, subject, resource, action, object] = fields as [string, string, string, string, string];
  const expected = projectRoleSubject(project, role);
  if (subject !== expected) return `the subject must be '${expected}', not '${subject}'`;
  if (!PROJECT_ROLE_RESOURCES.includes(resource)) return `the resource must be one of ${PROJECT_ROLE_RESOURCES.join(", ")}, not '${resource}'`;
  if (action === "") return "the action must not be empty";
  const objectForm = new RegExp(`^${escapeRegExp(project)}/[*\\w.-]+(/[*\\w.-]+)?$`);
  if (!objectForm.test(object)) return `the object must be '${project}/*', '${project}/<app>' or '${project}/<namespace>/<app>', not '${object}'`;
  return ruleFromFields(fields);
}

/** A group name as bound to a role: quoted when it holds a comma. */
function groupName(raw: string): string | { error: string } {
  if (raw.trim() === "") return { error: "a group name is empty" };
  if (/[\n\r\t]/.test(raw)) return { error: `group ${JSON.stringify(raw)} contains a newline or tab` };
  if (raw.includes(",")) {
    if (raw.length < 2 || !raw.startsWith('"') || !raw.endsWith('"')) return { error: `group ${JSON.stringify(raw)} has a comma, so it must be wrapped in double quotes` };
    return raw.slice(1, -1);
  }
  return raw;
}

/** The rules of one role, or every reason it is refused. */
function roleRules(project: string, role: ProjectRole): { rules: RbacRule[]; errors: string[] } {
  const errors: string[] = [];
  if (typeof role.name !== "string" || !ROLE_NAME.test(role.name)) {
    return { rules: [], errors: [`the role name ${JSON.stringify(role.name)} must match ${ROLE_NAME.source}`] };
  }
  const subject = projectRoleSubject(project, role.name);
  const rules: RbacRule[] = [{ type: "p", subject, resource: "projects", action: "get", object: project, effect: "allow" }];
  (role.policies ?? []).forEach((line, i) => {
    const rule = typeof line === "string" ? roleRule(project, role.name, line) : "is not a string";
    if (typeof rule === "string") errors.push(`policies[${i}] ${JSON.stringify(line)}: ${rule}`);
    else rules.push(rule);
  });
  (role.groups ?? []).forEach((raw, i) => {
    const name = typeof raw === "string" ? groupName(raw) : { error: "is not a string" };
    if (typeof name !== "string") errors.push(`groups[${i}]: ${name.error}`);
    else rules.push({ type: "g", member: name, role: subject });
  });
  return { rules: errors.length > 0 ? [] : rules, errors };
}

/**
 * The rules an AppProject's roles contribute. A role with any problem contributes nothing, and
 * each of its problems is reported with the project, the role and the offending entry.
 */
export function projectRules(project: AppProject): { rules: RbacRule[]; problems: RbacProblem[] } {
  const name = project.metadata?.name ?? "";
  const rules: RbacRule[] = [];
  const problems: RbacProblem[] = [];
  const seen = new Set<string>();
  (project.spec?.roles ?? []).forEach((role, index) => {
    const source = `AppProject ${name} spec.roles[${index}]${typeof role?.name === "string" ? ` (${role.name})` : ""}`;
    if (seen.has(role.name)) {
      problems.push({ source, message: `the role ${role.name} is defined twice; this one is ignored` });
      return;
    }
    seen.add(role.name);
    const r = roleRules(name, role);
    for (const error of r.errors) problems.push({ source, message: `${error}; the role is ignored` });
    rules.push(...r.rules);
  });
  return { rules, problems };
}
