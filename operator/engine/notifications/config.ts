// argocd-notifications-cm and argocd-notifications-secret parsed into Hawser's model of Argo CD's
// notifications controller (spec: argo-cd-server.md §6.1, §6.6). Parsing never throws: every key
// that cannot be used becomes a problem the controller reports (a Warning Event on the ConfigMap and
// a log line), and the rest of the configuration still works.
import { parse } from "yaml";
import { isRecord } from "../../util/index.js";
import { type LabelSelector, parseLabelSelector } from "../../util/labels.js";

export const NOTIFICATIONS_CONFIGMAP = "argocd-notifications-cm";
export const NOTIFICATIONS_SECRET = "argocd-notifications-secret";

export interface TriggerCondition {
  when: string;
  send: string[];
  oncePer?: string;
  description?: string;
}

/** A template: its fields as written (every string in it is a Go template). */
export type NotificationTemplate = Record<string, unknown>;

export interface ServiceConfig {
  /** slack, email, webhook, teams, github, … */
  type: string;
  /** `<name>` of `service.<type>.<name>`, else the type. */
  name: string;
  /** The YAML with `$secret-key` references replaced by the Secret's values. Never log it. */
  options: Record<string, unknown>;
}

export interface ConfigSubscription {
  recipients: string[];
  triggers: string[];
  selector?: LabelSelector;
}

export interface NotificationsConfig {
  triggers: Map<string, TriggerCondition[]>;
  templates: Map<string, NotificationTemplate>;
  services: Map<string, ServiceConfig>;
  subscriptions: ConfigSubscription[];
  defaultTriggers: string[];
  /** `defaultTriggers.<service-name>`. */
  serviceDefaultTriggers: Map<string, string[]>;
  context: Record<string, string>;
  /** Secret data as text, for `.secrets` in templates and `$key` references. */
  secrets: Record<string, string>;
  /** What could not be used, one sentence each, naming the key (never a secret value). */
  problems: string[];
}

/** Service types Hawser sends to; the others of §6.6 are recognised and reported as unsupported. */
export const SUPPORTED_SERVICE_TYPES = ["webhook", "slack", "email", "teams", "github"] as const;

/** Keys of each service type (§6.6); a key outside these is reported, not silently dropped. */
export const SERVICE_KEYS: Record<string, readonly string[]> = {
  slack: ["token", "username", "icon", "signingSecret", "channels", "apiURL", "disableUnfurl", "insecureSkipVerify"],
  email: ["host", "port", "from", "username", "password", "html", "insecure_skip_verify"],
  webhook: ["url", "headers", "basicAuth", "insecureSkipVerify", "retryWaitMin", "retryWaitMax", "retryMax",
    "maxIdleConns", "maxIdleConnsPerHost", "maxConnsPerHost", "idleConnTimeout"],
  teams: ["recipientUrls", "insecureSkipVerify"],
  github: ["appID", "installationID", "privateKey", "enterpriseBaseURL", "insecureSkipVerify", "token",
    "maxIdleConns", "maxIdleConnsPerHost", "maxConnsPerHost", "idleConnTimeout"],
};

const OTHER_SERVICE_TYPES = ["rocketchat", "teams-workflows", "opsgenie", "grafana", "googlechat", "telegram", "pushover",
  "mattermost", "webex", "newrelic", "pagerduty", "pagerdutyv2", "alertmanager", "awssqs", "gcppubsub", "nats"];

/** Replaces `$key` references (a `$` and word characters or `-`) by Secret values; unknown ones stay. */
export function replaceSecretRefs(value: unknown, secrets: Record<string, string>): unknown {
  if (typeof value === "string") {
    return value.replace(/\$[\w-]+/g, (ref) => secrets[ref.slice(1)] ?? ref);
  }
  if (Array.isArray(value)) return value.map((v) => replaceSecretRefs(v, secrets));
  if (isRecord(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceSecretRefs(v, secrets)]));
  }
  return value;
}

function yamlOf(key: string, text: string, problems: string[]): unknown {
  try {
    return parse(text) as unknown;
  } catch (err) {
    const first = (err instanceof Error ? err.message : String(err)).split("\n")[0];
    problems.push(`${key}: invalid YAML: ${first}`);
    return undefined;
  }
}

function stringList(value: unknown): string[] | undefined {
  if (Array.isArray(value) && value.every((v): v is string => typeof v === "string")) return value;
  return undefined;
}

function parseTrigger(key: string, text: string, problems: string[]): TriggerCondition[] | undefined {
  const raw = yamlOf(key, text, problems);
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw)) {
    problems.push(`${key}: must be a YAML list of {when, send, oncePer, description}`);
    return undefined;
  }
  const out: TriggerCondition[] = [];
  raw.forEach((c: unknown, i) => {
    if (!isRecord(c)) {
      problems.push(`${key}[${i}]: must be a mapping with when and send`);
      return;
    }
    for (const k of Object.keys(c)) {
      if (!["when", "send", "oncePer", "description"].includes(k)) problems.push(`${key}[${i}]: unknown field ${k}`);
    }
    const send = stringList(c.send ?? []);
    if (!send) {
      problems.push(`${key}[${i}].send: must be a list of template names`);
      return;
    }
    const cond: TriggerCondition = { when: typeof c.when === "string" ? c.when : "", send };
    if (c.when !== undefined && typeof c.when !== "string") problems.push(`${key}[${i}].when: must be a string`);
    if (typeof c.oncePer === "string" && c.oncePer !== "") cond.oncePer = c.oncePer;
    if (typeof c.description === "string") cond.description = c.description;
    out.push(cond);
  });
  return out;
}

function parseSubscriptions(key: string, text: string, problems: string[]): ConfigSubscription[] {
  const raw = yamlOf(key, text, problems);
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    problems.push(`${key}: must be a YAML list of {recipients, triggers, selector}`);
    return [];
  }
  const out: ConfigSubscription[] = [];
  raw.forEach((s: unknown, i) => {
    const recipients = isRecord(s) ? stringList(s.recipients ?? []) : undefined;
    const triggers = isRecord(s) ? stringList(s.triggers ?? []) : undefined;
    if (!isRecord(s) || !recipients || !triggers) {
      problems.push(`${key}[${i}]: recipients and triggers must be lists of strings`);
      return;
    }
    const sub: ConfigSubscription = { recipients, triggers };
    if (typeof s.selector === "string" && s.selector.trim() !== "") {
      try {
        sub.selector = parseLabelSelector(s.selector);
      } catch (err) {
        problems.push(`${key}[${i}].selector: ${err instanceof Error ? err.message : String(err)}`);
        return;
      }
    }
    out.push(sub);
  });
  return out;
}

function splitList(text: string, key: string, problems: string[]): string[] {
  const raw = yamlOf(key, text, problems);
  const list = stringList(raw);
  if (list) return list;
  if (typeof raw === "string") return [raw];
  if (raw !== undefined && raw !== null) problems.push(`${key}: must be a YAML list of trigger names`);
  return [];
}

/** Decodes a Secret's base64 data (and any stringData) to text. */
export function secretText(data: Record<string, string> | undefined, stringData?: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(data ?? {})) out[k] = Buffer.from(v, "base64").toString("utf8");
  return { ...out, ...(stringData ?? {}) };
}

/**
 * Parses the ConfigMap's data with the Secret's (decoded) data. Legacy `config.yaml` is merged
 * under the keys of the same meaning; `notifiers.yaml` in the Secret adds services.
 */
export function parseNotificationsConfig(
  cmData: Record<string, string> | undefined,
  secrets: Record<string, string> = {},
): NotificationsConfig {
  const cfg: NotificationsConfig = {
    triggers: new Map(), templates: new Map(), services: new Map(), subscriptions: [], defaultTriggers: [],
    serviceDefaultTriggers: new Map(), context: {}, secrets, problems: [],
  };
  const { problems } = cfg;
  const addService = (key: string, type: string, name: string, raw: unknown): void => {
    if (!isRecord(raw)) {
      problems.push(`${key}: must be a YAML mapping`);
      return;
    }
    if (OTHER_SERVICE_TYPES.includes(type)) {
      problems.push(`${key}: service type ${type} is not supported by Hawser (supported: ${SUPPORTED_SERVICE_TYPES.join(", ")})`);
      return;
    }
    const known = SERVICE_KEYS[type];
    if (!known) {
      problems.push(`${key}: unknown service type ${type}`);
      return;
    }
    for (const k of Object.keys(raw)) if (!known.includes(k)) problems.push(`${key}: unknown key ${k} (known: ${known.join(", ")})`);
    cfg.services.set(name, { type, name, options: replaceSecretRefs(raw, secrets) as Record<string, unknown> });
  };
  const data = { ...(cmData ?? {}) };
  // Legacy config.yaml: triggers, templates, subscriptions, context and defaultTriggers as one YAML.
  if (data["config.yaml"] !== undefined) {
    const legacy = yamlOf("config.yaml", data["config.yaml"], problems);
    if (isRecord(legacy)) mergeLegacy(legacy, cfg);
    delete data["config.yaml"];
  }
  for (const [key, text] of Object.entries(data).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (key.startsWith("trigger.")) {
      const conds = parseTrigger(key, text, problems);
      if (conds) cfg.triggers.set(key.slice("trigger.".length), conds);
    } else if (key.startsWith("template.")) {
      const raw = yamlOf(key, text, problems);
      if (isRecord(raw)) cfg.templates.set(key.slice("template.".length), raw);
      else if (raw !== undefined) problems.push(`${key}: must be a YAML mapping of template fields`);
    } else if (key.startsWith("service.")) {
      const [type = "", ...rest] = key.slice("service.".length).split(".");
      const name = rest.length > 0 ? rest.join(".") : type;
      const raw = yamlOf(key, text, problems);
      if (raw !== undefined) addService(key, type, name, raw);
    } else if (key === "subscriptions") {
      cfg.subscriptions.push(...parseSubscriptions(key, text, problems));
    } else if (key === "defaultTriggers") {
      cfg.defaultTriggers = splitList(text, key, problems);
    } else if (key.startsWith("defaultTriggers.")) {
      cfg.serviceDefaultTriggers.set(key.slice("defaultTriggers.".length), splitList(text, key, problems));
    } else if (key === "context") {
      const raw = yamlOf(key, text, problems);
      if (isRecord(raw)) {
        for (const [k, v] of Object.entries(raw)) cfg.context[k] = typeof v === "string" ? v : JSON.stringify(v);
      } else if (raw !== undefined && raw !== null) problems.push("context: must be a YAML mapping of strings");
    } else {
      problems.push(`${key}: unknown key (expected trigger.<name>, template.<name>, service.<type>[.<name>], subscriptions, defaultTriggers[.<service>], context)`);
    }
  }
  // Legacy notifiers.yaml in the Secret: services by type.
  if (secrets["notifiers.yaml"] !== undefined) {
    const raw = yamlOf("notifiers.yaml (Secret)", secrets["notifiers.yaml"], problems);
    if (isRecord(raw)) {
      for (const [type, v] of Object.entries(raw)) if (!cfg.services.has(type)) addService(`notifiers.yaml ${type}`, type, type, v);
    }
  }
  for (const [name, conds] of cfg.triggers) {
    conds.forEach((c, i) => {
      for (const t of c.send) if (!cfg.templates.has(t)) problems.push(`trigger.${name}[${i}]: template ${t} is not defined`);
    });
  }
  return cfg;
}

function mergeLegacy(legacy: Record<string, unknown>, cfg: NotificationsConfig): void {
  const { problems } = cfg;
  if (Array.isArray(legacy.triggers)) {
    for (const t of legacy.triggers as unknown[]) {
      if (!isRecord(t) || typeof t.name !== "string") continue;
      const cond: TriggerCondition = { when: typeof t.condition === "string" ? t.condition : "", send: stringList(t.template ? [t.template] : t.send) ?? [] };
      cfg.triggers.set(t.name, [cond]);
    }
  }
  if (Array.isArray(legacy.templates)) {
    for (const t of legacy.templates as unknown[]) {
      if (!isRecord(t) || typeof t.name !== "string") continue;
      const { name, ...rest } = t;
      cfg.templates.set(name, rest);
    }
  }
  if (isRecord(legacy.context)) for (const [k, v] of Object.entries(legacy.context)) cfg.context[k] = String(v);
  if (Array.isArray(legacy.subscriptions)) cfg.subscriptions.push(...parseSubscriptions("config.yaml subscriptions", JSON.stringify(legacy.subscriptions), problems));
  const dt = stringList(legacy.defaultTriggers);
  if (dt) cfg.defaultTriggers = dt;
}
