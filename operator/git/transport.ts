// The two ways the cache talks to a remote: the git CLI (default; every URL scheme, what Argo CD
// does) and isomorphic-git (http(s) only, in-process: no spawn for ls-remote). Both fetch into the
// same bare repository, so everything downstream (object reads, checkouts) is shared.
import * as fs from "node:fs";
import git from "isomorphic-git";
import http from "isomorphic-git/http/node";
import { redact, redactUrl } from "../runtime/redact.js";
import type { RepoCredentials } from "./credentials.js";
import { cliAuthEnv, type CliAuthOptions } from "./cli-auth.js";
import { runGit } from "./exec.js";
import { parseLsRemote, type RemoteRefs } from "./revision.js";
import { GitError } from "./types.js";
import { isHTTPURL, splitUserinfo } from "./url.js";

export type TransportName = "git" | "isomorphic-git";

export interface RemoteContext {
  /** The URL as configured (may carry userinfo; never passed to a process as is). */
  repoURL: string;
  /** The bare repository directory. */
  gitDir: string;
  creds: RepoCredentials | undefined;
  signal?: AbortSignal;
  timeoutMs: number;
}

export interface FetchRequest {
  /** Refspecs (`+refs/heads/main:refs/heads/main`) or a single commit SHA. */
  refspecs: string[];
  /** Shallow depth; undefined = full history (unshallowing a shallow repository). */
  depth?: number;
  /** Also fetch every tag. */
  tags?: boolean;
}

export interface Transport {
  readonly name: TransportName;
  /** Whether this transport can serve the URL with these credentials. */
  supports(ctx: RemoteContext): boolean;
  lsRemote(ctx: RemoteContext): Promise<RemoteRefs>;
  fetch(ctx: RemoteContext, req: FetchRequest): Promise<void>;
}

export class CliTransport implements Transport {
  readonly name = "git" as const;
  constructor(private readonly auth: CliAuthOptions) {}

  supports(): boolean {
    return true;
  }

  /** Runs `fn` with the URL (userinfo removed) and the credential environment for it (git-lfs uses it too). */
  async withAuth<T>(ctx: RemoteContext, fn: (url: string, env: Record<string, string>) => Promise<T>): Promise<T> {
    const split = splitUserinfo(ctx.repoURL);
    const auth = await cliAuthEnv(split.url, ctx.creds, split, this.auth);
    try {
      return await fn(split.url, auth.env);
    } finally {
      await auth.cleanup();
    }
  }

  lsRemote(ctx: RemoteContext): Promise<RemoteRefs> {
    return this.withAuth(ctx, async (url, env) => {
      const { stdout } = await runGit(["ls-remote", "--symref", "--", url], {
        repoURL: ctx.repoURL,
        cwd: ctx.gitDir,
        env,
        timeoutMs: ctx.timeoutMs,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
      return parseLsRemote(stdout.toString("utf8"));
    });
  }

  fetch(ctx: RemoteContext, req: FetchRequest): Promise<void> {
    return this.withAuth(ctx, async (url, env) => {
      const args = ["-c", "gc.auto=0", "-c", "maintenance.auto=false", "fetch", "--quiet", "--no-write-fetch-head", "--force"];
      args.push(req.tags ? "--tags" : "--no-tags");
      if (req.depth !== undefined) args.push(`--depth=${req.depth}`);
      else if (fs.existsSync(`${ctx.gitDir}/shallow`)) args.push("--unshallow");
      args.push("--", url, ...req.refspecs);
      await runGit(args, { repoURL: ctx.repoURL, cwd: ctx.gitDir, env, timeoutMs: ctx.timeoutMs, ...(ctx.signal ? { signal: ctx.signal } : {}) });
    });
  }
}

/**
 * isomorphic-git over smart HTTP. It has no ssh, no client certificates, no proxy, no per-server
 * CA and no way to switch off TLS verification per request, so such repositories report
 * `supports() === false` and the cache uses the CLI for them.
 */
export class IsomorphicTransport implements Transport {
  readonly name = "isomorphic-git" as const;

  /** `hasCustomCA`: whether argocd-tls-certs-cm names the URL's server (those go through the CLI). */
  constructor(private readonly hasCustomCA: (repoURL: string) => boolean = () => false) {}

  supports(ctx: RemoteContext): boolean {
    const c = ctx.creds;
    return isHTTPURL(ctx.repoURL) && !c?.sshPrivateKey && !c?.tlsClientCertData && !c?.insecure && !c?.proxy && !this.hasCustomCA(ctx.repoURL);
  }

  private auth(ctx: RemoteContext): { url: string; headers: Record<string, string>; onAuth?: () => { username: string; password: string } } {
    const split = splitUserinfo(ctx.repoURL);
    const headers: Record<string, string> = { "user-agent": "git/hawser" };
    const username = ctx.creds?.username ?? split.username;
    const password = ctx.creds?.password ?? split.password;
    if (ctx.creds?.bearerToken) headers.authorization = `Bearer ${ctx.creds.bearerToken}`;
    else if (username !== undefined || password !== undefined) {
      // Basic auth up front: one round trip fewer than waiting for the 401 challenge.
      headers.authorization = `Basic ${Buffer.from(`${username ?? ""}:${password ?? ""}`).toString("base64")}`;
    }
    return { url: split.url, headers };
  }

  private fail(ctx: RemoteContext, op: string, err: unknown): never {
    const e = err as { code?: string; data?: { statusCode?: number }; message?: string };
    const status = e.data?.statusCode;
    const hint = status === 401 || status === 403 ? "authentication failed (check the repository credentials): " : status === 404 ? "repository not found: " : "";
    throw new GitError(redactUrl(ctx.repoURL), redact(`git ${op} failed for repository ${redactUrl(ctx.repoURL)}: ${hint}${e.message ?? String(err)}`), { cause: err });
  }

  async lsRemote(ctx: RemoteContext): Promise<RemoteRefs> {
    const a = this.auth(ctx);
    let refs: Awaited<ReturnType<typeof git.listServerRefs>>;
    try {
      refs = await git.listServerRefs({ http, url: a.url, headers: a.headers, protocolVersion: 2, symrefs: true, peelTags: true });
    } catch (err) {
      this.fail(ctx, "ls-remote", err);
    }
    const out: RemoteRefs = { refs: new Map() };
    for (const r of refs) {
      if (r.ref === "HEAD") {
        out.head = r.oid;
        if (r.target) out.headRef = r.target;
      } else out.refs.set(r.ref, r.peeled ?? r.oid);
    }
    return out;
  }

  async fetch(ctx: RemoteContext, req: FetchRequest): Promise<void> {
    const a = this.auth(ctx);
    const refs = req.refspecs.length > 0 ? req.refspecs : [undefined];
    // isomorphic-git maps fetched refs through remote.origin.fetch; in a bare mirror-like cache
    // they land on the same names as on the server.
    await git.setConfig({ fs, gitdir: ctx.gitDir, path: "remote.origin.url", value: a.url });
    await git.setConfig({ fs, gitdir: ctx.gitDir, path: "remote.origin.fetch", value: "+refs/heads/*:refs/heads/*" });
    for (const spec of refs) {
      // isomorphic-git fetches by ref name only; a SHA or a glob refspec means "everything".
      const ref = spec?.replace(/^\+/, "").split(":")[0];
      const single = ref !== undefined && ref.startsWith("refs/") && !ref.includes("*");
      try {
        await git.fetch({
          fs,
          http,
          gitdir: ctx.gitDir,
          url: a.url,
          remote: "origin",
          headers: a.headers,
          ...(single ? { ref, singleBranch: true } : { singleBranch: false }),
          ...(req.depth !== undefined ? { depth: req.depth } : {}),
          tags: req.tags ?? false,
        });
      } catch (err) {
        this.fail(ctx, "fetch", err);
      }
    }
  }
}
