// Pod logs of an Application, the I/O part: the app's resource tree (its managed live objects and
// their descendants through ownerReferences, so a Deployment's pods are found through its
// ReplicaSets), and the pods' logs read from the apiserver's `pods/{name}/log` with timestamps,
// merged in time order. The API server's logs route and `hawser app logs --core` both use it; the
// rules (which pods, line format, filter, merge order) are in operator/engine/pod-logs.ts.
import { LineSplitter, LogLineError, LogMerger, parseLogLine, type LogLine, type LogTreeNode } from "../engine/pod-logs.js";
import type { KubeClient } from "../kube/client.js";
import { managedLiveObjects, resourceTree } from "./services/app-resources.js";
import type { ApplicationObject } from "./cache.js";

/** The nodes of the app's resource tree on its destination cluster. */
export async function appTreeNodes(app: ApplicationObject, client: KubeClient, onSkip?: (kind: string, err: unknown) => void): Promise<LogTreeNode[]> {
  return (await resourceTree(app, client, await managedLiveObjects(app, client, onSkip))).nodes;
}

/** What `pods/{name}/log` is asked for (Kubernetes' PodLogOptions; timestamps are always on). */
export interface PodLogOptions {
  container?: string;
  follow?: boolean;
  previous?: boolean;
  sinceSeconds?: number;
  /** RFC 3339. */
  sinceTime?: string;
  tailLines?: number;
}

export interface PodRef { namespace?: string; name: string; uid?: string }

/** How often a followed pod is looked up, so its log ends once the pod is gone. */
export const FOLLOWED_POD_CHECK_MS = 2_000;

/**
 * Reads the logs of `pods` and calls `onLine` with their lines in time order (LogMerger), until
 * every log ends (with follow: when its pod is gone), `onLine` returns false, or `signal`
 * aborts. A pod whose log the apiserver refuses (the pod is not running yet, the container needs
 * naming, the node's kubelet cannot be reached) becomes one line with the apiserver's message, as
 * Argo shows it in the UI.
 */
export async function streamPodLogs(client: KubeClient, pods: readonly PodRef[], opts: PodLogOptions, onLine: (line: LogLine) => boolean, signal: AbortSignal): Promise<void> {
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  signal.addEventListener("abort", onAbort, { once: true });
  const merger = new LogMerger(pods.length);
  let stopped = false;
  const flush = (): void => {
    if (stopped) return;
    for (const line of merger.take(Date.now())) {
      if (!onLine(line)) {
        stopped = true;
        stop.abort();
        return;
      }
    }
  };
  // Releases lines a quiet pod was holding back once their wait is over.
  const timer = setInterval(flush, 50);
  try {
    await Promise.all(pods.map(async (pod, i) => {
      try {
        await readPodLog(client, pod, opts, stop.signal, (line) => { merger.push(i, line, Date.now()); flush(); });
      } finally {
        merger.close(i);
        flush();
      }
    }));
    while (!stopped && !merger.done && !stop.signal.aborted) {
      await new Promise((r) => setTimeout(r, 20));
      flush();
    }
  } finally {
    clearInterval(timer);
    signal.removeEventListener("abort", onAbort);
    stop.abort();
  }
}

async function readPodLog(client: KubeClient, pod: PodRef, opts: PodLogOptions, signal: AbortSignal, push: (line: LogLine) => void): Promise<void> {
  const path = `/api/v1/namespaces/${encodeURIComponent(pod.namespace ?? "default")}/pods/${encodeURIComponent(pod.name)}/log`;
  const query = {
    timestamps: true,
    ...(opts.container ? { container: opts.container } : {}),
    ...(opts.follow ? { follow: true } : {}),
    ...(opts.previous ? { previous: true } : {}),
    ...(opts.sinceSeconds ? { sinceSeconds: opts.sinceSeconds } : {}),
    ...(opts.sinceTime ? { sinceTime: opts.sinceTime } : {}),
    ...(opts.tailLines ? { tailLines: opts.tailLines } : {}),
  };
  const now = (): string => new Date().toISOString();
  const errorLine = (message: string): void => push({ podName: pod.name, content: message, timeStampStr: now(), time: Date.now() });
  let res;
  try {
    // Not given `signal`: aborting a request through it errors the response stream outside any
    // listener (an uncaught AbortError); destroying the response on abort ends it quietly.
    res = await client.stream("GET", path, { query, timeoutMs: 0 });
  } catch (err) {
    if (signal.aborted) return;
    errorLine(`cannot read the logs of pod ${pod.namespace ?? ""}/${pod.name}: ${err instanceof Error ? err.message : String(err)}`);
    return;
  }
  const response = res;
  const onAbort = (): void => { response.destroy(); };
  if (signal.aborted) { response.destroy(); return; }
  signal.addEventListener("abort", onAbort, { once: true });
  res.setEncoding("utf8");
  const status = res.statusCode ?? 0;
  // A kubelet ends a followed log when the container stops; virtual kubelets (kwok's) never do,
  // so a followed log also ends once its pod is deleted or replaced by a namesake.
  let podGone = false;
  const followCheck = opts.follow && status >= 200 && status < 300 ? setInterval(() => {
    void client.get("v1", "Pod", pod.name, pod.namespace).then((current) => {
      if (current && (!pod.uid || current.metadata.uid === pod.uid)) return;
      podGone = true;
      response.destroy();
    }, () => undefined);
  }, FOLLOWED_POD_CHECK_MS) : undefined;
  try {
    if (status < 200 || status >= 300) {
      let body = "";
      for await (const chunk of res) body += chunk as string;
      errorLine(apiserverMessage(status, body));
      return;
    }
    const lines = new LineSplitter();
    const take = (raw: string): void => {
      if (raw === "") return;
      try {
        for (const l of parseLogLine(pod.name, raw)) push(l);
      } catch (err) {
        // The kubelet always writes the timestamp; anything else is shown, not dropped.
        if (err instanceof LogLineError) errorLine(err.message); else throw err;
      }
    };
    for await (const chunk of res) for (const raw of lines.push(chunk as string)) take(raw);
    for (const raw of lines.end()) take(raw);
  } catch (err) {
    if (!signal.aborted && !podGone) errorLine(`the log stream of pod ${pod.namespace ?? ""}/${pod.name} broke off: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    clearInterval(followCheck);
    signal.removeEventListener("abort", onAbort);
    res.destroy();
  }
}

/** The message of a Kubernetes Status answer, or the status code and body. */
function apiserverMessage(status: number, body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === "string" && parsed.message) return parsed.message;
  } catch {
    // Not a Status object: the body as it came.
  }
  return `the apiserver answered ${status}: ${body.trim().slice(0, 500)}`;
}
