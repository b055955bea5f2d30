// `hawser app ...`: Applications, the way `argocd app ...` works: through `hawser server` when a
// context is current (or --server is given), or straight to Kubernetes with --core. Each command's
// logic is here once; the two ways in are the AppBackend implementations in app/.
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";
import { stringify } from "yaml";
import type { CommandModule } from "../cli.js";
import type { Application, OperationState } from "../api/index.js";
import { clientFrom } from "./kube-client.js";
import { redact } from "../runtime/redact.js";
import {
  appDetails, appListTable, chooseRollback, historyTable, operationFinished, operationSummary,
  parseResourceSpec, syncResultTable, unmetConditions, type WaitFor,
} from "./app/format.js";
import { Timeout, type AppBackend, type StartedOperation } from "./app/backend.js";
import { appLocation, KubeBackend } from "./app/kube-backend.js";
import { ApiBackend, appPath } from "./app/api-backend.js";
import { appFromFlags, appFromText, applySpecFlags, type SpecFlags } from "./app/spec-flags.js";
import { LOGS_FLAGS, LOGS_USAGE, logsThroughServer, logsWithKubernetes } from "./app/logs.js";
import { manifestsYaml, resourcesTable, type ResourceTree } from "./app/server-views.js";
import { ACTIONS_FLAGS, ACTIONS_USAGE, ApiActionsBackend, KubeActionsBackend, runActionsCommand, type ActionsBackend } from "./app/actions.js";
import { readFile } from "node:fs/promises";
import type { ApiClient } from "./api/client.js";
import { chooseTarget, CONNECTION_FLAGS, CONNECTION_USAGE } from "./api/connection.js";
import { cliErrorMessage } from "./api/errors.js";
import { FlagError, flagInt, flagValue, parseFlags, type FlagSpec, type ParsedFlags } from "../flags.js";

const USAGE = `usage: hawser app <command> [flags]

Applications through the API server (after hawser login, or with --server), or in a cluster
with --core ($KUBECONFIG or --kubeconfig FILE; -n NS, default argocd, is the controller's
namespace, where the Applications and argocd-cm live). Without a current context and without
--server, commands talk to Kubernetes as with --core. NAME is an application in NS (the server's
namespace through the server), or NAMESPACE/NAME for one in another namespace
(argocd-cmd-params-cm application.namespaces); with --core its project, repository and cluster
Secrets are still read from NS.

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
${LOGS_USAGE}

${ACTIONS_USAGE}
Through the server only:
  create NAME --repo URL [--path P] [--revision R] (--dest-server URL | --dest-name N)
         [--dest-namespace NS] [--project P] [-N NS] [--sync-policy automated|none]
         [--auto-prune] [--self-heal] [--sync-option K=V]... [--upsert]
  create -f FILE [--upsert]
                       creates the application (from flags, or the Application in FILE, - for
                       stdin); --upsert replaces a different existing one
  set NAME [--repo URL] [--path P] [--revision R] [--dest-server URL | --dest-name N]
           [--dest-namespace NS] [--project P] [--sync-policy automated|none]
           [--auto-prune[=false]] [--self-heal[=false]] [--sync-option K=V]...
                       changes those fields of the spec
  manifests NAME [--revision R]
                       the manifests the server renders for the app, as YAML
  resources NAME [--orphaned]
                       the app's resources from its resource tree (--orphaned: only those)

Through the server, diff compares with what the server reports (managed-resources); --local,
--repo, --revision, --installation-id and --server-side-diff need --core. wait and sync follow the
server's watch stream.

Errors go to stderr with exit status 2. --timeout 0 (the default) waits without a limit.

${CONNECTION_USAGE}`;

const POLL_MS = 1000;
const SHORT: Record<string, string> = { "-o": "--output", "-n": "--namespace", "-l": "--selector", "-N": "--app-namespace", "-f": "--file" };

function parse(args: string[], spec: FlagSpec): ParsedFlags {
  const normalized = args.map((a) => SHORT[a] ?? (a.startsWith("-o=") ? `--output=${a.slice(3)}` : a));
  return parseFlags(normalized, {
    values: ["kubeconfig", "namespace", ...CONNECTION_FLAGS.values, ...(spec.values ?? [])],
    repeatable: spec.repeatable ?? [],
    booleans: ["help", ...CONNECTION_FLAGS.booleans, ...(spec.booleans ?? [])],
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

interface Ctx { backend: AppBackend; flags: ParsedFlags; api?: ApiClient }

export { appLocation };

async function getApp(ctx: Ctx, name: string): Promise<Application> {
  const app = await ctx.backend.findApp(name);
  if (!app) {
    const at = appLocation(flagValue(ctx.flags, "namespace") ?? "argocd", name);
    throw new FlagError(`application ${at.namespace}/${at.name} not found`);
  }
  return app;
}

// ---- list / get / history ----

async function list(ctx: Ctx): Promise<number> {
  const format = outputFormat(ctx.flags, ["wide", "name", "json", "yaml"]);
  const selector = flagValue(ctx.flags, "selector");
  const appNamespace = flagValue(ctx.flags, "app-namespace") ?? (ctx.api ? undefined : flagValue(ctx.flags, "namespace") ?? "argocd");
  const apps = (await ctx.backend.listApps({ ...(appNamespace ? { appNamespace } : {}), ...(selector ? { selector } : {}) }))
    .sort((a, b) => (a.metadata.name ?? "").localeCompare(b.metadata.name ?? ""));
  if (format === "json" || format === "yaml") printObject(apps, format);
  else if (format === "name") print(apps.map((a) => `${a.metadata.namespace ?? ""}/${a.metadata.name ?? ""}\n`).join(""));
  else print(appListTable(apps, format === "wide"));
  return 0;
}

async function get(ctx: Ctx): Promise<number> {
  const name = oneName(ctx.flags, "get");
  const format = outputFormat(ctx.flags, ["wide", "json", "yaml"]);
  const app = ctx.flags.booleans.get("refresh") ? await ctx.backend.refreshApp(name, flagInt(ctx.flags, "timeout", 60)) : await getApp(ctx, name);
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
  const localDir = flagValue(ctx.flags, "local");
  const root = flagValue(ctx.flags, "local-repo-root");
  if (root && !localDir) throw new FlagError("--local-repo-root needs --local");
  const revision = flagValue(ctx.flags, "revision");
  // As the operator's flag: argocd-cm installationID wins when set.
  const flagId = flagValue(ctx.flags, "installation-id");
  const installationID = flagId ?? (process.env.HAWSER_INSTALLATION_ID || undefined);
  if (revision && localDir) throw new FlagError("--revision and --local exclude each other");
  const result = await ctx.backend.diff(name, {
    repoMap: repoMap(ctx.flags),
    ...(localDir ? { local: { dir: localDir, ...(root ? { root } : {}) } } : {}),
    ...(revision ? { revision } : {}),
    ...(installationID ? { installationID } : {}),
    installationIDFlag: flagId !== undefined,
    serverSideDiff: ctx.flags.booleans.get("server-side-diff") === true,
  });
  for (const w of result.warnings) process.stderr.write(redact(`hawser app diff: ${name}: ${w}`) + "\n");
  print(result.output);
  return result.modified ? 1 : 0;
}

// ---- operations ----

/** Waits (unless --async) for the operation `started` names and prints its result. */
async function awaitOperation(ctx: Ctx, name: string, started: StartedOperation, what: string): Promise<number> {
  if (ctx.flags.booleans.get("async")) {
    print(`application ${name}: ${what} requested\n`);
    return 0;
  }
  const { previousStartedAt } = started;
  const state: OperationState = await ctx.backend.watchApp(name, flagInt(ctx.flags, "timeout", 0),
    (a) => operationFinished(a, started),
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
  const started = await ctx.backend.sync(name, {
    ...(revision ? { revision } : {}),
    prune: ctx.flags.booleans.get("prune") === true,
    dryRun: ctx.flags.booleans.get("dry-run") === true,
    force: ctx.flags.booleans.get("force") === true,
    ...(strategy ? { strategy } : {}),
    resources, syncOptions,
  });
  return awaitOperation(ctx, name, started, "sync");
}

async function rollback(ctx: Ctx): Promise<number> {
  const name = oneName(ctx.flags, "rollback", 1);
  const rawId = ctx.flags.positional[1];
  let id: number | undefined;
  if (rawId !== undefined) {
    id = Number(rawId);
    if (!Number.isInteger(id) || id < 0) throw new FlagError(`rollback: ID must be a non-negative integer, got "${rawId}"`);
  }
  // The entry is chosen here, as argocd does, so every server gets an explicit id.
  const entry = chooseRollback(await getApp(ctx, name), id);
  const started = await ctx.backend.rollback(name, { id: entry.id, prune: ctx.flags.booleans.get("prune") === true, dryRun: ctx.flags.booleans.get("dry-run") === true });
  return awaitOperation(ctx, name, started, "roll back");
}

async function wait(ctx: Ctx): Promise<number> {
  const name = oneName(ctx.flags, "wait");
  const b = (k: string): boolean => ctx.flags.booleans.get(k) === true;
  const any = b("sync") || b("health") || b("operation") || b("suspended") || b("degraded");
  const w: WaitFor = any
    ? { sync: b("sync"), health: b("health"), operation: b("operation"), suspended: b("suspended"), degraded: b("degraded") }
    : { sync: true, health: true, operation: true };
  const app = await ctx.backend.watchApp(name, flagInt(ctx.flags, "timeout", 0), (a) => (unmetConditions(a, w).length === 0 ? a : undefined), (a) => unmetConditions(a, w).join("; "));
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
  await ctx.backend.terminateOperation(name, app.status?.operationState?.startedAt);
  print(`application ${name}: operation terminating\n`);
  return 0;
}

async function del(ctx: Ctx): Promise<number> {
  const name = oneName(ctx.flags, "delete");
  const cascade = ctx.flags.booleans.get("cascade") ?? true;
  const policy = flagValue(ctx.flags, "propagation-policy");
  if (policy !== undefined && policy !== "foreground" && policy !== "background") throw new FlagError(`--propagation-policy must be foreground or background, got "${policy}"`);
  if (policy && !cascade) throw new FlagError("--propagation-policy needs --cascade (the default)");
  await ctx.backend.deleteApp(name, { cascade, ...(policy ? { propagationPolicy: policy } : {}) });
  if (ctx.flags.booleans.get("wait")) {
    const deadline = flagInt(ctx.flags, "timeout", 0);
    const until = deadline > 0 ? Date.now() + deadline * 1000 : Infinity;
    while (await ctx.backend.findApp(name)) {
      if (Date.now() >= until) throw new Timeout(`timed out after ${deadline}s waiting for application ${name} to be deleted${cascade ? " (its resources are being deleted first)" : ""}`);
      await sleep(POLL_MS);
    }
  }
  print(`application ${name} ${ctx.flags.booleans.get("wait") ? "deleted" : "deletion requested"}${cascade ? "" : " (resources kept)"}\n`);
  return 0;
}

// ---- through the server only: create, set, manifests, resources ----

function specFlags(flags: ParsedFlags): SpecFlags {
  const f: SpecFlags = {};
  const v = (k: string): string | undefined => flagValue(flags, k);
  const put = <K extends keyof SpecFlags>(key: K, value: SpecFlags[K] | undefined): void => { if (value !== undefined) f[key] = value; };
  put("repo", v("repo")); put("path", v("path")); put("revision", v("revision"));
  put("destServer", v("dest-server")); put("destName", v("dest-name")); put("destNamespace", v("dest-namespace"));
  put("project", v("project")); put("syncPolicy", v("sync-policy"));
  put("autoPrune", flags.booleans.get("auto-prune")); put("selfHeal", flags.booleans.get("self-heal"));
  const opts = flags.values.get("sync-option");
  if (opts && opts.length > 0) f.syncOptions = opts;
  return f;
}

async function readInput(file: string): Promise<string> {
  if (file !== "-") return readFile(file, "utf8");
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

async function create(ctx: Ctx): Promise<number> {
  const file = flagValue(ctx.flags, "file");
  const f = specFlags(ctx.flags);
  let app: Application;
  if (file !== undefined) {
    if (ctx.flags.positional.length > 0 || Object.keys(f).length > 0) throw new FlagError("-f FILE excludes NAME and the spec flags");
    app = appFromText(await readInput(file), file);
  } else {
    app = appFromFlags(oneName(ctx.flags, "create"), flagValue(ctx.flags, "app-namespace"), f);
  }
  const upsert = ctx.flags.booleans.get("upsert") === true;
  const created = await ctx.api!.request<Application>("POST", "/api/v1/applications", { query: { ...(upsert ? { upsert: "true" } : {}) }, body: app });
  print(`application '${created.metadata?.name ?? app.metadata.name ?? ""}' created\n`);
  return 0;
}

async function set(ctx: Ctx): Promise<number> {
  const name = oneName(ctx.flags, "set");
  const f = specFlags(ctx.flags);
  if (Object.keys(f).length === 0) throw new FlagError("set wants at least one of --repo, --path, --revision, --dest-server, --dest-name, --dest-namespace, --project, --sync-policy, --auto-prune, --self-heal, --sync-option");
  const app = await getApp(ctx, name);
  const spec = applySpecFlags(app.spec, f);
  const { path, query } = appPath(name);
  await ctx.api!.request("PUT", `${path}/spec`, { query, body: spec });
  print(`application '${name}' updated\n`);
  return 0;
}

async function manifests(ctx: Ctx): Promise<number> {
  const name = oneName(ctx.flags, "manifests");
  const source = flagValue(ctx.flags, "source") ?? "git";
  if (source !== "git") throw new FlagError(`--source ${source} is not supported; manifests shows what git renders (--source git)`);
  const revision = flagValue(ctx.flags, "revision");
  const { path, query } = appPath(name);
  const res = await ctx.api!.request<{ manifests?: string[] | null }>("GET", `${path}/manifests`, { query: { ...query, revision } });
  print(manifestsYaml(res.manifests ?? []));
  return 0;
}

async function resources(ctx: Ctx): Promise<number> {
  const name = oneName(ctx.flags, "resources");
  const { path, query } = appPath(name);
  const tree = await ctx.api!.request<ResourceTree>("GET", `${path}/resource-tree`, { query });
  print(resourcesTable(tree, ctx.flags.booleans.get("orphaned") === true));
  return 0;
}

// ---- logs ----

async function logs(ctx: Ctx): Promise<number> {
  const name = oneName(ctx.flags, "logs");
  if (ctx.api) return logsThroughServer(ctx.api, name, ctx.flags);
  const client = clientFrom(ctx.flags);
  try {
    return await logsWithKubernetes(client, flagValue(ctx.flags, "namespace") ?? "argocd", await getApp(ctx, name), ctx.flags);
  } finally {
    client.close();
  }
}

// ---- actions ----

async function actions(ctx: Ctx): Promise<number> {
  const backend: ActionsBackend = ctx.api ? new ApiActionsBackend(ctx.api) : new KubeActionsBackend(clientFrom(ctx.flags), flagValue(ctx.flags, "control-namespace") ?? "argocd", username());
  try {
    return await runActionsCommand(backend, ctx.flags, print);
  } finally {
    backend.close();
  }
}

// ---- dispatch ----

interface Sub { spec: FlagSpec; run: (ctx: Ctx) => Promise<number>; serverOnly?: boolean }

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
  logs: { spec: LOGS_FLAGS, run: logs },
  actions: { spec: ACTIONS_FLAGS, run: actions },
  create: {
    spec: { values: ["file", "repo", "path", "revision", "dest-server", "dest-name", "dest-namespace", "project", "sync-policy", "app-namespace"], repeatable: ["sync-option"], booleans: ["upsert", "auto-prune", "self-heal"] },
    run: create, serverOnly: true,
  },
  set: {
    spec: { values: ["repo", "path", "revision", "dest-server", "dest-name", "dest-namespace", "project", "sync-policy"], repeatable: ["sync-option"], booleans: ["auto-prune", "self-heal"] },
    run: set, serverOnly: true,
  },
  manifests: { spec: { values: ["revision", "source"] }, run: manifests, serverOnly: true },
  resources: { spec: { booleans: ["orphaned"] }, run: resources, serverOnly: true },
};

export const command: CommandModule = {
  summary: "Applications (through the server, or --core): list, get, diff, sync, wait, history, rollback, delete, terminate-op, logs, actions, create, set, manifests, resources",
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
    let backend: AppBackend | undefined;
    try {
      const flags = parse(rest, sub.spec);
      if (flags.booleans.get("help")) {
        print(USAGE);
        return 0;
      }
      const target = await chooseTarget(flags);
      if (target.kind === "api") {
        backend = new ApiBackend(target.client);
        return await sub.run({ backend, flags, api: target.client });
      }
      if (sub.serverOnly) throw new FlagError(`${name} needs the API server (hawser login SERVER, or --server); it has no --core form`);
      backend = new KubeBackend(clientFrom(flags), flagValue(flags, "namespace") ?? "argocd", username());
      return await sub.run({ backend, flags });
    } catch (err) {
      process.stderr.write(redact(`hawser app ${name}: ${cliErrorMessage(err)}`) + "\n");
      return err instanceof Timeout ? 1 : 2;
    } finally {
      backend?.close();
    }
  },
};
