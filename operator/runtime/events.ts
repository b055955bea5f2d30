// Kubernetes Events (core/v1), where `kubectl describe` shows them. Repeats of the same reason and
// message on the same object within ten minutes bump the count of one Event instead of creating
// new ones, as the kubelet's recorder does. Messages are redacted; recording never throws.
//
// With a write limiter (the one the Application writes go through), Events take its low lane: they
// yield to the writes a sync or a status waits for, and wait in memory meanwhile. A burst of a
// thousand apps' Events is then written after, or beside, their syncs rather than ahead of them.
// They are not dropped unless more than `maxWaiting` wait at once (a memory bound), and then
// loudly: a warning in the log.
import { randomBytes } from "node:crypto";
import type { AdaptiveLimiter } from "../kube/adaptive.js";
import type { KubeClient, KubeObject } from "../kube/client.js";
import type { Logger } from "./logger.js";
import { redact } from "./redact.js";
import { errorMessage } from "../util/index.js";

export type EventType = "Normal" | "Warning";

interface Recorded {
  name: string;
  namespace: string;
  count: number;
  /** The latest time the Event happened (its lastTimestamp): what a repeat's window is measured from. */
  at: number;
  /** When it was last written: the map's order, which pruning relies on. */
  written: number;
}

const AGGREGATION_WINDOW_MS = 10 * 60_000;
const MAX_MESSAGE = 1024;
/** Events remembered for aggregation at most (a few MB). */
const MAX_REMEMBERED = 20_000;

export interface EventRecorderOptions {
  /** The limiter whose low lane the Event writes take (see the header); without one they are written at once. */
  limiter?: Pick<AdaptiveLimiter, "run">;
  /** Events waiting for the limiter beyond which new ones are dropped with a warning (default 50,000). */
  maxWaiting?: number;
}

export class EventRecorder {
  /**
   * Events remembered for aggregation, in the order they were last written. That is not the order
   * they happened in: Events wait in the limiter's low lane and several are in flight at once, so
   * one that happened first can be written last. Pruning goes by the write time, which follows the
   * map's order; the aggregation window goes by when the Events happened.
   */
  private readonly recent = new Map<string, Recorded>();
  /** The last write time handed out: the write clock never goes back, even if the wall clock does. */
  private lastWritten = 0;
  private readonly limiter: Pick<AdaptiveLimiter, "run"> | undefined;
  private readonly maxWaiting: number;
  private waitingCount = 0;
  /** Events dropped because too many were waiting (logged). */
  dropped = 0;

  constructor(
    private readonly client: KubeClient,
    private readonly component: string,
    private readonly log: Logger,
    private readonly fallbackNamespace = "default",
    opts: EventRecorderOptions = {},
  ) {
    this.limiter = opts.limiter;
    this.maxWaiting = opts.maxWaiting ?? 50_000;
  }

  /** Events accepted and not yet written (waiting for the limiter or in flight). */
  get waiting(): number { return this.waitingCount; }

  /** Events remembered for aggregation (at most MAX_REMEMBERED). */
  get remembered(): number { return this.recent.size; }

  async record(obj: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    const limiter = this.limiter;
    // The Event's time is when it happened, not when its turn to be written came.
    const at = new Date();
    if (!limiter) return this.write(obj, type, reason, message, at);
    if (this.waitingCount >= this.maxWaiting) {
      this.dropped++;
      // Once at the first drop and then every thousandth, so a long overload does not flood the log either.
      if (this.dropped % 1000 === 1) this.log.warn("Events dropped: too many waiting to be written", { dropped: this.dropped, waiting: this.waitingCount, reason });
      return;
    }
    this.waitingCount++;
    try {
      await limiter.run(() => this.write(obj, type, reason, message, at), { priority: "low" });
    } finally {
      this.waitingCount--;
    }
  }

  private async write(obj: KubeObject, type: EventType, reason: string, message: string, now: Date): Promise<void> {
    const namespace = obj.metadata.namespace ?? this.fallbackNamespace;
    const text = redact(message).slice(0, MAX_MESSAGE);
    const key = `${obj.metadata.uid ?? ""}|${type}|${reason}|${text}`;
    const prev = this.recent.get(key);
    try {
      // Either side of the latest occurrence: a repeat that happened before it may be written after it.
      if (prev && Math.abs(now.getTime() - prev.at) < AGGREGATION_WINDOW_MS) {
        prev.count++;
        prev.at = Math.max(prev.at, now.getTime());
        this.remember(key, prev);
        await this.client.request("PATCH", `/api/v1/namespaces/${prev.namespace}/events/${prev.name}`, {
          body: { count: prev.count, lastTimestamp: new Date(prev.at).toISOString() },
          contentType: "application/merge-patch+json",
        });
        return;
      }
      const name = `${obj.metadata.name ?? "object"}.${eventSuffix()}`;
      await this.client.request("POST", `/api/v1/namespaces/${namespace}/events`, {
        body: {
          apiVersion: "v1",
          kind: "Event",
          metadata: { name, namespace },
          involvedObject: {
            apiVersion: obj.apiVersion,
            kind: obj.kind,
            name: obj.metadata.name,
            namespace: obj.metadata.namespace,
            uid: obj.metadata.uid,
            resourceVersion: obj.metadata.resourceVersion,
          },
          reason,
          message: text,
          type,
          source: { component: this.component },
          reportingComponent: this.component,
          count: 1,
          firstTimestamp: now.toISOString(),
          lastTimestamp: now.toISOString(),
        },
      });
      const entry: Recorded = { name, namespace, count: 1, at: now.getTime(), written: 0 };
      this.remember(key, entry);
      this.prune(entry.written);
    } catch (err) {
      // Events are best effort: losing one must never fail a reconcile.
      this.recent.delete(key);
      this.log.debug("could not record event", { reason, error: errorMessage(err) });
    }
  }

  /**
   * Stamps the entry with the write clock and moves it to the back of the map (Map.set alone keeps
   * an existing key where it was), so the map stays in order of `written`.
   */
  private remember(key: string, entry: Recorded): void {
    this.lastWritten = Math.max(this.lastWritten, Date.now());
    entry.written = this.lastWritten;
    this.recent.delete(key);
    this.recent.set(key, entry);
  }

  /**
   * Forgets what was last written more than the window ago, and beyond MAX_REMEMBERED the least
   * recently written anyway (a repeat of those then starts a new Event). The map is in order of
   * `written`, so this stops at the first entry it keeps: a burst of thousands of apps' Events
   * costs O(1) each, where a scan of the whole map on every Event made a burst quadratic (8% of the
   * operator's CPU in P2). An entry written within the window may already be too old to aggregate
   * (it waited long to be written); the window check on a repeat says so, and it goes in turn.
   */
  private prune(now: number): void {
    for (const [k, v] of this.recent) {
      if (this.recent.size <= MAX_REMEMBERED && now - v.written <= AGGREGATION_WINDOW_MS) break;
      this.recent.delete(k);
    }
  }
}

/** Random once per process: Event names of two replicas (or restarts) never meet. */
const EVENT_NAME_PREFIX = randomBytes(4).toString("hex");
let eventSeq = 0;

/**
 * An Event name's suffix: the time in hex (as Kubernetes' own recorder names them), this
 * process's prefix and a counter; no random draw per Event, which showed in the P2 profile.
 */
function eventSuffix(): string {
  return `${Date.now().toString(16)}${EVENT_NAME_PREFIX}${(++eventSeq).toString(16)}`;
}
