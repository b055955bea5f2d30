// Finding the Application a per-app route names, with Argo's existence hiding (argo-cd-server.md
// §1.1), and reading its query parameters strictly (a malformed value is a 400 naming the
// parameter). The services added beside applications.ts (logs, revisions) share it.
import { DEFAULT_PROJECT } from "../../api/index.js";
import { isNamespaceEnabled } from "../../engine/namespaces.js";
import type { ApplicationObject, ServerCache } from "../cache.js";
import type { Caller, Query } from "../http/api.js";
import { ApiError, Code, invalidArgument, notFound } from "../http/errors.js";
import { appRbacName } from "./applications.js";

/** A query parameter given at most once; undefined when absent or empty. */
export function queryOne(q: Query, key: string): string | undefined {
  const v = q[key];
  if (Array.isArray(v)) {
    if (v.length > 1) throw invalidArgument(`query parameter "${key}" given ${v.length} times; at most once`);
    return v[0] || undefined;
  }
  return v || undefined;
}

export function queryBool(q: Query, key: string): boolean {
  const v = queryOne(q, key);
  if (v === undefined || v === "false" || v === "0") return false;
  if (v === "true" || v === "1") return true;
  throw invalidArgument(`query parameter "${key}" must be true or false, got "${v}"`);
}

/** A whole number ≥ `min`, or undefined when absent. */
export function queryInt(q: Query, key: string, min = 0): number | undefined {
  const v = queryOne(q, key);
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v) || Number(v) < min || !Number.isSafeInteger(Number(v))) throw invalidArgument(`query parameter "${key}" must be a whole number of at least ${min}, got "${v}"`);
  return Number(v);
}

/**
 * The stored app the caller may `get` (the `applications` check of every per-app route): without
 * `project` a missing app and a forbidden one are both 403; with it, a forbidden project is 403,
 * and a missing app, one in another project or one whose real project is forbidden is 404.
 */
export function findVisibleApp(cache: ServerCache, caller: Caller, name: string, q: Query): ApplicationObject {
  const control = cache.namespace;
  const ns = queryOne(q, "appNamespace") ?? control;
  const denied = (): ApiError => new ApiError(Code.PermissionDenied, "permission denied");
  if (!isNamespaceEnabled(ns, control, cache.applicationNamespaces)) throw denied();
  const project = queryOne(q, "project");
  const app = cache.app(ns, name);
  if (project !== undefined) {
    const claimed = ns === control ? `${project}/${name}` : `${project}/${ns}/${name}`;
    if (!caller.can("applications", "get", claimed)) throw denied();
    if (!app || (app.spec?.project || DEFAULT_PROJECT) !== project || !caller.can("applications", "get", appRbacName(app, control))) {
      throw notFound(`applications.argoproj.io "${name}" not found`);
    }
    return app;
  }
  if (!app || !caller.can("applications", "get", appRbacName(app, control))) throw denied();
  return app;
}
