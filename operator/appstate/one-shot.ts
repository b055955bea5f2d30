// An app's state computed once, for callers without the controller's caches: the API server's
// managed-resources, manifests and resource views, and `hawser app diff`. Both resolve the
// destination from the cluster Secrets as the controller does, list the live objects once
// (ListedLiveView) and run the controller's renderTarget and compareApp; only where the Secrets,
// settings, project and git come from differs, so those are the inputs.
import type { KubeClient, KubeObject } from "../kube/client.js";
import {
  IN_CLUSTER_NAME, IN_CLUSTER_SERVER, parseClusterSecret, resolveDestination, type ClusterEntry,
} from "../cluster/clusters.js";
import type { CompareResult } from "./compare.js";
import { ListedLiveView } from "./live.js";
import { compareApp, renderTarget, type AppStateContext, type RenderDeps } from "./pipeline.js";
import type { AppStateSettings } from "./settings.js";
import type { ApplicationObject } from "./types.js";
import type { RenderOutput } from "../render/index.js";

/**
 * The registered clusters: the valid cluster Secrets, then in-cluster (unless one of the Secrets
 * is for it, or argocd-cm cluster.inClusterEnabled turned it off).
 */
export function registeredClusters(clusterSecrets: readonly KubeObject[], opts: { inClusterEnabled: boolean }): ClusterEntry[] {
  const entries: ClusterEntry[] = [];
  for (const s of clusterSecrets) {
    const e = parseClusterSecret(s);
    if (!("error" in e)) entries.push(e);
  }
  if (opts.inClusterEnabled && !entries.some((c) => c.server === IN_CLUSTER_SERVER)) {
    entries.unshift({ name: IN_CLUSTER_NAME, server: IN_CLUSTER_SERVER, namespaces: [], clusterResources: true, config: {} });
  }
  return entries;
}

/** Thrown when the app's destination names no registered cluster; the message names the field. */
export class DestinationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DestinationError";
  }
}

/** The cluster of the app's spec.destination among `clusters`. */
export function appDestination(app: Pick<ApplicationObject, "metadata" | "spec">, clusters: ClusterEntry[]): ClusterEntry {
  const r = resolveDestination((app.spec as { destination?: { server?: string; name?: string } } | undefined)?.destination, clusters);
  if (!r.ok) throw new DestinationError(`application ${app.metadata.name ?? ""}: spec.destination: ${r.message}`);
  return r.cluster;
}

export interface OneShotInput {
  app: ApplicationObject;
  /** The destination cluster and a client of it. */
  cluster: ClusterEntry;
  client: KubeClient;
  settings: AppStateSettings;
  render: Omit<RenderDeps, "settings">;
  /** What to render: pinned revisions, a refresh, a commit check (renderTarget's options). */
  renderOptions?: Parameters<typeof renderTarget>[3];
  compare: Omit<AppStateContext, "settings">;
}

export interface OneShotState {
  view: ListedLiveView;
  rendered: RenderOutput;
  compared: CompareResult;
}

/** The live objects of the app's destination, listed on demand, tracked as argocd-cm says. */
export function listedLiveView(cluster: ClusterEntry, client: KubeClient, settings: AppStateSettings): ListedLiveView {
  return new ListedLiveView({ server: cluster.server, name: cluster.name }, client, {
    method: settings.argo.trackingMethod, labelKey: settings.argo.instanceLabelKey,
    ...(settings.argo.installationID ? { installationID: settings.argo.installationID } : {}),
  });
}

/** Renders the app's target and compares it with the live objects listed now from its destination. */
export async function evaluateAppState(input: OneShotInput): Promise<OneShotState> {
  const { settings } = input;
  const view = listedLiveView(input.cluster, input.client, settings);
  const rendered = await renderTarget(input.app, view, { ...input.render, settings }, input.renderOptions ?? {});
  const compared = await compareApp(input.app, rendered.manifests, view, { ...input.compare, settings });
  return { view, rendered, compared };
}
