// AppProject policy, as Argo CD enforces it: which repositories an Application may use, which
// destinations it may deploy to, and which kinds of resources it may create. Pure functions over
// the project spec; the controllers call them before comparing and before every sync task.
import type { DestinationServiceAccount } from "./impersonation.js";
import { gobwasMatch } from "../util/glob.js";

export interface ProjectDestination { server?: string; name?: string; namespace?: string }
export interface GroupKindRule { group?: string; kind?: string; name?: string }

export interface ProjectPolicySpec {
  sourceRepos?: string[];
  destinations?: ProjectDestination[];
  clusterResourceWhitelist?: GroupKindRule[] | null;
  clusterResourceBlacklist?: GroupKindRule[] | null;
  namespaceResourceWhitelist?: GroupKindRule[] | null;
  namespaceResourceBlacklist?: GroupKindRule[] | null;
  permitOnlyProjectScopedClusters?: boolean;
  /** Namespaces outside the control namespace whose Applications may use the project (engine/namespaces.ts). */
  sourceNamespaces?: string[];
  /** Service accounts a sync impersonates, per destination (engine/impersonation.ts). */
  destinationServiceAccounts?: DestinationServiceAccount[];
}

/** A registered destination cluster; `project` is set when its cluster Secret scopes it to one. */
export interface ClusterRef { server: string; name: string; project?: string }

/** Normalises a repository URL for comparison as Argo does: lowercase, no `.git`, no trailing slash. */
export function normalizeRepoUrl(url: string): string {
  let u = url.trim().toLowerCase();
  if (u.endsWith("/")) u = u.slice(0, -1);
  if (u.endsWith(".git")) u = u.slice(0, -4);
  return u;
}

function split(patterns: string[] | undefined): { allow: string[]; deny: string[] } {
  const allow: string[] = [];
  const deny: string[] = [];
  for (const p of patterns ?? []) (p.startsWith("!") ? deny : allow).push(p.startsWith("!") ? p.slice(1) : p);
  return { allow, deny };
}

/** Problems that make the project itself invalid (Argo rejects them). */
export function validateProjectSpec(spec: ProjectPolicySpec): string[] {
  const problems: string[] = [];
  for (const r of spec.sourceRepos ?? []) if (r === "!*") problems.push(`source repository "!*" is not allowed (it denies every repository)`);
  for (const d of spec.destinations ?? []) {
    if (d.server === "!*" || d.name === "!*" || d.namespace === "!*") problems.push(`destination pattern "!*" is not allowed`);
  }
  return problems;
}

/** sourceRepos: globs with `/` as separator; allowed iff an allow pattern matches and no deny does. */
export function isSourcePermitted(spec: ProjectPolicySpec, repoURL: string): boolean {
  const url = normalizeRepoUrl(repoURL);
  const { allow, deny } = split(spec.sourceRepos);
  const matches = (p: string): boolean => p === "*" || gobwasMatch(normalizeRepoUrl(p), url, "/");
  return allow.some(matches) && !deny.some(matches);
}

/** A glob where a leading `!` inverts the match (Argo's globMatch with negation allowed). */
function negatableMatch(pattern: string | undefined, value: string): boolean {
  const p = pattern ?? "";
  if (p.startsWith("!")) return !gobwasMatch(p.slice(1), value);
  return gobwasMatch(p, value);
}

const isDeny = (p: string | undefined): boolean => p?.startsWith("!") ?? false;

/**
 * destinations: globs without separators, `!` negating a field. A rule matches when (server or
 * name matches) and the namespace matches; a rule whose negated field fails to match rejects the
 * destination outright (Argo's IsDestinationPermitted, rule by rule).
 */
export function isDestinationPermitted(spec: ProjectPolicySpec, dest: ProjectDestination): boolean {
  let anyMatched = false;
  for (const rule of spec.destinations ?? []) {
    const nameMatched = !!dest.name && negatableMatch(rule.name, dest.name);
    const serverMatched = !!dest.server && negatableMatch(rule.server, dest.server);
    const nsMatched = negatableMatch(rule.namespace, dest.namespace ?? "");
    if ((serverMatched || nameMatched) && nsMatched) anyMatched = true;
    else if (((!nameMatched && isDeny(rule.name)) || (!serverMatched && isDeny(rule.server))) && nsMatched) return false;
    else if (!nsMatched && isDeny(rule.namespace) && serverMatched) return false;
  }
  return anyMatched;
}

/**
 * permitOnlyProjectScopedClusters: on top of the destination rules, the cluster must be scoped to
 * this project, i.e. one of its clusters has the destination's name or server (Argo's
 * IsDestinationPermitted). Scoping alone never permits a destination the rules do not list, and
 * without the flag a scoped cluster is checked like any other, as in Argo.
 */
export function isClusterPermitted(spec: ProjectPolicySpec, projectName: string, dest: ClusterRef, clusters: readonly ClusterRef[]): boolean {
  if (spec.permitOnlyProjectScopedClusters !== true) return true;
  return clusters.some((c) => c.project === projectName && (c.name === dest.name || c.server === dest.server));
}

/** The message when permitOnlyProjectScopedClusters refuses a cluster (names what to change). */
export function unscopedClusterMessage(projectName: string, dest: ClusterRef): string {
  const scope = dest.project ? `is scoped to project '${dest.project}'` : "is not scoped to any project";
  return `cluster '${dest.name}' (${dest.server}) ${scope}; project '${projectName}' sets permitOnlyProjectScopedClusters, so only clusters whose Secret has project: ${projectName} are permitted`;
}

function ruleMatches(rule: GroupKindRule, group: string, kind: string, name?: string): boolean {
  // Go's filepath.Match over group and kind (neither contains "/"), and over the optional name.
  return gobwasMatch(rule.group ?? "", group, "/") && gobwasMatch(rule.kind ?? "", kind, "/") && (rule.name === undefined || rule.name === "" || gobwasMatch(rule.name, name ?? "", "/"));
}

/**
 * Whether the project lets Applications manage a resource of this group/kind. Cluster-scoped:
 * allowed iff the whitelist is non-empty and matches and the blacklist does not. Namespaced: a
 * missing whitelist allows all, an empty one allows none; the blacklist subtracts.
 */
export function isResourcePermitted(spec: ProjectPolicySpec, res: { group: string; kind: string; name?: string }, namespaced: boolean): boolean {
  const matchesAny = (rules: GroupKindRule[] | null | undefined): boolean => (rules ?? []).some((r) => ruleMatches(r, res.group, res.kind, res.name));
  if (!namespaced) {
    return matchesAny(spec.clusterResourceWhitelist) && !matchesAny(spec.clusterResourceBlacklist);
  }
  const white = spec.namespaceResourceWhitelist;
  const whiteOk = white === undefined || white === null ? true : matchesAny(white);
  return whiteOk && !matchesAny(spec.namespaceResourceBlacklist);
}
