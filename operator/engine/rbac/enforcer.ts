// Argo CD's RBAC decision (argo-cd-server.md §3.2–§3.4) on casbin, the policy engine Argo uses.
// One casbin enforcer holds the built-in and user policy; each AppProject with roles gets its own
// with that project's role policy added, all built once per policy version (building is async in
// casbin, deciding is not).
//
// Listing 10,000 apps asks 10,000 times per request with 10,000 different objects, and casbin
// walks every policy line per question (milliseconds with a large policy). So each question put to
// casbin is memoised under a key that provably gives the same answer:
// - casbin's answer depends on the object only through which object patterns it matches among the
//   p lines that can apply (subject reachable through g, resource and action matching): that
//   match signature stands for the object;
// - a project's enforcer answers like the global one unless the subject reaches one of the
//   project's own roles or groups, so such questions go to the global enforcer and are shared
//   across projects.
// A new policy means a new RbacEnforcer, so the memo never outlives the policy it came from.
import { newEnforcer, newModelFromString, type Adapter, type Enforcer as CasbinEnforcer, type Model } from "casbin";
import type { AppProject } from "../../api/index.js";
import { compileGobwas } from "../../util/glob.js";
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

/** How many entries each memo holds before it starts again from empty. */
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
  // Patterns come from the policy, so this cache is as bounded as the policy is.
  const compiled = new Map<string, RegExp | null>();
  return (value, pattern) => {
    let re = compiled.get(pattern);
    if (re === undefined) {
      try {
        re = mode === "glob" ? compileGobwas(pattern) : new RegExp(pattern);
      } catch {
        // Never matches. The user policy cannot hold such a pattern (it is a load error); the
        // built-in policy's `*` patterns are not regular expressions, so in regex mode they grant nothing.
        re = null;
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

/** The RBAC subject of the claims: `federated_claims.user_id` when set, else `sub`. */
export function rbacSubject(claims: RbacClaims): string {
  const federated = claims.federated_claims?.user_id;
  return typeof federated === "string" && federated !== "" ? federated : typeof claims.sub === "string" ? claims.sub : "";
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
    const lines: Record<"p" | "g", string[][]> = { p: [], g: [] };
    for (const r of this.rules) {
      const fields = r.type === "p" ? [r.subject, r.resource, r.action, r.object, r.effect] : [r.member, r.role];
      const key = `${r.type}\u0000${fields.join("\u0000")}`;
      if (seen.has(key)) continue; // casbin refuses duplicates; they change nothing
      seen.add(key);
      lines[r.type].push(fields);
    }
    // One batch per kind: casbin checks each added line against those already loaded.
    if (lines.p.length > 0) model.addPolicies("p", "p", lines.p);
    if (lines.g.length > 0) model.addPolicies("g", "g", lines.g);
    return Promise.resolve();
  }
  savePolicy(): Promise<boolean> { return Promise.resolve(false); }
  addPolicy(): Promise<void> { return Promise.reject(new Error("the RBAC policy is read-only")); }
  removePolicy(): Promise<void> { return Promise.reject(new Error("the RBAC policy is read-only")); }
  removeFilteredPolicy(): Promise<void> { return Promise.reject(new Error("the RBAC policy is read-only")); }
}

/** One built casbin enforcer and what the memo needs to know about its rules. */
interface PolicySet {
  id: number;
  casbin: CasbinEnforcer;
  matcher: (value: string, pattern: string) => boolean;
  policies: readonly PolicyRule[];
  /** The left sides of its g lines: the groups worth trying (§3.4). */
  groupMembers: ReadonlySet<string>;
  /** g lines as member → roles. */
  edges: ReadonlyMap<string, readonly string[]>;
  /** For a project's set: the names of its own role rules (groups, proj:<p>:<r>); reaching none, the global set answers the same. */
  projectNames?: ReadonlySet<string>;
  /** Per subject: itself and every role it reaches through g. */
  closures: Map<string, ReadonlySet<string>>;
  /** Per "subject\0resource\0action": the distinct object patterns of the p lines that can apply. */
  objectPatterns: Map<string, readonly string[]>;
}

let nextSetId = 0;

async function buildPolicySet(rules: readonly RbacRule[], matcher: (value: string, pattern: string) => boolean, projectOwn?: readonly RbacRule[]): Promise<PolicySet> {
  const casbin = await newEnforcer(newModelFromString(MODEL), new RulesAdapter(rules));
  await casbin.addFunction("globOrRegexMatch", (value: unknown, pattern: unknown) =>
    typeof value === "string" && typeof pattern === "string" && matcher(value, pattern));
  casbin.enableLog(false);
  const groupMembers = new Set<string>();
  const edges = new Map<string, string[]>();
  for (const r of rules) {
    if (r.type !== "g") continue;
    groupMembers.add(r.member);
    edges.set(r.member, [...(edges.get(r.member) ?? []), r.role]);
  }
  let projectNames: Set<string> | undefined;
  if (projectOwn) {
    projectNames = new Set();
    for (const r of projectOwn) {
      if (r.type === "p") projectNames.add(r.subject);
      else projectNames.add(r.member).add(r.role);
    }
  }
  return {
    id: nextSetId++, casbin, matcher, policies: rules.filter((r): r is PolicyRule => r.type === "p"),
    groupMembers, edges, projectNames, closures: new Map(), objectPatterns: new Map(),
  };
}

/** Bounded caches: start again rather than grow without end (fine-grained actions make keys unbounded). */
function remember<V>(map: Map<string, V>, key: string, value: V): V {
  if (map.size >= MEMO_LIMIT) map.clear();
  map.set(key, value);
  return value;
}

/**
 * The subject and every role it reaches through g lines. Unlike casbin's role manager it has no
 * depth limit, so it is never smaller than what casbin reaches: a superset only makes the
 * signature finer, never wrong.
 */
function closureOf(set: PolicySet, subject: string): ReadonlySet<string> {
  const hit = set.closures.get(subject);
  if (hit) return hit;
  const seen = new Set([subject]);
  const queue = [subject];
  while (queue.length > 0) {
    for (const role of set.edges.get(queue.pop()!) ?? []) {
      if (!seen.has(role)) {
        seen.add(role);
        queue.push(role);
      }
    }
  }
  return remember(set.closures, subject, seen);
}

/** Which object patterns of the p lines that can apply to (subject, resource, action) `object` matches. */
function objectSignature(set: PolicySet, subject: string, resource: string, action: string, object: string): string {
  const key = `${subject}\u0000${resource}\u0000${action}`;
  let patterns = set.objectPatterns.get(key);
  if (!patterns) {
    const closure = closureOf(set, subject);
    const distinct = new Set<string>();
    for (const p of set.policies) {
      if (closure.has(p.subject) && set.matcher(resource, p.resource) && set.matcher(action, p.action)) distinct.add(p.object);
    }
    patterns = remember(set.objectPatterns, key, [...distinct]);
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
  /** Ask casbin every time, in the request's own project set (default false): the reference the memo is tested against. */
  noMemo?: boolean;
}

/**
 * Argo CD's Enforce (§3.4) over argocd-rbac-cm and the AppProjects. Implements operator/server's
 * `Enforcer`. Build it with `RbacEnforcer.build`, again whenever argocd-rbac-cm or an AppProject
 * changes, passing the previous one: what did not change is reused (a project token written to a
 * project's status then costs nothing).
 */
export class RbacEnforcer {
  private readonly memo = new Map<string, boolean>();

  private constructor(
    readonly config: RbacConfig,
    /** What the global set was built from (config, built-in policy or not), to reuse it. */
    private readonly baseKey: string,
    private readonly global: PolicySet,
    /** Per project name: its enforcer with the role policies, only for projects that exist. */
    private readonly projects: ReadonlyMap<string, PolicySet>,
    /** Per project name: the role rules its set was built from, to reuse it. */
    private readonly projectKeys: ReadonlyMap<string, string>,
    /** Problems with project roles (those roles were dropped). */
    readonly problems: readonly RbacProblem[],
    private readonly noMemo = false,
  ) {}

  /**
   * Throws RbacConfigError when argocd-rbac-cm is invalid: the caller keeps its previous enforcer,
   * or denies everything when it has none.
   */
  static async build(options: RbacEnforcerOptions = {}, previous?: RbacEnforcer): Promise<RbacEnforcer> {
    const { config, problems } = parseRbacConfig(options.rbacConfigMap);
    if (problems.length > 0) throw new RbacConfigError(problems);
    if (options.defaultRole !== undefined) config.defaultRole = options.defaultRole;
    return RbacEnforcer.fromConfig(config, options.projects ?? [], options.useBuiltinPolicy ?? true, previous, options.noMemo);
  }

  static async fromConfig(config: RbacConfig, projects: readonly AppProject[], useBuiltinPolicy = true, previous?: RbacEnforcer, noMemo = false): Promise<RbacEnforcer> {
    const scopes = config.scopes.length > 0 ? config.scopes : [...DEFAULT_SCOPES];
    const baseKey = JSON.stringify([useBuiltinPolicy, config.matchMode, config.rules]);
    const reuse = previous?.baseKey === baseKey ? previous : undefined;
    const matcher = reuse ? reuse.global.matcher : globOrRegexMatcher(config.matchMode);
    const base = [...(useBuiltinPolicy ? BUILTIN_RULES : []), ...config.rules];
    const global = reuse ? reuse.global : await buildPolicySet(base, matcher);
    const perProject = new Map<string, PolicySet>();
    const projectKeys = new Map<string, string>();
    const problems: RbacProblem[] = [];
    for (const project of projects) {
      const name = project.metadata?.name;
      if (!name) continue;
      const own = projectRules(project);
      problems.push(...own.problems);
      const key = JSON.stringify(own.rules);
      projectKeys.set(name, key);
      const old = reuse?.projectKeys.get(name) === key ? reuse.projects.get(name) : undefined;
      // A project without (valid) roles decides exactly as the global policy does.
      perProject.set(name, old ?? (own.rules.length > 0 ? await buildPolicySet([...base, ...own.rules], matcher, own.rules) : global));
    }
    return new RbacEnforcer({ ...config, scopes }, baseKey, global, perProject, projectKeys, problems, noMemo);
  }

  /** May the caller (undefined = anonymous) do `action` on `resource` `object`? */
  enforce(claims: RbacClaims | undefined, resource: string, action: string, object: string): boolean {
    // 1. policy.default: only its allow ends the evaluation.
    if (this.config.defaultRole !== "" && this.ask(this.global, this.config.defaultRole, resource, action, object)) return true;
    // 2. claims: the user, the project token, then the groups.
    if (claims && this.enforceClaims(claims, resource, action, object)) return true;
    // 3. Argo then asks again as the empty subject, for anonymous and JWT callers alike, so
    //    `g, , role:x` grants role:x to everyone.
    return this.ask(this.global, "", resource, action, object);
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

  private enforceClaims(claims: RbacClaims, resource: string, action: string, object: string): boolean {
    const subject = rbacSubject(claims);
    const projectName = projectOfRequest(resource, object);
    const project = projectName !== undefined ? this.projects.get(projectName) : undefined;
    if (project && subject.startsWith("proj:")) {
      // A project role token acts only inside its own project.
      const parts = subject.split(":");
      if (parts.length !== 3 || parts[1] !== projectName) return false;
      return this.ask(project, subject, resource, action, object);
    }
    const set = project ?? this.global;
    if (this.ask(this.pick(set, subject), subject, resource, action, object)) return true;
    for (const group of scopeValues(claims, this.config.scopes)) {
      if (set.groupMembers.has(group) && this.ask(this.pick(set, group), group, resource, action, object)) return true;
    }
    return false;
  }

  /** The project's set when `subject` reaches one of the project's own names, else the global set, which then answers the same. */
  private pick(set: PolicySet, subject: string): PolicySet {
    if (!set.projectNames || this.noMemo) return set;
    for (const name of closureOf(set, subject)) if (set.projectNames.has(name)) return set;
    return this.global;
  }

  /** casbin's answer for (subject, resource, action, object) in `set`, memoised by object match signature. */
  private ask(set: PolicySet, subject: string, resource: string, action: string, object: string): boolean {
    if (this.noMemo) return allowed(set, subject, resource, action, object);
    const key = `${set.id}\u0000${subject}\u0000${resource}\u0000${action}\u0000${objectSignature(set, subject, resource, action, object)}`;
    const hit = this.memo.get(key);
    if (hit !== undefined) return hit;
    return remember(this.memo, key, allowed(set, subject, resource, action, object));
  }
}
