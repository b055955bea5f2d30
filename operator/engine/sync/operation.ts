// The decisions around one sync operation that are not the step itself: whether a pass has an
// operation to run (and starts it), which sources and revisions it renders, what the controller
// observes of its resources, the history entry a success leaves, the retry a failure gets, and
// whether a Prune=confirm is approved. The operation reconciler does the I/O around them; here
// they are plain functions over the Application's fields so fixtures can pin them down.
import type {
  ApplicationSource,
  Operation,
  OperationState,
  ResourceResult,
  RevisionHistory,
  SyncOperation,
} from "../../api/index.js";
import { ANNOTATION_DELETION_APPROVED } from "../../api/annotations.js";
import { deletionApproved } from "./annotations.js";
import { nextRetry, retryDelayMs } from "./autosync.js";
import type { Observation } from "./step.js";
import { resourceRefKey, type HealthCode, type KubeObject, type ResourceRef } from "./types.js";

/** An operation state whose operation is a sync, the only kind Hawser runs. */
export type SyncOperationState = OperationState & { operation: Operation & { sync: SyncOperation } };

export interface OperationStart {
  /** What this pass runs: the stored Running/Terminating state, or a new Running one. */
  state?: SyncOperationState;
  /**
   * Set when `.operation` starts a new operation here: the Normal `OperationStarted` event's text.
   * It is set even when the new operation is not a sync (and so `state` is not), as before.
   */
  startedEvent?: string;
}

/**
 * The start of an operation pass. A stored Running or Terminating state is resumed as it is (the
 * same object, even when `.operation` is also set); otherwise a set `.operation` starts a new
 * Running state at `now`. Without either, or when the operation is not a sync, there is nothing
 * to run.
 */
export function startOperation(operation: Operation | undefined, stored: OperationState | undefined, now: string): OperationStart {
  const running = stored?.phase === "Running" || stored?.phase === "Terminating";
  if (!operation && !running) return {};
  let state = stored;
  let startedEvent: string | undefined;
  if (operation && !running) {
    state = { operation, phase: "Running", message: "", startedAt: now };
    startedEvent = `Initiated ${operation.initiatedBy?.automated ? "automated " : ""}sync to ${operation.sync?.revision ?? "HEAD"}`;
  }
  if (!state?.operation.sync) return startedEvent === undefined ? {} : { startedEvent };
  return { state: state as SyncOperationState, ...(startedEvent === undefined ? {} : { startedEvent }) };
}

/** The source fields of an Application spec, whatever narrower type the caller reads it as. */
export interface SourcedSpec {
  source?: unknown;
  sources?: readonly unknown[];
}

export interface OperationSources<A> {
  /**
   * The Application as the operation renders it: a sync naming its own source(s) (a rollback, a
   * RollingSync step) replaces the spec's, else the very same object.
   */
  app: A;
  /** The rendered spec has `sources` (one revision per source from here on). */
  multiSource: boolean;
  /**
   * Revisions to render, per source; undefined (or an undefined entry) renders the spec's
   * targetRevision.
   */
  revisions: Array<string | undefined> | undefined;
}

const isSha = (r: string | undefined): r is string => !!r && /^[0-9a-f]{40}$/.test(r);

/**
 * The sources an operation renders and the revisions pinned for them. The commit is fixed at the
 * start of the operation, so every step syncs the same revision: what the first step recorded in
 * `syncResult` wins, then a full SHA in the operation. Otherwise the operation's revision(s) are
 * rendered as given (a branch or tag the user synced a source to, per source for a multi-source
 * app), and a source the operation names no revision for renders its targetRevision.
 */
export function operationSources<A extends { spec: SourcedSpec }>(app: A, state: Pick<OperationState, "syncResult">, sync: SyncOperation): OperationSources<A> {
  const opApp = sync.sources && sync.sources.length > 0
    ? { ...app, spec: { ...app.spec, source: undefined, sources: sync.sources } } as A
    : sync.source ? { ...app, spec: { ...app.spec, source: sync.source, sources: undefined } } as A : app;
  const multiSource = (opApp.spec.sources?.length ?? 0) > 0;
  const pinned = state.syncResult?.revision || (isSha(sync.revision) ? sync.revision : undefined);
  const revisions: Array<string | undefined> | undefined = multiSource
    ? (state.syncResult?.revisions ?? sync.revisions?.map((r) => r || undefined))
    : pinned ? [pinned] : sync.revision ? [sync.revision] : undefined;
  return { app: opApp, multiSource, revisions };
}

/**
 * Why the controller cannot carry out this sync as written, or undefined. Local manifests
 * (`manifests`, Argo's `sync --local`) are not synced from: rendering the sources instead would
 * sync something else than was asked, so the operation fails and says so.
 */
export function unsupportedSyncFields(sync: Pick<SyncOperation, "manifests"> | undefined): string | undefined {
  if (sync?.manifests && sync.manifests.length > 0) return "operation.sync.manifests: syncing local manifests is not supported; the controller syncs only what it renders from the application's sources";
  return undefined;
}

/** A resource the operation observes, and the apiVersion to look it up by. */
export interface ObservedRef {
  /** resourceRefKey(ref): the key of its observation. */
  key: string;
  ref: ResourceRef;
  apiVersion: string;
}

/**
 * What a pass observes: every task of the plan, and every resource an earlier step recorded (a
 * task can leave the plan once done, e.g. the managed namespace once it exists, while its result
 * still waits). One entry per resource key; the first one seen names its version.
 */
export function observationRefs(
  tasks: ReadonlyArray<{ ref: ResourceRef; version: string }>,
  results: ReadonlyArray<Partial<Pick<ResourceResult, "group" | "version" | "kind" | "namespace" | "name">>> | undefined,
): ObservedRef[] {
  const all = [
    ...tasks.map((t) => ({ ref: t.ref, version: t.version })),
    ...(results ?? []).map((r) => ({ ref: { group: r.group ?? "", kind: r.kind ?? "", namespace: r.namespace ?? "", name: r.name ?? "" }, version: r.version ?? "v1" })),
  ];
  const seen = new Set<string>();
  const out: ObservedRef[] = [];
  for (const { ref, version } of all) {
    const key = resourceRefKey(ref);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ key, ref, apiVersion: ref.group ? `${ref.group}/${version}` : version });
  }
  return out;
}

/** The kinds to watch before observing `refs` (the controller ensures its cache has them). */
export function observationKinds(refs: readonly ObservedRef[]): Array<{ apiVersion: string; kind: string }> {
  const seen = new Set<string>();
  const out: Array<{ apiVersion: string; kind: string }> = [];
  for (const { apiVersion, ref } of refs) {
    const id = `${apiVersion}/${ref.kind}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({ apiVersion, kind: ref.kind });
  }
  return out;
}

/** Reads the live cache: the object, or undefined when it is not there (namespace undefined: cluster-scoped). */
export type LiveLookup = (apiVersion: string, kind: string, namespace: string | undefined, name: string) => KubeObject | undefined;
/** The health engine's verdict on a live object; undefined when no check applies to its kind. */
export type HealthOf = (obj: KubeObject) => { status: HealthCode; message?: string } | undefined;

/** The observations nextSyncStep() reads, keyed by resourceRefKey. */
export function observeResources(refs: readonly ObservedRef[], lookup: LiveLookup, health: HealthOf): Map<string, Observation> {
  const observations = new Map<string, Observation>();
  for (const { key, ref, apiVersion } of refs) {
    const obj = lookup(apiVersion, ref.kind, ref.namespace || undefined, ref.name);
    if (!obj) {
      observations.set(key, { exists: false });
      continue;
    }
    const h = health(obj);
    observations.set(key, h ? { exists: true, health: h.status, message: h.message } : { exists: true });
  }
  return observations;
}

/**
 * Prune=confirm: only an approval given since this operation started confirms its prunes, so a
 * stale annotation left on the Application confirms nothing later.
 */
export function pruneConfirmed(annotations: Readonly<Record<string, string>> | undefined, state: Pick<OperationState, "startedAt">): boolean {
  return deletionApproved(annotations?.[ANNOTATION_DELETION_APPROVED], state.startedAt);
}

/** Argo's default `revisionHistoryLimit`. */
export const DEFAULT_REVISION_HISTORY_LIMIT = 10;

export interface HistoryInput {
  /** status.history as stored. */
  history: readonly RevisionHistory[] | undefined;
  /** The finished operation (its phase, start, initiator and whether it was a dry run). */
  state: OperationState;
  now: string;
  /** From operationSources(): what was rendered. */
  multiSource: boolean;
  /** The rendered revisions, one per source. */
  revisions: readonly string[];
  /** The rendered spec's source(s) (operationSources().app.spec). */
  source?: ApplicationSource;
  sources?: ApplicationSource[];
  /** spec.revisionHistoryLimit; anything but a number means the default. */
  revisionHistoryLimit?: unknown;
}

/**
 * The history after a finished operation, or undefined when it adds nothing: only a successful
 * sync that was not a dry run is deployed. Ids count up from the largest stored one (0 first);
 * the oldest entries beyond the limit are dropped.
 */
export function nextHistory(input: HistoryInput): RevisionHistory[] | undefined {
  const { state } = input;
  if (state.phase !== "Succeeded" || state.operation.sync?.dryRun) return undefined;
  const history = [...(input.history ?? [])];
  const id = history.reduce((m, h) => Math.max(m, h.id), -1) + 1;
  const entry: RevisionHistory = { id, deployedAt: input.now, deployStartedAt: state.startedAt, initiatedBy: state.operation.initiatedBy };
  if (input.multiSource) {
    entry.revisions = [...input.revisions];
    entry.sources = input.sources;
  } else {
    entry.revision = input.revisions[0];
    entry.source = input.source;
  }
  history.push(entry);
  const limit = typeof input.revisionHistoryLimit === "number" ? input.revisionHistoryLimit : DEFAULT_REVISION_HISTORY_LIMIT;
  return history.slice(Math.max(0, history.length - limit));
}

export interface RetryLater {
  /** The state to persist: Running again, with `.operation` kept. */
  state: OperationState;
  /** When to start the retry. */
  requeueAfterMs: number;
}

/**
 * A failed attempt with retries left (nextRetry): Running again with the attempt counted and the
 * wait said in the message. The finish time and the per-resource results go, so the retry starts
 * afresh, while the pinned revision stays.
 */
/** A Running state that is waiting to retry: how long still, or the state to persist as the retry begins. */
export type RetryWait = { waitMs: number } | { begin: OperationState };

/**
 * For a Running state carrying the failed attempt's `finishedAt` (written by retryOperation): the
 * time left until `finishedAt` + backoff, or, once due, the state with `finishedAt` removed, which
 * the caller persists before the attempt runs. Undefined for any other state.
 */
export function retryWait(state: OperationState, nowMs: number): RetryWait | undefined {
  if (state.phase !== "Running" || !state.finishedAt || !state.retryCount) return undefined;
  let delay = 0;
  try {
    delay = retryDelayMs(state.operation.retry, state.retryCount - 1);
  } catch {
    // An unparsable backoff was refused before the retry was scheduled; a later edit of the
    // operation cannot make the wait unknowable, so go on at once.
  }
  const finished = Date.parse(state.finishedAt);
  const waitMs = (Number.isNaN(finished) ? 0 : finished) + delay - nowMs;
  if (waitMs > 0) return { waitMs };
  const begin: OperationState = { ...state };
  delete begin.finishedAt;
  return { begin };
}

export function retryOperation(failed: OperationState, nowMs: number): RetryLater | undefined {
  const retry = nextRetry(failed);
  if (!retry.retry || retry.retryAtMs === undefined) return undefined;
  const next: OperationState = {
    ...failed,
    phase: "Running",
    retryCount: retry.retryCount,
    message: `${failed.message ?? ""} (${retry.reason} in ${Math.max(0, Math.round((retry.retryAtMs - nowMs) / 1000))} s)`,
  };
  // finishedAt stays, as in Argo: a Running state with the failed attempt's finishedAt is "waiting
  // to retry", so the wait survives a restart (retryWait reads it back).
  if (next.syncResult) {
    const { resources: _dropped, ...pinnedResult } = next.syncResult;
    next.syncResult = pinnedResult;
  }
  return { state: next, requeueAfterMs: Math.max(0, retry.retryAtMs - nowMs) };
}
