// Real GnuPG keys and signed commits for tests: a throw-away GnuPG home, keys made with
// `gpg --quick-gen-key` (no passphrase), commits signed with `git commit -S` in a local repository.
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function run(cmd: string, args: string[], env: Record<string, string>, cwd?: string): Promise<string> {
  return new Promise((ok, fail) => {
    execFile(cmd, args, { cwd, env: { ...process.env, GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1", LC_ALL: "C", ...env } }, (err, stdout, stderr) => {
      if (err) fail(new Error(`${cmd} ${args.join(" ")}: ${stderr.trim() || err.message}`));
      else ok(stdout.trim());
    });
  });
}

export interface TestKey { fpr: string; keyID: string; armoured: string }

/** A GnuPG home holding secret keys to sign with, and a local repository to commit in. */
export class SigningFixture {
  private constructor(readonly home: string, readonly repo: string) {}

  static async create(): Promise<SigningFixture> {
    const home = await mkdtemp(join(tmpdir(), "hawser-gpg-test-"));
    const repo = await mkdtemp(join(tmpdir(), "hawser-gpg-repo-"));
    await run("git", ["init", "-q", "-b", "main"], {}, repo);
    return new SigningFixture(home, repo);
  }

  async key(name: string): Promise<TestKey> {
    const env = { GNUPGHOME: this.home };
    await run("gpg", ["--batch", "--passphrase", "", "--quick-gen-key", `${name} <${name}@hawser.invalid>`, "ed25519", "sign", "never"], env);
    const colons = await run("gpg", ["--batch", "--with-colons", "--list-keys", `${name}@hawser.invalid`], env);
    const fpr = colons.split("\n").find((l) => l.startsWith("fpr:"))?.split(":")[9] ?? "";
    return { fpr, keyID: fpr.slice(-16), armoured: await run("gpg", ["--batch", "--armor", "--export", fpr], env) };
  }

  /** Commits a change, signed by `key` or unsigned; resolves to the sha. */
  async commit(content: string, key?: TestKey): Promise<string> {
    await writeFile(join(this.repo, "file.txt"), content);
    const sign = key ? ["-c", `user.signingkey=${key.fpr}`, "-c", "gpg.program=gpg"] : [];
    await run("git", ["add", "-A"], {}, this.repo);
    await run("git", ["-c", "user.name=t", "-c", "user.email=t@hawser.invalid", ...sign, "commit", "-q", ...(key ? ["-S"] : ["--no-gpg-sign"]), "-m", content], { GNUPGHOME: this.home }, this.repo);
    return run("git", ["rev-parse", "HEAD"], {}, this.repo);
  }

  async cleanup(): Promise<void> {
    await rm(this.home, { recursive: true, force: true });
    await rm(this.repo, { recursive: true, force: true });
  }
}
