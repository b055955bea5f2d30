// Chart versions in Helm repositories: `targetRevision` is an exact version or a semver
// constraint (Argo: "For Helm repo charts it is the chart version or constraint"). Constraints
// are resolved against the repository's index.yaml (http/https) or by asking helm (oci://).
import semver from "semver";
import { parse as parseYaml } from "yaml";
import { resolveTool } from "../../operator/devcluster/binaries.js";
import { redactUrl } from "../../operator/runtime/redact.js";
import { baseToolEnv, runTool } from "../exec.js";
import { RenderError } from "../types.js";

export interface ChartRepoAuth {
  username?: string;
  password?: string;
}

const MAX_INDEX_BYTES = 32 * 1024 * 1024;

/** Index lookups are cached briefly: every refresh of every app using a constraint would fetch it. */
export const INDEX_TTL_MS = 60_000;
const indexCache = new Map<string, { at: number; entries: Promise<Record<string, string[]>> }>();

/** The versions of `chart` listed in an http(s) repository's index.yaml (cached for INDEX_TTL_MS). */
export async function listChartVersions(repoURL: string, chart: string, auth: ChartRepoAuth = {}, signal?: AbortSignal): Promise<string[]> {
  const key = JSON.stringify([repoURL, auth.username ?? "", auth.password ?? ""]);
  let hit = indexCache.get(key);
  if (!hit || Date.now() - hit.at > INDEX_TTL_MS) {
    hit = { at: Date.now(), entries: fetchIndex(repoURL, auth, signal) };
    indexCache.set(key, hit);
    hit.entries.catch(() => indexCache.delete(key));
  }
  const versions = (await hit.entries)[chart];
  if (!versions) throw new RenderError(`chart "${chart}" not found in Helm repository ${redactUrl(repoURL)}`);
  return versions;
}

async function fetchIndex(repoURL: string, auth: ChartRepoAuth, signal?: AbortSignal): Promise<Record<string, string[]>> {
  const url = `${repoURL.replace(/\/+$/, "")}/index.yaml`;
  const headers: Record<string, string> = {};
  if (auth.username || auth.password) headers.authorization = `Basic ${Buffer.from(`${auth.username ?? ""}:${auth.password ?? ""}`).toString("base64")}`;
  let text: string;
  try {
    const res = await fetch(url, { headers, signal });
    if (!res.ok) throw new RenderError(`Helm repository ${redactUrl(repoURL)}: index.yaml returned HTTP ${res.status}`);
    const len = Number(res.headers.get("content-length") ?? "0");
    if (len > MAX_INDEX_BYTES) throw new RenderError(`Helm repository ${redactUrl(repoURL)}: index.yaml is too large`);
    text = await res.text();
  } catch (err) {
    if (err instanceof RenderError) throw err;
    throw new RenderError(`Helm repository ${redactUrl(repoURL)}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (text.length > MAX_INDEX_BYTES) throw new RenderError(`Helm repository ${redactUrl(repoURL)}: index.yaml is too large`);
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
  if (repoURL.startsWith("oci://")) {
    // helm accepts a constraint for OCI charts and reports the version it picked.
    const helm = await resolveTool("helm");
    const args = ["show", "chart", `${repoURL.replace(/\/+$/, "")}/${chart}`, ...(rev ? ["--version", rev] : [])];
    if (auth.username) args.push("--username", auth.username);
    if (auth.password) args.push("--password", auth.password);
    const { stdout } = await runTool(helm, args, { env: baseToolEnv(), signal, label: "helm show chart" });
    const v = (parseYaml(stdout) as { version?: unknown } | null)?.version;
    if (typeof v !== "string") throw new RenderError(`cannot resolve a version of ${chart} matching "${rev}"`);
    return v;
  }
  const versions = await listChartVersions(repoURL, chart, auth, signal);
  const picked = pickChartVersion(versions, rev);
  if (!picked) throw new RenderError(`no version of chart "${chart}" in ${redactUrl(repoURL)} matches "${rev || "*"}" (available: ${versions.slice(0, 10).join(", ")})`);
  return picked;
}
