// Runs the git CLI: argv arrays only (no shell), a timeout, an output cap, no terminal prompts,
// and stderr redacted before it can end up in an error message.
import { spawn } from "node:child_process";
import { redact, redactUrl } from "../runtime/redact.js";
import { GitError } from "./types.js";

export interface RunGitOptions {
  /** The repository the command works on, for error messages (redacted before use). */
  repoURL: string;
  cwd?: string;
  /** Extra environment (credentials, config) on top of the base environment. */
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Cap on captured stdout; exceeding it fails the command. */
  maxOutputBytes?: number;
  signal?: AbortSignal;
  input?: string | Buffer;
}

export interface RunGitResult {
  stdout: Buffer;
  stderr: string;
}

export const DEFAULT_GIT_TIMEOUT_MS = 90_000;
export const DEFAULT_MAX_OUTPUT_BYTES = 256 << 20;
const MAX_STDERR = 64 << 10;

/**
 * The base environment for every git process: no prompts (a missing credential fails instead of
 * hanging), no credential helpers from the host, C locale so error text is predictable.
 */
export function baseGitEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    // Inherited git/ssh overrides could redirect the command or prompt; ours are set per call.
    if (v === undefined || k.startsWith("GIT_") || k === "SSH_ASKPASS") continue;
    env[k] = v;
  }
  env.GIT_TERMINAL_PROMPT = "0";
  env.GCM_INTERACTIVE = "never";
  env.LC_ALL = "C";
  env.GIT_SSH_COMMAND = "ssh -o BatchMode=yes";
  return env;
}

/** `git <args>`: resolves with stdout, or rejects with a GitError carrying redacted stderr. */
export function runGit(args: readonly string[], opts: RunGitOptions): Promise<RunGitResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_GIT_TIMEOUT_MS;
  const maxOut = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(new GitError(redactUrl(opts.repoURL), `git ${args[0] ?? ""} for ${redactUrl(opts.repoURL)} was cancelled`));
      return;
    }
    const child = spawn("git", args, {
      cwd: opts.cwd,
      env: { ...baseGitEnv(), ...opts.env },
      stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    const chunks: Buffer[] = [];
    let size = 0;
    let stderr = "";
    let failure: string | undefined;
    const kill = (why: string): void => {
      failure ??= why;
      child.kill("SIGKILL");
    };
    const timer = setTimeout(() => kill(`timed out after ${timeoutMs} ms`), timeoutMs);
    const onAbort = (): void => kill("was cancelled");
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    child.stdout?.on("data", (d: Buffer) => {
      size += d.length;
      if (size > maxOut) kill(`produced more than ${maxOut} bytes of output`);
      else chunks.push(d);
    });
    child.stderr?.on("data", (d: Buffer) => {
      if (stderr.length < MAX_STDERR) stderr += d.toString("utf8");
    });
    if (opts.input !== undefined && child.stdin) {
      child.stdin.on("error", () => undefined);
      child.stdin.end(opts.input);
    }
    const finish = (err: GitError | undefined): void => {
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
      if (err) reject(err);
      else resolve({ stdout: Buffer.concat(chunks), stderr });
    };
    child.on("error", (e) => finish(new GitError(redactUrl(opts.repoURL), redact(`cannot run git: ${e.message}`), { cause: e })));
    child.on("close", (code, sig) => {
      if (failure) return finish(new GitError(redactUrl(opts.repoURL), redact(`git ${args[0] ?? ""} for ${redactUrl(opts.repoURL)} ${failure}`)));
      if (code === 0) return finish(undefined);
      finish(new GitError(redactUrl(opts.repoURL), describeFailure(args[0] ?? "", opts.repoURL, stderr, code, sig)));
    });
  });
}

/** A readable, redacted message; known failure modes get a hint in front of git's own text. */
export function describeFailure(sub: string, repoURL: string, stderr: string, code: number | null, sig: NodeJS.Signals | null): string {
  const text = stderr.trim().split("\n").filter((l) => l.trim()).slice(-6).join("; ");
  let hint = "";
  if (/Authentication failed|could not read Username|could not read Password|HTTP Basic: Access denied|401|403 Forbidden|Permission denied \(publickey/i.test(stderr)) {
    hint = "authentication failed (check the repository credentials): ";
  } else if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/i.test(stderr)) {
    hint = "ssh host key verification failed (add the host's key to argocd-ssh-known-hosts-cm, or mark the repository insecure): ";
  } else if (/SSL certificate problem|server certificate verification failed|unable to get local issuer certificate|self[- ]signed certificate/i.test(stderr)) {
    hint = "TLS certificate verification failed (add the server's CA to argocd-tls-certs-cm, or mark the repository insecure): ";
  } else if (sub === "lfs" && /object not found|Object does not exist|\[404\]/i.test(stderr)) {
    hint = "Git LFS objects missing on the server: ";
  } else if (/repository .*not found|repository not found|does not appear to be a git repository|returned error: 404/i.test(stderr)) {
    hint = "repository not found: ";
  } else if (/Could not resolve host|Connection refused|Failed to connect|Connection timed out/i.test(stderr)) {
    hint = "repository unreachable: ";
  }
  const status = code !== null ? `exit ${code}` : `signal ${sig ?? "?"}`;
  return redact(`git ${sub} failed for repository ${redactUrl(repoURL)}: ${hint}${text || status}`);
}
