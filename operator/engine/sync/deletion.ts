// Deleting an Application, one resumable step at a time, as Argo's finalizers do it:
//   1. `pre-delete-finalizer`: run the PreDelete hooks; they must all succeed (a failure leaves the
//      app undeletable with a DeletionError condition until fixed);
//   2. `resources-finalizer` (foreground or /background): delete the managed resources in reverse
//      wave order, a wave only once the higher ones are gone; Namespaces and CRDs last;
//      resources marked `Delete=false` are left, `Delete=confirm` waits for the app's
//      `argocd.argoproj.io/deletion-approved` annotation;
//   3. `post-delete-finalizer`: run the PostDelete hooks, then delete them.
// Each step looks only at the finalizers still present and the live state, so a restarted
// operator carries on where the last one stopped. Pure: the controller applies the decisions.
import { ANNOTATION_DELETION_APPROVED, FINALIZER_RESOURCES, FINALIZER_RESOURCES_BACKGROUND } from "../../api/annotations.js";
import { deletionApproved, describeObject, hookDeletePolicies, hookTypes, mergeSyncOptions, resourceSyncOptions, syncWave, type SyncOptions } from "./annotations.js";
import { type KubeObject } from "./types.js";
import { splitApiVersion } from "../../util/index.js";

export const FINALIZER_PRE_DELETE = "pre-delete-finalizer.argocd.argoproj.io";
export const FINALIZER_POST_DELETE = "post-delete-finalizer.argocd.argoproj.io";
const FINALIZER_RESOURCES_FOREGROUND = `${FINALIZER_RESOURCES}/foreground`;

export type DeletionStage = "PreDelete" | "Resources" | "PostDelete";

export interface DeletionInput {
  finalizers: readonly string[];
  /** The app's delete hooks as rendered and prepared (tracking set); undefined when rendering failed. */
  hooks?: { preDelete: KubeObject[]; postDelete: KubeObject[] };
  /** Why rendering failed, for the condition. */
  renderError?: string;
  /** Every live object the app tracks. */
  live: readonly KubeObject[];
  /** The app's sync options (`Delete=false` at app level keeps everything). */
  appSyncOptions: SyncOptions;
  /** The app's `argocd.argoproj.io/deletion-approved` annotation and its deletionTimestamp. */
  approvedAt?: string;
  deletionRequestedAt: string;
  /** Health of a live object (the health engine); undefined when no check applies. */
  health: (obj: KubeObject) => { status: string; message?: string } | undefined;
}

export interface DeletionStep {
  stage?: DeletionStage;
  /** Hooks to create. */
  create: KubeObject[];
  /** Objects to delete, with the propagation policy to use. */
  delete: Array<{ obj: KubeObject; propagationPolicy: "Foreground" | "Background" }>;
  /** Finalizer to remove from the Application (the stage is complete). */
  removeFinalizer?: string;
  /** What the step waits for, for logs and the stuck-deletion condition. */
  waitingFor: string[];
  /** A failure that blocks deletion until fixed (DeletionError). */
  error?: string;
}

function sameObject(a: KubeObject, b: KubeObject): boolean {
  return a.kind === b.kind && splitApiVersion(a.apiVersion).group === splitApiVersion(b.apiVersion).group
    && (a.metadata.namespace ?? "") === (b.metadata.namespace ?? "") && a.metadata.name === b.metadata.name;
}

/** Runs one set of delete hooks: create the missing, wait for the running, fail on a failure. */
function runHooks(stage: "PreDelete" | "PostDelete", finalizer: string, hooks: KubeObject[], input: DeletionInput): DeletionStep {
  const step: DeletionStep = { stage, create: [], delete: [], waitingFor: [] };
  let allDone = true;
  for (const hook of hooks) {
    const live = input.live.find((l) => sameObject(l, hook));
    if (!live) {
      step.create.push(hook);
      step.waitingFor.push(`${stage} hook ${describeObject(hook)} to start`);
      allDone = false;
      continue;
    }
    const h = input.health(live);
    // No health check: done once it exists, as Argo treats such hooks.
    if (!h || h.status === "Healthy") continue;
    allDone = false;
    if (h.status === "Degraded" || h.status === "Missing") {
      step.error = `${stage} hook ${describeObject(hook)} failed${h.message ? `: ${h.message}` : ""}`;
      return step;
    }
    step.waitingFor.push(`${stage} hook ${describeObject(hook)} (${h.status}${h.message ? `: ${h.message}` : ""})`);
  }
  if (!allDone) return step;
  // Every hook succeeded: PostDelete hooks go now (nothing else will clean them up), PreDelete
  // hooks with HookSucceeded too; the rest leave with the resources in the next stage.
  for (const hook of hooks) {
    const live = input.live.find((l) => sameObject(l, hook));
    if (!live || live.metadata.deletionTimestamp) continue;
    if (stage === "PostDelete" || hookDeletePolicies(hook).includes("HookSucceeded")) step.delete.push({ obj: live, propagationPolicy: "Background" });
  }
  step.removeFinalizer = finalizer;
  return step;
}

/** Namespaces and CRDs go after everything else of the same wave (their contents go with them). */
function deletionRank(obj: KubeObject): number {
  return obj.kind === "Namespace" || obj.kind === "CustomResourceDefinition" ? 0 : 1;
}

function deleteResources(finalizer: string, input: DeletionInput): DeletionStep {
  const step: DeletionStep = { stage: "Resources", create: [], delete: [], waitingFor: [] };
  const policy = finalizer === FINALIZER_RESOURCES_BACKGROUND ? "Background" : "Foreground";
  const candidates: KubeObject[] = [];
  let confirmNeeded = false;
  for (const obj of input.live) {
    // PostDelete hooks run after the resources are gone; they are not resources to delete.
    if (hookTypes(obj).includes("PostDelete")) continue;
    const opts = mergeSyncOptions(input.appSyncOptions, resourceSyncOptions(obj).options);
    if (opts.delete === false) continue;
    if (opts.delete === "confirm") confirmNeeded = true;
    candidates.push(obj);
  }
  if (confirmNeeded && !deletionApproved(input.approvedAt, input.deletionRequestedAt)) {
    step.waitingFor.push(`deletion confirmation: annotate the Application with ${ANNOTATION_DELETION_APPROVED}=<RFC 3339 time>`);
    return step;
  }
  if (candidates.length === 0) {
    step.removeFinalizer = finalizer;
    return step;
  }
  // The highest (wave, rank) still present is deleted; lower ones wait for it to be gone.
  const order = (o: KubeObject): [number, number] => [syncWave(o), deletionRank(o)];
  let top: [number, number] | undefined;
  for (const o of candidates) {
    const k = order(o);
    if (!top || k[0] > top[0] || (k[0] === top[0] && k[1] > top[1])) top = k;
  }
  for (const o of candidates) {
    const k = order(o);
    if (k[0] !== top![0] || k[1] !== top![1]) continue;
    if (o.metadata.deletionTimestamp) step.waitingFor.push(`${describeObject(o)} to be deleted${o.metadata.finalizers?.length ? ` (finalizers: ${o.metadata.finalizers.join(", ")})` : ""}`);
    else step.delete.push({ obj: o, propagationPolicy: policy });
  }
  step.waitingFor.push(...step.delete.map((d) => `${describeObject(d.obj)} to be deleted`));
  return step;
}

/** The next thing to do to delete the Application; `stage` undefined means nothing is left. */
export function nextDeletionStep(input: DeletionInput): DeletionStep {
  const has = (f: string): boolean => input.finalizers.includes(f);
  if (has(FINALIZER_PRE_DELETE)) {
    if (!input.hooks) return { stage: "PreDelete", create: [], delete: [], waitingFor: [], error: `cannot run PreDelete hooks: ${input.renderError ?? "the manifests could not be rendered"}` };
    return runHooks("PreDelete", FINALIZER_PRE_DELETE, input.hooks.preDelete, input);
  }
  const cascade = [FINALIZER_RESOURCES, FINALIZER_RESOURCES_FOREGROUND, FINALIZER_RESOURCES_BACKGROUND].find(has);
  if (cascade) return deleteResources(cascade, input);
  if (has(FINALIZER_POST_DELETE)) {
    if (!input.hooks) return { stage: "PostDelete", create: [], delete: [], waitingFor: [], error: `cannot run PostDelete hooks: ${input.renderError ?? "the manifests could not be rendered"}` };
    return runHooks("PostDelete", FINALIZER_POST_DELETE, input.hooks.postDelete, input);
  }
  return { create: [], delete: [], waitingFor: [] };
}

/** The delete-hook finalizers an Application should carry for its rendered manifests. */
export function deleteHookFinalizers(target: readonly KubeObject[]): string[] {
  const out: string[] = [];
  if (target.some((o) => hookTypes(o).includes("PreDelete"))) out.push(FINALIZER_PRE_DELETE);
  if (target.some((o) => hookTypes(o).includes("PostDelete"))) out.push(FINALIZER_POST_DELETE);
  return out;
}

/** After this long, a deletion still waiting on something says so in a DeletionError condition. */
export const STUCK_DELETION_MS = 60_000;

/**
 * The DeletionError message for a step: its error, or, once the deletion has waited longer than
 * STUCK_DELETION_MS since `deletionTimestamp`, what it waits for (the first five, then a count).
 * Undefined clears the condition. A missing deletionTimestamp counts as requested just now; an
 * unparsable one never counts as stuck.
 */
export function stuckDeletionMessage(step: Pick<DeletionStep, "error" | "waitingFor">, deletionTimestamp: string | undefined, nowMs: number): string | undefined {
  if (step.error !== undefined) return step.error;
  const waitedMs = nowMs - (deletionTimestamp === undefined ? nowMs : Date.parse(deletionTimestamp));
  if (step.waitingFor.length === 0 || !(waitedMs > STUCK_DELETION_MS)) return undefined;
  const more = step.waitingFor.length > 5 ? ` and ${step.waitingFor.length - 5} more` : "";
  return `Application deletion is waiting for ${step.waitingFor.slice(0, 5).join("; ")}${more}`;
}

/**
 * A delete hook written with generateName gets a stable name (the prefix, the app uid's first 7
 * hex digits and the stage), so every deletion step finds the same object. Anything else, a
 * named object or a hook of another type, is returned as it is.
 */
export function nameDeleteHook<T extends KubeObject>(m: T, appUid: string): T {
  if (m.metadata.name) return m;
  const types = hookTypes(m);
  const stage = types.includes("PreDelete") ? "predelete" : types.includes("PostDelete") ? "postdelete" : undefined;
  if (!stage) return m;
  const { generateName, ...meta } = m.metadata;
  if (typeof generateName !== "string") return m;
  return { ...m, metadata: { ...meta, name: `${generateName}${appUid.replace(/-/g, "").slice(0, 7)}-${stage}`.toLowerCase() } };
}

/** The PreDelete and PostDelete hooks among prepared target objects. */
export function deleteHooks(target: readonly KubeObject[]): { preDelete: KubeObject[]; postDelete: KubeObject[] } {
  return {
    preDelete: target.filter((o) => hookTypes(o).includes("PreDelete")),
    postDelete: target.filter((o) => hookTypes(o).includes("PostDelete")),
  };
}
