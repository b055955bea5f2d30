// Writes a resource's status only when it changed: the new status is compared with the cached
// one and a JSON merge patch of just the difference is sent to the status subresource. An empty
// difference means no request at all, which is what keeps no-op reconciles free.
import type { KubeClient, KubeObject } from "./client.js";
import { deepEqual, isRecord } from "../util/index.js";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** RFC 7396 merge patch turning `from` into `to`; undefined when they are equal. */
export function createMergePatch(from: unknown, to: unknown): Json | undefined {
  if (isRecord(from) && isRecord(to)) {
    const patch: { [key: string]: Json } = {};
    for (const key of Object.keys(from)) {
      if (!(key in to) || to[key] === undefined) patch[key] = null;
    }
    for (const [key, value] of Object.entries(to)) {
      if (value === undefined) continue;
      const sub = createMergePatch(from[key], value);
      if (sub !== undefined) patch[key] = sub;
    }
    return Object.keys(patch).length > 0 ? patch : undefined;
  }
  if (deepEqual(from, to)) return undefined;
  return (to === undefined ? null : to) as Json;
}

/**
 * Patches `status` of `obj` to `status`. Returns the updated object, or undefined when nothing
 * changed and no request was made. With `resourceVersion`, the write is conditional: the server
 * refuses it (409 Conflict) when the object has changed since that version.
 */
export async function patchStatus<T extends KubeObject>(client: Pick<KubeClient, "patch">, obj: T, status: Record<string, unknown>, opts: { resourceVersion?: string } = {}): Promise<T | undefined> {
  const patch = createMergePatch(obj.status ?? {}, status);
  if (patch === undefined) return undefined;
  const name = obj.metadata.name;
  if (!name) throw new Error(`cannot patch status of ${obj.kind} without a name`);
  return client.patch<T>(
    { apiVersion: obj.apiVersion, kind: obj.kind, name, namespace: obj.metadata.namespace },
    opts.resourceVersion ? { metadata: { resourceVersion: opts.resourceVersion }, status: patch } : { status: patch },
    { type: "merge", subresource: "status" },
  );
}
