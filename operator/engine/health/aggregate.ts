// Application health from its resources (Argo CD controller/health.go): the worst child status,
// skipping hooks, Skip hooks, ignore-healthcheck resources, resources without a health check, the
// app itself (an app that manages itself) and child Applications that are Missing/Unknown.
// Missing children do not lower health; the app is Missing only when it has target resources and
// none of them exist. Grandchildren never count: a child Application's own status stands for them.
import { evaluateResourceHealth, getHealthCheck, type HealthOverride } from "./index.js";
import { isHook, isSkipHook } from "./hook.js";
import { annotationsOf, isWorse, type HealthStatus, type HealthStatusCode, type KubeObj } from "./types.js";

export const ANNOTATION_IGNORE_HEALTHCHECK = "argocd.argoproj.io/ignore-healthcheck";

export interface ManagedResource {
  group: string;
  kind: string;
  namespace?: string;
  name: string;
  /** Desired state from git; undefined for live-only (extraneous) resources. */
  target?: KubeObj;
  /** Live state; undefined when the resource does not exist. */
  live?: KubeObj;
}

export interface ResourceHealthEntry {
  resource: ManagedResource;
  health?: HealthStatus;
}

export interface AppHealth extends HealthStatus {
  /** Health per input resource, in input order (undefined where skipped or unchecked). */
  resources: ResourceHealthEntry[];
  /** Check/script failures, as "Kind/namespace/name: message". */
  errors: string[];
}

export interface AppRef {
  name: string;
  namespace?: string;
}

/** How many worst-status resources the message names before "and N more". */
const MESSAGE_NAMES = 2;

function describe(r: ManagedResource, h: HealthStatus): string {
  const id = `${r.kind}/${r.namespace ? `${r.namespace}/` : ""}${r.name}`;
  return h.message ? `${id} is ${h.status}: ${h.message}` : `${id} is ${h.status}`;
}

export function aggregateAppHealth(resources: ManagedResource[], opts: { app?: AppRef; override?: HealthOverride } = {}): AppHealth {
  let status: HealthStatusCode = "Healthy";
  const counted: { r: ManagedResource; h: HealthStatus }[] = [];
  const entries: ResourceHealthEntry[] = [];
  const errors: string[] = [];
  let targets = 0;
  let targetsLive = 0;
  for (const r of resources) {
    const entry: ResourceHealthEntry = { resource: r };
    entries.push(entry);
    if (r.target && (isSkipHook(r.target) || annotationsOf(r.target)[ANNOTATION_IGNORE_HEALTHCHECK] === "true")) continue;
    if (r.live && isHook(r.live)) continue;
    if (r.target && isHook(r.target)) continue;
    if (r.target) {
      targets++;
      if (r.live) targetsLive++;
    }
    if (!r.live) continue;
    if (opts.app && r.group === "argoproj.io" && r.kind === "Application" && r.name === opts.app.name && (r.namespace ?? "") === (opts.app.namespace ?? "")) continue;
    const { health, error } = evaluateResourceHealth(r.live, opts.override);
    if (error) errors.push(`${r.kind}/${r.namespace ? `${r.namespace}/` : ""}${r.name}: ${error.message}`);
    if (!health) continue;
    entry.health = health;
    if (r.group === "argoproj.io" && r.kind === "Application" && (health.status === "Missing" || health.status === "Unknown")) continue;
    if (health.status === "Missing" && !getHealthCheck(r.group, r.kind) && !opts.override?.hasOverride?.(r.group, r.kind)) continue;
    counted.push({ r, h: health });
    if (isWorse(status, health.status)) status = health.status;
  }
  if (targets > 0 && targetsLive === 0) {
    return { status: "Missing", message: `None of the ${targets} target resources exist`, resources: entries, errors };
  }
  if (status === "Healthy") return { status, message: "", resources: entries, errors };
  const worst = counted.filter((c) => c.h.status === status);
  const named = worst.slice(0, MESSAGE_NAMES).map((c) => describe(c.r, c.h));
  const more = worst.length - named.length;
  const message = `Caused by ${named.join(", ")}${more > 0 ? ` and ${more} more` : ""}`;
  return { status, message, resources: entries, errors };
}
