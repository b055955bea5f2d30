// Kubernetes Events (core/v1), where `kubectl describe` shows them. Repeats of the same reason and
// message on the same object within ten minutes bump the count of one Event instead of creating
// new ones, as the kubelet's recorder does. Messages are redacted; recording never throws.
import { randomBytes } from "node:crypto";
import type { KubeClient, KubeObject } from "../kube/client.js";
import type { Logger } from "./logger.js";
import { redact } from "./redact.js";
import { errorMessage } from "../util/index.js";

export type EventType = "Normal" | "Warning";

interface Recorded {
  name: string;
  namespace: string;
  count: number;
  at: number;
}

const AGGREGATION_WINDOW_MS = 10 * 60_000;
const MAX_MESSAGE = 1024;
/** Events remembered for aggregation at most (a few MB). */
const MAX_REMEMBERED = 20_000;

export class EventRecorder {
  private readonly recent = new Map<string, Recorded>();

  constructor(
    private readonly client: KubeClient,
    private readonly component: string,
    private readonly log: Logger,
    private readonly fallbackNamespace = "default",
  ) {}

  async record(obj: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    const namespace = obj.metadata.namespace ?? this.fallbackNamespace;
    const text = redact(message).slice(0, MAX_MESSAGE);
    const key = `${obj.metadata.uid ?? ""}|${type}|${reason}|${text}`;
    const now = new Date();
    const prev = this.recent.get(key);
    try {
      if (prev && now.getTime() - prev.at < AGGREGATION_WINDOW_MS) {
        prev.count++;
        prev.at = now.getTime();
        // Kept in order of last use, so pruning only ever looks at the front.
        this.recent.delete(key);
        this.recent.set(key, prev);
        await this.client.request("PATCH", `/api/v1/namespaces/${prev.namespace}/events/${prev.name}`, {
          body: { count: prev.count, lastTimestamp: now.toISOString() },
          contentType: "application/merge-patch+json",
        });
        return;
      }
      const name = `${obj.metadata.name ?? "object"}.${randomBytes(8).toString("hex")}`;
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
      this.recent.set(key, { name, namespace, count: 1, at: now.getTime() });
      this.prune(now.getTime());
    } catch (err) {
      // Events are best effort: losing one must never fail a reconcile.
      this.recent.delete(key);
      this.log.debug("could not record event", { reason, error: errorMessage(err) });
    }
  }

  /**
   * Drops what can no longer be aggregated, oldest first, and beyond MAX_REMEMBERED the oldest
   * anyway (a repeat of those then starts a new Event). The map is in order of last use, so this
   * stops at the first entry it keeps: a burst of thousands of apps' Events costs O(1) each, where a
   * scan of the whole map on every Event made a burst quadratic (8% of the operator's CPU in P2).
   */
  private prune(now: number): void {
    for (const [k, v] of this.recent) {
      if (this.recent.size <= MAX_REMEMBERED && now - v.at <= AGGREGATION_WINDOW_MS) break;
      this.recent.delete(k);
    }
  }
}
