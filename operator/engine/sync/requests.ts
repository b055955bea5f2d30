// The operations a user asks for (sync, rollback), as the CLI and the API server both write them
// into an Application's \`.operation\`, and the rules that refuse one before it is written (another
// operation running, a sync window, rollback under auto-sync). Pure: callers read the app and its
// project and write the result.
import type { Application, Operation, RevisionHistory, SyncOperation, SyncOperationResource, SyncWindow } from "../../api/index.js";
import { FINALIZER_RESOURCES, FINALIZER_RESOURCES_BACKGROUND } from "../../api/annotations.js";
import { autoSyncEnabled } from "./autosync.js";
import { syncWindowVerdict } from "../syncwindows.js";

/** A request the app's state refuses; the message names the app and why. */
export class RequestRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RequestRefused";
  }
}

export interface SyncRequest {
  revision?: string;
  /** One revision per source of a multi-source app (see perSourceRevisions). */
  revisions?: string[];
  prune?: boolean;
  dryRun?: boolean;
  force?: boolean;
  /** "apply" skips hooks; "hook" (the default) runs them. */
  strategy?: "apply" | "hook";
  resources?: SyncOperationResource[];
  syncOptions?: string[];
  /** Argo's sync `infos`: name/value pairs kept in the operation (shown in the operation state). */
  infos?: Array<{ name: string; value: string }>;
  username: string;
}

/** The `.operation` a manual sync writes (Argo's SyncOperation fields; unset flags stay absent). */
export function syncOperation(req: SyncRequest): Operation {
  const sync: SyncOperation = {};
  if (req.revision) sync.revision = req.revision;
  if (req.revisions && req.revisions.length > 0) sync.revisions = [...req.revisions];
  if (req.prune) sync.prune = true;
  if (req.dryRun) sync.dryRun = true;
  const force = req.force ? { force: true } : {};
  sync.syncStrategy = req.strategy === "apply" ? { apply: force } : { hook: force };
  if (req.resources && req.resources.length > 0) sync.resources = req.resources;
  if (req.syncOptions && req.syncOptions.length > 0) sync.syncOptions = req.syncOptions;
  const op: Operation = { sync, initiatedBy: { username: req.username } };
  if (req.infos && req.infos.length > 0) op.info = syncInfos(req.infos);
  return op;
}

/**
 * A sync request's `infos`, checked: each needs a name and a string value (Argo stores them as
 * given in `operation.info`; an entry without a name would show as an empty row).
 */
export function syncInfos(infos: ReadonlyArray<{ name?: unknown; value?: unknown }>): Array<{ name: string; value: string }> {
  return infos.map((info, i) => {
    if (typeof info.name !== "string" || info.name.trim() === "") throw new RequestRefused(`infos[${i}].name must be a non-empty string`);
    if (info.value !== undefined && typeof info.value !== "string") throw new RequestRefused(`infos[${i}].value must be a string`);
    return { name: info.name, value: typeof info.value === "string" ? info.value : "" };
  });
}

/** The revisions of a per-source sync: what each source syncs to, and the sources the request moves. */
export interface PerSourceRevisions {
  /** One entry per spec.sources entry: the requested revision, else the source's targetRevision. */
  revisions: string[];
  /** 0-based indexes of the sources whose requested revision differs from their targetRevision. */
  overridden: number[];
}

/**
 * Argo's per-source sync (SyncRequest `revisions` with 1-based `sourcePositions`): the revision
 * at `revisions[i]` is for the source at `sourcePositions[i]`. Throws RequestRefused naming the
 * field for a single-source app, lists of different lengths, a position out of range or given
 * twice, or an empty revision.
 */
export function perSourceRevisions(app: Pick<Application, "metadata" | "spec">, revisions: readonly string[], positions: readonly number[]): PerSourceRevisions {
  const sources = app.spec.sources ?? [];
  const name = app.metadata.name ?? "";
  if (sources.length === 0) throw new RequestRefused(`application ${name} has a single source: revisions and sourcePositions are for multi-source applications (spec.sources); use revision`);
  if (revisions.length !== positions.length) throw new RequestRefused(`revisions (${revisions.length}) and sourcePositions (${positions.length}) must have the same length: sourcePositions[i] is the 1-based source that revisions[i] is for`);
  const out = sources.map((s) => s.targetRevision || "HEAD");
  const overridden: number[] = [];
  const seen = new Set<number>();
  positions.forEach((pos, i) => {
    if (!Number.isInteger(pos) || pos < 1 || pos > sources.length) throw new RequestRefused(`sourcePositions[${i}] = ${pos} is out of range: application ${name} has ${sources.length} sources, numbered from 1`);
    if (seen.has(pos)) throw new RequestRefused(`sourcePositions[${i}]: source ${pos} is given more than once`);
    seen.add(pos);
    const rev = revisions[i]!;
    if (!rev) throw new RequestRefused(`revisions[${i}] is empty: give the revision source ${pos} syncs to`);
    if (rev !== out[pos - 1]) overridden.push(pos - 1);
    out[pos - 1] = rev;
  });
  return { revisions: out, overridden: overridden.sort((a, b) => a - b) };
}

/** Why a new operation may not start, or undefined when it may (Argo: "another operation is already in progress"). */
export function operationInProgress(app: Pick<Application, "operation" | "status">): string | undefined {
  const phase = app.status?.operationState?.phase;
  if (phase === "Running" || phase === "Terminating") return `another operation is already in progress (phase ${phase}${app.status?.operationState?.message ? `: ${app.status.operationState.message}` : ""})`;
  if (app.operation) return "another operation is already in progress (an operation is requested and not yet started)";
  return undefined;
}

/**
 * Why the project's sync windows refuse a manual sync (or rollback) of the app at `now`, naming
 * the window(s), or undefined when they let it through. Argo's API server refuses such a sync
 * before it starts; the operator checks again when it runs the operation.
 */
export function manualSyncWindowRefusal(app: Pick<Application, "metadata" | "spec">, windows: SyncWindow[] | undefined, now: Date): string | undefined {
  const verdict = syncWindowVerdict({
    windows,
    app: { name: app.metadata.name ?? "", ...(app.metadata.namespace ? { namespace: app.metadata.namespace } : {}) },
    destination: app.spec.destination,
    now,
    kind: "manual",
  });
  return verdict.allowed ? undefined : verdict.message;
}

/**
 * The history entry `rollback NAME [ID]` goes back to: the given id, or the entry before the
 * latest. Throws a message naming the app when rollback is not possible.
 */
export function chooseRollbackEntry(app: Pick<Application, "metadata" | "spec" | "status">, id: number | undefined): RevisionHistory {
  const name = app.metadata.name ?? "";
  if (autoSyncEnabled(app.spec.syncPolicy)) throw new RequestRefused(`application ${name}: rollback is not allowed while spec.syncPolicy.automated is enabled (disable auto-sync first)`);
  const history = [...(app.status?.history ?? [])].sort((a, b) => a.id - b.id);
  if (id !== undefined) {
    const h = history.find((x) => x.id === id);
    if (!h) throw new RequestRefused(`application ${name}: no history entry with id ${id} (known: ${history.map((x) => x.id).join(", ") || "none"})`);
    return h;
  }
  const prev = history[history.length - 2];
  if (!prev) throw new RequestRefused(`application ${name}: status.history has ${history.length} entr${history.length === 1 ? "y" : "ies"}; nothing earlier to roll back to`);
  return prev;
}

/** The `.operation` a rollback writes: the entry's revision(s) and source(s), applied without hooks (as Argo's Rollback). */
export function rollbackOperation(h: RevisionHistory, opts: { prune?: boolean; dryRun?: boolean; username: string }): Operation {
  const sync: SyncOperation = { syncStrategy: { apply: {} } };
  if (h.sources && h.sources.length > 0) {
    sync.revisions = h.revisions ?? [];
    sync.sources = h.sources;
  } else {
    if (h.revision) sync.revision = h.revision;
    if (h.source) sync.source = h.source;
  }
  if (opts.prune) sync.prune = true;
  if (opts.dryRun) sync.dryRun = true;
  return { sync, initiatedBy: { username: opts.username } };
}

/**
 * The finalizers an Application should carry before a delete: with cascade, the resources
 * finalizer (foreground by default, or the /background form), keeping an existing one unless a
 * policy is asked for; without cascade, none of them (its resources are kept).
 */
export function deletionFinalizers(finalizers: readonly string[], cascade: boolean, policy: "foreground" | "background" | undefined): string[] {
  const isResourcesFinalizer = (f: string): boolean => f === FINALIZER_RESOURCES || f.startsWith(`${FINALIZER_RESOURCES}/`);
  if (!cascade) return finalizers.filter((f) => !isResourcesFinalizer(f));
  const wanted = policy === "background" ? FINALIZER_RESOURCES_BACKGROUND : FINALIZER_RESOURCES;
  const present = finalizers.find(isResourcesFinalizer);
  if (!present) return [...finalizers, wanted];
  if (policy && present !== wanted) return [...finalizers.filter((f) => !isResourcesFinalizer(f)), wanted];
  return [...finalizers];
}
