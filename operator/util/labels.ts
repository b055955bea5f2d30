// Kubernetes label selectors (matchLabels and matchExpressions) over a flat label map: the
// ApplicationSet generators' selectors, the cluster generator's, and argocd-cm globalProjects.

export interface LabelSelectorSpec {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export function isEmptySelector(selector: LabelSelectorSpec | undefined): boolean {
  return !selector || (Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0);
}

/** Kubernetes label-selector semantics over a flat string map. Unknown operators are an error. */
export function selectorMatches(selector: LabelSelectorSpec | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const expr of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, expr.key);
    const values = expr.values ?? [];
    switch (expr.operator) {
      case "In":
        if (!has || !values.includes(labels[expr.key] as string)) return false;
        break;
      case "NotIn":
        if (has && values.includes(labels[expr.key] as string)) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
      default:
        throw new Error(`selector: unknown operator "${expr.operator}" for key "${expr.key}" (use In, NotIn, Exists or DoesNotExist)`);
    }
  }
  return true;
}
