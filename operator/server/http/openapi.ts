// The API description served at /swagger.json, built from the routes the server really registered
// (fastify's onRoute hook), so a path or verb is listed exactly when it exists. Argo serves a
// Swagger 2.0 document there, so this is Swagger 2.0 too. Query parameter names are not visible
// in a route, so they come from QUERY_PARAMS (Argo's names, from the server spec) and appear only
// on routes that exist.

export interface RegisteredRoute {
  method: string;
  /** The fastify URL without the root path, e.g. "/api/v1/applications/:name". */
  url: string;
}

/** Query parameters per "METHOD /path/{param}" (grpc-gateway names: dots for nested fields). */
export const QUERY_PARAMS: Readonly<Record<string, readonly string[]>> = {
  "GET /api/v1/applications": ["name", "refresh", "projects", "resourceVersion", "selector", "repo", "appNamespace", "project", "fields"],
  "POST /api/v1/applications": ["upsert", "validate"],
  "GET /api/v1/applications/{name}": ["refresh", "projects", "resourceVersion", "selector", "repo", "appNamespace", "project"],
  "PUT /api/v1/applications/{name}": ["validate", "project"],
  "PUT /api/v1/applications/{name}/spec": ["validate", "appNamespace", "project"],
  "DELETE /api/v1/applications/{name}": ["cascade", "propagationPolicy", "appNamespace", "project"],
  "DELETE /api/v1/applications/{name}/operation": ["appNamespace", "project"],
  "GET /api/v1/applications/{name}/syncwindows": ["appNamespace", "project"],
  "GET /api/v1/applications/{name}/events": ["resourceNamespace", "resourceName", "resourceUID", "appNamespace", "project"],
  "GET /api/v1/applications/{name}/manifests": ["revision", "revisions", "sourcePositions", "noCache", "appNamespace", "project"],
  "GET /api/v1/applications/{name}/resource-tree": ["namespace", "name", "version", "group", "kind", "appNamespace", "project"],
  "GET /api/v1/applications/{name}/managed-resources": ["namespace", "name", "version", "group", "kind", "appNamespace", "project", "fields"],
  "GET /api/v1/applications/{name}/server-side-diff": ["appNamespace", "project", "targetManifests"],
  "GET /api/v1/applications/{name}/resource": ["namespace", "resourceName", "version", "group", "kind", "appNamespace", "project"],
  "POST /api/v1/applications/{name}/resource": ["namespace", "resourceName", "version", "group", "kind", "patchType", "appNamespace", "project"],
  "DELETE /api/v1/applications/{name}/resource": ["namespace", "resourceName", "version", "group", "kind", "force", "orphan", "appNamespace", "project"],
  "GET /api/v1/applications/{name}/resource/actions": ["namespace", "resourceName", "version", "group", "kind", "appNamespace", "project"],
  "GET /api/v1/applications/{name}/links": ["namespace", "project"],
  "GET /api/v1/applications/{name}/logs": ["namespace", "podName", "container", "sinceSeconds", "sinceTime.seconds", "sinceTime.nanos", "tailLines", "follow", "untilTime", "filter", "matchCase", "kind", "group", "resourceName", "previous", "appNamespace", "project"],
  "GET /api/v1/stream/applications": ["name", "refresh", "projects", "project", "resourceVersion", "selector", "repo", "appNamespace", "fields"],
  "GET /api/v1/stream/applications/{name}/resource-tree": ["namespace", "name", "version", "group", "kind", "appNamespace", "project"],
  "GET /api/v1/applicationsets": ["projects", "selector", "appsetNamespace"],
  "POST /api/v1/applicationsets": ["upsert", "dryRun"],
  "GET /api/v1/applicationsets/{name}": ["appsetNamespace"],
  "DELETE /api/v1/applicationsets/{name}": ["appsetNamespace"],
  "GET /api/v1/stream/applicationsets": ["name", "projects", "selector", "appSetNamespace", "resourceVersion"],
  "GET /api/v1/projects": ["name", "fields"],
  "GET /api/v1/clusters": ["server", "name", "id.type", "id.value"],
  "GET /api/v1/repositories": ["repo", "forceRefresh", "appProject"],
};

type Operation = {
  operationId: string;
  tags: string[];
  parameters: Array<Record<string, unknown>>;
  responses: Record<string, { description: string }>;
};

/**
 * Swagger 2.0 document of the given routes. HEAD twins and the extension proxy (any verb, any
 * path below it) are left out; a trailing `*` becomes the path parameter `{path}`.
 */
export function openApiDocument(routes: readonly RegisteredRoute[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, Operation>> = {};
  const seen = new Set<string>();
  for (const route of [...routes].sort((a, b) => a.url.localeCompare(b.url) || a.method.localeCompare(b.method))) {
    const method = route.method.toUpperCase();
    // Fastify adds a HEAD twin to every GET; the extension proxy has no fixed shape.
    if (method === "HEAD" || method === "OPTIONS" || route.url.startsWith("/extensions/")) continue;
    const path = route.url.replace(/:([^/]+)/g, "{$1}").replace(/\*$/, "{path}");
    if (seen.has(`${method} ${path}`)) continue;
    seen.add(`${method} ${path}`);
    const pathParams = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
    const query = (QUERY_PARAMS[`${method} ${path}`] ?? []).filter((q) => !pathParams.includes(q));
    const parameters: Array<Record<string, unknown>> = [
      ...pathParams.map((name) => ({ name, in: "path", required: true, type: "string" })),
      ...query.map((name) => ({ name, in: "query", required: false, type: "string" })),
    ];
    if (method === "POST" || method === "PUT" || method === "PATCH") parameters.push({ name: "body", in: "body", required: false, schema: { type: "object" } });
    paths[path] ??= {};
    paths[path][method.toLowerCase()] = {
      operationId: operationId(method, path),
      tags: [tagOf(path)],
      parameters,
      responses: { 200: { description: "A successful response." }, default: { description: "An error: {error, code, message, details}." } },
    };
  }
  return {
    swagger: "2.0",
    info: { title: "Hawser API (Argo CD compatible)", description: "The routes this server serves, generated at start-up from its router.", version },
    consumes: ["application/json"],
    produces: ["application/json"],
    paths,
  };
}

function tagOf(path: string): string {
  const parts = path.split("/").filter(Boolean);
  const i = parts[0] === "api" && parts[1] === "v1" ? (parts[2] === "stream" ? 3 : 2) : 0;
  return parts[i]?.replace(/\{.*\}/, "") || "root";
}

function operationId(method: string, path: string): string {
  const words = path.split("/").filter((p) => p && p !== "api" && p !== "v1")
    .map((p) => (p.startsWith("{") ? `By_${p.slice(1, -1)}` : p).replace(/[^A-Za-z0-9_]+/g, "_"));
  return `${method.toLowerCase()}_${words.join("_")}`;
}
