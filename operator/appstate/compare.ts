// Comparing an Application's desired state (rendered manifests) with the live objects it manages:
// per-resource sync status and health, the app's sync status and health, and the summary Argo
// shows. No I/O: the caller renders, reads the live cache and passes everything in.
import type { Manifest } from "../../plugins/types.js";
import { ANNOTATION_INSTALLATION_ID, ANNOTATION_TRACKING_ID, LABEL_APP_INSTANCE } from "../api/annotations.js";
import { diff, diffServerSide, type DiffResult, type IgnoreDifferencesEntry, type JsonObject, type ServerSideDryRunner } from "../engine/diff/index.js";
import { aggregateAppHealth, type ManagedResource } from "../engine/health/aggregate.js";
import type { HealthOverride } from "../engine/health/index.js";
import { isHook as isHookObject } from "../engine/health/index.js";
import { isExcluded, type ArgoSettings } from "../engine/settings.js";
import type { KubeObject } from "../kube/client.js";
import { managingApp, trackingId, trackingLabelValue, type TrackingMethod } from "../engine/tracking.js";
import { splitApiVersion } from "../util/index.js";

export interface ResourceComparison {
  key: string;
  group: string;
  version: string;
  kind: string;
  namespace?: string;
  name: string;
  target?: KubeObject;
  live?: KubeObject;
  diff?: DiffResult;
  hook: boolean;
}

export interface ResourceStatusEntry {
  group: string;
  version: string;
  kind: string;
  namespace?: string;
  name: string;
  status: "Synced" | "OutOfSync" | "Unknown";
  health?: { status: string; message?: string };
  hook?: boolean;
  requiresPruning?: boolean;
  syncWave?: number;
}

export interface CompareInput {
  appName: string;
  trackingKey: string;
  trackingMethod: TrackingMethod;
  instanceLabelKey?: string;
  installationID?: string;
  destinationNamespace: string;
  clusterServer: string;
  target: readonly Manifest[];
  live: readonly KubeObject[];
  /** Discovery: whether a kind is namespaced (undefined when unknown). */
  isNamespaced: (apiVersion: string, kind: string) => boolean | undefined;
  ignoreDifferences?: IgnoreDifferencesEntry[];
  settings: ArgoSettings;
  healthOverride?: HealthOverride;
  /** Our apply field manager: its managedFields stand for the last-applied configuration. */
  fieldManager?: string;
  /** Server-side diff (ServerSideDiff=true): live is compared with an apply dry run of the target. */
  serverSideDryRun?: ServerSideDryRunner;
  /**
   * Looks up a live object by identity, tracked or not. As Argo does, a target whose object exists
   * without this app's tracking (applied by hand, or by another app) is compared with that object
   * (OutOfSync on the missing tracking, but with its real health) instead of counting as Missing.
   */
  lookupLive?: (apiVersion: string, kind: string, namespace: string | undefined, name: string) => KubeObject | undefined;
}

export interface CompareResult {
  /** Target manifests prepared for applying: namespace defaulted, tracking set. */
  prepared: KubeObject[];
  resources: ResourceComparison[];
  statuses: ResourceStatusEntry[];
  syncStatus: "Synced" | "OutOfSync";
  health: { status: string; message?: string };
  images: string[];
  /** Kinds excluded by resource.exclusions that the render produced (for a warning). */
  excluded: string[];
  /** SharedResourceWarning messages: targets whose live object another app tracks. */
  shared: string[];
}

export function liveMatchKey(group: string, kind: string, namespace: string | undefined, name: string): string {
  return `${group}/${kind}/${namespace ?? ""}/${name}`;
}

/** Sets the destination namespace on namespaced objects without one, and Argo's tracking marks. */
export function prepareTarget(obj: Manifest, input: Pick<CompareInput, "destinationNamespace" | "isNamespaced" | "trackingKey" | "trackingMethod" | "instanceLabelKey" | "installationID">): KubeObject {
  const out = structuredClone<KubeObject>(obj);
  const namespaced = input.isNamespaced(out.apiVersion, out.kind);
  if (namespaced !== false && !out.metadata.namespace && input.destinationNamespace) out.metadata.namespace = input.destinationNamespace;
  if (namespaced === false) delete out.metadata.namespace;
  if (input.trackingMethod !== "label") {
    out.metadata.annotations = { ...(out.metadata.annotations ?? {}), [ANNOTATION_TRACKING_ID]: trackingId(input.trackingKey, out) };
  }
  if (input.installationID) out.metadata.annotations = { ...(out.metadata.annotations ?? {}), [ANNOTATION_INSTALLATION_ID]: input.installationID };
  if (input.trackingMethod !== "annotation") {
    out.metadata.labels = { ...(out.metadata.labels ?? {}), [input.instanceLabelKey ?? LABEL_APP_INSTANCE]: trackingLabelValue(input.trackingKey, input.trackingMethod) };
  }
  return out;
}

function imagesOf(obj: KubeObject | undefined, into: Set<string>): void {
  if (!obj) return;
  const specs: unknown[] = [];
  const spec = obj.spec as Record<string, unknown> | undefined;
  if (!spec) return;
  specs.push(spec);
  const template = spec.template as Record<string, unknown> | undefined;
  if (template?.spec) specs.push(template.spec);
  const jobTemplate = (spec.jobTemplate as Record<string, unknown> | undefined)?.spec as Record<string, unknown> | undefined;
  const jobPod = (jobTemplate?.template as Record<string, unknown> | undefined)?.spec;
  if (jobPod) specs.push(jobPod);
  for (const s of specs) {
    for (const field of ["containers", "initContainers"]) {
      const list = (s as Record<string, unknown>)[field];
      if (Array.isArray(list)) for (const c of list) {
        const image = (c as { image?: unknown }).image;
        if (typeof image === "string") into.add(image);
      }
    }
  }
}

export async function compareAppState(input: CompareInput): Promise<CompareResult> {
  const prepared: KubeObject[] = [];
  const excluded = new Set<string>();
  for (const m of input.target) {
    const { group } = splitApiVersion(m.apiVersion);
    if (isExcluded(group, m.kind, input.clusterServer, input.settings)) {
      excluded.add(`${group ? `${group}/` : ""}${m.kind}`);
      continue;
    }
    prepared.push(prepareTarget(m, input));
  }

  const byKey = new Map<string, ResourceComparison>();
  for (const t of prepared) {
    const { group, version } = splitApiVersion(t.apiVersion);
    const key = liveMatchKey(group, t.kind, t.metadata.namespace, t.metadata.name ?? "");
    byKey.set(key, { key, group, version, kind: t.kind, namespace: t.metadata.namespace, name: t.metadata.name ?? "", target: t, hook: isHookObject(t) });
  }
  const shared: string[] = [];
  if (input.lookupLive) {
    const tracked = new Set(input.live.map((l) => liveMatchKey(splitApiVersion(l.apiVersion).group, l.kind, l.metadata.namespace, l.metadata.name ?? "")));
    for (const entry of byKey.values()) {
      if (tracked.has(entry.key) || entry.hook || !entry.target) continue;
      const found = input.lookupLive(entry.target.apiVersion, entry.kind, entry.namespace, entry.name);
      if (!found) continue;
      entry.live = found;
      const owner = managingApp(found, input.trackingMethod, input.instanceLabelKey ?? LABEL_APP_INSTANCE, input.installationID);
      if (owner && owner !== input.trackingKey) {
        shared.push(`${entry.kind}/${entry.name} is part of applications ${input.trackingKey.replace("_", "/")} and ${owner.replace("_", "/")}`);
      }
    }
  }
  for (const l of input.live) {
    const { group, version } = splitApiVersion(l.apiVersion);
    const key = liveMatchKey(group, l.kind, l.metadata.namespace, l.metadata.name ?? "");
    const entry = byKey.get(key);
    if (entry) entry.live = l;
    else {
      // Live hooks are run artefacts of past syncs, not extraneous resources to prune.
      if (isHookObject(l)) continue;
      byKey.set(key, { key, group, version, kind: l.kind, namespace: l.metadata.namespace, name: l.metadata.name ?? "", live: l, hook: false });
    }
  }

  const resources = [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  let outOfSync = false;
  const statuses: ResourceStatusEntry[] = [];
  const managed: ManagedResource[] = [];
  const images = new Set<string>();
  for (const r of resources) {
    if (!r.hook) {
      const desired = (r.target as JsonObject | undefined) ?? null;
      const live = (r.live as JsonObject | undefined) ?? null;
      const opts = { ignoreDifferences: input.ignoreDifferences, settings: input.settings, ...(input.fieldManager ? { fieldManager: input.fieldManager } : {}) };
      r.diff = input.serverSideDryRun ? await diffServerSide(desired, live, input.serverSideDryRun, opts) : await diff(desired, live, opts);
    }
    const extraneous = !r.target && !!r.live;
    const ignoredExtraneous = extraneous && (r.diff?.ignoreExtraneous ?? false);
    const status: ResourceStatusEntry["status"] = r.hook ? "Synced" : r.diff?.modified && !ignoredExtraneous ? "OutOfSync" : "Synced";
    if (status === "OutOfSync") outOfSync = true;
    managed.push({ group: r.group, kind: r.kind, namespace: r.namespace, name: r.name, target: r.target, live: r.live });
    const entry: ResourceStatusEntry = { group: r.group, version: r.version, kind: r.kind, name: r.name, status };
    if (r.namespace) entry.namespace = r.namespace;
    if (r.hook) entry.hook = true;
    if (extraneous && !ignoredExtraneous) entry.requiresPruning = true;
    statuses.push(entry);
    imagesOf(r.live ?? r.target, images);
  }
  const health = aggregateAppHealth(managed, { app: { name: input.appName }, override: input.healthOverride });
  health.resources.forEach((h, i) => {
    if (h.health && statuses[i]) statuses[i].health = h.health.message ? { status: h.health.status, message: h.health.message } : { status: h.health.status };
  });
  const appHealth = health.message ? { status: health.status, message: health.message } : { status: health.status };
  return { prepared, resources, statuses, syncStatus: outOfSync ? "OutOfSync" : "Synced", health: appHealth, images: [...images].sort(), excluded: [...excluded].sort(), shared };
}
