// Pod logs of an Application, the pure part (argo-cd-server.md §1.3 `.../logs`): which pods of the
// app's resource tree a query selects, how a line of the kubelet's timestamped log becomes a
// LogEntry, the content filter (a leading `!` inverts it) and the order entries of several pods
// are sent in. The API server and `hawser app logs --core` fetch the logs; the rules live here.

/** A node of the app's resource tree, as far as pod selection needs it. */
export interface LogTreeNode {
  group?: string;
  kind: string;
  namespace?: string;
  name: string;
  uid?: string;
  parentRefs?: Array<{ group?: string; kind: string; namespace?: string; name: string }>;
}

/** The query fields that choose pods (podName wins over kind/group/resourceName, as in Argo). */
export interface PodQuery {
  podName?: string;
  kind?: string;
  group?: string;
  resourceName?: string;
  namespace?: string;
}

/**
 * The Pods of the tree the query selects: a pod matches when it, or an ancestor through its
 * parentRefs, has the query's kind, group, name and namespace (each unset field matches
 * anything). With no field set that is every pod of the tree. Only pods in the tree are ever
 * returned, so naming a pod outside the app selects nothing.
 */
export function selectPods<N extends LogTreeNode>(nodes: readonly N[], q: PodQuery): N[] {
  const query: PodQuery = q.podName ? { ...q, kind: "Pod", resourceName: q.podName } : q;
  const byRef = new Map<string, N[]>();
  for (const n of nodes) {
    const k = refKey(n);
    byRef.set(k, [...(byRef.get(k) ?? []), n]);
  }
  const verdicts = new Map<N, boolean>();
  const selected = (node: N, path: Set<N>): boolean => {
    const known = verdicts.get(node);
    if (known !== undefined) return known;
    // An ownership loop (never in a real cluster) must not recurse forever.
    if (path.has(node)) return false;
    path.add(node);
    let ok = matches(node, query);
    for (const parent of node.parentRefs ?? []) {
      if (ok) break;
      for (const p of byRef.get(refKey({ ...parent, namespace: parent.namespace ?? node.namespace })) ?? []) {
        if (selected(p, path)) { ok = true; break; }
      }
    }
    path.delete(node);
    verdicts.set(node, ok);
    return ok;
  };
  return nodes.filter((n) => n.kind === "Pod" && !n.group && Boolean(n.uid) && selected(n, new Set()));
}

function refKey(n: { group?: string; kind: string; namespace?: string; name: string }): string {
  return `${n.group ?? ""}/${n.kind}/${n.namespace ?? ""}/${n.name}`;
}

function matches(n: LogTreeNode, q: PodQuery): boolean {
  return (!q.resourceName || n.name === q.resourceName)
    && (!q.kind || n.kind === q.kind)
    && (!q.group || (n.group ?? "") === q.group)
    && (!q.namespace || (n.namespace ?? "") === q.namespace);
}

/** One line of a pod's log. */
export interface LogLine {
  podName: string;
  content: string;
  /** The kubelet's RFC 3339 timestamp, as sent (nanoseconds). */
  timeStampStr: string;
  /** The same instant in milliseconds (for ordering and untilTime). */
  time: number;
}

/** The message the API streams (Argo's LogEntry; every field is always present). */
export interface LogEntry {
  content: string;
  /** RFC 3339 in seconds, as Kubernetes' metav1.Time writes it. */
  timeStamp: string;
  timeStampStr: string;
  podName: string;
  last: boolean;
}

/** Thrown for a line without the leading timestamp `timestamps=true` makes the kubelet write. */
export class LogLineError extends Error {}

/**
 * The lines of one log line as the kubelet writes it with timestamps: `<RFC3339Nano> <text>`;
 * carriage returns split the text further (a progress bar's redraws become separate lines).
 */
export function parseLogLine(podName: string, raw: string): LogLine[] {
  const line = raw.replace(/[\r\n]+$/, "").replace(/^\s+/, "");
  const space = line.indexOf(" ");
  const stamp = space < 0 ? line : line.slice(0, space);
  const time = parseRfc3339(stamp);
  if (time === undefined) throw new LogLineError(`pod ${podName}: a log line without a timestamp: ${JSON.stringify(line.slice(0, 80))}`);
  const text = space < 0 ? "" : line.slice(space + 1);
  return text.split("\r").map((content) => ({ podName, content, timeStampStr: stamp, time }));
}

const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** Milliseconds of an RFC 3339 timestamp (nanoseconds allowed), undefined when it is not one. */
export function parseRfc3339(s: string): number | undefined {
  const m = RFC3339.exec(s);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}${(m[2] ?? "").slice(0, 4)}${m[3]}`);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Splits a stream's text chunks into complete lines, keeping a partial last line for the next chunk. */
export class LineSplitter {
  private rest = "";
  push(chunk: string): string[] {
    const parts = (this.rest + chunk).split("\n");
    this.rest = parts.pop() ?? "";
    return parts;
  }
  /** The partial line left when the stream ends, if any. */
  end(): string[] {
    const last = this.rest;
    this.rest = "";
    return last ? [last] : [];
  }
}

/** The `filter` query: substring match, `!` first inverts it, case-insensitive unless matchCase. */
export function logFilter(filter: string | undefined, matchCase: boolean): (content: string) => boolean {
  if (!filter) return () => true;
  const inverse = filter.startsWith("!");
  const literal = inverse ? filter.slice(1) : filter;
  const needle = matchCase ? literal : literal.toLowerCase();
  return (content) => (matchCase ? content : content.toLowerCase()).includes(needle) !== inverse;
}

/** The LogEntry of a line. */
export function logEntry(line: LogLine, last = false): LogEntry {
  return { content: line.content, timeStamp: secondsStamp(line.time), timeStampStr: line.timeStampStr, podName: line.podName, last };
}

/** The entry that ends a stream (Argo sends one with empty content and the current time). */
export function finalEntry(now: Date): LogEntry {
  return { content: "", timeStamp: secondsStamp(now.getTime()), timeStampStr: now.toISOString(), podName: "", last: true };
}

function secondsStamp(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.000Z$/, "Z");
}

/**
 * Merges the lines of several pods' log streams into time order as they arrive (a k-way merge):
 * a line is released once every stream still open has a line queued to compare it with, or once
 * the oldest queued line has waited `waitMs` (a quiet pod must not hold the others back). The
 * caller passes the clock, so the merge itself is pure.
 */
export class LogMerger {
  private readonly queues: Array<Array<{ line: LogLine; arrived: number }>>;
  private readonly open: boolean[];

  constructor(streams: number, private readonly waitMs = 100) {
    this.queues = Array.from({ length: streams }, () => []);
    this.open = Array.from({ length: streams }, () => true);
  }

  push(stream: number, line: LogLine, now: number): void {
    this.queues[stream]!.push({ line, arrived: now });
  }

  close(stream: number): void {
    this.open[stream] = false;
  }

  /** Every stream closed and every line taken. */
  get done(): boolean {
    return this.open.every((o) => !o) && this.queues.every((q) => q.length === 0);
  }

  /** Lines queued but not yet taken. */
  get pending(): number {
    return this.queues.reduce((n, q) => n + q.length, 0);
  }

  /** The lines that may be released at `now`, in time order. */
  take(now: number): LogLine[] {
    const out: LogLine[] = [];
    for (;;) {
      let best = -1;
      let oldest = Infinity;
      for (const [i, q] of this.queues.entries()) {
        const head = q[0];
        if (!head) continue;
        oldest = Math.min(oldest, head.arrived);
        if (best < 0 || head.line.time < this.queues[best]![0]!.line.time) best = i;
      }
      if (best < 0) break;
      const waitingOnQuiet = this.queues.some((q, i) => this.open[i] && q.length === 0);
      if (waitingOnQuiet && now - oldest < this.waitMs) break;
      out.push(this.queues[best]!.shift()!.line);
    }
    return out;
  }
}
