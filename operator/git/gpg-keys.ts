// GnuPG public keys as Argo's GPG key service shows them (key ID, fingerprint, owner, trust,
// sub-type, ASCII-armoured data), read with the real gpg in a throw-away home so the host's
// keyring never mixes in. A key gpg cannot import is refused with gpg's own reason; a private key
// is refused before gpg sees it (argocd-gpg-keys-cm is for public keys only).
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { redact } from "../runtime/redact.js";

export interface GpgPublicKey {
  /** The long key ID: the last 16 hex digits of the fingerprint, upper case (argocd-gpg-keys-cm's key). */
  keyID: string;
  fingerprint: string;
  /** The first user ID, e.g. "Jane Doe <jane@example.com>". */
  owner: string;
  trust: string;
  /** Algorithm and size, e.g. "rsa4096", "ed25519". */
  subType: string;
  /** This key alone, ASCII-armoured. */
  keyData: string;
}

/** The key data is not a usable public key; the message says why. */
export class GpgKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GpgKeyError";
  }
}

const VALIDITY: Record<string, string> = { o: "unknown", "-": "unknown", q: "undefined", n: "never", m: "marginal", f: "full", u: "ultimate", r: "revoked", e: "expired", i: "invalid" };
const ALGORITHMS: Record<string, string> = { 1: "rsa", 2: "rsa", 3: "rsa", 16: "elg", 17: "dsa", 18: "ecdh", 19: "ecdsa", 22: "eddsa" };

/**
 * The primary keys of `gpg --with-colons --fixed-list-mode --with-fingerprint --list-keys` output,
 * without key data (pure; the fields are described in gnupg's doc/DETAILS).
 */
export function parseColonListing(text: string): Array<Omit<GpgPublicKey, "keyData">> {
  const out: Array<Omit<GpgPublicKey, "keyData">> = [];
  let current: Omit<GpgPublicKey, "keyData"> | undefined;
  let wantFingerprint = false;
  for (const line of text.split("\n")) {
    const f = line.split(":");
    switch (f[0]) {
      case "pub": {
        const curve = f[16] ?? "";
        const algo = ALGORITHMS[f[3] ?? ""] ?? `algo${f[3] ?? "?"}`;
        current = { keyID: (f[4] ?? "").toUpperCase(), fingerprint: "", owner: "", trust: VALIDITY[f[1] ?? ""] ?? "unknown", subType: curve || `${algo}${f[2] ?? ""}` };
        out.push(current);
        wantFingerprint = true;
        break;
      }
      case "sub":
        wantFingerprint = false;
        break;
      case "fpr":
        if (current && wantFingerprint) current.fingerprint = (f[9] ?? "").toUpperCase();
        wantFingerprint = false;
        break;
      case "uid":
        if (current && !current.owner) current.owner = unescapeColons(f[9] ?? "");
        break;
      default:
        break;
    }
  }
  return out;
}

/** gpg writes a colon inside a field as \x3a. */
function unescapeColons(s: string): string {
  return s.replace(/\\x([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
}

function gpg(home: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("gpg", ["--batch", "--no-tty", "--homedir", home, ...args], { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, LC_ALL: "C" } }, (err, stdout, stderr) => {
      if (err) reject(new Error(redact(String(stderr).trim().split("\n").filter((l) => !/^gpg: (keybox|.*trustdb)/.test(l)).join("; ") || err.message)));
      else resolve(String(stdout));
    });
  });
}

/**
 * The public keys in `armoured` (one or more ASCII-armoured public key blocks), each with its own
 * armoured export. Throws GpgKeyError for a private key, data gpg cannot import, or no key at all.
 */
export async function readPublicKeys(armoured: string, opts: { timeoutMs?: number } = {}): Promise<GpgPublicKey[]> {
  if (/-----BEGIN PGP PRIVATE KEY BLOCK-----/.test(armoured)) throw new GpgKeyError("keyData holds a private key; only public keys may be added");
  if (!/-----BEGIN PGP PUBLIC KEY BLOCK-----/.test(armoured)) throw new GpgKeyError("keyData is not an ASCII-armoured public key (no \"-----BEGIN PGP PUBLIC KEY BLOCK-----\" line)");
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const home = await mkdtemp(join(tmpdir(), "hawser-gpgkeys-"));
  try {
    const file = join(home, "import.asc");
    await writeFile(file, armoured, { mode: 0o600 });
    try {
      await gpg(home, ["--import", file], timeoutMs);
    } catch (err) {
      throw new GpgKeyError(`keyData could not be imported by gpg: ${err instanceof Error ? err.message : String(err)}`);
    }
    const keys = parseColonListing(await gpg(home, ["--with-colons", "--fixed-list-mode", "--with-fingerprint", "--list-keys"], timeoutMs));
    if (keys.length === 0) throw new GpgKeyError("keyData holds no public key gpg could read");
    const out: GpgPublicKey[] = [];
    for (const k of keys) out.push({ ...k, keyData: await gpg(home, ["--armor", "--export", k.fingerprint || k.keyID], timeoutMs) });
    return out;
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}
