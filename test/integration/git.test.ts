// The repository cache against real git servers: the loopback smart-HTTP server (with basic auth
// and pushes) for both transports, and an OpenSSH server on 127.0.0.1 for ssh keys when one can be
// started on this machine.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { lstat, mkdir, mkdtemp, readFile, readlink, rm, symlink, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { generatePki } from "../../operator/devcluster/pki.js";
import { credentialProviderFromSecrets, type SecretLike } from "../../operator/git/credentials.js";
import { RepoCache, type GitOperationEvent, type RepoCacheOptions } from "../../operator/git/repo-cache.js";
import { GitTrustFiles } from "../../operator/git/trust.js";
import { GitError } from "../../operator/git/types.js";
import { eventually } from "../support/eventually.js";
import { fromDir, startGitServer, type GitServer } from "../support/git-server.js";

const run = promisify(execFile);
const GIT_ENV = { ...process.env, GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1", GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t" };

let server: GitServer;
let base: string;
const shas: Record<string, string> = {};
const caches: RepoCache[] = [];

function newCache(name: string, opts: RepoCacheOptions = {}): { cache: RepoCache; events: GitOperationEvent[] } {
  const events: GitOperationEvent[] = [];
  const cache = new RepoCache({ baseDir: join(base, name), onOperation: (e) => events.push(e), ...opts });
  caches.push(cache);
  return { cache, events };
}

before(async () => {
  base = await mkdtemp(join(tmpdir(), "hawser-git-it-"));
  server = await startGitServer();
  // Content with a directory tree, a symlink inside the repo, and an executable-free layout.
  const src = join(base, "src");
  await mkdir(join(src, "apps", "guestbook"), { recursive: true });
  await mkdir(join(src, "apps", "blog", "overlays", "prod"), { recursive: true });
  await mkdir(join(src, "clusters", "east"), { recursive: true });
  await writeFile(join(src, "apps", "guestbook", "deploy.yaml"), "kind: Deployment\nmetadata:\n  name: guestbook\n");
  await writeFile(join(src, "apps", "blog", "overlays", "prod", "kustomization.yaml"), "resources: []\n");
  await writeFile(join(src, "clusters", "east", "config.json"), '{"name":"east"}\n');
  await writeFile(join(src, "README.md"), "hello\n");
  shas.c1 = await server.createRepo("app", fromDir(src));
  shas.v1 = await server.tag("app", "v1.0.0");
  shas.c2 = await server.commitFiles("app", { "clusters/west/config.json": '{"name":"west"}\n' }, "add west");
  await server.tag("app", "v1.2.0");
  shas.c3 = await server.commitFiles("app", { "README.md": "hello again\n" }, "readme");
  await server.tag("app", "v2.0.0-rc.1");
  shas.feature = await server.commitFiles("app", { "feature.txt": "f\n" }, "feature", { branch: "feature" });
  // An annotated tag on c2 (ls-remote reports the tag object and its peeled commit).
  await run("git", ["tag", "-a", "release-1.5.0", "-m", "release", shas.c2], { cwd: join(server.root, "app.git"), env: GIT_ENV });
  // Symlinks (one inside the repo, one pointing out): pushed with the CLI, because copying a
  // directory into the test server's work tree would rewrite relative links.
  shas.links = await server.createRepo("links", { "target/a.yaml": "a: 1\n" });
  const work = join(base, "links-work");
  await run("git", ["clone", "--quiet", join(server.root, "links.git"), work], { env: GIT_ENV });
  await symlink("target/a.yaml", join(work, "inside.yaml"));
  await symlink("/etc/passwd", join(work, "outside.yaml"));
  await run("git", ["add", "-A"], { cwd: work, env: GIT_ENV });
  await run("git", ["commit", "--quiet", "-m", "links"], { cwd: work, env: GIT_ENV });
  await run("git", ["push", "--quiet", "origin", "HEAD:main"], { cwd: work, env: GIT_ENV });
  shas.links = (await run("git", ["rev-parse", "HEAD"], { cwd: work, env: GIT_ENV })).stdout.trim();
  // A private repository.
  shas.private = await server.createRepo("private", { "secret-app/cm.yaml": "kind: ConfigMap\n" }, { auth: { username: "alice", password: "correct-horse-battery" } });
});

after(async () => {
  for (const c of caches) c.close();
  await server.stop();
  await rm(base, { recursive: true, force: true });
});

for (const transport of ["git", "isomorphic-git"] as const) {
  describe(`transport ${transport}`, () => {
    test("resolves HEAD, branches, tags (annotated peeled), SHAs, short SHAs and semver constraints", async () => {
      const { cache } = newCache(`resolve-${transport}`, { transport });
      const url = server.baseUrl("app");
      assert.equal(await cache.resolveRevision(url, undefined), shas.c3);
      assert.equal(await cache.resolveRevision(url, "HEAD"), shas.c3);
      assert.equal(await cache.resolveRevision(url, "main"), shas.c3);
      assert.equal(await cache.resolveRevision(url, "feature"), shas.feature);
      assert.equal(await cache.resolveRevision(url, "v1.0.0"), shas.c1);
      assert.equal(await cache.resolveRevision(url, "release-1.5.0"), shas.c2, "annotated tag peeled to the commit");
      assert.equal(await cache.resolveRevision(url, "^1"), shas.c2, "v1.2.0 is the highest 1.x; rc excluded");
      assert.equal(await cache.resolveRevision(url, "1.0.*"), shas.c1);
      assert.equal(await cache.resolveRevision(url, ">=1.0.0 <2.0.0"), shas.c2);
      assert.equal(await cache.resolveRevision(url, "~1.5", { tagPrefix: "release-" }), shas.c2);
      assert.equal(await cache.resolveRevision(url, shas.c1), shas.c1, "full SHA of an older commit is fetched and verified");
      assert.equal(await cache.resolveRevision(url, shas.c2!.slice(0, 10)), shas.c2, "short SHA");
      await assert.rejects(cache.resolveRevision(url, "no-such-branch"), (err: unknown) => {
        assert.ok(err instanceof GitError, "err instanceof GitError");
        assert.match(err.message, /unable to resolve revision "no-such-branch" in repository http:\/\/127\.0\.0\.1:\d+\/app\.git/);
        return true;
      });
      await assert.rejects(cache.resolveRevision(url, "f".repeat(40)), /commit f{40} not found in repository http:\/\/127\.0\.0\.1/);
    });

    test("reads files and listings from the object database", async () => {
      const { cache, events } = newCache(`read-${transport}`, { transport });
      const url = server.baseUrl("app");
      const head = await cache.resolveRevision(url, "main");
      assert.deepEqual((await cache.listFiles(url, head, "clusters/*/config.json")).sort(), ["clusters/east/config.json", "clusters/west/config.json"]);
      assert.deepEqual(await cache.listFiles(url, head, "**/kustomization.yaml"), ["apps/blog/overlays/prod/kustomization.yaml"]);
      assert.deepEqual(await cache.listFiles(url, head, "apps/*.yaml"), []);
      assert.deepEqual(await cache.listFiles(url, head, "apps/*.yaml", { globbing: "pathspec" }), ["apps/blog/overlays/prod/kustomization.yaml", "apps/guestbook/deploy.yaml"]);
      assert.deepEqual(
        (await cache.listDirectories(url, head)).sort(),
        ["apps", "apps/blog", "apps/blog/overlays", "apps/blog/overlays/prod", "apps/guestbook", "clusters", "clusters/east", "clusters/west"],
      );
      assert.equal((await cache.readFile(url, head, "README.md")).toString(), "hello again\n");
      assert.equal((await cache.readFile(url, shas.c1!, "README.md")).toString(), "hello\n", "older commit fetched on demand");
      assert.equal((await cache.readFile(url, head, "./clusters/west/config.json")).toString(), '{"name":"west"}\n');
      await assert.rejects(cache.readFile(url, head, "missing.txt"), /file "missing.txt" not found at [0-9a-f]{40} in repository/);
      await assert.rejects(cache.readFile(url, head, "apps"), /is a tree, not a file/);
      await assert.rejects(cache.readFile(url, head, "../etc/passwd"), /paths must be relative and stay inside the repository/);
      await assert.rejects(cache.readFile(url, head, "a\nb"), /invalid path/);
      // A size limit is checked from git's header: the file is refused without being read.
      await assert.rejects(cache.readFile(url, head, "README.md", { maxBytes: 4 }), /file "README.md" is 12 bytes, larger than the 4-byte limit/);
      assert.equal((await cache.readFile(url, head, "README.md", { maxBytes: 12 })).toString(), "hello again\n", "at the limit is fine");
      assert.ok(events.some((e) => e.op === "fetch" && e.transport === transport), "events.some((e) => e.op === \"fetch\" && e.transport === transport)");
    });

    test("checkout writes the commit's tree once, keeps symlinks, and is shared", async () => {
      const { cache } = newCache(`checkout-${transport}`, { transport });
      const url = server.baseUrl("app");
      const co = await cache.checkout(url, shas.c1!);
      assert.equal(co.commit, shas.c1);
      assert.equal(await readFile(join(co.path, "README.md"), "utf8"), "hello\n");
      assert.equal(await readFile(join(co.path, "apps", "guestbook", "deploy.yaml"), "utf8"), "kind: Deployment\nmetadata:\n  name: guestbook\n");
      const links = await cache.checkout(server.baseUrl("links"), shas.links!);
      assert.ok((await lstat(join(links.path, "inside.yaml"))).isSymbolicLink(), "(await lstat(join(links.path, \"inside.yaml\"))).isSymbolicLink()");
      assert.equal(await readlink(join(links.path, "inside.yaml")), "target/a.yaml");
      assert.equal(await readlink(join(links.path, "outside.yaml")), "/etc/passwd", "kept as a link for the renderer to refuse");
      assert.equal(await readFile(join(links.path, "inside.yaml"), "utf8"), "a: 1\n");
      links.release();
      assert.equal(existsSync(join(co.path, "clusters", "west")), false, "content of that commit only");
      const again = await cache.checkout(url, shas.c1!);
      assert.equal(again.path, co.path);
      assert.equal(cache.stats.checkout, 2);
      co.release();
      again.release();
    });
  });
}

test("concurrent requests for one repo share one ls-remote, one fetch and one work tree", async () => {
  const { cache, events } = newCache("concurrent");
  const url = server.baseUrl("app");
  const resolved = await Promise.all(Array.from({ length: 20 }, () => cache.resolveRevision(url, "main")));
  assert.ok(resolved.every((s) => s === shas.c3), "resolved.every((s) => s === shas.c3)");
  assert.equal(cache.stats.lsRemote, 1, "one ls-remote for 20 concurrent resolves");
  const checkouts = await Promise.all(Array.from({ length: 10 }, () => cache.checkout(url, shas.c3!)));
  assert.equal(new Set(checkouts.map((c) => c.path)).size, 1);
  assert.equal(cache.stats.fetch, 1, "one fetch for 10 concurrent checkouts");
  assert.equal(events.filter((e) => e.op === "checkout").length, 1, "one tree written");
  for (const c of checkouts) assert.equal(await readFile(join(c.path, "README.md"), "utf8"), "hello again\n");
  // Reads of the same commit afterwards need no further remote work.
  await cache.listFiles(url, shas.c3!, "**");
  await cache.readFile(url, shas.c3!, "README.md");
  assert.equal(cache.stats.fetch, 1);
  for (const c of checkouts) c.release();
});

test("a push is seen after the ref TTL, or at once with force; unchanged refs cause no fetch", async () => {
  const { cache } = newCache("incremental", { refsTtlMs: 60_000 });
  await server.createRepo("moving", { "a.txt": "1\n" });
  const url = server.baseUrl("moving");
  const first = await cache.resolveRevision(url, "main");
  await cache.readFile(url, first, "a.txt");
  const fetchesBefore = cache.stats.fetch;
  const second = await server.commitFiles("moving", { "a.txt": "2\n" }, "two");
  assert.equal(await cache.resolveRevision(url, "main"), first, "within the TTL the cached listing answers");
  assert.equal(await cache.resolveRevision(url, "main", { force: true }), second, "force lists again");
  assert.equal((await cache.readFile(url, second, "a.txt")).toString(), "2\n");
  assert.equal(cache.stats.fetch, fetchesBefore + 1, "one incremental fetch for the new commit");
  // Same again without force, through a short TTL.
  const { cache: shortTtl } = newCache("incremental-ttl", { refsTtlMs: 200 });
  assert.equal(await shortTtl.resolveRevision(url, "main"), second);
  const fetches = shortTtl.stats.fetch;
  await shortTtl.readFile(url, second, "a.txt");
  const third = await server.commitFiles("moving", { "a.txt": "3\n" }, "three");
  await eventually(async () => assert.equal(await shortTtl.resolveRevision(url, "main"), third), { timeoutMs: 10_000 });
  const lsBefore = shortTtl.stats.lsRemote;
  await shortTtl.readFile(url, third, "a.txt");
  await shortTtl.readFile(url, third, "a.txt");
  assert.equal(shortTtl.stats.fetch, fetches + 2);
  assert.equal(shortTtl.stats.lsRemote, lsBefore, "reads at a known commit list nothing");
});

test("a branch pushed after the listing was cached is found at once: a name missing from the cached listing lists again", async () => {
  const { cache } = newCache("new-branch", { refsTtlMs: 60_000 });
  await server.createRepo("branching", { "a.txt": "1\n" });
  const url = server.baseUrl("branching");
  await cache.resolveRevision(url, "main");
  const lsBefore = cache.stats.lsRemote;
  const release = await server.commitFiles("branching", { "a.txt": "release\n" }, "release", { branch: "release" });
  assert.equal(await cache.resolveRevision(url, "release"), release, "the new branch resolves within the TTL");
  assert.equal(cache.stats.lsRemote, lsBefore + 1, "one more listing");
  await assert.rejects(cache.resolveRevision(url, "nope"), /unable to resolve revision "nope"/);
  assert.equal(cache.stats.lsRemote, lsBefore + 2, "a name that does not exist lists once more, then fails");
  assert.equal(await cache.resolveRevision(url, "main"), await server.revParse("branching", "main"), "a name in the listing uses the cache");
  assert.equal(cache.stats.lsRemote, lsBefore + 2, "no listing for a known name");
});

test("the cache is reused across instances (restarts): no fetch for commits already present", async () => {
  const url = server.baseUrl("app");
  const { cache: a } = newCache("restart");
  await a.checkout(url, shas.c2!).then((c) => c.release());
  a.close();
  const b = new RepoCache({ baseDir: join(base, "restart") });
  caches.push(b);
  const co = await b.checkout(url, shas.c2!);
  assert.equal(b.stats.fetch, 0);
  assert.equal(b.stats.checkout, 0, "the work tree from before is reused");
  assert.ok(existsSync(join(co.path, "clusters", "west", "config.json")), "existsSync(join(co.path, \"clusters\", \"west\", \"config.json\"))");
  co.release();
});

test("two caches on one directory at once (replicas, CLI commands): neither removes or evicts the other's trees", async () => {
  const url = server.baseUrl("app");
  const { cache: a } = newCache("shared", { maxTrees: 1 });
  const held = await a.checkout(url, shas.c1!);
  // What a checkout in progress looks like to a process starting beside it.
  const inProgress = join(held.path, "..", `${shas.c2!}.tmp-0badc0de`);
  await mkdir(inProgress);
  const { cache: b } = newCache("shared", { maxTrees: 1 });
  for (const sha of [shas.c1!, shas.c2!, shas.c3!]) (await b.checkout(url, sha)).release();
  assert.ok(existsSync(inProgress), "the other cache's start did not sweep a temp directory it does not own");
  assert.equal(await readFile(join(held.path, "README.md"), "utf8"), "hello\n", "b's evictions never touch a's tree in use");
  held.release();
  b.close();
  await rm(inProgress, { recursive: true });
});

test("work trees beyond maxTrees are reclaimed once released, never while in use", async () => {
  const { cache } = newCache("evict", { maxTrees: 1 });
  const url = server.baseUrl("app");
  const a = await cache.checkout(url, shas.c1!);
  const b = await cache.checkout(url, shas.c2!);
  assert.ok(existsSync(a.path) && existsSync(b.path), "both in use, both kept");
  a.release();
  await eventually(() => assert.equal(existsSync(a.path), false), { timeoutMs: 5_000 });
  assert.ok(existsSync(join(b.path, "README.md")), "existsSync(join(b.path, \"README.md\"))");
  b.release();
  const again = await cache.checkout(url, shas.c1!);
  assert.equal(await readFile(join(again.path, "README.md"), "utf8"), "hello\n", "re-created after eviction");
  again.release();
});

for (const transport of ["git", "isomorphic-git"] as const) {
  test(`private repo (${transport}): credentials from a repository Secret work; a wrong password is a clear error without the password`, async () => {
    const url = server.baseUrl("private");
    const secret = (password: string): SecretLike => ({
      metadata: { name: "private-repo", namespace: "argocd", labels: { "argocd.argoproj.io/secret-type": "repository" } },
      stringData: { url, username: "alice", password },
    });
    const { cache: good } = newCache(`private-ok-${transport}`, { transport, credentials: credentialProviderFromSecrets([secret("correct-horse-battery")]) });
    assert.equal(await good.resolveRevision(url, "HEAD"), shas.private);
    assert.equal((await good.readFile(url, shas.private!, "secret-app/cm.yaml")).toString(), "kind: ConfigMap\n");

    const { cache: none } = newCache(`private-none-${transport}`, { transport });
    await assert.rejects(none.resolveRevision(url, "HEAD"), /authentication failed/);

    const { cache: bad, events } = newCache(`private-bad-${transport}`, { transport, credentials: credentialProviderFromSecrets([secret("wrong-password-xyz")]) });
    await assert.rejects(bad.resolveRevision(url, "HEAD"), (err: unknown) => {
      assert.ok(err instanceof GitError, "err instanceof GitError");
      assert.match(err.message, /failed for repository http:\/\/127\.0\.0\.1:\d+\/private\.git: authentication failed/);
      assert.doesNotMatch(err.message, /wrong-password-xyz/);
      assert.doesNotMatch(JSON.stringify(err, Object.getOwnPropertyNames(err)), /wrong-password-xyz/);
      return true;
    });
    // Credentials in the URL are taken out of it (never in argv) and still work.
    const { cache: inUrl } = newCache(`private-url-${transport}`, { transport });
    const authUrl = server.authUrl("private", { username: "alice", password: "correct-horse-battery" });
    assert.equal(await inUrl.resolveRevision(authUrl, "main"), shas.private);
    await assert.rejects(inUrl.resolveRevision(server.authUrl("private", { username: "alice", password: "nope-nope-nope" }), "main"), (err: unknown) => {
      assert.ok(err instanceof GitError, "err instanceof GitError");
      assert.doesNotMatch(err.message, /nope-nope-nope/);
      assert.doesNotMatch(err.repoURL, /alice/);
      return true;
    });
    assert.ok(events.every((e) => !JSON.stringify(e).includes("wrong-password-xyz")), "events.every((e) => !JSON.stringify(e).includes(\"wrong-password-xyz\"))");
  });
}

test("isomorphic-git and the git CLI give the same answers", async () => {
  const url = server.baseUrl("app");
  const { cache: cli } = newCache("same-cli", { transport: "git" });
  const { cache: iso, events } = newCache("same-iso", { transport: "isomorphic-git" });
  for (const rev of ["HEAD", "feature", "v1.0.0", "release-1.5.0", "^1", shas.c1!]) {
    assert.equal(await iso.resolveRevision(url, rev), await cli.resolveRevision(url, rev), rev);
  }
  for (const sha of [shas.c1!, shas.c3!, shas.feature!]) {
    assert.deepEqual(await iso.listFiles(url, sha, "**"), await cli.listFiles(url, sha, "**"));
    assert.deepEqual(await iso.listDirectories(url, sha), await cli.listDirectories(url, sha));
    assert.deepEqual(await iso.readFile(url, sha, "README.md"), await cli.readFile(url, sha, "README.md"));
  }
  assert.ok(events.filter((e) => e.op === "ls-remote" || e.op === "fetch").every((e) => e.transport === "isomorphic-git"), "events.filter((e) => e.op === \"ls-remote\" || e.op === \"fetch\").every((e) => e.transport === \"isom...");
});

// ---------------------------------------------------------------------------------------------
// ssh: a real OpenSSH server on 127.0.0.1, run as a child process with its own host key.

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

const sshdPath = ["/usr/sbin/sshd", "/usr/bin/sshd"].find((p) => existsSync(p));
const canRunSshd = sshdPath !== undefined && process.getuid?.() === 0;

describe("ssh transport", { skip: canRunSshd ? false : "needs Debian's openssh-server (sshd) and root to run it on a random port" }, () => {
  let sshd: ChildProcess | undefined;
  let port = 0;
  let dir = "";
  let clientKey = "";
  let repoPath = "";

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hawser-sshd-"));
    await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "host_key")]);
    await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "client_key")]);
    clientKey = await readFile(join(dir, "client_key"), "utf8");
    await writeFile(join(dir, "authorized_keys"), await readFile(join(dir, "client_key.pub")), { mode: 0o600 });
    await mkdir("/run/sshd", { recursive: true, mode: 0o755 });
    port = await freePort();
    await writeFile(
      join(dir, "sshd_config"),
      [
        `ListenAddress 127.0.0.1:${port}`,
        `HostKey ${join(dir, "host_key")}`,
        `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
        "PidFile none",
        "StrictModes no",
        "UsePAM no",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PermitRootLogin prohibit-password",
        "PubkeyAuthentication yes",
        "LogLevel ERROR",
        "UseDNS no",
        // bash skips ~/.bashrc for ssh commands when it is not the first shell level; the host's
        // rc files are not part of what is tested and can take seconds.
        "SetEnv SHLVL=1",
        "",
      ].join("\n"),
    );
    sshd = spawn(sshdPath!, ["-D", "-e", "-f", join(dir, "sshd_config")], { stdio: ["ignore", "ignore", "pipe"] });
    await eventually(
      () =>
        new Promise<void>((resolve, reject) => {
          const probe = createServer();
          probe.once("error", () => resolve()); // port taken by sshd: it listens
          probe.listen(port, "127.0.0.1", () => probe.close(() => reject(new Error("sshd not listening yet"))));
        }),
      { timeoutMs: 10_000, message: "sshd listening" },
    );
    repoPath = join(server.root, "app.git");
  });

  after(async () => {
    if (sshd?.pid) {
      const exited = new Promise((r) => sshd!.once("exit", r));
      sshd.kill();
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  });

  const sshSecret = (url: string): SecretLike => ({
    metadata: { name: "ssh", namespace: "argocd", labels: { "argocd.argoproj.io/secret-type": "repo-creds" } },
    stringData: { url: `ssh://root@127.0.0.1:${port}/`, sshPrivateKey: clientKey, ...(url ? {} : {}) },
  });

  test("clone, resolve and read over ssh with a private key from a repo-creds Secret (host key accepted on first use)", async () => {
    const url = `ssh://root@127.0.0.1:${port}${repoPath}`;
    const { cache, events } = newCache("ssh", { credentials: credentialProviderFromSecrets([sshSecret(url)]) });
    assert.equal(await cache.resolveRevision(url, "main"), shas.c3);
    assert.equal((await cache.readFile(url, shas.c3!, "README.md")).toString(), "hello again\n");
    const co = await cache.checkout(url, shas.c1!);
    assert.equal(await readFile(join(co.path, "README.md"), "utf8"), "hello\n");
    co.release();
    assert.ok(events.some((e) => e.op === "fetch" && e.ok), "events.some((e) => e.op === \"fetch\" && e.ok)");
    // Trust on first use: the server's host key is now in the cache's known_hosts (maybe hashed).
    const hostKey = (await readFile(join(dir, "host_key.pub"), "utf8")).split(" ")[1]!;
    assert.ok((await readFile(join(base, "ssh", "known_hosts"), "utf8")).includes(hostKey), "(await readFile(join(base, \"ssh\", \"known_hosts\"), \"utf8\")).includes(hostKey)");
  });

  test("ssh: unknown host key with a strict known_hosts, or a key that is not authorised, fail clearly", async () => {
    const url = `ssh://root@127.0.0.1:${port}${repoPath}`;
    const empty = join(dir, "empty_known_hosts");
    await writeFile(empty, "");
    const { cache: strict } = newCache("ssh-strict", { knownHostsFile: empty, credentials: credentialProviderFromSecrets([sshSecret(url)]) });
    await assert.rejects(strict.resolveRevision(url, "main"), /ssh host key verification failed/);

    await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "other_key")]);
    const other = await readFile(join(dir, "other_key"), "utf8");
    const { cache: wrongKey } = newCache("ssh-wrong", {
      credentials: credentialProviderFromSecrets([{ ...sshSecret(url), stringData: { url: `ssh://root@127.0.0.1:${port}/`, sshPrivateKey: other, insecure: "true" } }]),
    });
    await assert.rejects(wrongKey.resolveRevision(url, "main"), (err: unknown) => {
      assert.ok(err instanceof GitError, "err instanceof GitError");
      assert.match(err.message, /authentication failed/);
      assert.doesNotMatch(err.message, /PRIVATE KEY/);
      return true;
    });
  });

  test("argocd-ssh-known-hosts-cm (as GitTrustFiles writes it): the server's key is accepted, another key refused, nothing learned", async () => {
    const url = `ssh://root@127.0.0.1:${port}${repoPath}`;
    const [type, key] = (await readFile(join(dir, "host_key.pub"), "utf8")).split(" ");
    await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "impostor_key")]);
    const [, impostor] = (await readFile(join(dir, "impostor_key.pub"), "utf8")).split(" ");
    const files = new GitTrustFiles({ baseDir: dir });
    try {
      await files.update({ knownHosts: { ssh_known_hosts: `# the test server\n[127.0.0.1]:${port} ${type} ${key}\n` }, tlsCerts: undefined });
      const { cache } = newCache("ssh-known-hosts-cm", { refsTtlMs: 0, trust: () => files.current(), credentials: credentialProviderFromSecrets([sshSecret(url)]) });
      assert.equal(await cache.resolveRevision(url, "main"), shas.c3);
      assert.equal((await cache.readFile(url, shas.c3!, "README.md")).toString(), "hello again\n");

      // The ConfigMap now holds another key for the host: refused at the next command.
      await files.update({ knownHosts: { ssh_known_hosts: `[127.0.0.1]:${port} ${type} ${impostor}\n` }, tlsCerts: undefined });
      await assert.rejects(cache.resolveRevision(url, "main"), /ssh host key verification failed \(add the host's key to argocd-ssh-known-hosts-cm/);
      assert.ok(!existsSync(join(cache.baseDir, "known_hosts")), "strict mode never writes a trust-on-first-use file");
    } finally {
      await files.close();
    }
  });
});

test("https with a self-signed certificate and a required client certificate: `insecure` and tlsClientCertData/Key from the Secret", async () => {
  const pkiDir = await mkdtemp(join(base, "tls-pki-"));
  const pki = await generatePki(pkiDir);
  const [cert, key, ca, clientCert, clientKey] = await Promise.all([pki.apiserverCert, pki.apiserverKey, pki.caCert, pki.adminCert, pki.adminKey].map((f) => readFile(f, "utf8")));
  const tlsServer = await startGitServer({ tls: { cert: cert!, key: key!, clientCa: ca! } });
  try {
    const sha = await tlsServer.createRepo("tls", { "app/cm.yaml": "kind: ConfigMap\n" });
    const url = tlsServer.baseUrl("tls");
    assert.match(url, /^https:\/\/127\.0\.0\.1:\d+\/tls\.git$/);
    const secret = (data: Record<string, string>): SecretLike => ({
      metadata: { name: "tls-repo", namespace: "argocd", labels: { "argocd.argoproj.io/secret-type": "repository" } },
      stringData: { url, ...data },
    });
    const { cache: good } = newCache("tls-ok", { credentials: credentialProviderFromSecrets([secret({ insecure: "true", tlsClientCertData: clientCert!, tlsClientCertKey: clientKey! })]) });
    assert.equal(await good.resolveRevision(url, "HEAD"), sha);
    assert.equal((await good.readFile(url, sha, "app/cm.yaml")).toString(), "kind: ConfigMap\n");
    const co = await good.checkout(url, sha);
    assert.equal(await readFile(join(co.path, "app", "cm.yaml"), "utf8"), "kind: ConfigMap\n");
    co.release();

    // Without `insecure` the self-signed CA is not trusted; without the client certificate the
    // server refuses the handshake. Both fail naming the repository, never the key.
    const { cache: untrusted } = newCache("tls-untrusted", { credentials: credentialProviderFromSecrets([secret({ tlsClientCertData: clientCert!, tlsClientCertKey: clientKey! })]) });
    await assert.rejects(untrusted.resolveRevision(url, "HEAD"), (err: unknown) => {
      assert.ok(err instanceof GitError, "err instanceof GitError");
      assert.match(err.message, /https:\/\/127\.0\.0\.1:\d+\/tls\.git/);
      assert.doesNotMatch(err.message, /PRIVATE KEY/);
      return true;
    });
    const { cache: noCert } = newCache("tls-nocert", { credentials: credentialProviderFromSecrets([secret({ insecure: "true" })]) });
    await assert.rejects(noCert.resolveRevision(url, "HEAD"), (err: unknown) => {
      assert.ok(err instanceof GitError, "err instanceof GitError");
      assert.match(err.message, /https:\/\/127\.0\.0\.1:\d+\/tls\.git/);
      return true;
    });
  } finally {
    await tlsServer.stop();
  }
});
