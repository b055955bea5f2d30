// `hawser app ...`: Applications in a cluster, the way `argocd app ...` works, but through the
// Kubernetes API alone: operations are requested by writing `.operation` (as Argo's API server
// does), results are read from status, and `app diff` renders and compares like the controller.
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";
import { stringify } from "yaml";
import type { CommandModule } from "../cli.js";
import { ANNOTATION_REFRESH } from "../api/annotations.js";
import { deletionFinalizers } from "../engine/sync/requests.js";
import { API_VERSION, DEFAULT_PROJECT, type Application, type AppProject, type Operation, type OperationState, type SyncWindow } from "../api/index.js";
import { clientFrom } from "./kube-client.js";
import { qualifiedLocation } from "./location.js";
import { virtualProject } from "./project.js";
import { KubeClient } from "../kube/client.js";
import { createLogger } from "../runtime/logger.js";
import { redact } from "../runtime/redact.js";
import { liveDiff } from "./app/live-diff.js";
import {
  appDetails, appListTable, chooseRollback, historyTable, manualSyncWindowRefusal, operationFinished, operationInProgress, operationSummary,
  parseResourceSpec, rollbackOperation, syncOperation, syncResultTable, unmetConditions, type WaitFor,
} from "./app/format.js";
import { FlagError, flagInt, flagValue, parseFlags, type FlagSpec, type ParsedFlags } from "../flags.js";
import { errorMessage } from "../util/index.js";

const USAGE = `usage: hawser app <command> [flags]

Applications in a cluster ($KUBECONFIG or --kubeconfig FILE; -n NS, default argocd, is the
controller's namespace, where the Applications and argocd-cm live). NAME is an application in NS,
or NAMESPACE/NAME for one in another namespace (argocd-cmd-params-cm application.namespaces);
its project, repository and cluster Secrets are still read from NS.

  list [-o wide|name|json|yaml] [-l SELECTOR] [-N|--app-namespace NAMESPACE]
                       the applications in NS, or in NAMESPACE
  get NAME [-o wide|json|yaml] [--refresh]
                       sync, health, revision, conditions, last operation and resources
  diff NAME [--repo URL=PATH]... [--local DIR [--local-repo-root ROOT]] [--revision R]
       [--installation-id ID (default $HAWSER_INSTALLATION_ID)] [--server-side-diff]
                       the app's target (rendered as the controller does) against the live
                       objects it tracks; exit 0 no diff, 1 diff (unified, on stdout), 2 error.
                       Repositories are fetched into ~/.cache/hawser/cli, with the credentials
                       of the repository Secrets in NS when they are readable; a destination
                       other than in-cluster is reached through its Argo cluster Secret in NS.
                       The comparison is the controller's (operator/appstate): the app's
                       project must exist, and only objects it permits are compared.
                       --server-side-diff diffs against an apply dry run unless the app's
                       compare-options annotation says ServerSideDiff=false (as the
                       operator's --server-side-diff-enabled).
  sync NAME [--revision R] [--prune] [--force] [--dry-run] [--strategy hook|apply]
            [--resource [GROUP]:KIND:[NAMESPACE/]NAME]... [--sync-option K=V]...
            [--server-side] [--apply-out-of-sync-only] [--replace] [--async] [--timeout S]
                       requests a sync and, unless --async, waits for it and prints the
                       per-resource results; exit 0 Succeeded, 1 Failed/Error or timeout.
                       Refused (exit 2) while the project's sync windows block manual syncs
  wait NAME [--sync] [--health] [--operation] [--suspended] [--degraded] [--timeout S]
                       waits until the conditions hold (default: Synced, Healthy and no
                       operation running); exit 1 on timeout with what was last seen
  history NAME [-o json|yaml]
  rollback NAME [ID] [--prune] [--dry-run] [--async] [--timeout S]
                       syncs to a history entry (default: the one before the latest);
                       refused while automated sync is enabled
  delete NAME [--cascade=false] [--propagation-policy foreground|background] [--wait] [--timeout S]
  terminate-op NAME    stops the running operation

Errors go to stderr with exit status 2. --timeout 0 (the default) waits without a limit.
`;

const POLL_MS = 1000;
const SHORT: Record<string, string> = { "-o": "--output", "-n": "--namespace", "-l": "--selector", "-N": "--app-namespace" };

function parse(args: string[], spec: FlagSpec): ParsedFlags {
  const normalized = args.map((a) => SHORT[a] ?? (a.startsWith("-o=") ? `--output=${a.slice(3)}` : a));
  return parseFlags(normalized, {
    values: ["kubeconfig", "namespace", ...(spec.values ?? [])],
    repeatable: spec.repeatable ?? [],
    booleans: ["help", ...(spec.booleans ?? [])],
  });
}

function oneName(flags: ParsedFlags, sub: string, extra = 0): string {
  const name = flags.positional[0];
  if (!name || flags.positional.length > 1 + extra) throw new FlagError(`${sub} wants ${extra > 0 ? "an application name and an optional id" : "exactly one application name"}`);
  return name;
}

function outputFormat(flags: ParsedFlags, allowed: string[]): string | undefined {
  const o = flagValue(flags, "output");
  if (o !== undefined && !allowed.includes(o)) throw new FlagError(`-o must be ${allowed.join(", ")}; got "${o}"`);
  return o;
}

const print = (text: string): void => { process.stdout.write(text); };
const printObject = (obj: unknown, format: string): void => print(format === "json" ? JSON.stringify(obj, null, 2) + "\n" : stringify(obj, { lineWidth: 0 }));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const username = (): string => process.env.USER || "hawser-cli";

interface Ctx { client: KubeClient; ns: string; flags: ParsedFlags }

/** `NAME` in the control namespace, or Argo's qualified `NAMESPACE/NAME` for an app elsewhere. */
export function appLocation(controlNamespace: string, name: string): { namespace: string; name: string } {
  return qualifiedLocation("application", controlNamespace, name);
}

async function getApp(ctx: Ctx, name: string): Promise<Application> {
  const at = appLocation(ctx.ns, name);
  const app = await ctx.client.get<Application>(API_VERSION, "Application", at.name, at.namespace);
  if (!app) throw new FlagError(`application ${at.namespace}/${at.name} not found`);
  return app;
}

const ref = (ctx: Ctx, name: string): { apiVersion: string; kind: string; name: string; namespace: string } => ({ apiVersion: API_VERSION, kind: "Application", ...appLocation(ctx.ns, name) });

class Timeout extends Error {}

/** Polls the app until `done` returns a value; throws Timeout (with the last `seen` text) after timeoutS. */
async function pollApp<T>(ctx: Ctx, name: string, timeoutS: number, done: (app: Application) => T | undefined, seen: (app: Application) => string): Promise<T> {
  const deadline = timeoutS > 0 ? Date.now() + timeoutS * 1000 : Infinity;
  for (;;) {
    const app = await getApp(ctx, name);
    const result = done(app);
    if (result !== undefined) return result;
    if (Date.now() >= deadline) throw new Timeout(`timed out after ${timeoutS}s waiting for application ${name}: ${seen(app)}`);
    await sleep(Math.min(POLL_MS, Math.max(0, deadline - Date.now())));
  }
}

// ---- list / get / history ----

async function list(ctx: Ctx): Promise<number> {
  const format = outputFormat(ctx.flags, ["wide", "name", "json", "yaml"]);
  const selector = flagValue(ctx.flags, "selector");
  const apps = (await ctx.client.list<Application>(API_VERSION, "Application", { namespace: flagValue(ctx.flags, "app-namespace") ?? ctx.ns, ...(selector ? { labelSelector: selector } : {}) })).items
    .sort((a, b) => (a.metadata.name ?? "").localeCompare(b.metadata.name ?? ""));
  if (format === "json" || format === "yaml") printObject(apps, format);
  else if (format === "name") print(apps.map((a) => `${a.metadata.namespace ?? ""}/${a.metadata.name ?? ""}\n`).join(""));
  else print(appListTable(apps, format === "wide"));
  return 0;
}

async function get(ctx: Ctx): Promise<number> {
  const name = oneName(ctx.flags, "get");
  const format = outputFormat(ctx.flags, ["wide", "json", "yaml"]);
  let app = await getApp(ctx, name);
  if (ctx.flags.booleans.get("refresh")) {
    // The controller clears the annotation once it has compared the app again.
    await ctx.client.patch(ref(ctx, name), { metadata: { annotations: { [ANNOTATION_REFRESH]: "normal" } } });
    app = await pollApp(ctx, name, flagInt(ctx.flags, "timeout", 60), (a) => (a.metadata.annotations?.[ANNOTATION_REFRESH] ? undefined : a), () => "the refresh annotation is still set (is the operator running?)");
  }
  if (format === "json" || format === "yaml") printObject(app, format);
  else print(appDetails(app, format === "wide"));
  return 0;
}

async function history(ctx: Ctx): Promise<number> {
  const name = oneName(ctx.flags, "history");
  const format = outputFormat(ctx.flags, ["json", "yaml"]);
  const app = await getApp(ctx, name);
  const h = app.status?.history ?? [];
  if (format) printObject(h, format);
  else print(historyTable(h));
  return 0;
}

// ---- diff ----

function repoMap(flags: ParsedFlags): Map<string, string> {
  const map = new Map<string, string>();
  for (const m of flags.values.get("repo") ?? []) {
    const eq = m.lastIndexOf("=");
    if (eq <= 0 || eq === m.length - 1) throw new FlagError(`--repo wants URL=PATH, got "${m}"`);
    const path = m.slice(eq + 1);
    map.set(m.slice(0, eq).replace(/\/$/, ""), path.startsWith("file://") ? path : pathToFileURL(resolve(path)).href);
  }
  return map;
}

async function diff(ctx: Ctx): Promise<number> {
  const name = oneName(ctx.flags, "diff");
  const app = await getApp(ctx, name);
  const localDir = flagValue(ctx.flags, "local");
  const root = flagValue(ctx.flags, "local-repo-root");
  if (root && !localDir) throw new FlagError("--local-repo-root needs --local");
  const revision = flagValue(ctx.flags, "revision");
  // As the operator's flag: argocd-cm installationID wins when set.
  const installationID = flagValue(ctx.flags, "installation-id") ?? (process.env.HAWSER_INSTALLATION_ID || undefined);
  if (revision && localDir) throw new FlagError("--revision and --local exclude each other");
  const result = await liveDiff({
    client: ctx.client, namespace: ctx.ns, app, repoMap: repoMap(ctx.flags),
    ...(localDir ? { local: { dir: localDir, ...(root ? { root } : {}) } } : {}),
    ...(revision ? { revision } : {}),
    ...(installationID ? { installationID } : {}),
    serverSideDiff: ctx.flags.booleans.get("server-side-diff") === true,
    log: createLogger({ level: "warn" }),
  });
  for (const w of result.warnings) process.stderr.write(redact(`hawser app diff: ${name}: ${w}`) + "\n");
  print(result.output);
  return result.modified ? 1 : 0;
}

// ---- operations ----

/** Writes `.operation` unless one is in progress, then (unless --async) waits for its result. */
/**
 * The sync windows of the app's project. A project that cannot be read here gives none: the
 * operator refuses the operation itself when the project is missing or blocks it.
 */
async function projectSyncWindows(ctx: Ctx, app: Application): Promise<SyncWindow[] | undefined> {
  const project = await virtualProject<AppProject>(ctx.client, ctx.ns, app.spec.project || DEFAULT_PROJECT).catch(() => undefined);
  return project?.spec?.syncWindows;
}

async function runOperation(ctx: Ctx, name: string, build: (app: Application) => Operation, what: string): Promise<number> {
  const app = await getApp(ctx, name);
  const busy = operationInProgress(app);
  if (busy) throw new FlagError(`application ${name}: cannot ${what}: ${busy}`);
  const blocked = manualSyncWindowRefusal(app, await projectSyncWindows(ctx, app), new Date());
  if (blocked) throw new FlagError(`application ${name}: cannot ${what}: ${blocked}`);
  const operation = build(app);
  const previousStartedAt = app.status?.operationState?.startedAt;
  // The resourceVersion makes the write fail if someone started an operation in between.
  await ctx.client.patch(ref(ctx, name), { metadata: { resourceVersion: app.metadata.resourceVersion }, operation });
  if (ctx.flags.booleans.get("async")) {
    print(`application ${name}: ${what} requested\n`);
    return 0;
  }
  const user = operation.initiatedBy?.username ?? "";
  const state: OperationState = await pollApp(ctx, name, flagInt(ctx.flags, "timeout", 0),
    (a) => operationFinished(a, { previousStartedAt, username: user }),
    (a) => {
      const s = a.status?.operationState;
      return s && s.startedAt !== previousStartedAt ? `operation phase ${s.phase}${s.message ? `: ${s.message}` : ""}` : "the operation has not started (is the operator running?)";
    });
  print(syncResultTable(state) + "\n" + operationSummary(state) + "\n");
  return state.phase === "Succeeded" ? 0 : 1;
}

function syncOptionsFrom(flags: ParsedFlags): string[] {
  const opts = [...(flags.values.get("sync-option") ?? [])];
  for (const o of opts) if (!/^[A-Za-z.]+=.+$/.test(o)) throw new FlagError(`--sync-option wants Key=value, got "${o}"`);
  if (flags.booleans.get("server-side")) opts.push("ServerSideApply=true");
  if (flags.booleans.get("apply-out-of-sync-only")) opts.push("ApplyOutOfSyncOnly=true");
  if (flags.booleans.get("replace")) opts.push("Replace=true");
  return opts;
}

async function sync(ctx: Ctx): Promise<number> {
  const name = oneName(ctx.flags, "sync");
  const strategy = flagValue(ctx.flags, "strategy");
  if (strategy !== undefined && strategy !== "hook" && strategy !== "apply") throw new FlagError(`--strategy must be hook or apply, got "${strategy}"`);
  const resources = (ctx.flags.values.get("resource") ?? []).map(parseResourceSpec);
  const syncOptions = syncOptionsFrom(ctx.flags);
  const revision = flagValue(ctx.flags, "revision");
  return runOperation(ctx, name, () => syncOperation({
    ...(revision ? { revision } : {}),
    prune: ctx.flags.booleans.get("prune") === true,
    dryRun: ctx.flags.booleans.get("dry-run") === true,
    force: ctx.flags.booleans.get("force") === true,
    ...(strategy ? { strategy } : {}),
    resources, syncOptions, username: username(),
  }), "sync");
}

async function rollback(ctx: Ctx): Promise<number> {
  const name = oneName(ctx.flags, "rollback", 1);
  const rawId = ctx.flags.positional[1];
  let id: number | undefined;
  if (rawId !== undefined) {
    id = Number(rawId);
    if (!Number.isInteger(id) || id < 0) throw new FlagError(`rollback: ID must be a non-negative integer, got "${rawId}"`);
  }
  return runOperation(ctx, name, (app) => rollbackOperation(chooseRollback(app, id), {
    prune: ctx.flags.booleans.get("prune") === true,
    dryRun: ctx.flags.booleans.get("dry-run") === true,
    username: username(),
  }), "roll back");
}

async function wait(ctx: Ctx): Promise<number> {
  const name = oneName(ctx.flags, "wait");
  const b = (k: string): boolean => ctx.flags.booleans.get(k) === true;
  const any = b("sync") || b("health") || b("operation") || b("suspended") || b("degraded");
  const w: WaitFor = any
    ? { sync: b("sync"), health: b("health"), operation: b("operation"), suspended: b("suspended"), degraded: b("degraded") }
    : { sync: true, health: true, operation: true };
  const app = await pollApp(ctx, name, flagInt(ctx.flags, "timeout", 0), (a) => (unmetConditions(a, w).length === 0 ? a : undefined), (a) => unmetConditions(a, w).join("; "));
  print(appDetails(app, false));
  return 0;
}

async function terminateOp(ctx: Ctx): Promise<number> {
  const name = oneName(ctx.flags, "terminate-op");
  const app = await getApp(ctx, name);
  const phase = app.status?.operationState?.phase;
  if (phase === "Terminating") {
    print(`application ${name}: the operation is already terminating\n`);
    return 0;
  }
  if (phase !== "Running") {
    const why = app.operation ? "an operation is requested but has not started yet" : "no operation is in progress";
    throw new FlagError(`application ${name}: cannot terminate: ${why}`);
  }
  const startedAt = app.status?.operationState?.startedAt;
  const terminate = (): Promise<unknown> => ctx.client.patch(ref(ctx, name), { status: { operationState: { phase: "Terminating" } } }, { type: "merge", subresource: "status" });
  await terminate();
  // The controller persists the whole operationState after each step of a running operation; a
  // step that read the app before our write puts "Running" back. Re-assert until it sticks.
  const until = Date.now() + 30_000;
  for (;;) {
    await sleep(POLL_MS);
    const s = (await getApp(ctx, name)).status?.operationState;
    if (!s || s.startedAt !== startedAt || s.phase !== "Running") break;
    if (Date.now() >= until) throw new Timeout(`application ${name}: the operation is still Running 30s after it was asked to terminate`);
    await terminate();
  }
  print(`application ${name}: operation terminating\n`);
  return 0;
}

async function del(ctx: Ctx): Promise<number> {
  const name = oneName(ctx.flags, "delete");
  const cascade = ctx.flags.booleans.get("cascade") ?? true;
  const policy = flagValue(ctx.flags, "propagation-policy");
  if (policy !== undefined && policy !== "foreground" && policy !== "background") throw new FlagError(`--propagation-policy must be foreground or background, got "${policy}"`);
  if (policy && !cascade) throw new FlagError("--propagation-policy needs --cascade (the default)");
  const app = await getApp(ctx, name);
  const finalizers = app.metadata.finalizers ?? [];
  const next = deletionFinalizers(finalizers, cascade, policy);
  if (next.length !== finalizers.length || next.some((f, i) => f !== finalizers[i])) {
    await ctx.client.patch(ref(ctx, name), { metadata: { finalizers: next, resourceVersion: app.metadata.resourceVersion } });
  }
  await ctx.client.delete(ref(ctx, name));
  if (ctx.flags.booleans.get("wait")) {
    const deadline = flagInt(ctx.flags, "timeout", 0);
    const until = deadline > 0 ? Date.now() + deadline * 1000 : Infinity;
    const at = appLocation(ctx.ns, name);
    while (await ctx.client.get(API_VERSION, "Application", at.name, at.namespace)) {
      if (Date.now() >= until) throw new Timeout(`timed out after ${deadline}s waiting for application ${name} to be deleted${cascade ? " (its resources are being deleted first)" : ""}`);
      await sleep(POLL_MS);
    }
  }
  print(`application ${name} ${ctx.flags.booleans.get("wait") ? "deleted" : "deletion requested"}${cascade ? "" : " (resources kept)"}\n`);
  return 0;
}

// ---- dispatch ----

interface Sub { spec: FlagSpec; run: (ctx: Ctx) => Promise<number> }

const subs: Record<string, Sub> = {
  list: { spec: { values: ["output", "selector", "app-namespace"] }, run: list },
  get: { spec: { values: ["output", "timeout"], booleans: ["refresh"] }, run: get },
  history: { spec: { values: ["output"] }, run: history },
  diff: { spec: { values: ["local", "local-repo-root", "revision", "installation-id"], repeatable: ["repo"], booleans: ["server-side-diff"] }, run: diff },
  sync: {
    spec: { values: ["revision", "strategy", "timeout"], repeatable: ["resource", "sync-option"], booleans: ["prune", "force", "dry-run", "async", "server-side", "apply-out-of-sync-only", "replace"] },
    run: sync,
  },
  rollback: { spec: { values: ["timeout"], booleans: ["prune", "dry-run", "async"] }, run: rollback },
  wait: { spec: { values: ["timeout"], booleans: ["sync", "health", "operation", "suspended", "degraded"] }, run: wait },
  delete: { spec: { values: ["propagation-policy", "timeout"], booleans: ["cascade", "wait"] }, run: del },
  "terminate-op": { spec: {}, run: terminateOp },
};

export const command: CommandModule = {
  summary: "Applications in a cluster: list, get, diff, sync, wait, history, rollback, delete, terminate-op",
  async run(args: string[]): Promise<number> {
    const [name, ...rest] = args;
    if (!name || name === "--help" || name === "-h" || name === "help") {
      print(USAGE);
      return name ? 0 : 2;
    }
    const sub = subs[name];
    if (!sub) {
      process.stderr.write(`hawser app: unknown command "${name}"\n${USAGE}`);
      return 2;
    }
    let client: KubeClient | undefined;
    try {
      const flags = parse(rest, sub.spec);
      if (flags.booleans.get("help")) {
        print(USAGE);
        return 0;
      }
      client = clientFrom(flags);
      return await sub.run({ client, ns: flagValue(flags, "namespace") ?? "argocd", flags });
    } catch (err) {
      process.stderr.write(redact(`hawser app ${name}: ${errorMessage(err)}`) + "\n");
      return err instanceof Timeout ? 1 : 2;
    } finally {
      client?.close();
    }
  },
};
