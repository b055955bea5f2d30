// The Application watch's fan-out (`GET /api/v1/stream/applications`, argo-cd-server.md §1.2):
// the informer hands every open stream the same event, so its message is serialised once per
// (event, fields) and framed once per format, and each stream writes the shared bytes. What each
// stream may see is decided per stream before any message is looked up: the shared messages hold
// only what the event itself says, never anything about who asked.
import { ARGO_API_VERSION } from "../../api/annotations.js";
import type { KubeObject } from "../../kube/client.js";
import type { ApplicationObject } from "../cache.js";
import { stringifyFields } from "../http/fields.js";
import { SharedMessage, type StreamWriter } from "../http/stream.js";

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED";

/** A stream's `fields` (already parsed), with `result.` removed from its paths. */
export interface WatchFields { exclude: boolean; paths: string[][] }

/** Distinct `fields` cached per event; more (a client inventing them) are serialised per stream. */
const FIELD_VARIANTS_LIMIT = 8;

/** The messages of the events being fanned out, shared by every stream of the server. */
export class WatchMessages {
  // Keyed by the informer's object: a change brings a new object, so the old messages go with it.
  private readonly byApp = new WeakMap<ApplicationObject, Map<string, SharedMessage>>();
  /** How many messages were serialised (for tests and profiles: one per event and fields, not per stream). */
  serialised = 0;

  message(type: WatchEventType, app: ApplicationObject, fields: WatchFields | undefined): SharedMessage {
    const key = `${type}\u0000${fields ? fieldsKey(fields) : ""}`;
    let variants = this.byApp.get(app);
    if (!variants) this.byApp.set(app, (variants = new Map<string, SharedMessage>()));
    const hit = variants.get(key);
    if (hit) return hit;
    this.serialised++;
    const event = { type, application: withTypeMeta(app) };
    const message = new SharedMessage(fields ? stringifyFields(event, fields) ?? "{}" : JSON.stringify(event));
    if (variants.size < FIELD_VARIANTS_LIMIT) variants.set(key, message);
    return message;
  }
}

function fieldsKey(fields: WatchFields): string {
  return `${fields.exclude ? "-" : "+"}${fields.paths.map((p) => p.join(".")).join(",")}`;
}

export interface AppWatcherOptions {
  /** Whether this stream's caller may see the app and it matches the stream's query. */
  visible(app: ApplicationObject): boolean;
  /** Events of objects older than this resourceVersion are skipped (0: none). */
  minVersion: number;
  fields: WatchFields | undefined;
  messages: WatchMessages;
  stream: Pick<StreamWriter, "sendShared">;
}

/**
 * One stream's handler of the informer's events: visibility first, then the shared message; a
 * message identical to the last one sent for that app is not sent again.
 */
export function appWatcher(opts: AppWatcherOptions): (type: WatchEventType, app: ApplicationObject) => void {
  const lastSent = new Map<string, string>();
  return (type, app) => {
    if (!opts.visible(app)) return;
    if (opts.minVersion > 0 && Number(app.metadata.resourceVersion) < opts.minVersion) return;
    const message = opts.messages.message(type, app, opts.fields);
    const key = `${app.metadata.namespace}/${app.metadata.name}`;
    // Shared messages are usually the very same string, so this is mostly a reference check.
    if (type !== "DELETED" && lastSent.get(key) === message.resultJson) return;
    if (type === "DELETED") lastSent.delete(key); else lastSent.set(key, message.resultJson);
    opts.stream.sendShared(message);
  };
}

/** The object with the kind and apiVersion a client expects (the informer's copy is not changed). */
export function withTypeMeta<T extends KubeObject>(o: T): T {
  return { ...o, apiVersion: ARGO_API_VERSION, kind: "Application" };
}
