// Reading the sync-related annotations of a resource and the sync options of an Application, as
// gitops-engine does (pkg/sync/hook, pkg/sync/syncwaves, pkg/sync/common) including Helm's hook
// annotations, which Argo maps onto its own.
import {
  ANNOTATION_HOOK,
  ANNOTATION_HOOK_DELETE_POLICY,
  ANNOTATION_SYNC_OPTIONS,
  ANNOTATION_SYNC_WAVE,
  HELM_ANNOTATION_HOOK,
  HELM_ANNOTATION_HOOK_DELETE_POLICY,
  HELM_ANNOTATION_HOOK_WEIGHT,
} from "../../api/annotations.js";
import { DurationError, parseGoDuration } from "./duration.js";
import type { HookDeletePolicy, HookType, KubeObject } from "./types.js";

/** A bad annotation value; the message names the resource so users can find it. */
export class SyncAnnotationError extends Error {}

const HOOK_TYPES: readonly HookType[] = ["PreSync", "Sync", "PostSync", "SyncFail", "Skip", "PreDelete", "PostDelete"];
const DELETE_POLICIES: readonly HookDeletePolicy[] = ["HookSucceeded", "HookFailed", "BeforeHookCreation"];

/** Helm hooks with an Argo meaning; rollback and test hooks have none and are never run. */
const HELM_HOOKS: Record<string, HookType | undefined> = {
  "pre-install": "PreSync",
  "pre-upgrade": "PreSync",
  "post-install": "PostSync",
  "post-upgrade": "PostSync",
  "pre-delete": "PreDelete",
  "post-delete": "PostDelete",
};
const HELM_DELETE_POLICIES: Record<string, HookDeletePolicy> = {
  "before-hook-creation": "BeforeHookCreation",
  "hook-succeeded": "HookSucceeded",
  "hook-failed": "HookFailed",
};

function annotation(obj: KubeObject, key: string): string | undefined {
  const v: unknown = obj.metadata.annotations?.[key];
  if (v === undefined || v === null) return undefined;
  // The apiserver would reject it; saying so here beats silently ignoring e.g. an unquoted wave.
  if (typeof v !== "string") throw new SyncAnnotationError(`${describeObject(obj)}: annotation ${key} must be a string, got ${JSON.stringify(v)}`);
  return v;
}

/** Argo's GetAnnotationCSVs: split on commas, trim, drop empties. */
export function csv(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value.split(",").map((s) => s.trim()).filter((s) => s !== "");
}

export function describeObject(obj: KubeObject): string {
  const name = obj.metadata.name ?? (obj.metadata.generateName ? `${obj.metadata.generateName}*` : "<unnamed>");
  return `${obj.kind} ${obj.metadata.namespace ? `${obj.metadata.namespace}/` : ""}${name}`;
}

/**
 * Hook types of an object. Argo's annotation wins when it names at least one known type; otherwise
 * Helm's is mapped. `crd-install` is an ordinary resource, so it yields no types.
 */
export function hookTypes(obj: KubeObject): HookType[] {
  const argo = csv(annotation(obj, ANNOTATION_HOOK)).filter((t): t is HookType => (HOOK_TYPES as string[]).includes(t));
  if (argo.length > 0) return unique(argo);
  const out: HookType[] = [];
  for (const h of csv(annotation(obj, HELM_ANNOTATION_HOOK))) {
    const t = HELM_HOOKS[h];
    if (t) out.push(t);
  }
  return unique(out);
}

/**
 * Whether the object is a hook (gitops-engine hook.IsHook): it carries Argo's hook annotation and
 * is not Skip-only, or a Helm hook other than crd-install. A Helm test/rollback hook is a hook with
 * no runnable type, so it is never applied.
 */
export function isHook(obj: KubeObject): boolean {
  if (annotation(obj, ANNOTATION_HOOK) !== undefined) return !isSkipped(obj);
  const helm = annotation(obj, HELM_ANNOTATION_HOOK);
  return helm !== undefined && helm.trim() !== "crd-install";
}

/** `Skip` as the only hook type: the resource is not applied at all. */
export function isSkipped(obj: KubeObject): boolean {
  const types = hookTypes(obj);
  return types.length === 1 && types[0] === "Skip";
}

/** Delete policies: Argo's, else Helm's mapped, else BeforeHookCreation. */
export function hookDeletePolicies(obj: KubeObject): HookDeletePolicy[] {
  const argo = csv(annotation(obj, ANNOTATION_HOOK_DELETE_POLICY)).filter((p): p is HookDeletePolicy =>
    (DELETE_POLICIES as string[]).includes(p));
  if (argo.length > 0) return unique(argo);
  const helm = csv(annotation(obj, HELM_ANNOTATION_HOOK_DELETE_POLICY))
    .map((p) => HELM_DELETE_POLICIES[p])
    .filter((p): p is HookDeletePolicy => p !== undefined);
  if (helm.length > 0) return unique(helm);
  return ["BeforeHookCreation"];
}

/** Go's strconv.Atoi: optional sign and decimal digits, nothing else. */
function atoi(s: string): number | undefined {
  if (!/^[+-]?\d+$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * The sync wave: `argocd.argoproj.io/sync-wave`, else `helm.sh/hook-weight`, else 0. Argo falls
 * back silently on an unparsable value; Hawser reports it, because a silently ignored wave reorders
 * a rollout.
 */
export function syncWave(obj: KubeObject): number {
  for (const key of [ANNOTATION_SYNC_WAVE, HELM_ANNOTATION_HOOK_WEIGHT]) {
    const raw = annotation(obj, key);
    if (raw === undefined) continue;
    const n = atoi(raw.trim());
    if (n === undefined) {
      throw new SyncAnnotationError(`${describeObject(obj)}: annotation ${key} must be an integer, got ${JSON.stringify(raw)}`);
    }
    return n;
  }
  return 0;
}

export type PrunePolicy = boolean | "confirm";
export type PropagationPolicy = "foreground" | "background" | "orphan";

/** Sync options in typed form. Unset fields mean "not said" so app and resource levels can merge. */
export interface SyncOptions {
  prune?: PrunePolicy;
  delete?: PrunePolicy;
  pruneLast?: boolean;
  prunePropagationPolicy?: PropagationPolicy;
  validate?: boolean;
  skipDryRunOnMissingResource?: boolean;
  applyOutOfSyncOnly?: boolean;
  replace?: boolean;
  force?: boolean;
  serverSideApply?: boolean;
  clientSideApplyMigration?: boolean;
  createNamespace?: boolean;
  respectIgnoreDifferences?: boolean;
  failOnSharedResource?: boolean;
  /** Hawser: `timeout.reconcile=<duration>`, the application's own refresh interval, in ms. */
  refreshIntervalMs?: number;
}

export interface ParsedSyncOptions {
  options: SyncOptions;
  /** Options Hawser does not know, verbatim. */
  unknown: string[];
  /** One message per unknown or invalid option, for a condition on the Application. */
  warnings: string[];
}

type OptionScope = "app" | "resource";
type Setter = (o: SyncOptions, value: string) => boolean;

const bool = (field: keyof SyncOptions): Setter => (o, v) => {
  if (v !== "true" && v !== "false") return false;
  (o as Record<string, unknown>)[field] = v === "true";
  return true;
};
const prunePolicy = (field: "prune" | "delete"): Setter => (o, v) => {
  if (v === "confirm") o[field] = "confirm";
  else if (v === "true" || v === "false") o[field] = v === "true";
  else return false;
  return true;
};

/** Option name → setter and where it may appear (sync-options.md, "App"/"Res" columns). */
const OPTIONS: Record<string, { set: Setter; scopes: OptionScope[] }> = {
  Prune: { set: prunePolicy("prune"), scopes: ["app", "resource"] },
  Delete: { set: prunePolicy("delete"), scopes: ["app", "resource"] },
  PruneLast: { set: bool("pruneLast"), scopes: ["app", "resource"] },
  PrunePropagationPolicy: {
    set: (o, v) => {
      if (v !== "foreground" && v !== "background" && v !== "orphan") return false;
      o.prunePropagationPolicy = v;
      return true;
    },
    scopes: ["app"],
  },
  Validate: { set: bool("validate"), scopes: ["app", "resource"] },
  SkipDryRunOnMissingResource: { set: bool("skipDryRunOnMissingResource"), scopes: ["app", "resource"] },
  ApplyOutOfSyncOnly: { set: bool("applyOutOfSyncOnly"), scopes: ["app"] },
  Replace: { set: bool("replace"), scopes: ["app", "resource"] },
  Force: { set: bool("force"), scopes: ["resource"] },
  ServerSideApply: { set: bool("serverSideApply"), scopes: ["app", "resource"] },
  ClientSideApplyMigration: { set: bool("clientSideApplyMigration"), scopes: ["app"] },
  CreateNamespace: { set: bool("createNamespace"), scopes: ["app"] },
  RespectIgnoreDifferences: { set: bool("respectIgnoreDifferences"), scopes: ["app"] },
  FailOnSharedResource: { set: bool("failOnSharedResource"), scopes: ["app"] },
  "timeout.reconcile": {
    set: (o, v) => {
      try {
        const ms = parseGoDuration(v);
        if (ms < 0) return false;
        o.refreshIntervalMs = ms;
        return true;
      } catch (err) {
        if (err instanceof DurationError) return false;
        throw err;
      }
    },
    scopes: ["app"],
  },
};

/** The sync option names Hawser parses (docs/compatibility.md has a row for each). */
export const KNOWN_SYNC_OPTIONS: readonly string[] = Object.keys(OPTIONS);

/**
 * Parses `Key=value` options. Argo matches option strings exactly and ignores the rest; Hawser
 * returns what it does not understand so the controller can say so instead of ignoring it.
 */
export function parseSyncOptions(list: readonly string[] | undefined, scope: OptionScope = "app"): ParsedSyncOptions {
  const out: ParsedSyncOptions = { options: {}, unknown: [], warnings: [] };
  for (const raw of list ?? []) {
    const entry = raw.trim();
    if (entry === "") continue;
    const eq = entry.indexOf("=");
    const key = eq < 0 ? entry : entry.slice(0, eq).trim();
    const value = eq < 0 ? "" : entry.slice(eq + 1).trim();
    const def = OPTIONS[key];
    if (!def) {
      out.unknown.push(entry);
      out.warnings.push(`unknown sync option "${entry}"`);
    } else if (!def.set(out.options, value)) {
      out.unknown.push(entry);
      out.warnings.push(`sync option "${entry}": invalid value ${JSON.stringify(value)}`);
    } else if (!def.scopes.includes(scope)) {
      out.warnings.push(`sync option "${entry}" has no effect on ${scope === "app" ? "an Application" : "a resource"}`);
    } else if (key === "ServerSideApply" && out.options.serverSideApply === false) {
      // Hawser has no client-side apply (docs/decisions.md): said, not silently ignored.
      out.warnings.push(`sync option "${entry}": Hawser always applies server-side (field manager hawser); client-side apply is not supported`);
    }
  }
  return out;
}

/** A resource's `argocd.argoproj.io/sync-options` annotation. */
export function resourceSyncOptions(obj: KubeObject | undefined): ParsedSyncOptions {
  if (!obj) return { options: {}, unknown: [], warnings: [] };
  return parseSyncOptions(csv(annotation(obj, ANNOTATION_SYNC_OPTIONS)), "resource");
}

/** Resource options override the app's, field by field, as Argo checks the annotation first. */
export function mergeSyncOptions(app: SyncOptions, resource: SyncOptions): SyncOptions {
  const merged: SyncOptions = { ...app };
  for (const [k, v] of Object.entries(resource)) if (v !== undefined) (merged as Record<string, unknown>)[k] = v;
  return merged;
}

function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * Whether the Application's `argocd.argoproj.io/deletion-approved` value confirms what started at
 * `since` (an operation's start, or the deletion request): an RFC 3339 time no earlier than it, as
 * Argo's IsDeletionConfirmed. `since` is compared at whole seconds, the precision Argo stores and
 * `argocd app confirm-deletion` writes, so an approval given in the operation's first second counts.
 * Anything else (empty, "true", a date without a time, a stale approval) confirms nothing.
 */
export function deletionApproved(approvedAt: string | undefined, since: string | undefined): boolean {
  if (!approvedAt || !since || !RFC3339.test(approvedAt.trim())) return false;
  const approved = Date.parse(approvedAt.trim());
  const start = Date.parse(since);
  if (Number.isNaN(approved) || Number.isNaN(start)) return false;
  return approved >= Math.floor(start / 1000) * 1000;
}
