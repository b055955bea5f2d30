// Notification subscriptions of an app (argo-cd-server.md §5.2, §6.3): the annotations
// `notifications.argoproj.io/subscribe.<trigger>.<service>` (or `.subscribe.<service>` for the
// service's default triggers) whose value lists recipients separated by `;`. Listed, added and
// removed with a merge patch of the app's annotations (the API's PATCH). Pure (unit-tested).

export const SUBSCRIBE_PREFIX = "notifications.argoproj.io/subscribe.";

export interface Subscription {
  /** The annotation key. */
  key: string;
  /** Undefined: the service's default triggers. */
  trigger?: string;
  service: string;
  recipients: string[];
}

/** The app's subscriptions, sorted by service then trigger; keys Argo would not read are left out. */
export function subscriptions(annotations: Record<string, string> | undefined): Subscription[] {
  const out: Subscription[] = [];
  for (const [key, value] of Object.entries(annotations ?? {})) {
    if (!key.startsWith(SUBSCRIBE_PREFIX)) continue;
    const parts = key.slice(SUBSCRIBE_PREFIX.length).split(".");
    if (parts.length > 2 || parts.some((p) => p === "")) continue;
    const service = parts[parts.length - 1]!;
    const recipients = value.split(";").map((r) => r.trim()).filter(Boolean);
    out.push({ key, ...(parts.length === 2 ? { trigger: parts[0] } : {}), service, recipients });
  }
  return out.sort((a, b) => a.service.localeCompare(b.service) || (a.trigger ?? "").localeCompare(b.trigger ?? ""));
}

const NAME = /^[A-Za-z0-9]([A-Za-z0-9_-]*[A-Za-z0-9])?$/;

/**
 * The annotation to add for a subscription, or the errors naming the field: a service is needed;
 * trigger and service are names without dots (the key is split on them); recipients are
 * separated by `;` (a service such as a webhook may take none).
 */
export function subscriptionAnnotation(form: { trigger: string; service: string; recipients: string }): { key?: string; value?: string; errors: string[] } {
  const trigger = form.trigger.trim();
  const service = form.service.trim();
  const errors: string[] = [];
  if (!service) errors.push("Service: choose the service to notify");
  else if (!NAME.test(service)) errors.push(`Service: "${service}" is not a valid name (letters, digits, - and _)`);
  if (trigger && !NAME.test(trigger)) errors.push(`Trigger: "${trigger}" is not a valid name (letters, digits, - and _)`);
  if (errors.length > 0) return { errors };
  const value = form.recipients.split(";").map((r) => r.trim()).filter(Boolean).join(";");
  return { key: `${SUBSCRIBE_PREFIX}${trigger ? `${trigger}.` : ""}${service}`, value, errors };
}

/** The merge patch that sets (value) or removes (null) one annotation of the app. */
export function annotationPatch(key: string, value: string | null): { metadata: { annotations: Record<string, string | null> } } {
  return { metadata: { annotations: { [key]: value } } };
}
