// Argo CD's resource tracking: which Application an object in a cluster belongs to, by its tracking
// annotation (`<app>:<group>/<kind>:<namespace>/<name>`), its instance label, or both, and the marks
// Hawser sets on what it applies. Pure: the cluster cache indexes by these, the compare sets them.
import { ANNOTATION_INSTALLATION_ID, ANNOTATION_TRACKING_ID } from "../api/annotations.js";
import type { KubeObject } from "../api/object.js";
import { splitApiVersion } from "../util/index.js";

/** Argo CD's resource tracking methods (argocd-cm `application.resourceTrackingMethod`). */
export type TrackingMethod = "annotation" | "label" | "annotation+label";

/** The key identifying an Application in tracking data: `app`, or `namespace_app` outside the controller namespace. */
export function trackingKey(appName: string, appNamespace: string, controllerNamespace: string): string {
  return appNamespace === controllerNamespace ? appName : `${appNamespace}_${appName}`;
}

/** Kubernetes' limit on a label value, which the instance label's value (the tracking key) must keep. */
export const LABEL_VALUE_MAX_LENGTH = 63;

/**
 * The instance label's value for a tracking key. With `annotation+label` the label is only
 * informational (the annotation decides), so Argo cuts a long key to 63 characters and drops
 * trailing `-`, `_` and `.`, which a label value may not end with; `label` tracking cannot cut
 * the key (it identifies the app), see trackingLabelProblem.
 */
export function trackingLabelValue(key: string, method: TrackingMethod): string {
  if (method !== "annotation+label" || key.length <= LABEL_VALUE_MAX_LENGTH) return key;
  return key.slice(0, LABEL_VALUE_MAX_LENGTH).replace(/[-_.]+$/, "");
}

/**
 * Why an app cannot be tracked by label: its tracking key (`name`, or `namespace_name` outside the
 * control namespace) is longer than a label value may be. Undefined when it can, or when the
 * method does not rely on the label. Nothing of such an app may be applied: every object would be
 * refused by the apiserver, or worse, some would be applied and others not.
 */
export function trackingLabelProblem(key: string, method: TrackingMethod): string | undefined {
  if (method !== "label" || key.length <= LABEL_VALUE_MAX_LENGTH) return undefined;
  return `application tracking key '${key}' is ${key.length} characters long, but application.resourceTrackingMethod 'label' stores it in a label value, which Kubernetes limits to ${LABEL_VALUE_MAX_LENGTH} characters; shorten the application's name or namespace, or use annotation tracking`;
}

/** Argo's tracking annotation value: `<app>:<group>/<kind>:<namespace>/<name>`. */
export function trackingId(key: string, obj: { apiVersion: string; kind: string; metadata: { namespace?: string; name?: string } }): string {
  const { group } = splitApiVersion(obj.apiVersion);
  return `${key}:${group}/${obj.kind}:${obj.metadata.namespace ?? ""}/${obj.metadata.name ?? ""}`;
}

/**
 * The app an object belongs to, by the configured tracking method; undefined when untracked.
 * An annotation naming another object (a copied resource) does not count, as in Argo.
 */
export function trackedBy(obj: KubeObject, method: TrackingMethod, labelKey: string, installationID?: string): string | undefined {
  // Several instances on one cluster: only objects carrying our installation id (or none, when we
  // have none) can be ours, whatever their tracking data says.
  if ((obj.metadata.annotations?.[ANNOTATION_INSTALLATION_ID] ?? "") !== (installationID ?? "")) return undefined;
  if (method === "label") return obj.metadata.labels?.[labelKey] || undefined;
  const id = obj.metadata.annotations?.[ANNOTATION_TRACKING_ID];
  if (id) {
    const first = id.indexOf(":");
    if (first > 0) {
      const key = id.slice(0, first);
      // Self-reference check: the id must describe this very object.
      if (id === trackingId(key, obj)) return key;
    }
    return undefined;
  }
  if (method === "annotation+label") return obj.metadata.labels?.[labelKey] || undefined;
  return undefined;
}

/**
 * The app whose resource this object is: its tracking data's app, unless another object owns it.
 * A Job made by a CronJob carries the labels of the CronJob's template, so in label tracking it
 * would otherwise count as the app's own and be pruned as extraneous; gitops-engine likewise only
 * takes objects without ownerReferences as an app's managed resources (a target object that has
 * an owner is still compared, through its name).
 */
export function managingApp(obj: KubeObject, method: TrackingMethod, labelKey: string, installationID?: string): string | undefined {
  if ((obj.metadata.ownerReferences?.length ?? 0) > 0) return undefined;
  return trackedBy(obj, method, labelKey, installationID);
}
