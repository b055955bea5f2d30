// The CLI's local config, shaped like argocd's (~/.config/argocd/config): which API servers the
// user logged in to, with which token, and the current context. It holds bearer tokens, so it is
// written with mode 0600 and never printed.
import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { parse, stringify } from "yaml";
import { isRecord } from "../../util/index.js";

export interface ContextRef { name: string; server: string; user: string }
export interface ServerEntry { server: string; insecure?: boolean; plainText?: boolean }
export interface UserEntry { name: string; "auth-token"?: string }

export interface LocalConfig {
  contexts: ContextRef[];
  servers: ServerEntry[];
  users: UserEntry[];
  "current-context"?: string;
}

/** A config that cannot be used as-is; the message names the file and the field. */
export class ConfigError extends Error {}

export const emptyConfig = (): LocalConfig => ({ contexts: [], servers: [], users: [] });

/** --config PATH, else $HAWSER_CONFIG, else ~/.config/hawser/config. */
export function configPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag || env.HAWSER_CONFIG || join(homedir(), ".config", "hawser", "config");
}

function list<T>(raw: unknown, field: string, path: string, check: (v: Record<string, unknown>, where: string) => T): T[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new ConfigError(`${path}: ${field} must be a list`);
  return raw.map((v, i) => {
    const where = `${path}: ${field}[${i}]`;
    if (!isRecord(v)) throw new ConfigError(`${where} must be a mapping`);
    return check(v, where);
  });
}

function str(v: Record<string, unknown>, key: string, where: string, required = true): string | undefined {
  const x = v[key];
  if (x === undefined || x === null || x === "") {
    if (required) throw new ConfigError(`${where}.${key} is missing`);
    return undefined;
  }
  if (typeof x !== "string") throw new ConfigError(`${where}.${key} must be a string`);
  return x;
}

function flag(v: Record<string, unknown>, key: string, where: string): boolean | undefined {
  const x = v[key];
  if (x === undefined || x === null) return undefined;
  if (typeof x !== "boolean") throw new ConfigError(`${where}.${key} must be true or false`);
  return x;
}

/** Parses the file's text; every malformed field is an error naming it. */
export function parseConfig(text: string, path: string): LocalConfig {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new ConfigError(`${path}: not valid YAML: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (doc === null || doc === undefined) return emptyConfig();
  if (!isRecord(doc)) throw new ConfigError(`${path}: must be a mapping`);
  const cfg: LocalConfig = {
    contexts: list(doc.contexts, "contexts", path, (v, w) => ({ name: str(v, "name", w)!, server: str(v, "server", w)!, user: str(v, "user", w)! })),
    servers: list(doc.servers, "servers", path, (v, w) => {
      const s: ServerEntry = { server: str(v, "server", w)! };
      const insecure = flag(v, "insecure", w);
      const plainText = flag(v, "plain-text", w) ?? flag(v, "plainText", w);
      if (insecure !== undefined) s.insecure = insecure;
      if (plainText !== undefined) s.plainText = plainText;
      return s;
    }),
    users: list(doc.users, "users", path, (v, w) => {
      const u: UserEntry = { name: str(v, "name", w)! };
      const token = str(v, "auth-token", w, false);
      if (token !== undefined) u["auth-token"] = token;
      return u;
    }),
  };
  const current = doc["current-context"];
  if (current !== undefined && current !== null && current !== "") {
    if (typeof current !== "string") throw new ConfigError(`${path}: current-context must be a string`);
    cfg["current-context"] = current;
  }
  return cfg;
}

/** The config at `path`, or an empty one when the file does not exist. */
export async function readConfig(path: string): Promise<LocalConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return emptyConfig();
    throw new ConfigError(`${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return parseConfig(text, path);
}

/** Writes the config readable by its owner only (it holds tokens), replacing the file atomically. */
export async function writeConfig(path: string, cfg: LocalConfig): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  const doc: Record<string, unknown> = { contexts: cfg.contexts, servers: cfg.servers, users: cfg.users };
  if (cfg["current-context"]) doc["current-context"] = cfg["current-context"];
  await writeFile(tmp, stringify(doc), { mode: 0o600 });
  // An existing tmp file would keep its old mode; make sure.
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}

/** Records a login: the context (named after the server unless given), its server and its user. */
export function upsertLogin(cfg: LocalConfig, login: { context: string; server: ServerEntry; token: string }): LocalConfig {
  const { context, server, token } = login;
  const next: LocalConfig = structuredClone(cfg);
  const replace = <T>(items: T[], match: (x: T) => boolean, item: T): T[] => {
    const i = items.findIndex(match);
    if (i < 0) return [...items, item];
    const out = [...items];
    out[i] = item;
    return out;
  };
  next.servers = replace(next.servers, (s) => s.server === server.server, server);
  next.users = replace(next.users, (u) => u.name === context, { name: context, "auth-token": token });
  next.contexts = replace(next.contexts, (c) => c.name === context, { name: context, server: server.server, user: context });
  next["current-context"] = context;
  return next;
}

/**
 * Forgets a context's token (argocd logout keeps the context and removes the token). Returns
 * undefined when there is no such context.
 */
export function removeToken(cfg: LocalConfig, context: string): LocalConfig | undefined {
  const ctx = cfg.contexts.find((c) => c.name === context);
  if (!ctx) return undefined;
  const next = structuredClone(cfg);
  next.users = next.users.map((u) => {
    if (u.name !== ctx.user) return u;
    return { name: u.name };
  });
  return next;
}

export interface ResolvedContext { name: string; server: ServerEntry; token?: string }

/** A context with its server's settings and user's token; an error names what is missing. */
export function resolveContext(cfg: LocalConfig, name: string, path: string): ResolvedContext {
  const ctx = cfg.contexts.find((c) => c.name === name);
  if (!ctx) throw new ConfigError(`${path}: no context "${name}" (known: ${cfg.contexts.map((c) => c.name).join(", ") || "none"})`);
  const server = cfg.servers.find((s) => s.server === ctx.server) ?? { server: ctx.server };
  const token = cfg.users.find((u) => u.name === ctx.user)?.["auth-token"];
  return { name, server, ...(token ? { token } : {}) };
}
