// Deep links (argo-cd-server.md §1.3, §1.4): `GET /api/v1/applications/{name}/links`,
// `.../resource/links` and `GET /api/v1/projects/{name}/links` answer `{items[{title, url,
// description, iconClass}]}` from argocd-cm `application.links`, `resource.links` and
// `project.links`. Each link's `if` (expr-lang) and `url` (Go text/template with Sprig) run in the
// notifications evaluator, the same libraries Argo uses. As in Argo, a link whose condition is not
// true, or whose condition or template fails, is left out (and logged); a setting that cannot be
// read fails the call with a 500 naming the key. Rendered URLs that would run script are dropped.
import { ARGO_API_VERSION } from "../../api/annotations.js";
import { sensitiveAnnotationKeys } from "../../engine/diff/index.js";
import { DeepLinkSettingError, deepLinkVars, parseDeepLinks, safeLinkUrl, type DeepLink, type DeepLinkKind, type LinkCluster, type LinkInfo } from "../../engine/deep-links.js";
import { NotInApplicationError, resolveActionResource } from "../../appstate/resource-actions.js";
import type { ApplicationObject as PipelineApp } from "../../appstate/types.js";
import { notifyEvaluator, type NotifyEvaluator } from "../../notifications/wasm.js";
import type { Logger } from "../../runtime/logger.js";
import { errorMessage } from "../../util/index.js";
import type { AppStateReader } from "../app-state.js";
import type { ApplicationObject, ServerCache } from "../cache.js";
import type { ApiRequest, ApiRouter } from "../http/api.js";
import { ApiError, Code, notFound } from "../http/errors.js";
import { type AppFinder, queryOne } from "./app-access.js";
import { masked, resourceQuery } from "./app-resources.js";

export interface LinkServiceDeps {
  cache: ServerCache;
  apps: AppFinder;
  reader: AppStateReader;
  log: Logger;
  /** The template and condition evaluator (the notifications one by default). */
  evaluator?: () => Promise<NotifyEvaluator>;
}

/**
 * The links to show: each condition evaluated, each URL rendered, against `vars`. Failures are
 * reported through `onSkip` and the link left out, so one bad link does not hide the others.
 */
export function evaluateLinks(links: readonly DeepLink[], vars: Record<string, unknown>, ev: NotifyEvaluator, onSkip: (link: DeepLink, index: number, why: string) => void): LinkInfo[] {
  const withCondition = links.map((l, i) => ({ l, i })).filter(({ l }) => l.condition !== undefined);
  const verdicts = new Map<number, boolean>();
  ev.evaluate(withCondition.map(({ l }) => l.condition!), { vars }).forEach((r, j) => {
    const { l, i } = withCondition[j]!;
    if ("err" in r) { onSkip(l, i, `condition failed: ${r.err}`); verdicts.set(i, false); return; }
    if (typeof r.value !== "boolean") { onSkip(l, i, `condition is ${JSON.stringify(r.value)}, not true or false`); verdicts.set(i, false); return; }
    verdicts.set(i, r.value);
  });
  const shown = links.map((l, i) => ({ l, i })).filter(({ i }) => verdicts.get(i) !== false);
  const out: LinkInfo[] = [];
  ev.render(shown.map(({ l }) => l.url), { vars }).forEach((r, j) => {
    const { l, i } = shown[j]!;
    if ("err" in r) { onSkip(l, i, `url template failed: ${r.err}`); return; }
    const url = r.out.trim();
    if (!safeLinkUrl(url)) { onSkip(l, i, "the rendered url is not an absolute URL or a local path, or would run script"); return; }
    out.push({ title: l.title, url, ...(l.description ? { description: l.description } : {}), ...(l.iconClass ? { iconClass: l.iconClass } : {}) });
  });
  return out;
}

export class LinkService {
  constructor(private readonly deps: LinkServiceDeps) {}

  register(r: ApiRouter): void {
    r.get("/api/v1/applications/:name/links", (req) => this.appLinks(req));
    r.get("/api/v1/applications/:name/resource/links", (req) => this.resourceLinks(req));
    r.get("/api/v1/projects/:name/links", (req) => this.projectLinks(req));
  }

  private links(kind: DeepLinkKind): DeepLink[] {
    try {
      return parseDeepLinks(this.deps.cache.configMap("argocd-cm"), kind);
    } catch (err) {
      if (err instanceof DeepLinkSettingError) throw new ApiError(Code.Internal, err.message);
      throw err;
    }
  }

  private async render(kind: DeepLinkKind, links: DeepLink[], vars: Record<string, unknown>, subject: string): Promise<{ items?: LinkInfo[] }> {
    if (links.length === 0) return {};
    let ev: NotifyEvaluator;
    try {
      ev = await (this.deps.evaluator ?? notifyEvaluator)();
    } catch (err) {
      throw new ApiError(Code.Unavailable, `deep links cannot be evaluated: ${errorMessage(err)}`);
    }
    const items = evaluateLinks(links, vars, ev, (link, index, why) => {
      this.deps.log.warn("deep link left out", { key: `${kind}.links`, index, title: link.title, subject, reason: why });
    });
    // omitempty, as Argo's JSON: no links is {}.
    return items.length > 0 ? { items } : {};
  }

  /** The destination cluster as the templates see it (never its credentials); undefined when the destination is invalid. */
  private cluster(app: ApplicationObject): LinkCluster | undefined {
    try {
      const c = this.deps.reader.destination(app).cluster;
      return { name: c.name, server: c.server, ...(c.namespaces.length > 0 ? { namespaces: c.namespaces } : {}), ...(c.project ? { project: c.project } : {}) };
    } catch {
      return undefined;
    }
  }

  private project(name: string): Record<string, unknown> | undefined {
    const p = this.deps.cache.project(name);
    return p ? { ...p, apiVersion: ARGO_API_VERSION, kind: "AppProject" } : undefined;
  }

  private appObject(app: ApplicationObject): Record<string, unknown> {
    return { ...app, apiVersion: ARGO_API_VERSION, kind: "Application" };
  }

  private async appLinks({ caller, params, query }: ApiRequest): Promise<unknown> {
    // ListAppLinksRequest names the app's namespace `namespace`.
    const namespace = queryOne(query, "namespace");
    const app = this.deps.apps.findApp(caller, params.name!, { ...query, ...(namespace ? { appNamespace: namespace } : {}) }, "get");
    const links = this.links("application");
    const cluster = this.cluster(app);
    const vars = deepLinkVars({ app: this.appObject(app), project: this.project(app.spec.project || "default"), ...(cluster ? { cluster } : {}) });
    return this.render("application", links, vars, `application ${app.metadata.namespace}/${app.metadata.name}`);
  }

  private async resourceLinks({ caller, params, query }: ApiRequest): Promise<unknown> {
    const app = this.deps.apps.findApp(caller, params.name!, query, "get");
    const r = resourceQuery(query);
    const links = this.links("resource");
    if (links.length === 0) return {};
    const { client } = this.deps.reader.destination(app);
    let obj;
    try {
      obj = await resolveActionResource({ app: app as unknown as PipelineApp, client }, r);
    } catch (err) {
      if (err instanceof NotInApplicationError) throw notFound(err.message);
      throw err;
    }
    // Secret values never reach a template (they could end up in a URL).
    const resource = masked(obj, sensitiveAnnotationKeys(this.deps.cache.configMap("argocd-cm")));
    const cluster = this.cluster(app);
    const vars = deepLinkVars({ app: this.appObject(app), resource, project: this.project(app.spec.project || "default"), ...(cluster ? { cluster } : {}) });
    return this.render("resource", links, vars, `${r.kind} ${r.namespace ? `${r.namespace}/` : ""}${r.name}`);
  }

  private async projectLinks({ caller, params }: ApiRequest): Promise<unknown> {
    const name = params.name!;
    caller.require("projects", "get", name);
    const project = this.project(name);
    if (!project) throw notFound(`appprojects.argoproj.io "${name}" not found`);
    return this.render("project", this.links("project"), deepLinkVars({ project }), `project ${name}`);
  }
}
