// Argo CD's RBAC decision (argo-cd-server.md §3.2–§3.4) on casbin, the policy engine Argo uses.
// One casbin enforcer holds the built-in and user policy; each AppProject with roles gets its own
// with that project's role policy added, all built once per policy version (building is async in
// casbin, deciding is not).
//
// Listing 10,000 apps asks 10,000 times per request with 10,000 different objects, and casbin walks
// every policy line per question. Its answer depends on the object only through which of the
// policy's object patterns the object matches, so decisions are memoised per (subject, groups,
// resource, action, project, that match signature): casbin is asked once per distinct signature,
// which for a list is a handful of times. A new policy means a new RbacEnforcer, so the memo never
// outlives the policy it was computed from.
import { newEnforcer, newModelFromString, type Adapter, type Enforcer as CasbinEnforcer, type Model } from "casbin";
import type { AppProject } from "../../api/index.js";
import { gobwasMatch } from "../../util/glob.js";
import { BUILTIN_RULES, DEFAULT_SCOPES, formatProblem, parseRbacConfig, type MatchMode, type PolicyRule, type RbacConfig, type RbacProblem, type RbacRule } from "./policy.js";
import { projectRules } from "./project.js";

/** The caller as RBAC sees it (the shape of operator/server/types.ts `Claims`). */
export interface RbacClaims {
  sub?: string;
  federated_claims?: { user_id?: string };
  [claim: string]: unknown;
}

// Request and policy are (subject, resource, action, object[, effect]); one role relation, transitive;
// allow when some matching line allows and none denies, whatever their order.
const MODEL = `
[request_definition]
r = sub, res, act, obj

[policy_definition]
p = sub, res, act, obj, eft

[role_definition]
g = _, _

[policy_effect]
e = some(where (p.eft == allow)) && !some(where (p.eft == deny))

[matchers]
m = g(r.sub, p.sub) && globOrRegexMatch(r.res, p.res) && globOrRegexMatch(r.act, p.act) && globOrRegexMatch(r.obj, p.obj)
`;

/** Resources whose object names a project before its first "/" (§3.4 project lookup). */
const PROJECT_SCOPED = new Set(["applications", "applicationsets", "repositories", "clusters", "logs", "exec"]);

/** How many decisions one enforcer remembers; the oldest goes first when full. */
const MEMO_LIMIT = 100_000;

/** argocd-rbac-cm does not parse: the problems, each naming its key and line. */
export class RbacConfigError extends Error {
  constructor(readonly problems: RbacProblem[]) {
    super(`argocd-rbac-cm is invalid: ${problems.map(formatProblem).join("; ")}`);
    this.name = "RbacConfigError";
  }
}

/** The policy matcher: the policy value is a glob without separators (`*` spans `/`) or an unanchored regex. */
export function globOrRegexMatcher(mode: MatchMode): (value: string, pattern: string) => boolean {
  if (mode === "glob") return (value, pattern) => gobwasMatch(pattern, value);
  const compiled = new Map<string, RegExp | null>();
  return (value, pattern) => {
    let re = compiled.get(pattern);
    if (re === undefined) {
      try {
        re = new RegExp(pattern);
      } catch {
        re = null; // never matches, as in Argo; validate reports it
      }
      compiled.set(pattern, re);
    }
    return re !== null && re.test(value);
  };
}

/** The claims Argo reads as groups: each `scopes` claim, a string or a list of strings. */
export function scopeValues(claims: RbacClaims, scopes: readonly string[]): string[] {
  const out: string[] = [];
  for (const scope of scopes) {
    const value = claims[scope];
    if (typeof value === "string") out.push(value);
    else if (Array.isArray(value)) for (const v of value) if (typeof v === "string") out.push(v);
  }
  return out;
}

/** The RBAC subject of the claims: `federated_claims.user_id`, else `sub`. */
export function rbacSubject(claims: RbacClaims): string {
  return claims.federated_claims?.user_id ?? claims.sub ?? "";
}

/** The project a request is about (§3.4), before checking that it exists. */
export function projectOfRequest(resource: string, object: string): string | undefined {
  if (resource === "projects") return object;
  if (PROJECT_SCOPED.has(resource)) {
    const slash = object.indexOf("/");
    if (slash >= 0) return object.slice(0, slash);
  }
  return undefined;
}

/** A sub-resource action: `update/<group>/<kind>/<ns>/<name>` (the core group is an empty segment). */
export function fineGrainedAction(action: string, group: string, kind: string, namespace: string, name: string): string {
  return `${action}/${group}/${kind}/${namespace}/${name}`;
}

/** What a rollback is checked as: `sync`, unless argocd-cm `server.rbac.rollback.enforce.enable` is true. */
export function rollbackAction(rollbackEnforce: boolean): "rollback" | "sync" {
  return rollbackEnforce ? "rollback" : "sync";
}

/** A casbin adapter over rules already parsed in memory (the policy is never saved). */
class RulesAdapter implements Adapter {
  constructor(private readonly rules: readonly RbacRule[]) {}
  loadPolicy(model: Model): Promise<void> {
    const seen = new Set<string>();
    for (const r of this.rules) {
      const fields = r.type === "p" ? [r.subject, r.resource, r.action, r.object, r.effect] : [r.member, r.role];
      const key = `${r.type}\u0000${fields.join("\u0000")}`;
      if (seen.has(key)) continue; // casbin refuses duplicates; they change nothing
      seen.add(key);
      model.addPolicy(r.type, r.type, fields);
    }
    return Promise.resolve();
  }
  savePolicy(): Promise<boolean> { return Promise.resolve(false); }
  addPolicy(): Promise<void> { return Promise.reject(new Error("the RBAC policy is read-only")); }
  removePolicy(): Promise<void> { return Promise.reject(new Error("the RBAC policy is read-only")); }
  removeFilteredPolicy(): Promise<void> { return Promise.reject(new Error("the RBAC policy is read-only")); }
}

/** One built casbin enforcer, the left sides of its g lines (the groups worth trying) and its p lines. */
interface PolicySet {
  casbin: CasbinEnforcer;
  groupMembers: ReadonlySet<string>;
  policies: readonly PolicyRule[];
  matcher: (value: string, pattern: string) => boolean;
  /** Per "resource\0action": the distinct object patterns of the p lines that can apply. */
  objectPatterns: Map<string, string[]>;
}

async function buildPolicySet(rules: readonly RbacRule[], matcher: (value: string, pattern: string) => boolean): Promise<PolicySet> {
  const casbin = await newEnforcer(newModelFromString(MODEL), new RulesAdapter(rules));
  await casbin.addFunction("globOrRegexMatch", (value: unknown, pattern: unknown) =>
    typeof value === "string" && typeof pattern === "string" && matcher(value, pattern));
  casbin.enableLog(false);
  const groupMembers = new Set<string>();
  for (const r of rules) if (r.type === "g") groupMembers.add(r.member);
  const policies = rules.filter((r): r is PolicyRule => r.type === "p");
  return { casbin, groupMembers, policies, matcher, objectPatterns: new Map() };
}

/**
 * Which object patterns (of the p lines whose resource and action match the request) `object`
 * matches: casbin's answer for a request depends on its object through this alone.
 */
function objectSignature(set: PolicySet, resource: string, action: string, object: string): string {
  const key = `${resource}\u0000${action}`;
  let patterns = set.objectPatterns.get(key);
  if (!patterns) {
    const distinct = new Set<string>();
    for (const p of set.policies) if (set.matcher(resource, p.resource) && set.matcher(action, p.action)) distinct.add(p.object);
    patterns = [...distinct];
    // Fine-grained actions make the keys unbounded; start again rather than grow without end.
    if (set.objectPatterns.size >= MEMO_LIMIT) set.objectPatterns.clear();
    set.objectPatterns.set(key, patterns);
  }
  let signature = "";
  for (const pattern of patterns) signature += set.matcher(object, pattern) ? "1" : "0";
  return signature;
}

function allowed(set: PolicySet, subject: string, resource: string, action: string, object: string): boolean {
  try {
    return set.casbin.enforceSync(subject, resource, action, object);
  } catch {
    return false; // fail closed
  }
}

export interface RbacEnforcerOptions {
  /** argocd-rbac-cm `data`; undefined when the ConfigMap does not exist. */
  rbacConfigMap?: Record<string, string>;
  /** Every AppProject: their `spec.roles[]` are the project policies. */
  projects?: readonly AppProject[];
  /** Include the built-in roles (default true; `hawser admin rbac can --use-builtin-policy=false`). */
  useBuiltinPolicy?: boolean;
  /** Overrides argocd-rbac-cm `policy.default` (`--default-role`). */
  defaultRole?: string;
}

/**
 * Argo CD's Enforce (§3.4) over argocd-rbac-cm and the AppProjects. Implements operator/server's
 * `Enforcer`. Build it with `RbacEnforcer.build`, again whenever argocd-rbac-cm or an AppProject
 * changes.
 */
export class RbacEnforcer {
  private readonly memo = new Map<string, boolean>();

  private constructor(
    readonly config: RbacConfig,
    private readonly global: PolicySet,
    /** Per project name: its enforcer with the role policies, only for projects that exist. */
    private readonly projects: ReadonlyMap<string, PolicySet>,
    /** Problems with project roles (those roles were dropped). */
    readonly problems: readonly RbacProblem[],
  ) {}

  /** Throws RbacConfigError when argocd-rbac-cm is invalid: the caller keeps its previous enforcer, or denies. */
  static async build(options: RbacEnforcerOptions = {}): Promise<RbacEnforcer> {
    const { config, problems } = parseRbacConfig(options.rbacConfigMap);
    if (problems.length > 0) throw new RbacConfigError(problems);
    if (options.defaultRole !== undefined) config.defaultRole = options.defaultRole;
    return RbacEnforcer.fromConfig(config, options.projects ?? [], options.useBuiltinPolicy ?? true);
  }

  static async fromConfig(config: RbacConfig, projects: readonly AppProject[], useBuiltinPolicy = true): Promise<RbacEnforcer> {
    const matcher = globOrRegexMatcher(config.matchMode);
    const base = [...(useBuiltinPolicy ? BUILTIN_RULES : []), ...config.rules];
    const global = await buildPolicySet(base, matcher);
    const perProject = new Map<string, PolicySet>();
    const problems: RbacProblem[] = [];
    for (const project of projects) {
      const name = project.metadata?.name;
      if (!name) continue;
      const own = projectRules(project);
      problems.push(...own.problems);
      // A project without (valid) roles decides exactly as the global policy does.
      perProject.set(name, own.rules.length > 0 ? await buildPolicySet([...base, ...own.rules], matcher) : global);
    }
    return new RbacEnforcer({ ...config, scopes: config.scopes.length > 0 ? config.scopes : [...DEFAULT_SCOPES] }, global, perProject, problems);
  }

  /** May the caller (undefined = anonymous) do `action` on `resource` `object`? */
  enforce(claims: RbacClaims | undefined, resource: string, action: string, object: string): boolean {
    const subject = claims ? rbacSubject(claims) : "";
    const groups = claims ? scopeValues(claims, this.config.scopes) : [];
    const projectName = projectOfRequest(resource, object);
    const project = projectName !== undefined ? this.projects.get(projectName) : undefined;
    // The project's set holds every global line too, so its signature decides the global steps as well.
    const signature = objectSignature(project ?? this.global, resource, action, object);
    const key = [claims ? "c" : "a", subject, groups.join("\u0001"), resource, action, project ? projectName : "", signature].join("\u0000");
    const hit = this.memo.get(key);
    if (hit !== undefined) return hit;
    const decision = this.decide(claims !== undefined, subject, groups, resource, action, object);
    if (this.memo.size >= MEMO_LIMIT) this.memo.delete(this.memo.keys().next().value as string);
    this.memo.set(key, decision);
    return decision;
  }

  /**
   * A plain subject (a user name or a role such as `role:readonly`) against the built-in and user
   * policy, after `policy.default`: what `hawser admin rbac can` asks.
   */
  enforceSubject(subject: string, resource: string, action: string, object: string): boolean {
    if (this.config.defaultRole !== "" && allowed(this.global, this.config.defaultRole, resource, action, object)) return true;
    return allowed(this.global, subject, resource, action, object);
  }

  /**
   * Patching (`update`) or deleting (`delete`) a resource inside an app whose RBAC object is
   * `object` (§3.3). `inherit` is argocd-cm `server.rbac.disableApplicationFineGrainedRBACInheritance`
   * set to "false": then the plain action on the app is tried first.
   */
  canOnResource(claims: RbacClaims | undefined, action: string, object: string, group: string, kind: string, namespace: string, name: string, inherit: boolean): boolean {
    if (inherit && this.enforce(claims, "applications", action, object)) return true;
    return this.enforce(claims, "applications", fineGrainedAction(action, group, kind, namespace, name), object);
  }

  private decide(hasClaims: boolean, subject: string, groups: string[], resource: string, action: string, object: string): boolean {
    // 1. policy.default: only its allow ends the evaluation.
    if (this.config.defaultRole !== "" && allowed(this.global, this.config.defaultRole, resource, action, object)) return true;
    // 2. claims: the user, the project token, then the groups.
    if (hasClaims && this.enforceClaims(subject, groups, resource, action, object)) return true;
    // 3. Argo then asks again as the empty subject, for anonymous and JWT callers alike, so
    //    `g, , role:x` grants role:x to everyone.
    return allowed(this.global, "", resource, action, object);
  }

  private enforceClaims(subject: string, groups: string[], resource: string, action: string, object: string): boolean {
    const projectName = projectOfRequest(resource, object);
    const project = projectName !== undefined ? this.projects.get(projectName) : undefined;
    if (project && subject.startsWith("proj:")) {
      // A project role token acts only inside its own project.
      const parts = subject.split(":");
      if (parts.length !== 3 || parts[1] !== projectName) return false;
      return allowed(project, subject, resource, action, object);
    }
    const set = project ?? this.global;
    if (allowed(set, subject, resource, action, object)) return true;
    for (const group of groups) {
      if (set.groupMembers.has(group) && allowed(set, group, resource, action, object)) return true;
    }
    return false;
  }
}
