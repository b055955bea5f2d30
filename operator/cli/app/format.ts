// Pure pieces of `hawser app`: argument parsing that has rules of its own (resource specs,
// rollback ids), the operation objects the CLI writes, the conditions `wait` and `sync` wait for,
// and the plain-text tables, shaped like `argocd app ...` output. No I/O here.
import type { Application, ApplicationSource, OperationState, RevisionHistory, SyncOperationResource } from "../../api/index.js";
import { chooseRollbackEntry, RequestRefused } from "../../engine/sync/requests.js";
import { autoSyncEnabled } from "../../engine/sync/autosync.js";
import { FlagError } from "../../flags.js";

/** Columns padded to the widest cell, two spaces apart, trailing blanks trimmed (like Go's tabwriter). */
export function table(rows: string[][]): string {
  if (rows.length === 0) return "";
  const cols = Math.max(...rows.map((r) => r.length));
  const widths = Array.from({ length: cols }, (_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join("  ").trimEnd()).join("\n") + "\n";
}

/**
 * `--resource [GROUP]:KIND:NAME` (NAME may be NAMESPACE/NAME), as `argocd app sync --resource`.
 * `KIND:NAME` is accepted for the core group. An empty namespace matches any namespace.
 */
export function parseResourceSpec(spec: string): SyncOperationResource {
  if (spec.startsWith("!")) throw new FlagError(`--resource ${spec}: exclusions ("!") are not supported; list the resources to sync`);
  const parts = spec.split(":");
  let group: string;
  let kind: string;
  let rest: string;
  if (parts.length === 3) [group, kind, rest] = parts as [string, string, string];
  else if (parts.length === 2) [group, kind, rest] = ["", ...(parts as [string, string])];
  else throw new FlagError(`--resource wants [GROUP]:KIND:NAME or [GROUP]:KIND:NAMESPACE/NAME, got "${spec}"`);
  const slash = rest.indexOf("/");
  const namespace = slash >= 0 ? rest.slice(0, slash) : "";
  const name = slash >= 0 ? rest.slice(slash + 1) : rest;
  if (!kind) throw new FlagError(`--resource ${spec}: KIND is empty`);
  if (!name) throw new FlagError(`--resource ${spec}: NAME is empty`);
  if (/[*?]/.test(`${group}${kind}${name}${namespace}`)) throw new FlagError(`--resource ${spec}: wildcards are not supported`);
  const out: SyncOperationResource = { group, kind, name };
  if (namespace) out.namespace = namespace;
  return out;
}

export { syncOperation, operationInProgress, manualSyncWindowRefusal, rollbackOperation, type SyncRequest } from "../../engine/sync/requests.js";

/** chooseRollback with the refusal as a CLI usage error. */
export function chooseRollback(app: Pick<Application, "metadata" | "spec" | "status">, id: number | undefined): RevisionHistory {
  try {
    return chooseRollbackEntry(app, id);
  } catch (err) {
    if (err instanceof RequestRefused) throw new FlagError(err.message);
    throw err;
  }
}

/** Whether status.operationState is the finished result of the operation this CLI started. */
export function operationFinished(app: Pick<Application, "operation" | "status">, started: { previousStartedAt?: string; username: string }): OperationState | undefined {
  const state = app.status?.operationState;
  if (!state || app.operation) return undefined;
  if (state.startedAt === started.previousStartedAt) return undefined;
  if (state.operation.initiatedBy?.username !== started.username) return undefined;
  if (!state.finishedAt || !["Succeeded", "Failed", "Error"].includes(state.phase)) return undefined;
  return state;
}

export interface WaitFor { sync: boolean; health: boolean; operation: boolean; suspended?: boolean; degraded?: boolean }

/** What is still missing for `wait` (empty when every condition holds). */
export function unmetConditions(app: Pick<Application, "operation" | "status">, w: WaitFor): string[] {
  const out: string[] = [];
  const s = app.status;
  if (w.sync && s?.sync?.status !== "Synced") out.push(`sync status is ${s?.sync?.status ?? "unknown"}, want Synced`);
  const health = s?.health?.status;
  const healthOk = (w.health && health === "Healthy") || (w.suspended === true && health === "Suspended") || (w.degraded === true && health === "Degraded");
  if ((w.health || w.suspended || w.degraded) && !healthOk) {
    const want = [w.health ? "Healthy" : "", w.suspended ? "Suspended" : "", w.degraded ? "Degraded" : ""].filter(Boolean).join(" or ");
    out.push(`health is ${health ?? "unknown"}${s?.health?.message ? ` (${s.health.message})` : ""}, want ${want}`);
  }
  if (w.operation) {
    const phase = s?.operationState?.phase;
    if (app.operation || phase === "Running" || phase === "Terminating") out.push(`an operation is in progress (phase ${phase ?? "requested"})`);
  }
  return out;
}

// ---- tables ----

const short = (rev: string | undefined): string => (rev && /^[0-9a-f]{40}$/.test(rev) ? rev.slice(0, 7) : (rev ?? ""));

function sourcesOf(app: Pick<Application, "spec">): ApplicationSource[] {
  if (app.spec.sources && app.spec.sources.length > 0) return app.spec.sources;
  return app.spec.source ? [app.spec.source] : [];
}

function syncPolicyText(app: Pick<Application, "spec">): string {
  if (!autoSyncEnabled(app.spec.syncPolicy)) return "Manual";
  const a = app.spec.syncPolicy?.automated ?? {};
  return ["Auto", a.prune ? "Prune" : "", a.selfHeal ? "SelfHeal" : ""].filter(Boolean).join("-");
}

function conditionsText(app: Pick<Application, "status">): string {
  const counts = new Map<string, number>();
  for (const c of app.status?.conditions ?? []) counts.set(c.type, (counts.get(c.type) ?? 0) + 1);
  return counts.size === 0 ? "<none>" : [...counts].map(([t, n]) => (n > 1 ? `${t}(${n})` : t)).join(",");
}

function clusterOf(app: Pick<Application, "spec">): string {
  return app.spec.destination.name || app.spec.destination.server || "";
}

function revisionOf(app: Pick<Application, "status">): string {
  const s = app.status?.sync;
  if (s?.revisions && s.revisions.length > 0) return s.revisions.map(short).join(",");
  return short(s?.revision);
}

/** `app list`: one row per Application; wide adds the source and the compared revision. */
export function appListTable(apps: Application[], wide: boolean): string {
  const head = ["NAME", "CLUSTER", "NAMESPACE", "PROJECT", "STATUS", "HEALTH", "SYNCPOLICY", "CONDITIONS"];
  if (wide) head.push("REPO", "PATH", "TARGET", "REVISION");
  const rows = [head];
  for (const app of apps) {
    const row = [
      app.metadata.namespace ? `${app.metadata.namespace}/${app.metadata.name ?? ""}` : (app.metadata.name ?? ""),
      clusterOf(app), app.spec.destination.namespace ?? "", app.spec.project,
      app.status?.sync?.status ?? "Unknown", app.status?.health?.status ?? "Unknown", syncPolicyText(app), conditionsText(app),
    ];
    if (wide) {
      const src = sourcesOf(app)[0];
      row.push(src?.repoURL ?? "", src?.path ?? src?.chart ?? "", src?.targetRevision ?? "", revisionOf(app));
    }
    rows.push(row);
  }
  return table(rows);
}

function resultMessages(app: Pick<Application, "status">): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of app.status?.operationState?.syncResult?.resources ?? []) {
    if (r.message) out.set(`${r.group}/${r.kind}/${r.namespace}/${r.name}`, r.message);
  }
  return out;
}

/** The resource table of `app get`: status.resources with the last sync's message per resource. */
export function resourceTable(app: Pick<Application, "status">, wide: boolean): string {
  const messages = resultMessages(app);
  const head = wide ? ["GROUP", "KIND", "VERSION", "NAMESPACE", "NAME", "STATUS", "HEALTH", "HOOK", "WAVE", "MESSAGE"] : ["GROUP", "KIND", "NAMESPACE", "NAME", "STATUS", "HEALTH", "HOOK", "MESSAGE"];
  const rows = [head];
  for (const r of app.status?.resources ?? []) {
    const msg = messages.get(`${r.group ?? ""}/${r.kind ?? ""}/${r.namespace ?? ""}/${r.name ?? ""}`) ?? (wide ? (r.health?.message ?? "") : "");
    const status = `${r.status ?? ""}${r.requiresPruning ? " (requires pruning)" : ""}`;
    const hook = r.hook ? "hook" : "";
    rows.push(wide
      ? [r.group ?? "", r.kind ?? "", r.version ?? "", r.namespace ?? "", r.name ?? "", status, r.health?.status ?? "", hook, r.syncWave === undefined ? "" : String(r.syncWave), msg]
      : [r.group ?? "", r.kind ?? "", r.namespace ?? "", r.name ?? "", status, r.health?.status ?? "", hook, msg]);
  }
  return table(rows);
}

const field = (label: string, value: string, width = 20): string => `${`${label}:`.padEnd(width)}${value}`;

/** `app get`: the summary block, conditions, the last operation and the resource table. */
export function appDetails(app: Application, wide: boolean): string {
  const lines: string[] = [
    field("Name", `${app.metadata.namespace ?? ""}/${app.metadata.name ?? ""}`),
    field("Project", app.spec.project),
    field("Server", clusterOf(app)),
    field("Namespace", app.spec.destination.namespace ?? ""),
  ];
  const sources = sourcesOf(app);
  if (sources.length > 0) {
    lines.push("Source:");
    for (const s of sources) {
      // Indented by two, so the values still line up with the fields above.
      lines.push(`- ${field("Repo", s.repoURL, 18)}`);
      lines.push(`  ${field("Target", s.targetRevision ?? "", 18)}`);
      if (s.path !== undefined) lines.push(`  ${field("Path", s.path, 18)}`);
      if (s.chart !== undefined) lines.push(`  ${field("Chart", s.chart, 18)}`);
      if (s.ref !== undefined) lines.push(`  ${field("Ref", s.ref, 18)}`);
    }
  }
  const target = sources.map((s) => s.targetRevision || "HEAD").join(",");
  lines.push(
    field("Sync Policy", syncPolicyText(app)),
    field("Sync Status", `${app.status?.sync?.status ?? "Unknown"} to ${target} (${revisionOf(app)})`),
    field("Health Status", `${app.status?.health?.status ?? "Unknown"}${app.status?.health?.message ? ` (${app.status.health.message})` : ""}`),
  );
  const out = [lines.join("\n"), ""];
  const conditions = app.status?.conditions ?? [];
  if (conditions.length > 0) out.push(table([["CONDITION", "MESSAGE", "LAST TRANSITION"], ...conditions.map((c) => [c.type, c.message, c.lastTransitionTime ?? ""])]));
  const op = app.status?.operationState;
  if (op) out.push(operationSummary(op) + "\n");
  out.push(resourceTable(app, wide));
  return out.join("\n");
}

/** The last operation, as `argocd app get` shows it. */
export function operationSummary(op: OperationState): string {
  const rev = op.syncResult?.revisions?.map(short).join(",") || short(op.syncResult?.revision) || op.operation.sync?.revision || "";
  const lines = [
    field("Operation", "Sync"),
    field("Sync Revision", rev),
    field("Phase", op.phase),
    field("Start", op.startedAt),
  ];
  if (op.finishedAt) {
    lines.push(field("Finished", op.finishedAt));
    const ms = Date.parse(op.finishedAt) - Date.parse(op.startedAt);
    if (Number.isFinite(ms)) lines.push(field("Duration", `${Math.max(0, Math.round(ms / 1000))}s`));
  }
  lines.push(field("Message", op.message ?? ""));
  if (op.operation.initiatedBy) lines.push(field("Initiated By", op.operation.initiatedBy.automated ? "automated sync policy" : (op.operation.initiatedBy.username ?? "")));
  return lines.join("\n");
}

/** The per-resource results of a sync (status.operationState.syncResult.resources). */
export function syncResultTable(op: OperationState): string {
  const rows = [["GROUP", "KIND", "NAMESPACE", "NAME", "STATUS", "HOOK", "MESSAGE"]];
  for (const r of op.syncResult?.resources ?? []) {
    rows.push([r.group, r.kind, r.namespace, r.name, r.status ?? r.hookPhase ?? "", r.hookType ?? "", r.message ?? ""]);
  }
  return table(rows);
}

function sourceText(s: ApplicationSource | undefined): string {
  if (!s) return "";
  const where = s.chart ? `chart ${s.chart}` : (s.path ?? "");
  return where ? `${s.repoURL} ${where}` : s.repoURL;
}

/** `app history`: ID, DATE, REVISION(S), SOURCE. */
export function historyTable(history: RevisionHistory[]): string {
  const multi = history.some((h) => h.sources && h.sources.length > 0);
  const rows = [["ID", "DATE", multi ? "REVISIONS" : "REVISION", "SOURCE"]];
  for (const h of [...history].sort((a, b) => a.id - b.id)) {
    const revs = h.revisions && h.revisions.length > 0 ? h.revisions.map(short).join(",") : short(h.revision);
    const src = h.sources && h.sources.length > 0 ? h.sources.map(sourceText).join(", ") : sourceText(h.source);
    rows.push([String(h.id), h.deployedAt, revs, src]);
  }
  return table(rows);
}
