// The application page's operations as data, kept free of React and the DOM so they are
// unit-tested (appOps.test.ts): the sync dialog's form and the SyncRequest it sends
// (argo-cd-server.md §1.3 and §5.2), the delete dialog's propagation, the log query, the app
// summary editor's form and the spec it writes, and the parameters of the app's source.
import type { App, AppSource, HistoryEntry, ResourceStatus } from "./apps";
import { sourceProblems, sourceRemovalProblem, type SourceFields } from "./newApp";

// ---------------------------------------------------------------- sync

/** The sync options the dialog offers, as Argo's syncOptions items (key=value). */
export const SYNC_OPTIONS = [
  { key: "Validate", on: "false", label: "Skip schema validation" },
  { key: "CreateNamespace", on: "true", label: "Auto-create namespace" },
  { key: "ApplyOutOfSyncOnly", on: "true", label: "Apply out of sync only" },
  { key: "RespectIgnoreDifferences", on: "true", label: "Respect ignore differences" },
  { key: "ServerSideApply", on: "true", label: "Server-side apply" },
  { key: "PruneLast", on: "true", label: "Prune last" },
  { key: "Replace", on: "true", label: "Replace" },
] as const;
export type SyncOptionKey = (typeof SYNC_OPTIONS)[number]["key"];
export const PRUNE_PROPAGATION = ["foreground", "background", "orphan"] as const;
export type PrunePropagation = (typeof PRUNE_PROPAGATION)[number];

export interface RetryForm { enabled: boolean; limit: string; duration: string; factor: string; maxDuration: string }

export interface SyncForm {
  revision: string;
  /** A multi-source app's revision per source (in the order of spec.sources); empty otherwise. */
  revisions: string[];
  prune: boolean;
  dryRun: boolean;
  /** Apply only: skip hooks (strategy apply instead of hook). */
  applyOnly: boolean;
  force: boolean;
  options: Record<SyncOptionKey, boolean>;
  prunePropagation: PrunePropagation;
  retry: RetryForm;
  /** Node keys (group/kind/namespace/name) of the resources to sync. */
  selected: string[];
}

export interface SyncRequest {
  revision?: string;
  /** A multi-source app's overrides: the revisions, and the 1-based positions of their sources. */
  revisions?: string[];
  sourcePositions?: number[];
  prune: boolean;
  dryRun: boolean;
  strategy: { apply: { force: boolean } } | { hook: { force: boolean } };
  resources?: Array<{ group: string; kind: string; name: string; namespace: string }>;
  syncOptions?: { items: string[] };
  retryStrategy?: { limit: number; backoff: { duration: string; factor: number; maxDuration: string } };
  appNamespace?: string;
}

export function resourceKey(r: { group?: string; kind: string; namespace?: string; name: string }): string {
  return `${r.group ?? ""}/${r.kind}/${r.namespace ?? ""}/${r.name}`;
}

/** The resources a sync can select: the app's managed resources, hooks excluded (as Argo's dialog). */
export function syncableResources(app: App): ResourceStatus[] {
  return (app.status?.resources ?? []).filter((r) => !r.hook);
}

/**
 * The dialog's starting state: the app's target revision, its own sync options and retry ticked
 * (so a manual sync behaves like its automated one), every resource selected, or only `onlyKey`
 * when the sync was started from one resource.
 */
export function initialSyncForm(app: App, onlyKey?: string): SyncForm {
  const own = new Map<string, string>();
  for (const item of app.spec?.syncPolicy?.syncOptions ?? []) {
    const at = item.indexOf("=");
    if (at > 0) own.set(item.slice(0, at), item.slice(at + 1));
  }
  const options = Object.fromEntries(SYNC_OPTIONS.map((o) => [o.key, own.get(o.key)?.toLowerCase() === o.on])) as Record<SyncOptionKey, boolean>;
  const policy = own.get("PrunePropagationPolicy");
  const retry = app.spec?.syncPolicy?.retry;
  return {
    revision: app.spec?.source?.targetRevision || "HEAD",
    revisions: isMultiSourceApp(app) ? (app.spec?.sources ?? []).map((src) => src.targetRevision || "HEAD") : [],
    prune: false,
    dryRun: false,
    applyOnly: false,
    force: false,
    options,
    prunePropagation: (PRUNE_PROPAGATION as readonly string[]).includes(policy ?? "") ? policy as PrunePropagation : "foreground",
    retry: {
      enabled: retry !== undefined,
      limit: String(retry?.limit ?? 2),
      duration: retry?.backoff?.duration ?? "5s",
      factor: String(retry?.backoff?.factor ?? 2),
      maxDuration: retry?.backoff?.maxDuration ?? "3m",
    },
    selected: syncableResources(app).map(resourceKey).filter((k) => onlyKey === undefined || k === onlyKey),
  };
}

const DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;

/** Checks a Go duration ("5s", "1m30s"). */
export function isDuration(v: string): boolean {
  return DURATION.test(v.trim());
}

/** What is wrong with the form, each naming its field; empty when it can be sent. */
export function syncFormErrors(form: SyncForm, all: ResourceStatus[]): string[] {
  const errors: string[] = [];
  if (all.length > 0 && form.selected.length === 0) errors.push("Resources: select at least one resource to sync");
  if (form.retry.enabled) {
    if (!/^-?\d+$/.test(form.retry.limit.trim())) errors.push(`Retry limit must be a whole number, got "${form.retry.limit}"`);
    if (!isDuration(form.retry.duration)) errors.push(`Retry backoff duration must be a duration such as 5s or 2m, got "${form.retry.duration}"`);
    if (!isDuration(form.retry.maxDuration)) errors.push(`Retry max duration must be a duration such as 3m, got "${form.retry.maxDuration}"`);
    const f = Number(form.retry.factor);
    if (form.retry.factor.trim() === "" || !Number.isInteger(f) || f < 1) errors.push(`Retry factor must be a whole number of at least 1, got "${form.retry.factor}"`);
  }
  return errors;
}

/**
 * Whether this sync would prune every resource it touches (Argo then asks the user to type
 * `prune`): prune is on and each selected resource is one that requires pruning.
 */
export function prunesEverything(form: SyncForm, all: ResourceStatus[]): boolean {
  if (!form.prune || form.dryRun) return false;
  const selected = new Set(form.selected);
  const chosen = all.filter((r) => selected.has(resourceKey(r)));
  return chosen.length > 0 && chosen.every((r) => r.requiresPruning === true);
}

/** The POST .../sync body. `resources` only when a subset is selected (none means all). */
export function syncRequest(app: App, form: SyncForm, all: ResourceStatus[]): SyncRequest {
  const items: string[] = [];
  for (const o of SYNC_OPTIONS) if (form.options[o.key]) items.push(`${o.key}=${o.on}`);
  if (form.prunePropagation !== "foreground") items.push(`PrunePropagationPolicy=${form.prunePropagation}`);
  const selected = new Set(form.selected);
  const subset = all.length > 0 && all.some((r) => !selected.has(resourceKey(r)));
  const revision = form.revision.trim();
  const req: SyncRequest = {
    prune: form.prune,
    dryRun: form.dryRun,
    strategy: form.applyOnly ? { apply: { force: form.force } } : { hook: { force: form.force } },
  };
  // The app's own target revision is not sent: a revision differing from it is an override
  // (refused while auto-sync is on, and possibly needing `override` rights).
  // A multi-source app takes one per source, sent only for the sources whose revision differs.
  if (isMultiSourceApp(app)) {
    const changed = (app.spec?.sources ?? []).map((src, i) => ({ at: i + 1, rev: (form.revisions[i] ?? "").trim(), own: src.targetRevision || "HEAD" }))
      .filter((x) => x.rev && x.rev !== x.own);
    if (changed.length > 0) { req.revisions = changed.map((x) => x.rev); req.sourcePositions = changed.map((x) => x.at); }
  } else if (revision && revision !== (app.spec?.source?.targetRevision || "HEAD")) req.revision = revision;
  if (subset) {
    req.resources = all.filter((r) => selected.has(resourceKey(r)))
      .map((r) => ({ group: r.group ?? "", kind: r.kind, name: r.name, namespace: r.namespace ?? "" }));
  }
  if (items.length > 0) req.syncOptions = { items };
  if (form.retry.enabled) {
    req.retryStrategy = {
      limit: Number(form.retry.limit.trim()),
      backoff: { duration: form.retry.duration.trim(), factor: Number(form.retry.factor), maxDuration: form.retry.maxDuration.trim() },
    };
  }
  if (app.metadata.namespace) req.appNamespace = app.metadata.namespace;
  return req;
}

// ---------------------------------------------------------------- delete

export const DELETE_PROPAGATION = ["foreground", "background", "non-cascading"] as const;
export type DeletePropagation = (typeof DELETE_PROPAGATION)[number];

/** The DELETE .../applications/{name} query of a propagation choice (non-cascading keeps the resources). */
export function deleteQuery(p: DeletePropagation, appNamespace: string | undefined): Record<string, string | undefined> {
  return p === "non-cascading"
    ? { cascade: "false", appNamespace }
    : { cascade: "true", propagationPolicy: p, appNamespace };
}

// ---------------------------------------------------------------- logs

export interface LogForm {
  container: string;
  follow: boolean;
  tailLines: string;
  sinceSeconds: string;
  previous: boolean;
  filter: string;
  matchCase: boolean;
}

export interface LogTarget { group: string; kind: string; namespace: string; name: string }

/**
 * The .../logs query: a Pod by podName, anything else (Deployment, StatefulSet, Job…) by kind and
 * resourceName, so the server streams the logs of that resource's pods.
 */
export function logQuery(target: LogTarget, form: LogForm, appNamespace: string | undefined, download = false): Record<string, string | undefined> {
  const isPod = target.kind === "Pod" && target.group === "";
  const tail = form.tailLines.trim();
  const since = form.sinceSeconds.trim();
  return {
    appNamespace,
    namespace: target.namespace,
    ...(isPod ? { podName: target.name } : { kind: target.kind, group: target.group, resourceName: target.name }),
    container: form.container || undefined,
    follow: form.follow && !download ? "true" : undefined,
    tailLines: tail && tail !== "0" ? tail : undefined,
    sinceSeconds: since && since !== "0" ? since : undefined,
    previous: form.previous ? "true" : undefined,
    filter: form.filter || undefined,
    matchCase: form.filter && form.matchCase ? "true" : undefined,
    download: download ? "true" : undefined,
  };
}

/** What is wrong with the log form, naming the field; empty when fine. */
export function logFormErrors(form: LogForm): string[] {
  const errors: string[] = [];
  if (form.tailLines.trim() && !/^\d+$/.test(form.tailLines.trim())) errors.push(`Tail must be a whole number of lines, got "${form.tailLines}"`);
  if (form.sinceSeconds.trim() && !/^\d+$/.test(form.sinceSeconds.trim())) errors.push(`Since must be a whole number of seconds, got "${form.sinceSeconds}"`);
  return errors;
}

/** The containers of a live object: a Pod's, or its pod template's (Deployment, Job, CronJob…). */
export function containersOf(obj: unknown): string[] {
  const spec = (o: unknown, ...path: string[]): unknown => path.reduce<unknown>((v, k) => (v && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined), o);
  const podSpec = spec(obj, "spec", "containers") ? spec(obj, "spec")
    : spec(obj, "spec", "template", "spec") ?? spec(obj, "spec", "jobTemplate", "spec", "template", "spec");
  const names = (list: unknown): string[] => (Array.isArray(list) ? list.map((c) => { const n = (c as { name?: unknown }).name; return typeof n === "string" ? n : ""; }).filter(Boolean) : []);
  return [...names(spec(podSpec, "initContainers")), ...names(spec(podSpec, "containers"))];
}

/** Kinds whose logs the server can gather: Pods and what owns pods. */
export const LOG_KINDS = new Set(["Pod", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob", "Rollout"]);

// ---------------------------------------------------------------- app summary editor

export interface SummaryForm {
  project: string;
  labels: string;
  annotations: string;
  destServer: string;
  destName: string;
  destNamespace: string;
  /** Every source (one for a single-source app); `multi` says the app is written as `spec.sources`. */
  sources: SourceRow[];
  multi: boolean;
  /** Set while "Add source" has made a single-source app's form multi-source, until it is saved. */
  fromSingle?: true;
  automated: boolean;
  prune: boolean;
  selfHeal: boolean;
  allowEmpty: boolean;
  syncOptions: string;
  retry: RetryForm;
}

/** The fields of a source the SUMMARY editor shows; the rest of the source (tool blocks) is kept. */
export interface SourceRow {
  repoURL: string; path: string; chart: string; targetRevision: string; ref: string;
  /** The source as the app has it (absent for an added one): its other fields are written back. */
  keep?: AppSource;
}
export type SourceRowField = Exclude<keyof SourceRow, "keep">;

const sourceRow = (src: AppSource): SourceRow => ({
  repoURL: src.repoURL ?? "", path: src.path ?? "", chart: src.chart ?? "", targetRevision: src.targetRevision ?? "", ref: src.ref ?? "", keep: src,
});

/** A row as the shared source checks read it: the Helm value files are the kept source's (the editor does not change them). */
const rowFields = (r: SourceRow): SourceFields => ({ ...r, valueFiles: r.keep?.helm?.valueFiles ?? [] });

/**
 * "Add source": an empty git source at the end. A single-source app becomes Argo's multi-source
 * app, as in Argo's UI: saved in one update, its source is spec.sources[0], the new one follows
 * and spec.source is gone.
 */
export function addSummarySource(form: SummaryForm): SummaryForm {
  return {
    ...form, multi: true, ...(form.multi ? {} : { fromSingle: true as const }),
    sources: [...form.sources, { repoURL: "", path: "", chart: "", targetRevision: "HEAD", ref: "" }],
  };
}

/**
 * "Remove" of source `index`, or why not (the last source; a ref other sources' value files read).
 * A multi-source app keeps spec.sources down to one source (as Argo does); only a form that
 * "Add source" made multi-source in this edit, back to one source, is a single source again.
 */
export function removeSummarySource(form: SummaryForm, index: number): { form?: SummaryForm; error?: string } {
  const problem = sourceRemovalProblem(form.sources.map(rowFields), index);
  if (problem) return { error: problem };
  const sources = form.sources.filter((_, i) => i !== index);
  if (form.fromSingle && sources.length === 1) {
    const { fromSingle: _was, ...rest } = form;
    // A single source has no ref (it would name nothing).
    return { form: { ...rest, multi: false, sources: sources.map((r) => ({ ...r, ref: "" })) } };
  }
  return { form: { ...form, sources } };
}

const keyValues = (m: Record<string, string> | undefined): string => Object.entries(m ?? {}).map(([k, v]) => `${k}=${v}`).join("\n");

/**
 * Is the app Argo's multi-source app? As in Argo and the controller, a non-empty `spec.sources` wins
 * and a `spec.source` beside it is ignored, so the UI edits and shows what is compared.
 */
export function isMultiSourceApp(app: App): boolean {
  return (app.spec?.sources?.length ?? 0) > 0;
}

export function summaryForm(app: App): SummaryForm {
  const s = app.spec;
  const multi = isMultiSourceApp(app);
  const sources = multi ? s?.sources ?? [] : [s?.source ?? {}];
  const auto = s?.syncPolicy?.automated;
  const retry = s?.syncPolicy?.retry;
  return {
    project: s?.project || "default",
    labels: keyValues(app.metadata.labels),
    annotations: keyValues(app.metadata.annotations),
    destServer: s?.destination?.server ?? "",
    destName: s?.destination?.name ?? "",
    destNamespace: s?.destination?.namespace ?? "",
    sources: sources.map(sourceRow),
    multi,
    automated: Boolean(auto) && auto?.enabled !== false,
    prune: auto?.prune === true,
    selfHeal: auto?.selfHeal === true,
    allowEmpty: auto?.allowEmpty === true,
    syncOptions: (s?.syncPolicy?.syncOptions ?? []).join("\n"),
    retry: {
      enabled: retry !== undefined,
      limit: String(retry?.limit ?? 2),
      duration: retry?.backoff?.duration ?? "5s",
      factor: String(retry?.backoff?.factor ?? 2),
      maxDuration: retry?.backoff?.maxDuration ?? "3m",
    },
  };
}

/** `key=value` lines (or commas) as a map; bad lines are errors naming the field and the line. */
export function parseKeyValues(field: string, text: string): { map: Record<string, string>; errors: string[] } {
  const map: Record<string, string> = {};
  const errors: string[] = [];
  for (const raw of text.split(/[\n,]/)) {
    const line = raw.trim();
    if (!line) continue;
    const at = line.indexOf("=");
    const key = at > 0 ? line.slice(0, at).trim() : "";
    if (!key) { errors.push(`${field}: "${line}" is not key=value`); continue; }
    map[key] = line.slice(at + 1).trim();
  }
  return { map, errors };
}

/**
 * The Application to PUT: the app as read with the form's fields written over it (other fields,
 * e.g. ignoreDifferences or a source's helm block, kept as they are). Errors name the field.
 */
export function applySummary(app: App, form: SummaryForm): { app?: App; errors: string[] } {
  const labels = parseKeyValues("Labels", form.labels);
  const annotations = parseKeyValues("Annotations", form.annotations);
  const errors = [...labels.errors, ...annotations.errors];
  if (!form.project.trim()) errors.push("Project must not be empty");
  // New App's source checks, whole: a chart without a version is refused here too, also when the
  // app already had it so (written with kubectl), until a version is given.
  for (const p of sourceProblems(form.sources.map(rowFields), form.multi)) errors.push(p.message);
  if (!form.destServer.trim() === !form.destName.trim()) errors.push("Destination: give exactly one of the cluster URL and the cluster name");
  if (form.retry.enabled) {
    if (!/^-?\d+$/.test(form.retry.limit.trim())) errors.push(`Retry limit must be a whole number, got "${form.retry.limit}"`);
    if (!isDuration(form.retry.duration)) errors.push(`Retry backoff duration must be a duration such as 5s, got "${form.retry.duration}"`);
    if (!isDuration(form.retry.maxDuration)) errors.push(`Retry max duration must be a duration such as 3m, got "${form.retry.maxDuration}"`);
    const f = Number(form.retry.factor);
    if (!Number.isInteger(f) || f < 1) errors.push(`Retry factor must be a whole number of at least 1, got "${form.retry.factor}"`);
  }
  if (errors.length > 0) return { errors };
  const next = JSON.parse(JSON.stringify(app)) as App & { spec: NonNullable<App["spec"]>; status?: unknown };
  delete next.status;
  delete next.operation;
  next.metadata.labels = labels.map;
  next.metadata.annotations = annotations.map;
  next.spec = next.spec ?? {};
  next.spec.project = form.project.trim();
  next.spec.destination = {
    ...(form.destServer.trim() ? { server: form.destServer.trim() } : { name: form.destName.trim() }),
    ...(form.destNamespace.trim() ? { namespace: form.destNamespace.trim() } : {}),
  };
  const written = form.sources.map((row) => {
    const src: AppSource = JSON.parse(JSON.stringify(row.keep ?? {})) as AppSource;
    src.repoURL = row.repoURL.trim();
    const set = (k: "path" | "chart" | "targetRevision" | "ref", v: string): void => { if (v.trim()) src[k] = v.trim(); else delete src[k]; };
    set("path", row.path);
    set("chart", row.chart);
    set("targetRevision", row.targetRevision);
    set("ref", row.ref);
    return src;
  });
  if (form.multi) {
    next.spec.sources = written;
    // Argo reads spec.sources when it is set; a spec.source beside it would only mislead.
    delete next.spec.source;
  } else next.spec.source = written[0];
  const policy = { ...(next.spec.syncPolicy ?? {}) };
  if (form.automated) {
    // Fields the form does not show stay; allowEmpty is written only when set or already there.
    const { enabled: _enabled, ...kept } = policy.automated ?? {};
    policy.automated = { ...kept, prune: form.prune, selfHeal: form.selfHeal, ...(form.allowEmpty || kept.allowEmpty !== undefined ? { allowEmpty: form.allowEmpty } : {}) };
  } else delete policy.automated;
  const options = form.syncOptions.split("\n").map((l) => l.trim()).filter(Boolean);
  if (options.length > 0) policy.syncOptions = options; else delete policy.syncOptions;
  if (form.retry.enabled) {
    policy.retry = { limit: Number(form.retry.limit.trim()), backoff: { duration: form.retry.duration.trim(), factor: Number(form.retry.factor), maxDuration: form.retry.maxDuration.trim() } };
  } else delete policy.retry;
  if (Object.keys(policy).length > 0) next.spec.syncPolicy = policy; else delete next.spec.syncPolicy;
  return { app: next, errors: [] };
}

/** The JSON merge patch that turns auto-sync on (keeping prune/self-heal as they were) or off. */
export function autoSyncPatch(app: App, enable: boolean): { spec: { syncPolicy: { automated: unknown } } } {
  const current = app.spec?.syncPolicy?.automated;
  return { spec: { syncPolicy: { automated: enable ? { prune: current?.prune ?? false, selfHeal: current?.selfHeal ?? false, enabled: true } : null } } };
}

export function autoSyncOn(app: App): boolean {
  const a = app.spec?.syncPolicy?.automated;
  return Boolean(a) && a?.enabled !== false;
}

// ---------------------------------------------------------------- parameters

export interface ParameterGroup { title: string; rows: Array<{ name: string; value: string }> }

/** The source's tool parameters as Argo's PARAMETERS tab lists them (Helm, Kustomize, Directory, Plugin). */
export function sourceParameters(app: App): ParameterGroup[] {
  const sources = app.spec?.sources ?? (app.spec?.source ? [app.spec.source] : []);
  const groups: ParameterGroup[] = [];
  sources.forEach((src, i) => {
    const prefix = sources.length > 1 ? `Source ${i + 1}: ` : "";
    const rows: Array<{ name: string; value: string }> = [];
    const add = (name: string, value: unknown): void => {
      if (value === undefined || value === null || value === "") return;
      rows.push({ name, value: typeof value === "string" ? value : JSON.stringify(value) });
    };
    const h = src.helm;
    if (h) {
      add("releaseName", h.releaseName);
      (h.valueFiles ?? []).forEach((f, n) => add(`valueFiles[${n}]`, f));
      add("values", h.values);
      add("valuesObject", h.valuesObject);
      for (const p of h.parameters ?? []) add(p.name ?? "", p.value ?? "");
      for (const p of h.fileParameters ?? []) add(`${p.name ?? ""} (file)`, p.path ?? "");
      groups.push({ title: `${prefix}Helm`, rows });
      return;
    }
    const k = src.kustomize;
    if (k) {
      add("namePrefix", k.namePrefix);
      add("nameSuffix", k.nameSuffix);
      add("namespace", k.namespace);
      (k.images ?? []).forEach((img, n) => add(`images[${n}]`, img));
      for (const [key, v] of Object.entries(k.commonLabels ?? {})) add(`commonLabels.${key}`, v);
      for (const [key, v] of Object.entries(k.commonAnnotations ?? {})) add(`commonAnnotations.${key}`, v);
      add("replicas", k.replicas);
      add("patches", k.patches);
      groups.push({ title: `${prefix}Kustomize`, rows });
      return;
    }
    const d = src.directory;
    if (d) {
      add("recurse", d.recurse);
      add("include", d.include);
      add("exclude", d.exclude);
      for (const v of d.jsonnet?.extVars ?? []) add(`jsonnet extVar ${v.name ?? ""}`, v.value ?? "");
      for (const v of d.jsonnet?.tlas ?? []) add(`jsonnet TLA ${v.name ?? ""}`, v.value ?? "");
      groups.push({ title: `${prefix}Directory`, rows });
      return;
    }
    const p = src.plugin;
    if (p) {
      add("name", p.name);
      for (const e of p.env ?? []) add(`env ${e.name ?? ""}`, e.value ?? "");
      for (const prm of p.parameters ?? []) add(prm.name ?? "", prm.string ?? prm.array ?? prm.map);
      groups.push({ title: `${prefix}Plugin`, rows });
      return;
    }
    // No tool block in the spec: the tool is detected from the repository when rendering.
    groups.push({ title: `${prefix}${src.chart ? "Helm" : "Source"}`, rows });
  });
  return groups;
}

// ---------------------------------------------------------------- history

/** A git commit SHA is shown by its first 7 characters; a chart version or tag as it is. */
export const shortRevision = (rev: string): string => (/^[0-9a-f]{40,64}$/.test(rev) ? rev.slice(0, 7) : rev);

/** One deployed source of a history entry: what it was and the revision it was at. */
export interface DeployedSource { label: string; revision: string }

/**
 * What a history entry deployed: its one source and `revision`, or for a multi-source app each of
 * `sources[]` with the matching `revisions[]` entry (Argo keeps them in the same order).
 */
export function deployedSources(h: HistoryEntry): DeployedSource[] {
  const label = (s: AppSource | undefined): string => {
    if (!s) return "";
    const what = s.chart ? `chart ${s.chart}` : s.path ? s.path : s.ref ? `ref $${s.ref}` : "";
    return `${s.repoURL ?? ""}${what ? ` ${what}` : ""}`;
  };
  if (h.revisions && h.revisions.length > 0) {
    return h.revisions.map((revision, i) => ({ label: label(h.sources?.[i]) || `source ${i + 1}`, revision }));
  }
  return h.revision !== undefined || h.source ? [{ label: label(h.source), revision: h.revision ?? "" }] : [];
}
