// RespectIgnoreDifferences=true over a sync plan: every task that applies to an existing object
// gets a target whose ignored fields carry the live values (engine/diff/respect.ts). Hooks are
// created anew each time, so they are left as rendered.
import { respectIgnoreDifferences, type JsonObject, type RespectOptions } from "../diff/index.js";
import type { SyncPlan } from "./plan.js";
import type { KubeObject } from "./types.js";

/**
 * Rewrites, in place, the targets of the plan's tasks whose options ask for it. Returns the
 * normaliser warnings (a failing jq expression), each naming its resource.
 */
export async function respectIgnoreDifferencesInPlan(plan: SyncPlan, opts: RespectOptions): Promise<string[]> {
  const warnings: string[] = [];
  for (const t of plan.tasks) {
    if (!t.options.respectIgnoreDifferences || t.hookType || t.operation === "prune" || !t.target || !t.live) continue;
    const r = await respectIgnoreDifferences(t.target as unknown as JsonObject, t.live as unknown as JsonObject, opts);
    t.target = r.obj as unknown as KubeObject;
    warnings.push(...r.warnings.map((w) => `${t.ref.kind} ${t.ref.namespace ? `${t.ref.namespace}/` : ""}${t.ref.name}: ${w}`));
  }
  return warnings;
}
