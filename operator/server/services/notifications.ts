// Argo CD's Notification service (argo-cd-server.md §1.4): `GET /api/v1/notifications/triggers`,
// `/templates` and `/services`, each `{items[{name}]}` from argocd-notifications-cm in the control
// namespace (what the UI offers when a user subscribes an app). A login is needed and no RBAC
// check (§3.6: notification lists). Service names are Argo's: `service.<type>` is named `<type>`,
// `service.<type>.<name>` is named `<name>`.
import type { ServerCache } from "../cache.js";
import type { ApiRouter } from "../http/api.js";

export const NOTIFICATIONS_CM = "argocd-notifications-cm";

/** The names each list holds, sorted. */
export function notificationNames(cm: Record<string, string> | undefined, kind: "trigger" | "template" | "service"): string[] {
  const names = new Set<string>();
  for (const key of Object.keys(cm ?? {})) {
    if (!key.startsWith(`${kind}.`)) continue;
    const rest = key.slice(kind.length + 1);
    if (!rest) continue;
    if (kind === "service") {
      const dot = rest.indexOf(".");
      names.add(dot < 0 ? rest : rest.slice(dot + 1));
    } else {
      names.add(rest);
    }
  }
  return [...names].filter(Boolean).sort();
}

export class NotificationService {
  constructor(private readonly deps: { cache: ServerCache }) {}

  register(r: ApiRouter): void {
    for (const [path, kind] of [["triggers", "trigger"], ["templates", "template"], ["services", "service"]] as const) {
      r.get(`/api/v1/notifications/${path}`, () => ({ items: notificationNames(this.deps.cache.configMap(NOTIFICATIONS_CM), kind).map((name) => ({ name })) }));
    }
  }
}
