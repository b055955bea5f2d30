// Turns repository credentials into an environment for one git CLI invocation, so that nothing
// secret is ever in argv (visible in `ps`) or in a URL (quoted back in git's error output):
//   - username/password: a GIT_ASKPASS helper script that prints them from environment variables;
//   - bearer token / forced basic auth: `http.extraHeader` through GIT_CONFIG_COUNT/KEY/VALUE;
//   - ssh key: a 0600 file in a private temp dir, used through GIT_SSH_COMMAND;
//   - TLS client cert/key: 0600 files, `http.sslCert` / `http.sslKey`;
//   - `insecure`: `http.sslVerify=false`, and for ssh `StrictHostKeyChecking=no`.
// Host keys for ssh: with a known_hosts file given (Argo's argocd-ssh-known-hosts-cm) checking is
// strict; without one, new hosts are accepted into the cache's own known_hosts (trust on first use)
// and a changed key is still refused. https servers with a CA in argocd-tls-certs-cm are verified
// against that CA only (`http.sslCAInfo`); a CA entry that cannot be used fails the command.
// Temporary files are removed by `cleanup()`.
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { RepoCredentials } from "./credentials.js";
import type { GitTrustSnapshot } from "./trust.js";
import { GitError } from "./types.js";
import { isSSHURL } from "./url.js";
import { redactUrl } from "../runtime/redact.js";

export interface CliAuth {
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

export interface CliAuthOptions {
  /** Directory for the askpass helper and per-call temp dirs (created 0700). */
  stateDir: string;
  /** Strict known_hosts file for ssh; when unset, `acceptNewKnownHosts` is used with accept-new. */
  knownHostsFile?: string;
  acceptNewKnownHosts: string;
  /** The ConfigMaps' trust files in force (known_hosts, per-server CAs); read at every call. */
  trust?: () => GitTrustSnapshot | undefined;
}

const ASKPASS = `#!/bin/sh
# Written by hawser: answers git's credential prompts from the environment of the git process.
case "$1" in
  Username*|username*) printf '%s\\n' "$HAWSER_GIT_USERNAME" ;;
  *) printf '%s\\n' "$HAWSER_GIT_PASSWORD" ;;
esac
`;

let askpassReady: Map<string, Promise<string>> = new Map();

async function askpassPath(stateDir: string): Promise<string> {
  let p = askpassReady.get(stateDir);
  if (!p) {
    p = (async () => {
      await mkdir(stateDir, { recursive: true, mode: 0o700 });
      const path = join(stateDir, "askpass.sh");
      // Always rewritten: a stale or tampered helper from an earlier run is never trusted.
      await writeFile(path, ASKPASS, { mode: 0o700 });
      await chmod(path, 0o700);
      return path;
    })();
    askpassReady.set(stateDir, p);
    p.catch(() => askpassReady.delete(stateDir));
  }
  return p;
}

/** For tests: forget the written helpers. */
export function resetAskpassCache(): void {
  askpassReady = new Map();
}

/**
 * The CA bundle for an https URL's server from argocd-tls-certs-cm, undefined for the system CAs.
 * Throws when the server's entry is unusable: falling back to the system CAs would trust more
 * than the user configured.
 */
export function caFileFor(repoURL: string, trust: GitTrustSnapshot | undefined): string | undefined {
  if (!trust) return undefined;
  let host: string;
  try {
    host = new URL(repoURL).hostname;
  } catch {
    return undefined;
  }
  const ca = trust.caFor(host);
  if (ca && "error" in ca) throw new GitError(redactUrl(repoURL), `cannot verify the TLS certificate of repository ${redactUrl(repoURL)}: ${ca.error}`);
  return ca?.file;
}

/** Shell-quotes a path we generated ourselves (GIT_SSH_COMMAND is run by a shell). */
function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export async function cliAuthEnv(repoURL: string, creds: RepoCredentials | undefined, extra: { username?: string; password?: string }, opts: CliAuthOptions): Promise<CliAuth> {
  const env: Record<string, string> = {};
  const config: [string, string][] = [
    // Host credential helpers must not answer (or store) for us.
    ["credential.helper", ""],
  ];
  let tmp: string | undefined;
  const tempDir = async (): Promise<string> => {
    if (!tmp) {
      await mkdir(opts.stateDir, { recursive: true, mode: 0o700 });
      tmp = await mkdtemp(join(opts.stateDir, "auth-"));
      await chmod(tmp, 0o700);
    }
    return tmp;
  };
  const secretFile = async (name: string, content: string): Promise<string> => {
    const path = join(await tempDir(), name);
    await writeFile(path, content.endsWith("\n") ? content : `${content}\n`, { mode: 0o600 });
    return path;
  };

  const username = creds?.username ?? extra.username;
  const password = creds?.password ?? extra.password;
  const ssh = isSSHURL(repoURL);
  const trust = opts.trust?.();
  if (!ssh) {
    const ca = caFileFor(repoURL, trust);
    if (ca) config.push(["http.sslCAInfo", ca]);
    if (creds?.bearerToken) {
      config.push(["http.extraHeader", `Authorization: Bearer ${creds.bearerToken}`]);
    } else if (username !== undefined || password !== undefined) {
      env.GIT_ASKPASS = await askpassPath(opts.stateDir);
      env.HAWSER_GIT_USERNAME = username ?? "";
      env.HAWSER_GIT_PASSWORD = password ?? "";
      if (creds?.forceHttpBasicAuth) {
        const basic = Buffer.from(`${username ?? ""}:${password ?? ""}`).toString("base64");
        config.push(["http.extraHeader", `Authorization: Basic ${basic}`]);
      }
    }
    if (creds?.tlsClientCertData && creds.tlsClientCertKey) {
      config.push(["http.sslCert", await secretFile("client.crt", creds.tlsClientCertData)]);
      config.push(["http.sslKey", await secretFile("client.key", creds.tlsClientCertKey)]);
    }
    if (creds?.insecure) config.push(["http.sslVerify", "false"]);
    if (creds?.proxy) config.push(["http.proxy", creds.proxy]);
    if (creds?.noProxy) {
      env.NO_PROXY = creds.noProxy;
      env.no_proxy = creds.noProxy;
    }
  } else {
    const parts = ["ssh", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes"];
    if (creds?.sshPrivateKey) parts.push("-i", shq(await secretFile("id_key", creds.sshPrivateKey)));
    if (creds?.insecure || creds?.insecureIgnoreHostKey) {
      parts.push("-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null");
    } else if (opts.knownHostsFile ?? trust?.knownHostsFile) {
      // GlobalKnownHostsFile too: the host's /etc/ssh/ssh_known_hosts must not add trust.
      const file = shq((opts.knownHostsFile ?? trust?.knownHostsFile)!);
      parts.push("-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${file}`, "-o", "GlobalKnownHostsFile=/dev/null");
    } else {
      parts.push("-o", "StrictHostKeyChecking=accept-new", "-o", `UserKnownHostsFile=${shq(opts.acceptNewKnownHosts)}`);
    }
    if (creds?.proxy) {
      // ssh through an HTTP CONNECT proxy is not supported by OpenSSH without a helper; Argo
      // only applies `proxy` to https as well.
    }
    env.GIT_SSH_COMMAND = parts.join(" ");
    env.GIT_SSH_VARIANT = "ssh";
  }
  config.forEach(([k, v], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = k;
    env[`GIT_CONFIG_VALUE_${i}`] = v;
  });
  env.GIT_CONFIG_COUNT = String(config.length);
  return {
    env,
    cleanup: async () => {
      if (tmp) await rm(tmp, { recursive: true, force: true });
    },
  };
}
