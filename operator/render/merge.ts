// Pure helpers of the renderer: RFC 7386 merge patches (how Argo applies .argocd-source*.yaml
// overrides), Argo's duplicate-resource rule for combined sources, and stable hashing of keys.
import { createHash } from "node:crypto";
import type { Manifest } from "../../plugins/types.js";
import { isRecord } from "../util/index.js";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };


/** RFC 7386: objects merge recursively, null deletes, anything else replaces. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return patch;
  const out: Record<string, unknown> = isRecord(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k], v);
  }
  return out;
}

/** JSON with object keys sorted, so equal values hash equally whatever their key order. */
export function stableStringify(value: unknown): string {
  const norm = (v: unknown): Json => {
    if (Array.isArray(v)) return v.map(norm);
    if (isRecord(v)) {
      const o: Record<string, Json> = {};
      for (const k of Object.keys(v).sort()) if (v[k] !== undefined) o[k] = norm(v[k]);
      return o;
    }
    return (v ?? null) as Json;
  };
  return JSON.stringify(norm(value));
}

export function hashKey(value: unknown): string {
  return createHash("sha256").update(stableStringify(value)).digest("hex");
}

export function manifestKey(m: Manifest, defaultNamespace: string): string {
  const group = m.apiVersion.includes("/") ? m.apiVersion.slice(0, m.apiVersion.indexOf("/")) : "";
  return `${group}/${m.kind}/${m.metadata.namespace || defaultNamespace}/${m.metadata.name ?? ""}`;
}

/**
 * Argo's DeduplicateTargetObjects: when the same group/kind/namespace/name appears more than once,
 * the last one wins (kept at its own position) and a RepeatedResourceWarning names the resource.
 * Objects without a namespace are keyed in the destination namespace, as Argo defaults them.
 */
export function deduplicate(manifests: Manifest[], defaultNamespace: string): { manifests: Manifest[]; warnings: string[] } {
  const counts = new Map<string, number>();
  const last = new Map<string, number>();
  manifests.forEach((m, i) => {
    // generateName objects never collide (Argo keys them by index).
    const key = !m.metadata.name && typeof m.metadata.generateName === "string" ? `#${i}` : manifestKey(m, defaultNamespace);
    counts.set(key, (counts.get(key) ?? 0) + 1);
    last.set(key, i);
  });
  const keep = new Set(last.values());
  const warnings = [...counts].filter(([, n]) => n > 1).map(([key, n]) => `Resource ${key} appeared ${n} times among application resources.`);
  return { manifests: manifests.filter((_, i) => keep.has(i)), warnings };
}
