// GPG commit verification, the I/O half: a private GnuPG home per operator process holding only
// the public keys of argocd-gpg-keys-cm (key ID → ASCII-armoured key), so no key from the host's
// keyring can make a commit look trusted. A changed ConfigMap gets a fresh home (keys removed from
// the ConfigMap must stop verifying); the old one is removed a little later, once verifications
// that started with it are done. The decision itself is pure: operator/engine/gpg.ts.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { redact } from "../runtime/redact.js";
import { errorFirstLine } from "../util/index.js";

export interface GpgKeyringOptions {
  /** Where homes are created. Default: the OS temp directory (short paths suit gpg's sockets). */
  baseDir?: string;
  /** Timeout of each gpg command. Default 30 s. */
  timeoutMs?: number;
  /** How long a replaced home stays for verifications still using it. Default 60 s. */
  retireAfterMs?: number;
}

/** The keys' ConfigMap could not be turned into a keyring: nothing verifies until it is fixed. */
export class GpgKeyringError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GpgKeyringError";
  }
}

export class GpgKeyring {
  private current: { hash: string; home: Promise<string> } | undefined;
  private readonly all = new Set<string>();
  private closed = false;

  constructor(private readonly opts: GpgKeyringOptions = {}) {}

  /** A GnuPG home holding exactly `keys` (argocd-gpg-keys-cm's data), imported once per content. */
  home(keys: Readonly<Record<string, string>>): Promise<string> {
    if (this.closed) return Promise.reject(new GpgKeyringError("the GnuPG keyring is closed"));
    const hash = contentHash(keys);
    if (this.current?.hash === hash) return this.current.home;
    const previous = this.current;
    const home = this.build(keys);
    this.current = { hash, home };
    // A failed import is not cached: the next call with the same data tries again.
    home.catch(() => { if (this.current?.home === home) this.current = undefined; });
    if (previous) void previous.home.then((dir) => this.retire(dir), () => undefined);
    return home;
  }

  /** Removes every home this keyring made. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.all].map((d) => removeHome(d)));
    this.all.clear();
  }

  private async build(keys: Readonly<Record<string, string>>): Promise<string> {
    const dir = await mkdtemp(join(this.opts.baseDir ?? tmpdir(), "hawser-gnupg-"));
    this.all.add(dir);
    try {
      for (const [id, armoured] of Object.entries(keys).sort(([a], [b]) => a.localeCompare(b))) {
        const file = join(dir, "import.asc");
        await writeFile(file, armoured, { mode: 0o600 });
        try {
          await this.gpg(dir, ["--import", file]);
        } catch (err) {
          throw new GpgKeyringError(`argocd-gpg-keys-cm: key ${JSON.stringify(id)} could not be imported: ${errorFirstLine(err)}`);
        } finally {
          await rm(file, { force: true });
        }
      }
      return dir;
    } catch (err) {
      this.all.delete(dir);
      await removeHome(dir);
      throw err;
    }
  }

  private retire(dir: string): void {
    const t = setTimeout(() => {
      this.all.delete(dir);
      void removeHome(dir);
    }, this.opts.retireAfterMs ?? 60_000);
    t.unref();
  }

  private gpg(home: string, args: string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      // --no-autostart: importing public keys needs no agent, and one started here would outlive its home.
      execFile("gpg", ["--batch", "--no-tty", "--quiet", "--no-autostart", "--homedir", home, ...args], { timeout: this.opts.timeoutMs ?? 30_000, env: { ...process.env, LC_ALL: "C" } }, (err, _stdout, stderr) => {
        if (err) reject(new Error(redact(String(stderr).trim() || err.message)));
        else resolve();
      });
    });
  }
}

/** Stops any agent or dirmngr a verification started in `dir` (they outlive it otherwise), then removes it. */
async function removeHome(dir: string): Promise<void> {
  await new Promise<void>((resolve) => {
    execFile("gpgconf", ["--homedir", dir, "--kill", "all"], { timeout: 10_000 }, () => resolve());
  });
  await rm(dir, { recursive: true, force: true });
}

function contentHash(keys: Readonly<Record<string, string>>): string {
  const h = createHash("sha256");
  for (const [k, v] of Object.entries(keys).sort(([a], [b]) => a.localeCompare(b))) h.update(`${k}\0${v}\0`);
  return h.digest("hex");
}
