// Manifests as the resource panel and the app diff show them: the API's JSON strings as YAML, and
// unified diffs of live against desired (the `diff` package). Pure (unit-tested in manifests.test.ts).
import { createTwoFilesPatch } from "diff";
import { stringify } from "yaml";

/** A JSON string from the API as YAML (what people read manifests in); "" for none or null. */
export function toYaml(json: string | null | undefined): string {
  if (!json) return "";
  try {
    const v = JSON.parse(json) as unknown;
    return v === null ? "" : stringify(v);
  } catch {
    // Not JSON (should not happen): shown as it came rather than hidden.
    return json;
  }
}

/**
 * The live manifest as Argo's "Hide Managed Fields" shows it: without `metadata.managedFields`
 * (server-side apply's bookkeeping, often longer than the object). Not JSON: returned as it came.
 */
export function withoutManagedFields(json: string | null | undefined): string | null | undefined {
  if (!json) return json;
  try {
    const v = JSON.parse(json) as unknown;
    if (typeof v !== "object" || v === null || Array.isArray(v)) return json;
    const meta = (v as { metadata?: unknown }).metadata;
    if (typeof meta !== "object" || meta === null || !("managedFields" in meta)) return json;
    const { managedFields: _dropped, ...rest } = meta as Record<string, unknown>;
    return JSON.stringify({ ...v, metadata: rest });
  } catch {
    return json;
  }
}

/** A unified diff of two manifests, or "" when they are the same. */
export function manifestDiff(name: string, live: string, desired: string): string {
  if (live === desired) return "";
  return createTwoFilesPatch(`${name} (live)`, `${name} (desired)`, live, desired, undefined, undefined, { context: 3 });
}

/** The lines to show: the diff without the "Index:" and "====" banner createTwoFilesPatch writes first. */
export function diffLines(patch: string): Array<{ text: string; kind: "file" | "add" | "del" | "hunk" | "context" }> {
  return patch.split("\n").filter((l, i, all) => !l.startsWith("===") && !l.startsWith("Index:") && !(i === all.length - 1 && l === ""))
    .map((text) => ({
      text,
      kind: text.startsWith("+++") || text.startsWith("---") ? "file" : text.startsWith("+") ? "add" : text.startsWith("-") ? "del" : text.startsWith("@@") ? "hunk" : "context",
    }));
}
