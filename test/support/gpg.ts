// Real GnuPG keys and signed commits for tests: a throw-away GnuPG home, keys made with
// `gpg --quick-gen-key` (no passphrase), commits signed with `git commit -S` in a local repository.
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";
import { stringify } from "yaml";
import type { GitServer } from "./git-server.js";

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

/**
 * Two keys ("allowed", meant for a project's signatureKeys, and "other", trusted only by
 * argocd-gpg-keys-cm) and a clone of a loopback repository holding one ConfigMap, for e2e tests.
 */
export interface SignedRepo {
  allowed: TestKey;
  other: TestKey;
  /** Pushes a commit setting the ConfigMap's value, signed by `key` (or unsigned); resolves to its sha. */
  push: (value: string, key?: TestKey) => Promise<string>;
  /** Removes the GnuPG home and the clone. */
  cleanup: () => Promise<void>;
}

/** A ConfigMap named `name` with `data.value`, as the repository's `app/cm.yaml`. */
export function configMapYaml(value: string, name = "signed"): string {
  return stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data: { value } });
}

/** Creates repository `repo` on `git` with `app/cm.yaml` = configMapYaml("initial"), two keys and a clone to push from. */
export async function signedRepo(git: GitServer, repo: string): Promise<SignedRepo> {
  const home = await mkdtemp(join(tmpdir(), "hawser-test-gpg-"));
  const work = await mkdtemp(join(tmpdir(), "hawser-test-gpg-work-"));
  const gnupg = { GNUPGHOME: home };
  const makeKey = async (name: string): Promise<TestKey> => {
    await run("gpg", ["--batch", "--passphrase", "", "--quick-gen-key", `${name} <${name}@hawser.invalid>`, "ed25519", "sign", "never"], gnupg);
    const colons = await run("gpg", ["--batch", "--with-colons", "--list-keys", `${name}@hawser.invalid`], gnupg);
    const fpr = colons.split("\n").find((l) => l.startsWith("fpr:"))?.split(":")[9] ?? "";
    assert.match(fpr, /^[0-9A-F]{40}$/, `fingerprint of ${name}'s key`);
    return { fpr, keyID: fpr.slice(-16), armoured: await run("gpg", ["--batch", "--armor", "--export", fpr], gnupg) };
  };
  const allowed = await makeKey("allowed");
  const other = await makeKey("other");
  await git.createRepo(repo, { "app/cm.yaml": configMapYaml("initial") });
  await run("git", ["clone", "--quiet", git.baseUrl(repo), work], gnupg);
  return {
    allowed,
    other,
    push: async (value, key) => {
      await writeFile(join(work, "app/cm.yaml"), configMapYaml(value));
      const sign = key ? ["-c", `user.signingkey=${key.fpr}`, "-c", "gpg.program=gpg"] : [];
      await run("git", ["-c", "user.name=Hawser Test", "-c", "user.email=test@hawser.invalid", ...sign, "commit", "--quiet", "-a", ...(key ? ["-S"] : ["--no-gpg-sign"]), "-m", value], gnupg, work);
      await run("git", ["push", "--quiet", "origin", "HEAD:main"], gnupg, work);
      return run("git", ["rev-parse", "HEAD"], gnupg, work);
    },
    cleanup: async () => {
      await Promise.all([rm(home, { recursive: true, force: true }), rm(work, { recursive: true, force: true })]);
    },
  };
}
