// Git submodules and Git LFS through the repository cache and the renderer, with the real git and
// git-lfs against the loopback git server (smart HTTP via git http-backend, plus its LFS batch
// API). No control plane: the repository layer is what these settings change.
//   - submodules (ARGOCD_GIT_MODULES_ENABLED, default on): an Application whose path lies inside a
//     submodule renders its manifests, at the commit the parent pins; each submodule URL gets the
//     credentials of its own repository Secret; off, the path is missing and the render fails.
//   - LFS (`enableLfs: "true"` on the repository Secret): the manifest's real content renders;
//     without it the pointer file stays, as in Argo, and the render fails on it.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Application } from "../../operator/api/index.js";
import { SecretCredentialStore, type SecretLike } from "../../operator/git/credentials.js";
import { RepoCache } from "../../operator/git/repo-cache.js";
import { RenderCache, renderApplication } from "../../operator/render/index.js";
import { builtinPlugins } from "../../plugins/index.js";
import { startGitServer, type GitAuth, type GitServer } from "../support/git-server.js";

let server: GitServer;
let dir: string;
const parentAuth: GitAuth = { username: "parent-user", password: "parent-Passw0rd" };
const subAuth: GitAuth = { username: "sub-user", password: "sub-Passw0rd" };

const configMap = (name: string, extra = ""): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  from: "${name}"${extra}\n`;

const repoSecret = (name: string, url: string, data: Record<string, string>): SecretLike => ({
  metadata: { name, namespace: "argocd", labels: { "argocd.argoproj.io/secret-type": "repository" } },
  stringData: { url, ...data },
});

const app = (repoURL: string, path: string): Application => ({
  apiVersion: "argoproj.io/v1alpha1", kind: "Application",
  metadata: { name: "modules", namespace: "argocd" },
  spec: { project: "default", destination: { server: "https://kubernetes.default.svc", namespace: "dest" }, source: { repoURL, path, targetRevision: "main" } },
});

let cacheCount = 0;
async function cache(secrets: SecretLike[], opts: { submodules?: boolean } = {}): Promise<RepoCache> {
  return new RepoCache({ baseDir: join(dir, `cache-${++cacheCount}`), refsTtlMs: 0, credentials: new SecretCredentialStore(secrets), ...opts });
}

const names = (manifests: { metadata?: { name?: string } }[]): string[] => manifests.map((m) => m.metadata?.name ?? "").sort();

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "hawser-modules-it-"));
  server = await startGitServer();
});

after(async () => {
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test("submodules: a path inside a submodule renders, at the pinned commit, with the submodule's own credentials; nested submodules too", async (t) => {
  // Each repository has its own credentials on the server; the parent names the first submodule
  // by a relative URL and the nested one by an absolute URL.
  const nested = await server.createRepo("nested", { "deep/cm.yaml": configMap("from-nested") }, { auth: subAuth });
  const sub1 = await server.createRepo("sub", { "manifests/cm.yaml": configMap("from-sub-v1") }, { auth: subAuth });
  const sub = await server.addSubmodule("sub", "inner", server.baseUrl("nested"), nested);
  assert.notEqual(sub, sub1);
  await server.createRepo("parent", { "README.md": "parent\n" }, { auth: parentAuth });
  const parent = await server.addSubmodule("parent", "vendor/sub", "../sub.git", sub);
  // The submodule moves on; the parent still pins `sub`.
  await server.commitFiles("sub", { "manifests/cm.yaml": configMap("from-sub-v2") }, "v2");

  const secrets = [
    repoSecret("parent", server.baseUrl("parent"), parentAuth as unknown as Record<string, string>),
    repoSecret("sub", server.baseUrl("sub"), subAuth as unknown as Record<string, string>),
    repoSecret("nested", server.baseUrl("nested"), subAuth as unknown as Record<string, string>),
  ];
  const repos = await cache(secrets);
  t.after(() => repos.close());
  const deps = { repos, plugins: builtinPlugins(), cache: new RenderCache() };
  const out = await renderApplication(app(server.baseUrl("parent"), "vendor/sub/manifests"), deps);
  assert.deepEqual(out.revisions, [parent], "the parent's commit is the app's revision");
  assert.deepEqual(names(out.manifests), ["from-sub-v1"], "the submodule at the commit the parent pins, not its branch head");
  const co = await repos.checkout(server.baseUrl("parent"), parent);
  t.after(() => co.release());
  assert.deepEqual(await readdir(join(co.path, "vendor")), ["sub"], "nothing but the submodule beside it (no index or temp files)");
  assert.deepEqual((await readdir(join(co.path, "vendor/sub"))).sort(), [".gitmodules", "inner", "manifests"], "the submodule's own files, and no .git");
  const nestedOut = await renderApplication(app(server.baseUrl("parent"), "vendor/sub/inner/deep"), deps);
  assert.deepEqual(names(nestedOut.manifests), ["from-nested"], "a submodule of the submodule is checked out too (--recursive)");

  // Each repository was fetched as its own user: the parent's credentials never went to the submodules.
  const users = (repo: string): Set<string | undefined> => new Set(server.requests.filter((r) => r.repo === repo && r.status === 200).map((r) => r.user));
  assert.deepEqual(users("sub"), new Set(["sub-user"]), "the submodule was fetched with its own Secret's credentials");
  assert.deepEqual(users("nested"), new Set(["sub-user"]), "the nested submodule too");

  // The parent bumps the pin: the new commit renders the new content; the old commit still the old.
  const sub2 = await server.revParse("sub", "main");
  const bumped = await server.addSubmodule("parent", "vendor/sub", "../sub.git", sub2);
  const after = await renderApplication(app(server.baseUrl("parent"), "vendor/sub/manifests"), deps);
  assert.deepEqual(after.revisions, [bumped]);
  assert.deepEqual(names(after.manifests), ["from-sub-v2"], "the bumped pin renders the submodule's new commit");
  const pinned = await renderApplication(app(server.baseUrl("parent"), "vendor/sub/manifests"), deps, { revisions: [parent] });
  assert.deepEqual(names(pinned.manifests), ["from-sub-v1"], "the earlier parent commit still renders what it pinned");
  assert.notEqual(await repos.treeHash(server.baseUrl("parent"), parent, "vendor/sub/manifests"), await repos.treeHash(server.baseUrl("parent"), bumped, "vendor/sub/manifests"),
    "manifest-generate-paths sees a path inside a submodule change when the pin changes");
});

test("submodules: without the submodule's Secret the fetch is refused and the error names the submodule; a file:// submodule URL is refused", async (t) => {
  const subSha = await server.revParse("sub", "main");
  await server.createRepo("parent-nocreds", { "README.md": "x\n" }, { auth: parentAuth });
  await server.addSubmodule("parent-nocreds", "vendor/sub", "../sub.git", subSha);
  const repos = await cache([repoSecret("parent", server.baseUrl("parent-nocreds"), parentAuth as unknown as Record<string, string>)]);
  t.after(() => repos.close());
  const deps = { repos, plugins: builtinPlugins(), cache: new RenderCache() };
  await assert.rejects(renderApplication(app(server.baseUrl("parent-nocreds"), "vendor/sub/manifests"), deps),
    (err: Error) => {
      assert.match(err.message, /submodule "vendor\/sub" \(http:\/\/127\.0\.0\.1:\d+\/sub\.git\) of repository http:\/\/127\.0\.0\.1:\d+\/parent-nocreds\.git at [0-9a-f]{40}: .*authentication failed/);
      assert.ok(!err.message.includes(parentAuth.password), "no password in the message");
      return true;
    });

  await server.createRepo("parent-local", { "README.md": "x\n" }, { auth: null });
  await server.addSubmodule("parent-local", "vendor/local", `file://${server.root}/sub.git`, subSha);
  const anon = await cache([]);
  t.after(() => anon.close());
  await assert.rejects(renderApplication(app(server.baseUrl("parent-local"), "vendor/local/manifests"), { repos: anon, plugins: builtinPlugins(), cache: new RenderCache() }),
    /submodule "vendor\/local" in repository .*parent-local\.git at [0-9a-f]{40}: submodule URL "file:\/\/.*" is not allowed: only http\(s\), ssh and git URLs/);
});

test("submodules off (ARGOCD_GIT_MODULES_ENABLED=false): the submodule's directory stays empty and an app pointing into it fails to render", async (t) => {
  const parent = await server.revParse("parent", "main");
  const secrets = [
    repoSecret("parent", server.baseUrl("parent"), parentAuth as unknown as Record<string, string>),
    repoSecret("sub", server.baseUrl("sub"), subAuth as unknown as Record<string, string>),
  ];
  const repos = await cache(secrets, { submodules: false });
  t.after(() => repos.close());
  const fetchedBefore = server.requests.filter((r) => r.repo === "sub").length;
  await assert.rejects(renderApplication(app(server.baseUrl("parent"), "vendor/sub/manifests"), { repos, plugins: builtinPlugins(), cache: new RenderCache() }),
    /source path "vendor\/sub\/manifests" does not exist/);
  const co = await repos.checkout(server.baseUrl("parent"), parent);
  t.after(() => co.release());
  assert.deepEqual(await readdir(join(co.path, "vendor/sub")), [], "the submodule directory is empty");
  assert.equal(server.requests.filter((r) => r.repo === "sub").length, fetchedBefore, "the submodule was not fetched");
});

test("Git LFS: with enableLfs the manifest stored in LFS renders with its real content; without it the pointer file stays and the render fails on it, as in Argo", async (t) => {
  await server.createRepo("lfs", {}, { auth: parentAuth });
  const real = configMap("from-lfs");
  const pointer = await server.addLfsObject("lfs", real);
  assert.match(pointer, /^version https:\/\/git-lfs\.github\.com\/spec\/v1\noid sha256:[0-9a-f]{64}\nsize \d+\n$/);
  const sha = await server.commitFiles("lfs", { ".gitattributes": "*.yaml filter=lfs diff=lfs merge=lfs -text\n", "app/cm.yaml": pointer, "app/plain.yaml": configMap("plain") }, "lfs manifest");
  const url = server.baseUrl("lfs");
  const creds = parentAuth as unknown as Record<string, string>;

  const withLfs = await cache([repoSecret("lfs", url, { ...creds, enableLfs: "true" })]);
  t.after(() => withLfs.close());
  const out = await renderApplication(app(url, "app"), { repos: withLfs, plugins: builtinPlugins(), cache: new RenderCache() });
  assert.deepEqual(out.revisions, [sha]);
  assert.deepEqual(names(out.manifests), ["from-lfs", "plain"], "the LFS object's content rendered");
  const co = await withLfs.checkout(url, sha);
  t.after(() => co.release());
  assert.equal(await readFile(join(co.path, "app/cm.yaml"), "utf8"), real, "the work tree holds the real content");
  assert.ok(server.requests.some((r) => r.repo === "lfs" && r.user === "parent-user" && r.status === 200 && r.method === "POST" && r.service === ""), "git-lfs called the batch API with the repository's credentials");

  const without = await cache([repoSecret("lfs", url, creds)]);
  t.after(() => without.close());
  const co2 = await without.checkout(url, sha);
  t.after(() => co2.release());
  assert.equal(await readFile(join(co2.path, "app/cm.yaml"), "utf8"), pointer, "without enableLfs the pointer file stays");
  await assert.rejects(renderApplication(app(url, "app"), { repos: without, plugins: builtinPlugins(), cache: new RenderCache() }), (err: Error) => {
    // Argo: "Failed to unmarshal" the file; here the same refusal in Hawser's words.
    assert.match(err.message, /app\/cm\.yaml: a manifest must be an object, got string/, `the error names the file: ${err.message}`);
    return true;
  });

  // A missing LFS object fails the checkout (filter.lfs.required) instead of leaving the pointer.
  const missing = "version https://git-lfs.github.com/spec/v1\noid sha256:" + "0".repeat(64) + "\nsize 12\n";
  const broken = await server.commitFiles("lfs", { "app/cm.yaml": missing }, "missing object");
  await assert.rejects(withLfs.checkout(url, broken), /git lfs failed for repository http:\/\/127\.0\.0\.1:\d+\/lfs\.git: Git LFS objects missing on the server: .*\[0{64}\] object not found/);
});
