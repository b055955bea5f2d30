// The status badge, GET /api/badge (argo-cd-server.md §5.3): an SVG of an app's health and sync
// status, or of several projects' apps together, for READMEs and dashboards. It needs no login, as
// in Argo, so it answers only when argocd-cm `statusbadge.enabled` is "true"; otherwise every
// request gets the same Unknown badge, whether or not the app exists, so nothing is revealed.
import type { FastifyReply, FastifyRequest } from "fastify";
import type { ServerCache, ApplicationObject } from "../cache.js";
import { queryValue, type ApiRouter, type Query } from "../http/api.js";

export interface BadgeServiceDeps {
  cache: ServerCache;
}

const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

const HEALTH_COLOURS: Record<string, string> = {
  Healthy: "#1f9d55", Progressing: "#1c7ed6", Degraded: "#d64545", Suspended: "#7a6fa8", Missing: "#c98b06", Unknown: "#8895a7",
};
const SYNC_COLOURS: Record<string, string> = { Synced: "#1f9d55", OutOfSync: "#c98b06", Unknown: "#8895a7" };
const NEUTRAL = "#4a5568";

export interface BadgeContent {
  /** Leading segment: the app (or projects) name, when showAppName. */
  label?: string;
  health: string;
  sync: string;
  revision?: string;
  notFound?: boolean;
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", "\"": "&quot;", "'": "&apos;" })[c]!);
}

/** Rough width of `text` in the badge font (11px sans-serif): enough to lay segments out. */
function textWidth(text: string): number {
  let w = 0;
  for (const ch of text) w += /[ilj.,:;|!']/.test(ch) ? 3.5 : /[mwMW@]/.test(ch) ? 10 : /[A-Z0-9]/.test(ch) ? 7.5 : 6.5;
  return Math.ceil(w);
}

/** Pure: the badge's SVG. `minWidth` stretches the last segment. */
export function renderBadge(b: BadgeContent, minWidth?: number): string {
  const segments: Array<{ text: string; colour: string }> = [];
  if (b.label) segments.push({ text: b.label, colour: NEUTRAL });
  if (b.notFound) segments.push({ text: "Not Found", colour: HEALTH_COLOURS.Unknown! });
  else {
    segments.push({ text: b.health, colour: HEALTH_COLOURS[b.health] ?? HEALTH_COLOURS.Unknown! });
    segments.push({ text: b.sync, colour: SYNC_COLOURS[b.sync] ?? SYNC_COLOURS.Unknown! });
    if (b.revision) segments.push({ text: b.revision, colour: NEUTRAL });
  }
  const widths = segments.map((s) => textWidth(s.text) + 16);
  const total = widths.reduce((a, w) => a + w, 0);
  if (minWidth && minWidth > total) widths[widths.length - 1]! += minWidth - total;
  const width = Math.max(total, minWidth ?? 0);
  let x = 0;
  const rects: string[] = [];
  const texts: string[] = [];
  segments.forEach((s, i) => {
    const w = widths[i]!;
    rects.push(`<rect x="${x}" width="${w}" height="20" fill="${s.colour}"/>`);
    texts.push(`<text x="${x + w / 2}" y="14">${escapeXml(s.text)}</text>`);
    x += w;
  });
  const title = escapeXml([b.label, b.notFound ? "Not Found" : `${b.health}, ${b.sync}`, b.revision].filter(Boolean).join(" · "));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="20" role="img" aria-label="${title}">`
    + `<title>${title}</title><clipPath id="r"><rect width="${width}" height="20" rx="4"/></clipPath>`
    + `<g clip-path="url(#r)">${rects.join("")}</g>`
    + `<g fill="#fff" text-anchor="middle" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">${texts.join("")}</g></svg>\n`;
}

/** Pure: one status for several apps; any non-Synced app makes OutOfSync, any non-Healthy Degraded. */
export function aggregateStatus(apps: ApplicationObject[]): { health: string; sync: string } {
  return {
    health: apps.every((a) => a.status?.health?.status === "Healthy") ? "Healthy" : "Degraded",
    sync: apps.every((a) => a.status?.sync?.status === "Synced") ? "Synced" : "OutOfSync",
  };
}

function values(q: Query, key: string): string[] {
  const v = q[key];
  return (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((s) => s !== "");
}

export class BadgeService {
  constructor(private readonly deps: BadgeServiceDeps) {}

  register(r: ApiRouter): void {
    r.raw("GET", "/api/badge", (req, reply) => this.serve(req, reply));
  }

  private async serve(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const q = req.query as Query;
    const name = queryValue(q, "name");
    const projects = values(q, "project");
    const namespace = queryValue(q, "namespace");
    const widthRaw = queryValue(q, "width");
    const bad = async (msg: string): Promise<void> => { await reply.code(400).type("text/plain; charset=utf-8").send(msg); };
    if (name !== undefined && !NAME.test(name)) return bad("invalid application name");
    if (namespace !== undefined && !NAMESPACE.test(namespace)) return bad("invalid namespace");
    for (const p of projects) if (!NAME.test(p)) return bad("invalid project name");
    if (name === undefined && projects.length === 0) return bad("name or project is required");
    const width = widthRaw === undefined ? undefined : Number(widthRaw);
    if (width !== undefined && (!Number.isInteger(width) || width < 1 || width > 2000)) return bad("width must be a whole number of pixels from 1 to 2000");

    const content = this.content(q, name, projects, namespace);
    await reply.code(200)
      .header("Content-Type", "image/svg+xml")
      .header("Cache-Control", "private, no-store")
      .header("Access-Control-Allow-Origin", "*")
      .send(renderBadge(content, width));
  }

  private content(q: Query, name: string | undefined, projects: string[], namespace: string | undefined): BadgeContent {
    const { cache } = this.deps;
    const showName = queryValue(q, "showAppName") === "true";
    const label = showName ? name ?? projects.join(",") : undefined;
    const base = label ? { label } : {};
    if (cache.configMap("argocd-cm")?.["statusbadge.enabled"] !== "true") return { ...base, health: "Unknown", sync: "Unknown" };
    let apps: ApplicationObject[];
    if (name !== undefined) {
      // Only apps the server serves (its enabled namespaces) are found: the informer holds no others.
      const app = cache.app(namespace ?? cache.namespace, name);
      apps = app && (projects.length === 0 || projects.includes(app.spec.project || "default")) ? [app] : [];
    } else {
      apps = cache.apps.list().filter((a) => projects.includes(a.spec.project || "default") && (namespace === undefined || a.metadata.namespace === namespace));
    }
    if (apps.length === 0) return { ...base, health: "Unknown", sync: "Unknown", notFound: true };
    const status = aggregateStatus(apps);
    let revision: string | undefined;
    if (apps.length === 1 && queryValue(q, "revision") === "true") {
      const sync = apps[0]!.status?.sync;
      const rev = sync?.revision ?? sync?.revisions?.[0];
      if (rev) revision = queryValue(q, "keepFullRevision") === "true" ? rev : rev.slice(0, 7);
    }
    // A single app shows its own statuses, not the aggregate's two-value reduction.
    const single = apps.length === 1 && name !== undefined ? { health: apps[0]!.status?.health?.status ?? "Unknown", sync: apps[0]!.status?.sync?.status ?? "Unknown" } : status;
    return { ...base, ...single, ...(revision ? { revision } : {}) };
  }
}
