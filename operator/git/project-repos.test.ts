import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { SecretCredentialStore, type SecretLike } from "./credentials.js";
import { ProjectRepoCaches } from "./project-repos.js";

const URL = "https://git.example.com/org/private.git";

function secret(name: string, data: Record<string, string>, type = "repository"): SecretLike {
  return { metadata: { name, namespace: "argocd", labels: { "argocd.argoproj.io/secret-type": type } }, stringData: data };
}

function setUp(t: { after(fn: () => void): void }): { store: SecretCredentialStore; caches: ProjectRepoCaches; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), "hawser-project-repos-"));
  const store = new SecretCredentialStore([
    secret("org", { url: "https://git.example.com/org", username: "org-bot", password: "org-pass-1" }, "repo-creds"),
    secret("team-a", { url: URL, project: "team-a", username: "alice", password: "team-a-pass-2" }),
    secret("team-b-other", { url: "https://git.example.com/org/other", project: "team-b", username: "bob", password: "team-b-pass-3" }),
  ]);
  const caches = new ProjectRepoCaches({ credentials: store, baseDir: dir });
  t.after(() => {
    caches.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { store, caches, dir };
}

test("each request gets the credentials of its own project first, unscoped ones after, another project's never", (t) => {
  const { caches } = setUp(t);
  assert.equal(caches.forProject("team-a").credentialsFor(URL)?.username, "alice");
  // Attacks: another project with Secrets of its own, a project without any, and no project at all.
  assert.equal(caches.forProject("team-b").credentialsFor(URL)?.username, "org-bot", "team-b falls back to the unscoped template");
  assert.equal(caches.forProject("default").credentialsFor(URL)?.username, "org-bot");
  assert.equal(caches.forProject(undefined).credentialsFor(URL)?.username, "org-bot");
  assert.equal(caches.forProject("").credentialsFor(URL)?.username, "org-bot");
  assert.equal(caches.shared.credentialsFor(URL)?.username, "org-bot", "the shared cache never sees a scoped Secret");
  // A project's scoped Secret for another URL does not leak to team-a either.
  assert.equal(caches.forProject("team-a").credentialsFor("https://git.example.com/org/other")?.username, "org-bot");
});

test("a project with scoped Secrets reads clones of its own; the rest share one cache (one fetch per repository)", (t) => {
  const { caches, dir } = setUp(t);
  const a = caches.forProject("team-a");
  const b = caches.forProject("team-b");
  assert.notEqual(a, caches.shared);
  assert.notEqual(b, caches.shared);
  assert.notEqual(a, b, "two projects with Secrets never share clones");
  assert.equal(caches.forProject("team-a"), a, "a project keeps its cache");
  assert.equal(caches.forProject("default"), caches.shared, "a project without Secrets uses the shared cache");
  assert.equal(caches.forProject("no-such-project"), caches.shared);
  assert.notEqual(a.baseDir, caches.shared.baseDir);
  assert.notEqual(a.baseDir, b.baseDir);
  for (const c of [a, b]) assert.ok(relative(join(dir, "projects"), c.baseDir).split("/").length === 1, `${c.baseDir} sits directly under projects/`);
  assert.deepEqual(caches.all(), [caches.shared, a, b]);
});

test("a project name never becomes a path: hostile names stay under projects/ as a hash", (t) => {
  const { caches, store, dir } = setUp(t);
  for (const name of ["../../etc", "/abs", "a/b", "..", "team\u0000a"]) {
    store.upsert(secret(`s-${Buffer.from(name).toString("hex")}`, { url: URL, project: name, username: "u", password: "hostile-pass-5" }));
    const c = caches.forProject(name);
    assert.notEqual(c, caches.shared, name);
    const rel = relative(join(dir, "projects"), c.baseDir);
    assert.match(rel, /^[0-9a-f]{24}$/, `${JSON.stringify(name)} → ${rel}`);
  }
});

test("when a project's last scoped Secret goes, its requests go back to the shared cache, and team-a's credentials with it", (t) => {
  const { caches, store } = setUp(t);
  const a = caches.forProject("team-a");
  assert.equal(a.credentialsFor(URL)?.username, "alice");
  store.remove({ metadata: { name: "team-a", namespace: "argocd" } });
  assert.equal(caches.forProject("team-a"), caches.shared);
  assert.equal(a.credentialsFor(URL)?.username, "org-bot", "the old cache's view follows the store: the Secret is gone");
  // Scoped again later: the project's own cache again, not the shared one.
  store.upsert(secret("team-a", { url: URL, project: "team-a", username: "alice2", password: "team-a-pass-6" }));
  assert.equal(caches.forProject("team-a"), a);
  assert.equal(a.credentialsFor(URL)?.username, "alice2");
  assert.equal(caches.shared.credentialsFor(URL)?.username, "org-bot");
});
