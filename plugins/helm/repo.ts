// Chart versions in Helm repositories: `targetRevision` is an exact version or a semver
// constraint (Argo: "For Helm repo charts it is the chart version or constraint"). Constraints
// are resolved against the repository's index.yaml (http/https) or by asking helm (oci://).
import { createHash } from "node:crypto";
import { rm, writeFile } from "node:fs/promises";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { join } from "node:path";
import semver from "semver";
import { parse as parseYaml } from "yaml";
import { resolveTool } from "../../operator/tools/index.js";
import { redact, redactUrl, registerSecret } from "../../operator/runtime/redact.js";
import { baseToolEnv, runTool } from "../exec.js";
import { scratchDir } from "../sandbox.js";
import { RenderError } from "../types.js";
import { helmRegistryLoginArgs } from "./args.js";
import { errorMessage } from "../../operator/util/index.js";
import { readBounded } from "../../operator/util/read-bounded.js";

/** Credentials and TLS settings for a Helm repository (from a repository Secret of type helm). */
export interface ChartRepoAuth {
  username?: string;
  password?: string;
  /** Skip TLS verification (the Secret's `insecure`). */
  insecureSkipTLSVerify?: boolean;
  /** PEM client certificate and key (`tlsClientCertData` / `tlsClientCertKey`). */
  tlsClientCertData?: string;
  tlsClientCertKey?: string;
  /**
   * PEM CA bundle the server must chain to, instead of the system CAs (argocd-tls-certs-cm's entry
   * for the host). Handed to helm as a file (`--ca-file`), never as an argument's content.
   */
  caData?: string;
  /** An OCI registry spoken to over plain HTTP (the Secret's `insecureOCIForceHttp`): `--plain-http`. */
  plainHttp?: boolean;
}

const MAX_INDEX_BYTES = 32 * 1024 * 1024;

/** Index lookups are cached briefly: every refresh of every app using a constraint would fetch it. */
export const INDEX_TTL_MS = 60_000;
const indexCache = new Map<string, { at: number; entries: Promise<Record<string, string[]>> }>();

/** The versions of `chart` listed in an http(s) repository's index.yaml (cached for INDEX_TTL_MS). */
export async function listChartVersions(repoURL: string, chart: string, auth: ChartRepoAuth = {}, signal?: AbortSignal): Promise<string[]> {
  // Keyed by a hash: the map must not hold credentials in clear beyond the request itself.
  const key = createHash("sha256").update(JSON.stringify([repoURL, auth.username ?? "", auth.password ?? "", !!auth.insecureSkipTLSVerify, auth.tlsClientCertData ?? "", auth.tlsClientCertKey ?? "", auth.caData ?? ""])).digest("hex");
  let hit = indexCache.get(key);
  if (!hit || Date.now() - hit.at > INDEX_TTL_MS) {
    hit = { at: Date.now(), entries: fetchIndex(repoURL, auth, signal) };
    indexCache.set(key, hit);
    hit.entries.catch(() => indexCache.delete(key));
  }
  const entries = await hit.entries;
  // Own keys only: a chart named "constructor" must not find Object's.
  const versions = Object.hasOwn(entries, chart) ? entries[chart] : undefined;
  if (!versions) throw new RenderError(`chart "${chart}" not found in Helm repository ${redactUrl(repoURL)}`);
  return versions;
}

/** Every chart of an http(s) repository's index.yaml with its versions (cached as listChartVersions). */
export async function listRepoCharts(repoURL: string, auth: ChartRepoAuth = {}, signal?: AbortSignal): Promise<Record<string, string[]>> {
  const key = createHash("sha256").update(JSON.stringify([repoURL, auth.username ?? "", auth.password ?? "", !!auth.insecureSkipTLSVerify, auth.tlsClientCertData ?? "", auth.tlsClientCertKey ?? "", auth.caData ?? ""])).digest("hex");
  let hit = indexCache.get(key);
  if (!hit || Date.now() - hit.at > INDEX_TTL_MS) {
    hit = { at: Date.now(), entries: fetchIndex(repoURL, auth, signal) };
    indexCache.set(key, hit);
    hit.entries.catch(() => indexCache.delete(key));
  }
  return hit.entries;
}

/** GET with Node's http(s) client (fetch has no per-request TLS options); follows redirects. */
function httpGet(url: string, auth: ChartRepoAuth, signal: AbortSignal | undefined, maxBytes: number, redirects = 0): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const headers: Record<string, string> = { accept: "application/x-yaml, text/yaml, */*" };
    if (auth.username || auth.password) headers.authorization = `Basic ${Buffer.from(`${auth.username ?? ""}:${auth.password ?? ""}`).toString("base64")}`;
    const tls = u.protocol === "https:" ? {
      rejectUnauthorized: !auth.insecureSkipTLSVerify,
      ...(auth.caData ? { ca: auth.caData } : {}),
      ...(auth.tlsClientCertData && auth.tlsClientCertKey ? { cert: auth.tlsClientCertData, key: auth.tlsClientCertKey } : {}),
    } : {};
    if (u.protocol !== "https:" && u.protocol !== "http:") {
      reject(new Error(`unsupported URL scheme ${u.protocol}`));
      return;
    }
    const req = (u.protocol === "https:" ? httpsRequest : httpRequest)(u, { method: "GET", headers, agent: false, signal, timeout: 60_000, ...tls }, (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location && redirects < 5) {
        res.resume();
        const next = new URL(res.headers.location, u);
        // Credentials go only to the repository's own host, as helm does without passCredentials.
        const nextAuth = next.host === u.host ? auth : { ...auth, username: undefined, password: undefined };
        httpGet(next.href, nextAuth, signal, maxBytes, redirects + 1).then(resolve, reject);
        return;
      }
      readBounded(res, maxBytes, () => new Error("index.yaml is too large"))
        .then((body) => resolve({ status, body: body.toString("utf8") }), reject);
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", reject);
    req.end();
  });
}

/** Reads an http(s) repository's index.yaml now (uncached): chart → versions. */
export async function fetchIndex(repoURL: string, auth: ChartRepoAuth, signal?: AbortSignal): Promise<Record<string, string[]>> {
  const url = `${repoURL.replace(/\/+$/, "")}/index.yaml`;
  const where = `Helm repository ${redactUrl(repoURL)}`;
  let text: string;
  try {
    const res = await httpGet(url, auth, signal, MAX_INDEX_BYTES);
    if (res.status === 401 || res.status === 403) {
      const why = auth.username || auth.password ? "the repository rejected the credentials" : "the repository needs credentials (a repository Secret with type helm)";
      throw new RenderError(`${where}: index.yaml returned HTTP ${res.status}: ${why}`);
    }
    if (res.status < 200 || res.status >= 300) throw new RenderError(`${where}: index.yaml returned HTTP ${res.status}`);
    text = res.body;
  } catch (err) {
    if (err instanceof RenderError) throw err;
    const msg = redact(errorMessage(err));
    // Say what fixes it, as the git path does for the same failure.
    const hint = /certificate|self[- ]signed|SELF_SIGNED|UNABLE_TO_VERIFY|CERT_/i.test(`${msg} ${(err as { code?: string }).code ?? ""}`)
      ? "TLS certificate verification failed (add the server's CA to argocd-tls-certs-cm, or mark the repository insecure): " : "";
    throw new RenderError(`${where}: ${hint}${msg}`);
  }
  const index = parseYaml(text, { maxAliasCount: 100 }) as { entries?: Record<string, unknown> } | null;
  const out: Record<string, string[]> = {};
  for (const [name, list] of Object.entries(index?.entries ?? {})) {
    if (Array.isArray(list)) out[name] = (list as Array<{ version?: unknown }>).map((e) => e?.version).filter((v): v is string => typeof v === "string");
  }
  return out;
}

/** Picks the highest version satisfying the constraint (empty or `*` = latest non-prerelease). */
export function pickChartVersion(versions: string[], constraint: string | undefined): string | undefined {
  const c = constraint?.trim() || "*";
  if (semver.valid(c) && versions.includes(c)) return c;
  return semver.maxSatisfying(versions.filter((v) => semver.valid(v)), c) ?? undefined;
}

/** Resolves `targetRevision` to an exact chart version. */
export async function resolveChartVersion(repoURL: string, chart: string, targetRevision: string | undefined, auth: ChartRepoAuth = {}, signal?: AbortSignal): Promise<string> {
  const rev = targetRevision?.trim() ?? "";
  if (rev !== "" && semver.valid(rev)) return rev;
  if (repoURL.startsWith("oci://")) return ociChartVersion(repoURL, chart, rev, auth, signal);
  const versions = await listChartVersions(repoURL, chart, auth, signal);
  const picked = pickChartVersion(versions, rev);
  if (!picked) throw new RenderError(`no version of chart "${chart}" in ${redactUrl(repoURL)} matches "${rev || "*"}" (available: ${versions.slice(0, 10).join(", ")})`);
  return picked;
}

/**
 * Asks an OCI registry for the chart at a version or constraint (`helm show chart`; an exact
 * version is looked up too, so the answer says the registry has it) and returns the version.
 */
export async function ociChartVersion(repoURL: string, chart: string, rev: string, auth: ChartRepoAuth = {}, signal?: AbortSignal): Promise<string> {
  // helm accepts a constraint for OCI charts and reports the version it picked.
  const helm = await resolveTool("helm");
  const args = ["show", "chart", `${repoURL.replace(/\/+$/, "")}/${chart}`, ...(rev ? ["--version", rev] : [])];
  if (auth.insecureSkipTLSVerify) args.push("--insecure-skip-tls-verify");
  if (auth.plainHttp) args.push("--plain-http");
  const registry = await ociHelmEnv(helm, repoURL, auth, { signal });
  if (registry.caFile) args.push("--ca-file", registry.caFile);
  try {
    const { stdout } = await runTool(helm, args, { env: registry.env, signal, label: "helm show chart" });
    const v = (parseYaml(stdout) as { version?: unknown } | null)?.version;
    if (typeof v !== "string") throw new RenderError(`cannot resolve a version of ${chart} matching "${rev}"`);
    return v;
  } finally {
    await registry.dispose();
  }
}

/**
 * A helm environment logged in to an OCI registry for one use: `helm registry login
 * --password-stdin` writes the credentials into a registry config (HELM_REGISTRY_CONFIG) in a
 * private directory of the render's scratch, so the password is never in any process's argv and
 * no login outlives the render or reaches another one. Without credentials the config stays
 * empty, so the operator user's own registry logins are never used either.
 */
export async function ociHelmEnv(
  helm: string, repoURL: string, auth: ChartRepoAuth & { certFile?: string; keyFile?: string },
  opts: { signal?: AbortSignal; timeoutMs?: number },
): Promise<{ env: Record<string, string>; caFile?: string; dispose(): Promise<void> }> {
  const dir = await scratchDir("helm-registry-");
  const dispose = (): Promise<void> => rm(dir, { recursive: true, force: true });
  const env = baseToolEnv({
    HELM_REGISTRY_CONFIG: join(dir, "registry.json"),
    HELM_CACHE_HOME: join(dir, "cache"), HELM_CONFIG_HOME: join(dir, "config"), HELM_DATA_HOME: join(dir, "data"),
  });
  const caFile = auth.caData ? join(dir, "ca.pem") : undefined;
  if (caFile) await writeFile(caFile, auth.caData!, { mode: 0o644 });
  if (auth.username || auth.password) {
    registerSecret(auth.password);
    try {
      await runTool(helm, helmRegistryLoginArgs({ repoURL, username: auth.username ?? "", insecureSkipTLSVerify: auth.insecureSkipTLSVerify, certFile: auth.certFile, keyFile: auth.keyFile, caFile, plainHttp: auth.plainHttp }), {
        env, signal: opts.signal, timeoutMs: opts.timeoutMs, input: `${auth.password ?? ""}\n`, label: "helm registry login",
      });
    } catch (err) {
      await dispose();
      throw new RenderError(`OCI registry ${redactUrl(repoURL)}: login failed: ${errorMessage(err)}`, { cause: err });
    }
  }
  return { env, ...(caFile ? { caFile } : {}), dispose };
}
