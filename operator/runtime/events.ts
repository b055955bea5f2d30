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
      if (this.recent.size > 4096) this.prune(now.getTime());
    } catch (err) {
      // Events are best effort: losing one must never fail a reconcile.
      this.recent.delete(key);
      this.log.debug("could not record event", { reason, error: errorMessage(err) });
    }
  }

  private prune(now: number): void {
    for (const [k, v] of this.recent) if (now - v.at > AGGREGATION_WINDOW_MS) this.recent.delete(k);
  }
}
