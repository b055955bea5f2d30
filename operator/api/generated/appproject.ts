// Generated from crds/appproject.yaml by hack/gen-types.ts; do not edit. Run `npm run gen:types`.
import type { ObjectMeta } from "../object.js";

/**
 * A boundary for a group of Applications: which sources they may use, where they may deploy, which kinds they may manage, when they may sync, and who may act on them.
 */
export interface AppProject {
  /**
   * Versioned schema of this object; always argoproj.io/v1alpha1.
   */
  apiVersion: string;
  /**
   * Always AppProject.
   */
  kind: string;
  metadata: ObjectMeta;
  spec: AppProjectSpec;
  status?: AppProjectStatus;
  [k: string]: unknown;
}
/**
 * The project's rules.
 */
export interface AppProjectSpec {
  /**
   * Free-form description of the project.
   */
  description?: string;
  /**
   * Repository URL globs Applications may use (* within a path segment, ** across segments); a leading ! denies. A repository is allowed when some allow pattern matches and no deny pattern does.
   */
  sourceRepos?: string[];
  /**
   * Cluster/namespace globs Applications may deploy to; a leading ! denies. Every namespaced resource is checked, not only destination.namespace.
   */
  destinations?: ProjectDestination[];
  /**
   * Also require the destination cluster to be registered with project set to this project.
   */
  permitOnlyProjectScopedClusters?: boolean;
  /**
   * Namespaces (globs) outside the controller's own where this project's Applications may live.
   */
  sourceNamespaces?: string[];
  /**
   * Cluster-scoped kinds Applications may manage; when empty, none are allowed. Group, kind and name are globs.
   */
  clusterResourceWhitelist?: ClusterResourceRestrictionItem[];
  /**
   * Cluster-scoped kinds Applications may not manage; wins over the whitelist.
   */
  clusterResourceBlacklist?: ClusterResourceRestrictionItem[];
  /**
   * Namespaced kinds Applications may manage. Unset allows every kind; an empty list allows none.
   */
  namespaceResourceWhitelist?: GroupKind[];
  /**
   * Namespaced kinds Applications may not manage; wins over the whitelist.
   */
  namespaceResourceBlacklist?: GroupKind[];
  /**
   * Named roles with their policies, bound groups and issued tokens.
   */
  roles?: ProjectRole[];
  /**
   * Time windows that allow or deny syncs. With no matching window syncs are always allowed; a matching active deny window blocks; if any allow window matches, syncs happen only while one is active.
   */
  syncWindows?: SyncWindow[];
  orphanedResources?: OrphanedResourcesMonitorSettings;
  /**
   * Deprecated in favour of sourceIntegrity; GnuPG key IDs commits must be signed with.
   */
  signatureKeys?: SignatureKey[];
  sourceIntegrity?: SourceIntegrity;
  /**
   * Service accounts syncs impersonate, per destination; the first match wins.
   */
  destinationServiceAccounts?: ApplicationDestinationServiceAccount[];
}
export interface ProjectDestination {
  /**
   * Glob over cluster API URLs.
   */
  server?: string;
  /**
   * Glob over cluster names.
   */
  name?: string;
  /**
   * Glob over namespaces.
   */
  namespace?: string;
}
export interface ClusterResourceRestrictionItem {
  /**
   * API group glob; empty is the core group.
   */
  group: string;
  /**
   * Kind glob.
   */
  kind: string;
  /**
   * Optional glob over resource names.
   */
  name?: string;
}
export interface GroupKind {
  /**
   * API group; empty is the core group.
   */
  group: string;
  /**
   * Kind.
   */
  kind: string;
}
export interface ProjectRole {
  /**
   * Role name, unique within the project.
   */
  name: string;
  /**
   * Free-form description.
   */
  description?: string;
  /**
   * Casbin policy lines, e.g. "p, proj:<project>:<role>, applications, sync, <project>/*, allow".
   */
  policies?: string[];
  /**
   * SSO groups that hold this role.
   */
  groups?: string[];
  /**
   * Tokens issued for this role; removing an entry revokes the token.
   */
  jwtTokens?: JWTToken[];
}
export interface JWTToken {
  /**
   * Issued-at time, in seconds since the epoch.
   */
  iat: number;
  /**
   * Expiry time, in seconds since the epoch; 0 means never.
   */
  exp?: number;
  /**
   * Token identifier (the jti claim).
   */
  id?: string;
}
export interface SyncWindow {
  /**
   * Whether the window allows or denies syncs.
   */
  kind?: "allow" | "deny";
  /**
   * Five-field cron expression for the window's start.
   */
  schedule?: string;
  /**
   * How long the window stays open, e.g. 1h or 30m.
   */
  duration?: string;
  /**
   * IANA time zone the schedule is read in; UTC when unset.
   */
  timeZone?: string;
  /**
   * Application name globs the window applies to.
   */
  applications?: string[];
  /**
   * Destination namespace globs the window applies to.
   */
  namespaces?: string[];
  /**
   * Destination cluster globs the window applies to.
   */
  clusters?: string[];
  /**
   * Require every selector to match instead of any.
   */
  andOperator?: boolean;
  /**
   * Let manual syncs through even when the window blocks.
   */
  manualSync?: boolean;
  /**
   * Let a sync that started inside the window run past its end.
   */
  syncOverrun?: boolean;
  /**
   * Free-form description.
   */
  description?: string;
}
/**
 * Report resources in destination namespaces that no Application manages.
 */
export interface OrphanedResourcesMonitorSettings {
  /**
   * Raise an OrphanedResourceWarning condition on Applications.
   */
  warn?: boolean;
  /**
   * Resources never reported as orphaned.
   */
  ignore?: OrphanedResourceKey[];
}
export interface OrphanedResourceKey {
  /**
   * API group glob.
   */
  group?: string;
  /**
   * Kind glob.
   */
  kind?: string;
  /**
   * Name glob.
   */
  name?: string;
}
export interface SignatureKey {
  /**
   * GnuPG key ID.
   */
  keyID: string;
}
/**
 * Checks the sources must pass before they are rendered.
 */
export interface SourceIntegrity {
  git?: SourceIntegrityGit;
}
/**
 * Integrity checks for git sources.
 */
export interface SourceIntegrityGit {
  /**
   * Policies, each applying to the repositories it lists.
   */
  policies?: SourceIntegrityGitPolicy[];
}
export interface SourceIntegrityGitPolicy {
  /**
   * Repositories (URL globs, ! denies) the policy applies to.
   */
  repos?: SourceIntegrityGitPolicyRepo[];
  gpg?: SourceIntegrityGitPolicyGPG;
}
export interface SourceIntegrityGitPolicyRepo {
  /**
   * Repository URL glob; a leading ! excludes.
   */
  url: string;
}
/**
 * GnuPG signature verification.
 */
export interface SourceIntegrityGitPolicyGPG {
  /**
   * none (no check), head (the target commit must be signed), or strict (every commit back to the root must be signed).
   */
  mode?: "none" | "head" | "strict";
  /**
   * GnuPG key IDs that are trusted.
   */
  keys?: string[];
}
export interface ApplicationDestinationServiceAccount {
  /**
   * Glob over cluster API URLs.
   */
  server: string;
  /**
   * Glob over namespaces.
   */
  namespace?: string;
  /**
   * Service account to impersonate, as name or namespace:name.
   */
  defaultServiceAccount: string;
}
/**
 * State kept by the controller.
 */
export interface AppProjectStatus {
  /**
   * Issued tokens per role name.
   */
  jwtTokensByRole?: {
    [k: string]: JWTTokens;
  };
}
export interface JWTTokens {
  /**
   * Issued tokens.
   */
  items?: JWTToken[];
}
