// What the live-object caches keep of an object, to hold 100,000 of them in a few hundred MB.
// managedFields are the largest part of most small objects once parsed (a nested object per field
// each manager owns, several managers per Pod), and only the diff reads them, rarely: for
// ignoreDifferences managedFieldsManagers and the three-way diff without last-applied. A tracked
// object therefore keeps them as their JSON text, parsed again on each read, so every reader (the
// diff, JSON.stringify, structuredClone, spreads) still sees the same array; an untracked object,
// only looked up, drops them (stripManagedFields). Status is kept: the diff compares it unless
// the compare options say otherwise, and Lua health checks may read any kind's.
import type { KubeObject } from "../kube/client.js";

/**
 * In place: `metadata.managedFields` becomes an accessor over its JSON text. Each read returns a
 * fresh copy (changing it changes nothing cached); assigning replaces it with a plain value.
 */
export function compactManagedFields<T extends KubeObject>(obj: T): T {
  const meta = obj.metadata as KubeObject["metadata"] & { managedFields?: unknown };
  const fields = meta.managedFields;
  if (!Array.isArray(fields) || fields.length === 0) return obj;
  const text = JSON.stringify(fields);
  Object.defineProperty(meta, "managedFields", {
    enumerable: true,
    configurable: true,
    get: (): unknown => JSON.parse(text),
    set: (value: unknown): void => { Object.defineProperty(meta, "managedFields", { value, writable: true, enumerable: true, configurable: true }); },
  });
  return obj;
}
