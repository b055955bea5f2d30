// Which tenant an Application's refreshes and operations take turns as, in the controller's fair
// queues (runtime/workqueue.ts): the ApplicationSet that owns it, else its project. A burst comes
// from one ApplicationSet (or one team's project), so its apps share one turn, while an app created
// by hand, or another team's, takes its own turn instead of waiting behind the burst.
import type { ApplicationObject } from "../../appstate/types.js";

const ARGO_GROUP_PREFIX = "argoproj.io/";

/** The app's queue group; apps no longer in the cache (being forgotten) share the group "". */
export function appQueueGroup(app: ApplicationObject | undefined): string {
  if (!app) return "";
  const owner = app.metadata.ownerReferences?.find((o) => o.kind === "ApplicationSet" && o.apiVersion.startsWith(ARGO_GROUP_PREFIX));
  // Owner references point into the owned object's namespace.
  if (owner) return `ApplicationSet/${app.metadata.namespace ?? ""}/${owner.name}`;
  return `AppProject/${app.spec?.project || "default"}`;
}
