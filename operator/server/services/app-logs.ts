// Pod logs of an Application (argo-cd-server.md §1.3 `.../logs`, `.../pods/{podName}/logs`):
// `applications, get` then `logs, get` on the app (§3.6; Argo 3 always checks the latter), the
// pods chosen from the app's resource tree only (a pod outside it is refused, so naming a pod
// cannot read an arbitrary pod's log), at most argocd-cm `server.maxPodLogsToRender` of them, and
// their lines streamed as LogEntry messages in the stream framing (NDJSON or SSE), ending with
// an entry marked `last`; `download=true` sends the bare lines as a file instead.
import { finalEntry, logEntry, logFilter, parseRfc3339, selectPods, type LogLine, type PodQuery } from "../../engine/pod-logs.js";
import type { Logger } from "../../runtime/logger.js";
import type { AppStateReader } from "../app-state.js";
import type { ServerCache } from "../cache.js";
import type { ApiRequest, ApiRouter, Query } from "../http/api.js";
import { failedPrecondition, invalidArgument, notFound, toApiError } from "../http/errors.js";
import { openStream } from "../http/stream.js";
import { appTreeNodes, streamPodLogs, type PodLogOptions } from "../pod-logs.js";
import { appRbacName } from "./applications.js";
import { type AppFinder, queryBool, queryInt, queryOne } from "./app-access.js";

export interface AppLogServiceDeps {
  cache: ServerCache;
  /** The Application service: finds the app with RBAC and existence hiding. */
  apps: AppFinder;
  reader: AppStateReader;
  log: Logger;
  now?: () => Date;
}

/** Argo's default for argocd-cm server.maxPodLogsToRender. */
export const DEFAULT_MAX_POD_LOGS = 10;

/** argocd-cm `server.maxPodLogsToRender`: a whole number, default 10; anything else is refused by name. */
export function maxPodLogsToRender(cm: Record<string, string> | undefined): number {
  const raw = cm?.["server.maxPodLogsToRender"]?.trim();
  if (raw === undefined || raw === "") return DEFAULT_MAX_POD_LOGS;
  if (!/^\d+$/.test(raw)) throw failedPrecondition(`argocd-cm server.maxPodLogsToRender must be a whole number, got "${raw}"`);
  return Number(raw);
}

/** The log query: which pods, what to ask the apiserver, what to keep. Every bad value is a 400 naming it. */
export function parseLogQuery(q: Query, podNameInPath?: string): { pods: PodQuery; options: PodLogOptions; filter?: string; matchCase: boolean; untilTime?: number; download: boolean } {
  const pods: PodQuery = {};
  const set = (key: keyof PodQuery, v: string | undefined): void => { if (v !== undefined) pods[key] = v; };
  set("podName", podNameInPath || queryOne(q, "podName"));
  set("kind", queryOne(q, "kind"));
  set("group", queryOne(q, "group"));
  set("resourceName", queryOne(q, "resourceName"));
  set("namespace", queryOne(q, "namespace"));
  const options: PodLogOptions = {};
  const container = queryOne(q, "container");
  if (container) options.container = container;
  if (queryBool(q, "follow")) options.follow = true;
  if (queryBool(q, "previous")) options.previous = true;
  const sinceSeconds = queryInt(q, "sinceSeconds");
  if (sinceSeconds) options.sinceSeconds = sinceSeconds;
  const tailLines = queryInt(q, "tailLines");
  if (tailLines) options.tailLines = tailLines;
  const sinceTimeSeconds = queryInt(q, "sinceTime.seconds");
  const sinceTimeNanos = queryInt(q, "sinceTime.nanos");
  if (sinceTimeNanos !== undefined && sinceTimeNanos > 999_999_999) throw invalidArgument(`query parameter "sinceTime.nanos" must be below 1000000000, got ${sinceTimeNanos}`);
  if (sinceTimeSeconds !== undefined) {
    if (options.sinceSeconds) throw invalidArgument("give at most one of sinceSeconds and sinceTime");
    // Kubernetes reads sinceTime in whole seconds.
    options.sinceTime = new Date(sinceTimeSeconds * 1000).toISOString().replace(/\.000Z$/, "Z");
  }
  const untilRaw = queryOne(q, "untilTime");
  let untilTime: number | undefined;
  if (untilRaw !== undefined) {
    untilTime = parseRfc3339(untilRaw);
    if (untilTime === undefined) throw invalidArgument(`query parameter "untilTime" must be an RFC 3339 time, got "${untilRaw}"`);
  }
  const filter = queryOne(q, "filter");
  return { pods, options, ...(filter ? { filter } : {}), matchCase: queryBool(q, "matchCase"), ...(untilTime !== undefined ? { untilTime } : {}), download: queryBool(q, "download") };
}

export class AppLogService {
  private readonly now: () => Date;

  constructor(private readonly deps: AppLogServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  register(r: ApiRouter): void {
    r.get("/api/v1/applications/:name/logs", (req) => this.logs(req));
    r.get("/api/v1/applications/:name/pods/:podName/logs", (req) => this.logs(req));
  }

  private async logs(req: ApiRequest): Promise<unknown> {
    const { params, query, caller, raw, reply } = req;
    const app = this.deps.apps.findApp(caller, params.name!, query, "get");
    caller.require("logs", "get", appRbacName(app, this.deps.cache.namespace));
    const q = parseLogQuery(query, params.podName);
    const { client } = this.deps.reader.destination(app);
    const nodes = await appTreeNodes(app, client, (kind, err) => this.deps.log.debug("pod logs: kind not listed", { kind, error: err instanceof Error ? err.message : String(err) }));
    const pods = selectPods(nodes, q.pods);
    if (q.pods.podName && pods.length === 0) {
      throw notFound(`pod ${q.pods.namespace ? `${q.pods.namespace}/` : ""}${q.pods.podName} is not in the resource tree of application ${app.metadata.name}`);
    }
    const max = maxPodLogsToRender(this.deps.cache.configMap("argocd-cm"));
    if (pods.length > max) throw invalidArgument(`max pods to view logs are reached (${pods.length} pods, argocd-cm server.maxPodLogsToRender is ${max}). Please provide more granular query`);

    const keep = logFilter(q.filter, q.matchCase);
    reply.hijack();
    const res = reply.raw;
    if (q.download) {
      const first = pods[0];
      const filename = `${first?.namespace ?? ""}-${first?.name ?? app.metadata.name}-${q.options.container ?? ""}.log`.replace(/["\\\r\n]/g, "_");
      res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Disposition": `attachment;filename="${filename}"` });
      const closed = new AbortController();
      res.on("close", () => closed.abort());
      await streamPodLogs(client, pods, q.options, (line) => {
        if (q.untilTime !== undefined && line.time > q.untilTime) return false;
        if (keep(line.content)) res.write(`${line.content}\n`);
        return !closed.signal.aborted;
      }, closed.signal);
      res.end();
      return undefined;
    }
    const stream = openStream(res, raw.headers.accept);
    if (pods.length === 0) {
      // Nothing of the tree matches (e.g. a Deployment scaled to zero): an empty stream, as Argo.
      stream.end();
      return undefined;
    }
    let ended = false;
    const send = (line: LogLine): boolean => {
      if (q.untilTime !== undefined && line.time > q.untilTime) {
        // Argo marks the first line past untilTime as the last one and stops.
        stream.send(logEntry(line, true));
        ended = true;
        return false;
      }
      if (!keep(line.content)) return true;
      return stream.send(logEntry(line));
    };
    try {
      await streamPodLogs(client, pods, q.options, send, stream.signal);
    } catch (err) {
      stream.fail(toApiError(err));
      return undefined;
    }
    if (!ended) stream.send(finalEntry(this.now()));
    stream.end();
    return undefined;
  }
}
