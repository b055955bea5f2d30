// The loopback git server speaks real smart HTTP: the git CLI can clone, fetch with protocol v2,
// and push to it, and basic auth is enforced per server and per repository.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fromDir, startGitServer, type GitServer } from "../support/git-server.js";

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

// Async on purpose: the server runs in this process, and a synchronous git call would block it.
function git(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      "git",
      args,
      {
        cwd: opts.cwd,
        env: {
          ...process.env,
          GIT_CONFIG_NOSYSTEM: "1",
          GIT_CONFIG_GLOBAL: "/dev/null",
          GIT_TERMINAL_PROMPT: "0",
          GIT_AUTHOR_NAME: "t",
          GIT_AUTHOR_EMAIL: "t@example.invalid",
          GIT_COMMITTER_NAME: "t",
          GIT_COMMITTER_EMAIL: "t@example.invalid",
          ...opts.env,
        },
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

async function ok(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<string> {
  const r = await git(args, opts);
  assert.equal(r.code, 0, `git ${args.join(" ")}: ${r.stderr}`);
  return r.stdout.trim();
}

function httpStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });
}

const basic = (u: string, p: string): string => `Basic ${Buffer.from(`${u}:${p}`).toString("base64")}`;

describe("git server", () => {
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), "hawser-git-test-"));
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  describe("anonymous", () => {
    let server: GitServer;
    before(async () => {
      server = await startGitServer();
    });
    after(async () => {
      await server.stop();
    });

    test("clone, push, and commitFiles round-trip", async () => {
      const sha = await server.createRepo("apps/guestbook", {
        "README.md": "# guestbook\n",
        "manifests/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
      });
      assert.match(sha, /^[0-9a-f]{40}$/);

      const clone = join(work, "clone1");
      await ok(["clone", "--quiet", server.baseUrl("apps/guestbook"), clone]);
      assert.equal(await ok(["rev-parse", "HEAD"], { cwd: clone }), sha);
      assert.equal(await readFile(join(clone, "manifests/cm.yaml"), "utf8"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n");

      // Push a commit over HTTP (receive-pack).
      await writeFile(join(clone, "pushed.txt"), "from the client\n");
      await ok(["add", "pushed.txt"], { cwd: clone });
      await ok(["commit", "--quiet", "-m", "client commit"], { cwd: clone });
      await ok(["push", "--quiet", "origin", "HEAD:main"], { cwd: clone });
      const pushed = await ok(["rev-parse", "HEAD"], { cwd: clone });
      assert.equal(await server.revParse("apps/guestbook", "main"), pushed);

      // Server-side commit on top, deleting a directory; the client sees it on fetch.
      const next = await server.commitFiles("apps/guestbook", { "new.yaml": "a: 1\n" }, "server commit", { delete: ["manifests"] });
      await ok(["pull", "--quiet", "--ff-only"], { cwd: clone });
      assert.equal(await ok(["rev-parse", "HEAD"], { cwd: clone }), next);
      const files = (await ok(["ls-files"], { cwd: clone })).split("\n").sort();
      assert.deepEqual(files, ["README.md", "new.yaml", "pushed.txt"]);

      // The URL without ".git" works too (Argo CD normalises both forms).
      const noSuffix = await ok(["ls-remote", `${server.url}/apps/guestbook`, "refs/heads/main"]);
      assert.equal(noSuffix.split("\t")[0], next);

      const services = server.requests.filter((r) => r.repo === "apps/guestbook").map((r) => r.service);
      assert.ok(services.includes("git-upload-pack") && services.includes("git-receive-pack"), "services.includes(\"git-upload-pack\") && services.includes(\"git-receive-pack\")");
    });

    test("protocol v2 ls-remote, branches and tags", async () => {
      await server.createRepo("v2", { "a.txt": "a\n" });
      const onBranch = await server.commitFiles("v2", { "b.txt": "b\n" }, "on release", { branch: "release-1" });
      const tagged = await server.tag("v2", "v1.0.0", "release-1");
      assert.equal(tagged, onBranch);

      const before = server.requests.length;
      const r = await git(["-c", "protocol.version=2", "ls-remote", server.baseUrl("v2")], { env: { GIT_TRACE_PACKET: "1" } });
      assert.equal(r.code, 0, r.stderr);
      const refs = new Map(r.stdout.trim().split("\n").map((l) => {
        const [sha, ref] = l.split("\t");
        return [ref, sha] as const;
      }));
      assert.equal(refs.get("refs/heads/release-1"), onBranch);
      assert.equal(refs.get("refs/tags/v1.0.0"), onBranch);
      assert.equal(refs.get("refs/heads/main"), await server.revParse("v2", "main"));
      // The server answered in protocol v2 (capability advertisement "version 2" and an ls-refs command).
      assert.match(r.stderr, /version 2/);
      assert.match(r.stderr, /command=ls-refs/);
      const seen = server.requests.slice(before);
      assert.ok(seen.some((q) => q.gitProtocol === "version=2"), "Git-Protocol header passed through");

      // A shallow single-commit fetch by sha works (Argo CD fetches revisions this way).
      const repo = join(work, "bysha");
      await ok(["init", "--quiet", repo]);
      await ok(["-c", "protocol.version=2", "fetch", "--quiet", "--depth=1", server.baseUrl("v2"), onBranch], { cwd: repo });
      assert.equal(await ok(["rev-parse", "FETCH_HEAD"], { cwd: repo }), onBranch);
    });

    test("gzip-encoded request bodies are accepted", async () => {
      // git gzips upload-pack requests; a fetch with many wants makes that certain.
      const files: Record<string, string> = {};
      for (let i = 0; i < 50; i++) files[`f${i}.txt`] = `${i}\n`;
      await server.createRepo("gz", files);
      for (let i = 0; i < 20; i++) await server.tag("gz", `t${i}`);
      const repo = join(work, "gz");
      await ok(["clone", "--quiet", "-c", "protocol.version=0", server.baseUrl("gz"), repo]);
      const posts = server.requests.filter((q) => q.repo === "gz" && q.method === "POST");
      assert.ok(posts.length > 0, "posts.length > 0");
      assert.ok(posts.some((q) => q.contentEncoding === "gzip"), "at least one gzip request body");
      assert.ok(posts.every((q) => q.status === 200), "posts.every((q) => q.status === 200)");
      assert.equal((await ok(["tag"], { cwd: repo })).split("\n").length, 20);
    });

    test("a repository can be created from a directory", async () => {
      const src = join(work, "src");
      await ok(["init", "--quiet", src]); // its .git must not be copied
      await writeFile(join(src, "kustomization.yaml"), "resources: []\n");
      const sha = await server.createRepo("fromdir", fromDir(src));
      const clone = join(work, "fromdir");
      await ok(["clone", "--quiet", server.baseUrl("fromdir"), clone]);
      assert.equal(await ok(["rev-parse", "HEAD"], { cwd: clone }), sha);
      assert.deepEqual((await ok(["ls-files"], { cwd: clone })).split("\n"), ["kustomization.yaml"]);
    });

    test("unknown repositories are 404", async () => {
      assert.equal(await httpStatus(`${server.url}/nope.git/info/refs?service=git-upload-pack`), 404);
      const r = await git(["ls-remote", server.baseUrl("nope")]);
      assert.notEqual(r.code, 0);
    });
  });

  describe("basic auth", () => {
    let server: GitServer;
    const auth = { username: "hawser", password: "s3cret" };
    before(async () => {
      server = await startGitServer({ auth });
      await server.createRepo("private", { "x.txt": "x\n" });
      await server.createRepo("public", { "y.txt": "y\n" }, { auth: null });
      await server.createRepo("other-creds", { "z.txt": "z\n" }, { auth: { username: "u2", password: "p2" } });
    });
    after(async () => {
      await server.stop();
    });

    test("wrong or missing credentials get 401, right ones are accepted", async () => {
      const refs = `${server.baseUrl("private")}/info/refs?service=git-upload-pack`;
      assert.equal(await httpStatus(refs), 401);
      assert.equal(await httpStatus(refs, { authorization: basic("hawser", "wrong") }), 401);
      assert.equal(await httpStatus(refs, { authorization: basic("hawser", "s3cret") }), 200);

      const denied = await git(["ls-remote", server.authUrl("private", { username: "hawser", password: "wrong" })]);
      assert.notEqual(denied.code, 0);
      assert.match(denied.stderr, /Authentication failed|401/);

      const clone = join(work, "private");
      await ok(["clone", "--quiet", server.authUrl("private", auth), clone]);
      await writeFile(join(clone, "w.txt"), "w\n");
      await ok(["add", "w.txt"], { cwd: clone });
      await ok(["commit", "--quiet", "-m", "authenticated push"], { cwd: clone });
      await ok(["push", "--quiet", "origin", "HEAD:main"], { cwd: clone });
      const pushes = server.requests.filter((q) => q.repo === "private" && q.service === "git-receive-pack" && q.status === 200);
      assert.ok(pushes.length > 0 && pushes.every((q) => q.user === "hawser"), "pushes.length > 0 && pushes.every((q) => q.user === \"hawser\")");
    });

    test("per-repository settings override the server's", async () => {
      // Anonymous repository on an authenticated server.
      assert.equal(await httpStatus(`${server.baseUrl("public")}/info/refs?service=git-upload-pack`), 200);
      // Its own credentials: the server's are refused, its own accepted.
      const refs = `${server.baseUrl("other-creds")}/info/refs?service=git-upload-pack`;
      assert.equal(await httpStatus(refs, { authorization: basic("hawser", "s3cret") }), 401);
      assert.equal(await httpStatus(refs, { authorization: basic("u2", "p2") }), 200);
      // And they can change at runtime.
      server.setRepoAuth("public", { username: "late", password: "lock" });
      assert.equal(await httpStatus(`${server.baseUrl("public")}/info/refs?service=git-upload-pack`), 401);
    });
  });
});
