// The few hook facts health needs (gitops-engine pkg/sync/hook): which objects are hooks, which are
// skipped, and the hook finalizer that suppresses the "Pending deletion" shortcut.
import { ANNOTATION_HOOK } from "../../api/annotations.js";
import { annotationsOf, get, type KubeObj } from "./types.js";

export const HOOK_FINALIZER = "argocd.argoproj.io/hook-finalizer";
const HELM_HOOK = "helm.sh/hook";
const HOOK_TYPES = new Set(["PreSync", "Sync", "PostSync", "SyncFail", "Skip", "PreDelete", "PostDelete"]);

export function hookTypes(obj: KubeObj): string[] {
  const raw = annotationsOf(obj)[ANNOTATION_HOOK];
  if (raw === undefined) return [];
  return raw.split(",").map((s) => s.trim()).filter((s) => HOOK_TYPES.has(s));
}

/** `Skip` as the only hook type: the resource is not applied (and not assessed). */
export function isSkipHook(obj: KubeObj): boolean {
  const types = hookTypes(obj);
  return types.length === 1 && types[0] === "Skip";
}

export function isHook(obj: KubeObj): boolean {
  const annotations = annotationsOf(obj);
  if (annotations[ANNOTATION_HOOK] !== undefined) return !isSkipHook(obj);
  // Helm marks CRDs with crd-install, but they are ordinary resources.
  const helm = annotations[HELM_HOOK];
  return helm !== undefined && helm !== "crd-install";
}

export function hasHookFinalizer(obj: KubeObj): boolean {
  const finalizers = get(obj, "metadata", "finalizers");
  return Array.isArray(finalizers) && finalizers.includes(HOOK_FINALIZER);
}
