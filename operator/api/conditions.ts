// Application and ApplicationSet conditions. Types keep Argo CD's values so existing tooling that
// reads them works. setConditions replaces only the condition types a reconcile path evaluated,
// and keeps a condition's lastTransitionTime while its message is unchanged (Argo's rule), so an
// unchanged situation produces an identical status and therefore no write.

export const ApplicationConditionType = {
  InvalidSpecError: "InvalidSpecError",
  ComparisonError: "ComparisonError",
  SyncError: "SyncError",
  UnknownError: "UnknownError",
  SharedResourceWarning: "SharedResourceWarning",
  RepeatedResourceWarning: "RepeatedResourceWarning",
  ExcludedResourceWarning: "ExcludedResourceWarning",
  OrphanedResourceWarning: "OrphanedResourceWarning",
  DeletionError: "DeletionError",
  SyncOptionWarning: "SyncOptionWarning",
} as const;
export type ApplicationConditionType = (typeof ApplicationConditionType)[keyof typeof ApplicationConditionType];

/** Argo's Application conditions: `{type, message, lastTransitionTime}` (no status/reason). */
export interface ApplicationCondition {
  type: string;
  message: string;
  lastTransitionTime?: string;
}

export function setConditions(
  existing: ApplicationCondition[] | undefined,
  next: ApplicationCondition[],
  evaluatedTypes: Iterable<string>,
  now: () => string = () => new Date().toISOString(),
): ApplicationCondition[] {
  const evaluated = new Set(evaluatedTypes);
  const byKey = new Map<string, ApplicationCondition>();
  for (const c of existing ?? []) byKey.set(`${c.type}\u0000${c.message}`, c);
  const kept = (existing ?? []).filter((c) => !evaluated.has(c.type));
  const fresh = next.map((c) => {
    const prev = byKey.get(`${c.type}\u0000${c.message}`);
    return { type: c.type, message: c.message, lastTransitionTime: prev?.lastTransitionTime ?? now() };
  });
  return [...kept, ...fresh].sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : a.message < b.message ? -1 : 1));
}

export function isErrorCondition(type: string): boolean {
  return type.endsWith("Error");
}
