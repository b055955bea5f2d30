// The ApplicationSet controller's scrape-time gauges (argocd_appset_info,
// argocd_appset_owned_applications), built from the informer caches at each scrape as Argo's
// collector is. Pure: controller.ts registers them as sources of runtime/argo-metrics.ts.
import type { KubeObject } from "../../kube/client.js";
import { promLabelName, type Series } from "../../runtime/argo-metrics.js";

interface AppSetLike extends KubeObject {
  status?: { conditions?: Array<{ type?: string; reason?: string }> };
}

/**
 * argocd_appset_info: one series per set, value 1; `resource_update_status` is the reason of its
 * ResourcesUpToDate condition (Argo's choice), "Unknown" before the set has one.
 */
export function* appSetInfoSeries(sets: Iterable<KubeObject>): Generator<Series> {
  for (const set of sets) {
    const cond = (set as AppSetLike).status?.conditions?.find((c) => c.type === "ResourcesUpToDate");
    yield { labels: { namespace: set.metadata.namespace ?? "", name: set.metadata.name ?? "", resource_update_status: cond?.reason || "Unknown" }, value: 1 };
  }
}

/**
 * argocd_appset_owned_applications: per set, the Applications whose controller ownerReference is
 * that set (by uid), counted in one pass over the cached Applications.
 */
export function* appSetOwnedSeries(sets: Iterable<KubeObject>, apps: Iterable<KubeObject>): Generator<Series> {
  const owned = new Map<string, number>();
  for (const app of apps) {
    const owner = app.metadata.ownerReferences?.find((r) => r.kind === "ApplicationSet" && r.controller);
    if (owner?.uid) owned.set(owner.uid, (owned.get(owner.uid) ?? 0) + 1);
  }
  for (const set of sets) {
    yield { labels: { namespace: set.metadata.namespace ?? "", name: set.metadata.name ?? "" }, value: owned.get(set.metadata.uid ?? "") ?? 0 };
  }
}

/**
 * argocd_appset_labels: per set, value 1, with each configured label as `label_<key>` ("" when
 * unset); off (no series) when no label is configured (Argo's --metrics-applicationset-labels).
 */
export function* appSetLabelSeries(sets: Iterable<KubeObject>, keys: readonly string[]): Generator<Series> {
  if (keys.length === 0) return;
  const names = keys.map((k) => promLabelName("label", k));
  for (const set of sets) {
    const labels: Record<string, string> = { namespace: set.metadata.namespace ?? "", name: set.metadata.name ?? "" };
    keys.forEach((k, i) => { labels[names[i]!] = set.metadata.labels?.[k] ?? ""; });
    yield { labels, value: 1 };
  }
}
