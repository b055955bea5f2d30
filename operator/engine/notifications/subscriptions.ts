// Who is told about which trigger (spec §6.3): annotations on the Application and its AppProject,
// the ConfigMap's `subscriptions` filtered by the app's labels, and defaultTriggers where a
// subscription names no trigger. All destinations are merged per trigger and de-duplicated.
import { parse } from "yaml";
import { isRecord } from "../../util/index.js";
import { labelsMatch } from "../../util/labels.js";
import type { NotificationsConfig } from "./config.js";

export const SUBSCRIBE_PREFIX = "notifications.argoproj.io/subscribe.";
export const SUBSCRIPTIONS_ANNOTATION = "notifications.argoproj.io/subscriptions";
const LEGACY_RECIPIENTS = "recipients.argocd-notifications.argoproj.io";

export interface Destination {
  service: string;
  recipient: string;
}

/** trigger name → destinations, in first-seen order. */
export type Subscriptions = Map<string, Destination[]>;

function add(subs: Subscriptions, trigger: string, dest: Destination): void {
  const list = subs.get(trigger) ?? [];
  if (!list.some((d) => d.service === dest.service && d.recipient === dest.recipient)) list.push(dest);
  subs.set(trigger, list);
}

function triggersFor(cfg: NotificationsConfig, service: string): string[] {
  return cfg.serviceDefaultTriggers.get(service) ?? cfg.defaultTriggers;
}

function recipientsOf(value: string): string[] {
  return value.split(";").map((r) => r.trim());
}

function stringMap(obj: Record<string, unknown>, field: "annotations" | "labels"): Record<string, string> {
  const meta = isRecord(obj.metadata) ? obj.metadata : {};
  const m = meta[field];
  return isRecord(m) ? Object.fromEntries(Object.entries(m).filter((e): e is [string, string] => typeof e[1] === "string")) : {};
}

/** Subscriptions written in one object's annotations (an Application or an AppProject). */
function fromAnnotations(annotations: Record<string, string>, cfg: NotificationsConfig, subs: Subscriptions, problems: string[], where: string): void {
  for (const [key, value] of Object.entries(annotations)) {
    if (key.startsWith(SUBSCRIBE_PREFIX)) {
      const parts = key.slice(SUBSCRIBE_PREFIX.length).split(".");
      const service = parts.pop() ?? "";
      const trigger = parts.join(".");
      if (service === "") {
        problems.push(`${where} annotation ${key}: names no service`);
        continue;
      }
      const triggers = trigger !== "" ? [trigger] : triggersFor(cfg, service);
      for (const t of triggers) for (const r of recipientsOf(value)) add(subs, t, { service, recipient: r });
    } else if (key === SUBSCRIPTIONS_ANNOTATION) {
      let raw: unknown;
      try {
        raw = parse(value) as unknown;
      } catch {
        problems.push(`${where} annotation ${key}: invalid YAML`);
        continue;
      }
      if (!Array.isArray(raw)) {
        problems.push(`${where} annotation ${key}: must be a YAML list of {trigger, destinations}`);
        continue;
      }
      for (const item of raw as unknown[]) {
        if (!isRecord(item) || !Array.isArray(item.destinations)) {
          problems.push(`${where} annotation ${key}: each item needs destinations`);
          continue;
        }
        const named = Array.isArray(item.trigger) ? (item.trigger as unknown[]).filter((t): t is string => typeof t === "string") : [];
        for (const d of item.destinations as unknown[]) {
          if (!isRecord(d) || typeof d.service !== "string") continue;
          const recipients = Array.isArray(d.recipients) ? (d.recipients as unknown[]).map(String) : [""];
          const triggers = named.length > 0 ? named : triggersFor(cfg, d.service);
          for (const t of triggers) for (const r of recipients) add(subs, t, { service: d.service, recipient: r });
        }
      }
    } else if (key === LEGACY_RECIPIENTS || key.endsWith(`.${LEGACY_RECIPIENTS}`)) {
      const trigger = key === LEGACY_RECIPIENTS ? "" : key.slice(0, -LEGACY_RECIPIENTS.length - 1);
      for (const entry of value.split(",").map((s) => s.trim()).filter(Boolean)) {
        const [service = "", ...rest] = entry.split(":");
        const recipient = rest.join(":");
        const triggers = trigger !== "" ? [trigger] : triggersFor(cfg, service);
        for (const t of triggers) add(subs, t, { service, recipient });
      }
    }
  }
}

/**
 * Every subscription that applies to the app. `problems` collects malformed annotations (reported
 * on the app); destinations naming an unknown service are kept so delivery reports them.
 */
export function subscriptionsOf(
  app: Record<string, unknown>,
  project: Record<string, unknown> | undefined,
  cfg: NotificationsConfig,
  problems: string[] = [],
): Subscriptions {
  const subs: Subscriptions = new Map();
  fromAnnotations(stringMap(app, "annotations"), cfg, subs, problems, "Application");
  if (project) fromAnnotations(stringMap(project, "annotations"), cfg, subs, problems, "AppProject");
  const labels = stringMap(app, "labels");
  for (const s of cfg.subscriptions) {
    if (s.selector && !labelsMatch(s.selector, labels)) continue;
    for (const r of s.recipients) {
      const i = r.indexOf(":");
      const dest = i < 0 ? { service: r, recipient: "" } : { service: r.slice(0, i), recipient: r.slice(i + 1) };
      const triggers = s.triggers.length > 0 ? s.triggers : triggersFor(cfg, dest.service);
      for (const t of triggers) add(subs, t, dest);
    }
  }
  return subs;
}
