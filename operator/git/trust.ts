// Which git servers to trust: ssh host keys from argocd-ssh-known-hosts-cm (`ssh_known_hosts`) and
// custom CAs for https servers from argocd-tls-certs-cm (key = server name, value = PEM), as in
// Argo CD. The ConfigMaps are turned into files in one private directory per operator process,
// because ssh and git read trust from files. Each change is written to a new subdirectory and
// swapped in whole, so a git command that already started never reads a half-written file.
//
// Modes: with argocd-ssh-known-hosts-cm present, ssh host keys are checked strictly against it
// (an empty or missing `ssh_known_hosts` trusts no host); without it, a host is trusted on first
// use (RepoCache's own known_hosts). A malformed certificate for a server fails that server's
// fetches with an error naming the ConfigMap key, instead of falling back to the system CAs.
import { X509Certificate } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const SSH_KNOWN_HOSTS_CM = "argocd-ssh-known-hosts-cm";
export const SSH_KNOWN_HOSTS_KEY = "ssh_known_hosts";
export const TLS_CERTS_CM = "argocd-tls-certs-cm";

/** A known_hosts line type (`ssh-ed25519`, `ecdsa-sha2-nistp256`, `sk-…@openssh.com`, certificates). */
const KEY_TYPE = /^(ssh-[a-z0-9-]+|ecdsa-sha2-[a-z0-9-]+|sk-[a-z0-9-]+@openssh\.com|[a-z0-9-]+-cert-v01@openssh\.com)$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** DNS name or IPv4 address, or an IPv6 address: what can be a URL's host and a file name. */
const SERVER_NAME = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|[0-9a-f:]+)$/;
const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

export interface KnownHosts {
  /** The valid lines, one per line, ready for ssh's UserKnownHostsFile. */
  content: string;
  /** Number of host key entries kept. */
  entries: number;
  /** One message per dropped line (line number and why; host keys are public, but kept out anyway). */
  errors: string[];
}

/** Pure: argocd-ssh-known-hosts-cm's data → the known_hosts content ssh is given. */
export function parseKnownHosts(data: Readonly<Record<string, string>> | undefined): KnownHosts {
  const text = data?.[SSH_KNOWN_HOSTS_KEY] ?? "";
  const kept: string[] = [];
  const errors: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const fields = line.split(/\s+/);
    // An optional marker (@cert-authority, @revoked) comes before the host patterns.
    const rest = fields[0]!.startsWith("@") ? fields.slice(1) : fields;
    const why = fields[0]!.startsWith("@") && !["@cert-authority", "@revoked"].includes(fields[0]!)
      ? `unknown marker ${fields[0]}`
      : rest.length < 3 ? "expected host patterns, a key type and a base64 key"
        : !KEY_TYPE.test(rest[1]!) ? `unknown key type ${JSON.stringify(rest[1]!.slice(0, 40))}`
          : !BASE64.test(rest[2]!) ? "the key is not base64" : undefined;
    if (why) errors.push(`${SSH_KNOWN_HOSTS_CM} ${SSH_KNOWN_HOSTS_KEY} line ${i + 1} ignored: ${why}`);
    else kept.push(line);
  });
  return { content: kept.length > 0 ? `${kept.join("\n")}\n` : "", entries: kept.length, errors };
}

export type CaBundle = { pem: string } | { error: string };

/** Pure: argocd-tls-certs-cm's data → per server name (lower case), its CA bundle or why it has none. */
export function parseTlsCerts(data: Readonly<Record<string, string>> | undefined): Map<string, CaBundle> {
  const out = new Map<string, CaBundle>();
  for (const [key, value] of Object.entries(data ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    const name = key.toLowerCase();
    const where = `${TLS_CERTS_CM} key ${JSON.stringify(key)}`;
    if (!SERVER_NAME.test(name)) {
      // Not a usable host: reported, and matches no repository anyway.
      out.set(name, { error: `${where} is not a server name (a host name or IP address without scheme or port)` });
      continue;
    }
    const blocks = value.match(PEM_CERT) ?? [];
    if (blocks.length === 0) {
      out.set(name, { error: `${where} holds no PEM certificate (-----BEGIN CERTIFICATE-----)` });
      continue;
    }
    const bad = blocks.findIndex((b) => !isCertificate(b));
    out.set(name, bad >= 0 ? { error: `${where}: certificate ${bad + 1} of ${blocks.length} cannot be parsed` } : { pem: `${blocks.join("\n")}\n` });
  }
  return out;
}

function isCertificate(pem: string): boolean {
  try {
    new X509Certificate(pem);
    return true;
  } catch {
    return false;
  }
}

/** The files in force at one moment; git commands started now use these. */
export interface GitTrustSnapshot {
  /** Strict known_hosts file; undefined when argocd-ssh-known-hosts-cm is absent (trust on first use). */
  knownHostsFile?: string;
  /** The CA bundle file for an https server (by host name), why it cannot be used, or undefined for the system CAs. */
  caFor(host: string): { file: string } | { error: string } | undefined;
}

export interface GitTrustUpdate {
  /** argocd-ssh-known-hosts-cm's data, or undefined when the ConfigMap does not exist. */
  knownHosts: Readonly<Record<string, string>> | undefined;
  /** argocd-tls-certs-cm's data, or undefined when the ConfigMap does not exist. */
  tlsCerts: Readonly<Record<string, string>> | undefined;
}

export interface GitTrustReport {
  strictHostKeys: boolean;
  knownHostEntries: number;
  caServers: string[];
  /** Problems with the ConfigMaps' content, for the log. */
  errors: string[];
}

/** Writes the trust files into one private directory and hands out the current snapshot. */
export class GitTrustFiles {
  private dir: Promise<string> | undefined;
  private snapshot: GitTrustSnapshot | undefined;
  private generation = 0;
  private chain: Promise<unknown> = Promise.resolve();
  /** The last two generations' directories: the current one and the one before it. */
  private recent: string[] = [];

  constructor(private readonly opts: { baseDir?: string } = {}) {}

  /** The files in force, or undefined before the first update (callers then use their defaults). */
  current(): GitTrustSnapshot | undefined {
    return this.snapshot;
  }

  /** Writes files for the ConfigMaps' content and makes them current. Updates apply in call order. */
  update(u: GitTrustUpdate): Promise<GitTrustReport> {
    const next = this.chain.then(() => this.write(u));
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Removes the directory. */
  async close(): Promise<void> {
    await this.chain;
    const dir = await this.dir?.catch(() => undefined);
    this.snapshot = undefined;
    if (dir) await rm(dir, { recursive: true, force: true });
  }

  private root(): Promise<string> {
    this.dir ??= mkdtemp(join(this.opts.baseDir ?? tmpdir(), "hawser-git-trust-"));
    return this.dir;
  }

  private async write(u: GitTrustUpdate): Promise<GitTrustReport> {
    const root = await this.root();
    // A fresh directory per generation: a running git never sees a file change under it.
    const gen = join(root, String(++this.generation));
    await mkdir(gen, { mode: 0o700 });
    const errors: string[] = [];
    let knownHostsFile: string | undefined;
    let entries = 0;
    if (u.knownHosts !== undefined) {
      const kh = parseKnownHosts(u.knownHosts);
      errors.push(...kh.errors);
      entries = kh.entries;
      knownHostsFile = join(gen, "ssh_known_hosts");
      await writeFile(knownHostsFile, kh.content, { mode: 0o644 });
    }
    const cas = new Map<string, { file: string } | { error: string }>();
    let tlsDir: string | undefined;
    for (const [name, bundle] of parseTlsCerts(u.tlsCerts)) {
      if ("error" in bundle) {
        errors.push(bundle.error);
        cas.set(name, bundle);
        continue;
      }
      if (!tlsDir) {
        tlsDir = join(gen, "tls");
        await mkdir(tlsDir, { mode: 0o700 });
      }
      const file = join(tlsDir, `${name.replaceAll(":", "_")}.pem`);
      await writeFile(file, bundle.pem, { mode: 0o644 });
      cas.set(name, { file });
    }
    this.snapshot = {
      ...(knownHostsFile !== undefined ? { knownHostsFile } : {}),
      caFor: (host) => cas.get(host.toLowerCase().replace(/^\[|\]$/g, "")),
    };
    // The one before it may still be read by a command that started just now; older ones not
    // (ssh and git read these files when they connect).
    this.recent.push(gen);
    while (this.recent.length > 2) await rm(this.recent.shift()!, { recursive: true, force: true });
    return { strictHostKeys: knownHostsFile !== undefined, knownHostEntries: entries, caServers: [...cas].filter(([, b]) => "file" in b).map(([n]) => n), errors };
  }
}
