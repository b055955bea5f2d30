// Project role tokens (argo-cd-server.md §4): issued for `proj:<project>:<role>`, recorded as
// `{iat, exp, id}` in the AppProject's `status.jwtTokensByRole[<role>].items` (what verification
// reads) and mirrored in `spec.roles[].jwtTokens`, both merged by id, newest first. Deleting the
// entry is the only revocation. RBAC (`projects, update` or membership of the role's groups) is the
// HTTP layer's check before it calls these.
//
// Hawser's AppProject CRD has a status subresource (Argo's has none), so an update is two writes:
// the spec, then the status. Each carries the resourceVersion it was computed from; a 409 starts
// over from a fresh read, so concurrent issuers never drop each other's entries.
import { randomUUID } from "node:crypto";
import { API_VERSION, KINDS, type AppProject, type JWTToken, type ProjectRole } from "../../api/index.js";
import type { KubeClient, KubeObject } from "../../kube/client.js";
import { ApiError, Code, invalidArgument, notFound } from "../http/errors.js";
import type { ServerState } from "../types.js";
import { ARGOCD_SECRET, serverSecretKey } from "./accounts.js";
import { retryOnConflict } from "./conflict.js";
import { issueToken } from "./tokens.js";

export interface ProjectTokenDeps {
  client: KubeClient;
  namespace: string;
  state: ServerState;
  /** Seconds since the epoch. */
  now?: () => number;
  /**
   * Read-your-writes (ServerCache.awaitOwnWrite): tokens are verified against this server's
   * cached project, so a token is handed out once the cache holds its entry.
   */
  awaitOwnWrite?: (written: KubeObject) => Promise<boolean>;
}

/** Legacy entries without an id are addressed by their iat. */
function withId(t: JWTToken): JWTToken {
  return t.id ? t : { ...t, id: String(t.iat) };
}

/** Spec and status entries of one role, merged by id, newest iat first. */
export function mergeRoleTokens(...lists: Array<JWTToken[] | undefined>): JWTToken[] {
  const byId = new Map<string, JWTToken>();
  for (const list of lists) for (const t of list ?? []) {
    const e = withId(t);
    if (!byId.has(e.id!)) byId.set(e.id!, e);
  }
  return [...byId.values()].sort((a, b) => b.iat - a.iat);
}

/** The token entries of `role` as spec and status hold them together. */
export function roleTokens(project: AppProject, role: string): JWTToken[] {
  const specRole = project.spec?.roles?.find((r) => r.name === role);
  return mergeRoleTokens(project.status?.jwtTokensByRole?.[role]?.items, specRole?.jwtTokens);
}

/**
 * The project with `role`'s tokens replaced by `tokens` in both places; status entries of roles that
 * no longer exist are dropped.
 */
export function withRoleTokens(project: AppProject, role: string, tokens: JWTToken[]): AppProject {
  const roles: ProjectRole[] = (project.spec?.roles ?? []).map((r) => {
    if (r.name !== role) return r;
    const copy = { ...r };
    if (tokens.length > 0) copy.jwtTokens = tokens;
    else delete copy.jwtTokens;
    return copy;
  });
  const names = new Set(roles.map((r) => r.name));
  const byRole: Record<string, { items?: JWTToken[] }> = {};
  for (const [name, entry] of Object.entries(project.status?.jwtTokensByRole ?? {})) if (names.has(name) && name !== role) byRole[name] = entry;
  if (tokens.length > 0) byRole[role] = { items: tokens };
  const status = { ...project.status };
  if (Object.keys(byRole).length > 0) status.jwtTokensByRole = byRole;
  else delete status.jwtTokensByRole;
  return { ...project, spec: { ...project.spec, roles }, status };
}

async function getProject(deps: ProjectTokenDeps, name: string): Promise<AppProject | undefined> {
  return deps.client.get<AppProject>(API_VERSION, KINDS.appProject, name, deps.namespace);
}

/** Writes spec then status of `next` (computed from a read that had `next.metadata.resourceVersion`). */
async function writeProject(deps: ProjectTokenDeps, next: AppProject): Promise<void> {
  const written = await deps.client.replace<AppProject>(next);
  const path = (await deps.client.pathFor(API_VERSION, KINDS.appProject, deps.namespace, next.metadata.name)) + "/status";
  const final = await deps.client.request<KubeObject>("PUT", path, { body: { ...next, metadata: { ...next.metadata, resourceVersion: written.metadata.resourceVersion } } });
  await deps.awaitOwnWrite?.(final);
}

async function updateRoleTokens(
  deps: ProjectTokenDeps,
  projectName: string,
  change: (project: AppProject) => { project: AppProject } | undefined,
): Promise<void> {
  await retryOnConflict(`AppProject ${projectName}`, async () => {
    const project = await getProject(deps, projectName);
    if (!project) throw notFound(`appprojects.argoproj.io "${projectName}" not found`);
    const next = change(project);
    if (next) await writeProject(deps, next.project);
  });
}

/**
 * `POST /api/v1/projects/{project}/roles/{role}/token`: issues a token for the role and records it.
 * `expiresIn` in seconds, 0 = never; `id` defaults to a random UUID.
 */
export async function createProjectToken(
  deps: ProjectTokenDeps,
  projectName: string,
  role: string,
  opts: { expiresIn?: number; id?: string; description?: string } = {},
): Promise<{ token: string }> {
  const expiresIn = opts.expiresIn ?? 0;
  if (!Number.isInteger(expiresIn) || expiresIn < 0) throw invalidArgument("expiresIn: must be a whole number of seconds ≥ 0");
  const key = serverSecretKey(deps.state.secret(ARGOCD_SECRET));
  if (!key) throw new ApiError(Code.Unavailable, "the server's signature key is not configured yet");
  const id = opts.id || randomUUID();
  const now = (deps.now ?? ((): number => Math.floor(Date.now() / 1000)))();
  await updateRoleTokens(deps, projectName, (project) => {
    if (!(project.spec?.roles ?? []).some((r) => r.name === role)) throw notFound(`project '${projectName}' does not have role '${role}'`);
    const existing = roleTokens(project, role);
    if (existing.some((t) => t.id === id)) throw invalidArgument(`Token id '${id}' has been used.`);
    return { project: withRoleTokens(project, role, mergeRoleTokens([{ iat: now, id, ...(expiresIn > 0 ? { exp: now + expiresIn } : {}) }], existing)) };
  });
  const { token } = (await issueToken(key, { subject: `proj:${projectName}:${role}`, id, expiresInSeconds: expiresIn, now }));
  return { token };
}

/**
 * `DELETE /api/v1/projects/{project}/roles/{role}/token/{iat}?id=<id>`: removes the entry with `id`,
 * else the one issued at `iat`, from both lists. A missing role or token is not an error.
 */
export async function deleteProjectToken(deps: ProjectTokenDeps, projectName: string, role: string, iat: number, id?: string): Promise<void> {
  await updateRoleTokens(deps, projectName, (project) => {
    if (!(project.spec?.roles ?? []).some((r) => r.name === role)) return undefined;
    const existing = roleTokens(project, role);
    const kept = existing.filter((t) => (id ? t.id !== id : t.iat !== iat));
    if (kept.length === existing.length) return undefined;
    return { project: withRoleTokens(project, role, kept) };
  });
}
