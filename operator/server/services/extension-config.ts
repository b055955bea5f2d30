// Proxy extension settings from argocd-cm, as Argo reads them: `extension.config` holds
// `extensions: [{name, backend}]`, and each `extension.config.<name>` holds one backend whose name
// is the key's suffix. Pure: secret values come in through `secretValue`, so it is unit-tested.
import { parse as parseYaml } from "yaml";
import { isRecord } from "../../util/index.js";

export const EXTENSION_CONFIG_KEY = "extension.config";

export interface ExtensionService {
  url: URL;
  /** Headers added to every proxied request; values have their `$secret` references resolved. */
  headers: Array<{ name: string; value: string }>;
  /** The destination this service serves, when the extension has one service per cluster. */
  cluster?: { name?: string; server?: string };
}

export interface ExtensionBackend {
  name: string;
  connectionTimeoutMs: number;
  keepAliveMs: number;
  idleConnectionTimeoutMs: number;
  maxIdleConnections: number;
  services: ExtensionService[];
}

/** Resolves `$key` (argocd-secret) or `$secret:key`; throws with a message naming the reference. */
export type SecretValue = (reference: string) => string;

export class ExtensionConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ExtensionConfigError";
  }
}

// Argo's defaults (server/extension): 2s to connect, 15s keep-alive, 60s idle, 30 idle connections.
const DEFAULTS = { connectionTimeoutMs: 2_000, keepAliveMs: 15_000, idleConnectionTimeoutMs: 60_000, maxIdleConnections: 30 };
const NAME = /^[A-Za-z0-9-_]+$/;

/** All extensions configured in argocd-cm's data (empty when none). Throws ExtensionConfigError. */
export function parseExtensions(cm: Record<string, string> | undefined, secretValue: SecretValue): Map<string, ExtensionBackend> {
  const out = new Map<string, ExtensionBackend>();
  const add = (backend: ExtensionBackend, where: string): void => {
    if (out.has(backend.name)) throw new ExtensionConfigError(`${where}: extension "${backend.name}" is configured twice`);
    out.set(backend.name, backend);
  };
  const main = cm?.[EXTENSION_CONFIG_KEY];
  if (main !== undefined && main.trim() !== "") {
    const doc = yamlMapping(main, EXTENSION_CONFIG_KEY);
    const list = doc.extensions;
    if (!Array.isArray(list)) throw new ExtensionConfigError(`argocd-cm ${EXTENSION_CONFIG_KEY}: extensions must be a list`);
    list.forEach((item, i) => {
      const where = `argocd-cm ${EXTENSION_CONFIG_KEY}: extensions[${i}]`;
      if (!isRecord(item)) throw new ExtensionConfigError(`${where} must be a mapping`);
      const name = item.name;
      if (typeof name !== "string" || !NAME.test(name)) throw new ExtensionConfigError(`${where}.name must be letters, digits, "-" or "_", got ${JSON.stringify(name)}`);
      if (!isRecord(item.backend)) throw new ExtensionConfigError(`${where}.backend must be a mapping`);
      add(parseBackend(name, item.backend, `${where}.backend`, secretValue), where);
    });
  }
  for (const [key, raw] of Object.entries(cm ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    if (!key.startsWith(`${EXTENSION_CONFIG_KEY}.`) || raw.trim() === "") continue;
    const name = key.slice(EXTENSION_CONFIG_KEY.length + 1);
    if (!NAME.test(name)) throw new ExtensionConfigError(`argocd-cm ${key}: the extension name "${name}" must be letters, digits, "-" or "_"`);
    add(parseBackend(name, yamlMapping(raw, key), `argocd-cm ${key}`, secretValue), `argocd-cm ${key}`);
  }
  return out;
}

function yamlMapping(raw: string, key: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = parseYaml(raw);
  } catch {
    // The parser's message quotes the line, which may hold a literal header secret.
    throw new ExtensionConfigError(`argocd-cm ${key}: invalid YAML`);
  }
  if (!isRecord(doc)) throw new ExtensionConfigError(`argocd-cm ${key}: must be a YAML mapping`);
  return doc;
}

function parseBackend(name: string, b: Record<string, unknown>, where: string, secretValue: SecretValue): ExtensionBackend {
  const services = b.services;
  if (!Array.isArray(services) || services.length === 0) throw new ExtensionConfigError(`${where}.services must be a non-empty list`);
  const parsed = services.map((s, i) => parseService(s, `${where}.services[${i}]`, secretValue));
  if (parsed.length > 1) {
    // With several services the destination cluster picks one, so each must say which.
    parsed.forEach((s, i) => {
      if (!s.cluster) throw new ExtensionConfigError(`${where}.services[${i}].cluster must be set when an extension has several services`);
    });
  }
  return {
    name,
    connectionTimeoutMs: duration(b.connectionTimeout, `${where}.connectionTimeout`) ?? DEFAULTS.connectionTimeoutMs,
    keepAliveMs: duration(b.keepAlive, `${where}.keepAlive`) ?? DEFAULTS.keepAliveMs,
    idleConnectionTimeoutMs: duration(b.idleConnectionTimeout, `${where}.idleConnectionTimeout`) ?? DEFAULTS.idleConnectionTimeoutMs,
    maxIdleConnections: count(b.maxIdleConnections, `${where}.maxIdleConnections`) ?? DEFAULTS.maxIdleConnections,
    services: parsed,
  };
}

function parseService(s: unknown, where: string, secretValue: SecretValue): ExtensionService {
  if (!isRecord(s)) throw new ExtensionConfigError(`${where} must be a mapping`);
  let url: URL;
  try {
    if (typeof s.url !== "string") throw new Error("not a string");
    url = new URL(s.url);
  } catch {
    throw new ExtensionConfigError(`${where}.url must be an absolute http(s) URL, got ${JSON.stringify(s.url)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new ExtensionConfigError(`${where}.url must use http or https, got ${url.protocol}`);
  const headers: ExtensionService["headers"] = [];
  if (s.headers !== undefined) {
    if (!Array.isArray(s.headers)) throw new ExtensionConfigError(`${where}.headers must be a list`);
    s.headers.forEach((h, i) => {
      const hw = `${where}.headers[${i}]`;
      if (!isRecord(h) || typeof h.name !== "string" || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(h.name)) throw new ExtensionConfigError(`${hw}.name must be an HTTP header name`);
      if (typeof h.value !== "string") throw new ExtensionConfigError(`${hw}.value must be a string`);
      let value: string;
      try {
        value = h.value.startsWith("$") ? secretValue(h.value) : h.value;
      } catch (err) {
        throw new ExtensionConfigError(`${hw}.value: ${err instanceof Error ? err.message : String(err)}`);
      }
      headers.push({ name: h.name, value });
    });
  }
  const out: ExtensionService = { url, headers };
  if (s.cluster !== undefined) {
    const c = s.cluster;
    if (!isRecord(c) || (typeof c.name !== "string" && typeof c.server !== "string")) throw new ExtensionConfigError(`${where}.cluster must have name or server`);
    out.cluster = { ...(typeof c.name === "string" ? { name: c.name } : {}), ...(typeof c.server === "string" ? { server: c.server } : {}) };
  }
  return out;
}

/** Go duration strings as Argo's YAML uses them ("2s", "1m30s", "500ms"). */
export function duration(v: unknown, where: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw new ExtensionConfigError(`${where} must be a duration such as "2s" or "1m", got ${JSON.stringify(v)}`);
  const text = v;
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let m: RegExpExecArray | null;
  let end = 0;
  while ((m = re.exec(text)) !== null) { total += Number(m[1]) * unit[m[2]!]!; end = re.lastIndex; }
  if (end === 0 || end !== text.length) throw new ExtensionConfigError(`${where} must be a duration such as "2s" or "1m", got ${JSON.stringify(v)}`);
  return total;
}

function count(v: unknown, where: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) throw new ExtensionConfigError(`${where} must be a whole number, got ${JSON.stringify(v)}`);
  return v;
}

/**
 * The service for an app's destination: the only one, else the one whose cluster name or server
 * matches. undefined when none matches (the caller answers 400).
 */
export function serviceFor(ext: ExtensionBackend, destination: { name?: string; server?: string } | undefined): ExtensionService | undefined {
  if (ext.services.length === 1) return ext.services[0];
  return ext.services.find((s) => (s.cluster?.name !== undefined && s.cluster.name === destination?.name)
    || (s.cluster?.server !== undefined && s.cluster.server === destination?.server));
}

/** `Argocd-Application-Name: <namespace>:<app>`; undefined when malformed. */
export function parseAppHeader(value: string | undefined): { namespace: string; name: string } | undefined {
  if (!value) return undefined;
  const parts = value.split(":");
  if (parts.length !== 2) return undefined;
  const [namespace, name] = parts as [string, string];
  const dns = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
  return dns.test(namespace) && dns.test(name) ? { namespace, name } : undefined;
}
