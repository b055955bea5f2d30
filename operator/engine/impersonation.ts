// Sync impersonation (argocd-cm `application.sync.impersonation.enabled`): which service account
// an Application's sync runs as, from its AppProject's `destinationServiceAccounts`, by Argo CD's
// rules. Pure; the operation and deletion reconcilers send their writes with the result as
// `Impersonate-User`, and Kubernetes RBAC then decides what the sync may do.
import { gobwasMatch } from "../util/glob.js";

export interface DestinationServiceAccount {
  /** Glob over the destination cluster's server URL. */
  server?: string;
  /** Glob over the Application's destination namespace. */
  namespace?: string;
  /** `namespace:name`, or a name in the destination namespace. */
  defaultServiceAccount?: string;
}

export interface ImpersonationTarget {
  /** The resolved destination cluster's server URL. */
  server: string;
  /** `spec.destination.namespace` as written (may be empty). */
  destinationNamespace?: string;
  /** The Application's own namespace: where a bare name lives when the destination has no namespace. */
  appNamespace: string;
}

export type ImpersonationResult = { ok: true; user: string } | { ok: false; message: string };

/** Argo's prefix for every failure to pick a service account (the operation's message starts with it). */
export const IMPERSONATION_ERROR_PREFIX = "failed to find a matching service account to impersonate";

/**
 * The Kubernetes user a sync impersonates (`system:serviceaccount:<ns>:<name>`): the first entry
 * whose server and namespace globs both match wins, as in Argo; no match, or a matching entry
 * with a blank service account or one holding a space, is an error in Argo's words.
 */
export function serviceAccountToImpersonate(entries: readonly DestinationServiceAccount[] | undefined, target: ImpersonationTarget): ImpersonationResult {
  const destNs = target.destinationNamespace ?? "";
  const saNamespace = destNs || target.appNamespace;
  for (const entry of entries ?? []) {
    // Argo matches the namespace glob against the destination namespace as written, even when empty.
    if (!gobwasMatch(entry.server ?? "", target.server) || !gobwasMatch(entry.namespace ?? "", destNs)) continue;
    const sa = entry.defaultServiceAccount ?? "";
    if (sa.trim() === "" || sa.includes(" ")) {
      return { ok: false, message: `${IMPERSONATION_ERROR_PREFIX}: default service account contains invalid chars '${sa}'` };
    }
    if (sa.includes(":")) return { ok: true, user: `system:serviceaccount:${sa}` };
    return { ok: true, user: `system:serviceaccount:${saNamespace}:${sa}` };
  }
  return { ok: false, message: `${IMPERSONATION_ERROR_PREFIX}: no matching service account found for destination server ${target.server} and namespace ${saNamespace}` };
}
