// Repository URL handling: Argo CD's URL normalisation (the key for credential matching and for the
// on-disk cache), and splitting credentials out of a URL so they never reach a git argv.
import { createHash } from "node:crypto";

const scpLike = /^[A-Za-z0-9._~-]+@[A-Za-z0-9.-]+:(?!\/\/)/;

/** Argo's IsSSHURL: `git@host:path`, `user@host:path` (scp syntax) or `ssh://`. */
export function isSSHURL(url: string): boolean {
  const u = url.trim().toLowerCase();
  return u.startsWith("ssh://") || u.startsWith("git@") || scpLike.test(u);
}

/**
 * Argo CD's NormalizeGitURL (util/git/git.go): lower-cased, trimmed, scp-style ssh rewritten to a
 * URL, `.git` suffix and trailing slash dropped, `ssh://` prefix dropped. Two URLs naming the same
 * repository normalise to the same string.
 */
export function normalizeGitURL(url: string): string {
  let repo = url.trim().toLowerCase();
  if (isSSHURL(repo) && !repo.startsWith("ssh://")) {
    // The first colon of `git@host:org/repo` separates host and path, not host and port.
    repo = "ssh://" + repo.replace(":", "/");
  }
  repo = repo.replace(/\/+$/, "");
  if (repo.endsWith(".git")) repo = repo.slice(0, -4);
  try {
    const parsed = new URL(repo);
    repo = parsed.toString();
    // URL.toString() adds a trailing slash to an empty path.
    if (parsed.pathname === "/" && !repo.endsWith(":/") && repo.endsWith("/")) repo = repo.slice(0, -1);
  } catch {
    // Not URL syntax (e.g. a local path): keep the trimmed, lower-cased form.
  }
  return repo.replace(/^ssh:\/\//, "");
}

/** The cache directory name for a repository: sha256 of the normalised URL. */
export function repoCacheKey(url: string): string {
  // Asked for on every read of the repository cache: remembered per URL (a bounded set of them).
  let key = cacheKeys.get(url);
  if (key === undefined) {
    key = createHash("sha256").update(normalizeGitURL(url)).digest("hex");
    if (cacheKeys.size >= MAX_CACHE_KEYS) cacheKeys.clear();
    cacheKeys.set(url, key);
  }
  return key;
}
const cacheKeys = new Map<string, string>();
const MAX_CACHE_KEYS = 10_000;

export interface SplitURL {
  /** The URL without userinfo. */
  url: string;
  username?: string;
  password?: string;
}

/**
 * Removes `user:password@` from an http(s) URL. The credentials are returned separately so they
 * can be handed to git through the environment instead of its argv. ssh URLs keep their user
 * (`git@host`): that is a login name, not a secret.
 */
export function splitUserinfo(url: string): SplitURL {
  if (!/^https?:\/\//i.test(url)) return { url };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { url };
  }
  if (!parsed.username && !parsed.password) return { url };
  const out: SplitURL = { url: "" };
  if (parsed.username) out.username = decodeURIComponent(parsed.username);
  if (parsed.password) out.password = decodeURIComponent(parsed.password);
  parsed.username = "";
  parsed.password = "";
  out.url = parsed.toString();
  // Keep the caller's spelling otherwise (URL adds "/" to a bare host).
  if (!url.endsWith("/") && out.url.endsWith("/") && parsed.pathname === "/") out.url = out.url.slice(0, -1);
  return out;
}

export function isHTTPURL(url: string): boolean {
  return /^https?:\/\//i.test(url.trim());
}

/**
 * The URL of a submodule as `git submodule` computes it: an absolute URL as written, a `./` or
 * `../` path relative to the parent repository's URL (each `../` drops one path segment of it).
 * Only network URLs are accepted: a `file://` URL or a local path would let a repository make the
 * operator read directories of its own host.
 */
export function resolveSubmoduleURL(parentURL: string, url: string): string {
  const u = url.trim();
  if (/^(https?|ssh|git):\/\/[^/]/i.test(u) || scpLike.test(u)) return u;
  if (!u.startsWith("./") && !u.startsWith("../")) {
    throw new Error(`submodule URL "${u}" is not allowed: only http(s), ssh and git URLs, or paths relative to the parent repository (./ or ../)`);
  }
  const scp = !/^[a-z][a-z0-9+.-]*:\/\//i.test(parentURL) && scpLike.test(parentURL);
  // The part that `../` may not climb into: scheme and host (or `user@host:` for scp syntax).
  const hostEnd = scp ? parentURL.indexOf(":") + 1 : (/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i.exec(parentURL)?.[0].length ?? 0);
  if (hostEnd === 0) throw new Error(`submodule URL "${u}" is relative, but the parent repository URL is not a network URL`);
  let base = parentURL.replace(/\/+$/, "");
  let rest = u;
  for (;;) {
    if (rest.startsWith("./")) rest = rest.slice(2);
    else if (rest.startsWith("../")) {
      rest = rest.slice(3);
      const cut = base.lastIndexOf("/");
      if (cut < hostEnd) {
        if (scp && base.length > hostEnd) base = base.slice(0, hostEnd);
        else throw new Error(`submodule URL "${u}" climbs above the host of the parent repository`);
      } else base = base.slice(0, cut);
    } else break;
  }
  if (rest === "" || rest.split("/").includes("..")) throw new Error(`submodule URL "${u}" does not name a repository`);
  return base.endsWith(":") ? `${base}${rest}` : `${base}/${rest}`;
}
