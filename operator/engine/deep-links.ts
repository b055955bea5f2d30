// Deep links (argocd-cm `application.links`, `project.links`, `resource.links`): Argo's format, a
// YAML list of `{url, title, description, icon.class, if}`, where `url` is a Go template and
// `if` an expr-lang condition over the same variables (`app`/`application`, `resource`,
// `cluster`, `project`). This module reads the settings and builds the variables; the API server
// runs the templates and conditions (operator/server/services/links.ts).
import { parse } from "yaml";

export const DEEP_LINK_KEYS = { application: "application.links", project: "project.links", resource: "resource.links" } as const;
export type DeepLinkKind = keyof typeof DEEP_LINK_KEYS;

export interface DeepLink {
  title: string;
  url: string;
  description?: string;
  iconClass?: string;
  /** The expr-lang condition; the link is shown only when it is true. */
  condition?: string;
}

/** A deep-link setting that cannot be read; the message names the key, the entry and the field. */
export class DeepLinkSettingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DeepLinkSettingError";
  }
}

const FIELDS = new Set(["url", "title", "description", "icon.class", "if"]);

/** The links of one argocd-cm key; none when the key is unset or empty. */
export function parseDeepLinks(cm: Record<string, string> | undefined, kind: DeepLinkKind): DeepLink[] {
  const key = DEEP_LINK_KEYS[kind];
  const text = cm?.[key];
  if (text === undefined || text.trim() === "") return [];
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new DeepLinkSettingError(`argocd-cm ${key} is not valid YAML: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`);
  }
  if (doc === null || doc === undefined) return [];
  if (!Array.isArray(doc)) throw new DeepLinkSettingError(`argocd-cm ${key} must be a YAML list of {url, title, description, icon.class, if}`);
  return doc.map((entry: unknown, i): DeepLink => {
    const at = `argocd-cm ${key}[${i}]`;
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) throw new DeepLinkSettingError(`${at} must be a mapping with url and title`);
    const e = entry as Record<string, unknown>;
    for (const f of Object.keys(e)) if (!FIELDS.has(f)) throw new DeepLinkSettingError(`${at} has an unknown field "${f}" (known: url, title, description, icon.class, if)`);
    const str = (f: string, required: boolean): string | undefined => {
      const v = e[f];
      if (v === undefined || v === null) {
        if (required) throw new DeepLinkSettingError(`${at}.${f} is required`);
        return undefined;
      }
      if (typeof v !== "string" || (required && v.trim() === "")) throw new DeepLinkSettingError(`${at}.${f} must be a non-empty string`);
      return v;
    };
    const link: DeepLink = { title: str("title", true)!, url: str("url", true)! };
    const description = str("description", false);
    const iconClass = str("icon.class", false);
    const condition = str("if", false);
    if (description) link.description = description;
    if (iconClass) link.iconClass = iconClass;
    if (condition?.trim()) link.condition = condition;
    return link;
  });
}

/** The link as the API answers it (`{title, url, description, iconClass}`), once its URL is rendered. */
export interface LinkInfo { title: string; url: string; description?: string; iconClass?: string }

/**
 * Whether a rendered URL may be shown: an absolute URL or a path on this host (`/…`), never
 * `javascript:`, `data:` or `vbscript:` (a template filled from a resource's fields must not
 * become a script link).
 */
export function safeLinkUrl(url: string): boolean {
  const t = url.trim();
  if (t.startsWith("/") && !t.startsWith("//")) return true;
  let u: URL;
  try {
    u = new URL(t);
  } catch {
    return false;
  }
  return !["javascript:", "data:", "vbscript:"].includes(u.protocol);
}

/** What a destination cluster contributes to the variables (no credentials). */
export interface LinkCluster { name: string; server: string; namespaces?: string[]; project?: string }

/** The variables of Argo's deep-link templates and conditions; `app` and `application` are the same object. */
export function deepLinkVars(o: { app?: unknown; resource?: unknown; cluster?: LinkCluster; project?: unknown }): Record<string, unknown> {
  const vars: Record<string, unknown> = {};
  if (o.app !== undefined) { vars.app = o.app; vars.application = o.app; }
  if (o.resource !== undefined) vars.resource = o.resource;
  if (o.cluster !== undefined) vars.cluster = o.cluster;
  if (o.project !== undefined) vars.project = o.project;
  return vars;
}
