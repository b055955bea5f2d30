// OCI plain-manifest sources (`repoURL: oci://…` without `chart`) rendered through the real
// repository cache from a loopback registry behind the token flow, with a `type: oci` repository
// Secret's credentials (plain HTTP through insecureOCIForceHttp): the revision is the manifest
// digest, a semver constraint picks among the tags, `path` is a directory inside the artifact,
// `.argocd-source.yaml` overrides apply, the create validation's checks (revision, path) work, and
// git-only operations are refused with a reason rather than handed to git.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import type { Application, ApplicationSource } from "../api/index.js";
import { SecretCredentialStore } from "../git/credentials.js";
import { RepoCache } from "../git/repo-cache.js";
import { RevisionNotFoundError } from "../git/types.js";
import { builtinPlugins } from "../../plugins/index.js";
import { startOciRegistry } from "../../test/support/oci-registry.js";
import { sourceProblems } from "../server/services/app-validate.js";
import { RenderCache, renderApplication } from "./index.js";

const PASSWORD = "oci-source-pw-do-not-leak";
const CM = (name: string, data: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  v: "${data}"\n`;

/** A tar+gzip of `files` made by the system tar, as a publisher's `oras push` of a directory would. */
async function bundle(dir: string, name: string, files: Record<string, string>): Promise<Buffer> {
  const { mkdir, writeFile, readFile } = await import("node:fs/promises");
  const root = join(dir, name);
  for (const [p, content] of Object.entries(files)) {
    await mkdir(join(root, p, ".."), { recursive: true });
    await writeFile(join(root, p), content);
  }
  const out = join(dir, `${name}.tgz`);
  const r = spawnSync("tar", ["-czf", out, "-C", root, "."]);
  assert.equal(r.status, 0, String(r.stderr));
  return readFile(out);
}

function app(source: ApplicationSource): Application {
  return {
    apiVersion: "argoproj.io/v1alpha1", kind: "Application",
    metadata: { name: "guestbook", namespace: "argocd" },
    spec: { project: "default", destination: { server: "https://kubernetes.default.svc", namespace: "dest" }, source },
  };
}

test("OCI artifact sources render through the repo cache: digest revisions, constraints, paths, overrides; git-only calls refused", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "hawser-oci-source-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const GZ = "application/vnd.oci.image.layer.v1.tar+gzip";
  const registry = await startOciRegistry({
    artifacts: [
      { repository: "apps/guestbook", tag: "1.0.0", layers: [{ mediaType: GZ, body: await bundle(dir, "v1", { "guestbook/cm.yaml": CM("gb", "one") }) }] },
      { repository: "apps/guestbook", tag: "1.1.0", layers: [{ mediaType: GZ, body: await bundle(dir, "v11", {
        "guestbook/cm.yaml": CM("gb", "one-one"),
        "guestbook/extra/cm2.yaml": CM("gb-extra", "x"),
        "guestbook/.argocd-source.yaml": "directory:\n  recurse: true\n  exclude: '.argocd-source.yaml'\n",
      }) }] },
    ],
    auth: { username: "ob", password: PASSWORD }, authScheme: "bearer",
  });
  t.after(() => registry.close());
  const url = `oci://${registry.host}/apps/guestbook`;
  const credentials = new SecretCredentialStore([{
    metadata: { name: "oci", namespace: "argocd", labels: { "argocd.argoproj.io/secret-type": "repository" } },
    stringData: { type: "oci", url, username: "ob", password: PASSWORD, insecureOCIForceHttp: "true" },
  }]);
  const repos = new RepoCache({ baseDir: join(dir, "cache"), credentials });
  t.after(() => repos.close());
  const deps = { repos, plugins: builtinPlugins({}), settings: {}, cache: new RenderCache(), kubeVersion: "1.36.3", apiVersions: ["v1"] };

  const one = await renderApplication(app({ repoURL: url, path: "guestbook", targetRevision: "1.0.0" }), deps);
  assert.match(one.revisions[0]!, /^sha256:[0-9a-f]{64}$/, "the revision is the manifest digest");
  assert.deepEqual(one.manifests.map((m) => [m.metadata?.name, (m as { data?: { v?: string } }).data?.v]), [["gb", "one"]]);
  assert.equal(one.sourceTypes[0], "Directory");

  // ^1.0 picks 1.1.0, whose .argocd-source.yaml turns on recursion.
  const latest = await renderApplication(app({ repoURL: url, path: "guestbook", targetRevision: "^1.0" }), deps);
  assert.notEqual(latest.revisions[0], one.revisions[0]);
  assert.equal(latest.revisions[0], await repos.resolveRevision(url, "1.1.0"));
  assert.deepEqual(latest.manifests.map((m) => m.metadata?.name).sort(), ["gb", "gb-extra"], "the override from inside the artifact applies");
  const pinned = await renderApplication(app({ repoURL: url, path: "guestbook", targetRevision: "^1.0" }), deps, { revisions: [one.revisions[0]] });
  assert.deepEqual(pinned.manifests.map((m) => (m as { data?: { v?: string } }).data?.v), ["one"], "a sync to a digest renders that artifact");

  await assert.rejects(renderApplication(app({ repoURL: url, path: "nope", targetRevision: "1.0.0" }), deps), /nope/);
  await assert.rejects(repos.resolveRevision(url, "7.0.0"), RevisionNotFoundError);
  await assert.rejects(repos.remoteRefs(url), /is an OCI artifact: it has no git branches, tags, commits or file listings/);
  await assert.rejects(repos.listFiles(url, one.revisions[0]!, "*.yaml"), /is an OCI artifact/);
  await assert.rejects(repos.verifyCommit(url, one.revisions[0]!, { gnupgHome: dir }), /no git commit signature to verify, so a project with signatureKeys cannot use it/);
  await assert.rejects(renderApplication(app({ repoURL: url, path: "guestbook", targetRevision: "1.0.0" }), { ...deps, verifyCommit: (u, c) => repos.verifyCommit(u, c, { gnupgHome: dir }).then(() => undefined) }), /no git commit signature/, "a render for a project with signatureKeys is refused");
  await assert.rejects(repos.readFile(url, one.revisions[0]!, "guestbook/missing.yaml"), /file "guestbook\/missing\.yaml" not found in OCI artifact/);
  assert.equal((await repos.readFile(url, one.revisions[0]!, "guestbook/cm.yaml")).toString(), CM("gb", "one"));

  // The API's create validation: the revision and the path are checked in the artifact.
  const problems = await sourceProblems({ project: "default", destination: { server: "https://kubernetes.default.svc" }, sources: [
    { repoURL: url, path: "guestbook", targetRevision: "1.0.0" },
    { repoURL: url, path: "missing", targetRevision: "1.0.0" },
    { repoURL: url, path: "guestbook", targetRevision: "9.9.9" },
    { repoURL: `oci://${registry.host}/apps/absent`, path: ".", targetRevision: "1.0.0" },
  ] }, repos);
  assert.equal(problems.length, 3, problems.join("\n"));
  assert.match(problems[0]!, /^spec\.sources\[1\]\.path: app path does not exist: missing/);
  assert.match(problems[1]!, /^spec\.sources\[2\]\.targetRevision: no tag of OCI repository .* matches "9\.9\.9"/);
  assert.match(problems[2]!, /^spec\.sources\[3\]\.targetRevision: tag "1\.0\.0" not found|^spec\.sources\[3\]\.repoURL: /);
  for (const p of problems) assert.ok(!p.includes(PASSWORD), p);
});

test("RepoCache: an OCI checkout is a lease (held trees outlive renders of other digests beyond maxArtifacts), an evicted digest renders again, and the reposerver.oci.* options reach the artifact", async (t) => {
  const { stat } = await import("node:fs/promises");
  const dir = await mkdtemp(join(tmpdir(), "hawser-oci-lease-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const GZ = "application/vnd.oci.image.layer.v1.tar+gzip";
  const registry = await startOciRegistry({
    artifacts: [
      { repository: "apps/lease", tag: "1.0.0", layers: [{ mediaType: GZ, body: await bundle(dir, "l1", { "cm.yaml": CM("lease", "one") }) }] },
      { repository: "apps/lease", tag: "2.0.0", layers: [{ mediaType: GZ, body: await bundle(dir, "l2", { "cm.yaml": CM("lease", "two") }) }] },
      // A type Argo's default accepts, left out of the list given to the cache.
      { repository: "apps/lease", tag: "plain", layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", body: Buffer.alloc(1024) }] },
    ],
    auth: { username: "ob", password: PASSWORD },
  });
  t.after(() => registry.close());
  const url = `oci://${registry.host}/apps/lease`;
  const credentials = new SecretCredentialStore([{
    metadata: { name: "oci", namespace: "argocd", labels: { "argocd.argoproj.io/secret-type": "repository" } },
    stringData: { type: "oci", url, username: "ob", password: PASSWORD, insecureOCIForceHttp: "true" },
  }]);
  const repos = new RepoCache({ baseDir: join(dir, "cache"), credentials, maxArtifacts: 1, ociLayerMediaTypes: [GZ] });
  t.after(() => repos.close());
  const deps = { repos, plugins: builtinPlugins({}), settings: {}, cache: new RenderCache(), kubeVersion: "1.36.3", apiVersions: ["v1"] };
  const [d1, d2] = [await repos.resolveRevision(url, "1.0.0"), await repos.resolveRevision(url, "2.0.0")];
  const exists = (p: string): Promise<boolean> => stat(p).then(() => true, () => false);

  const held = await repos.checkout(url, d1);
  const two = await renderApplication(app({ repoURL: url, path: ".", targetRevision: "2.0.0" }), deps);
  assert.deepEqual(two.manifests.map((m) => (m as { data?: { v?: string } }).data?.v), ["two"]);
  assert.ok(await exists(join(held.path, "cm.yaml")), "the held tree stays while another digest renders past the bound");
  // Released: the tree of 2.0.0, released earlier by its render, is the least recently used and
  // makes room; a render of it pulls it again (the pull waits for the removal to finish).
  held.release();
  const blobs = (): number => registry.requests.filter((r) => r.includes("/blobs/")).length;
  const before = blobs();
  const again = await renderApplication(app({ repoURL: url, path: ".", targetRevision: d2 }), deps);
  assert.deepEqual(again.manifests.map((m) => (m as { data?: { v?: string } }).data?.v), ["two"], "an evicted digest renders again");
  assert.ok(blobs() > before, "pulled again: it had been evicted");
  await assert.rejects(repos.checkout(url, await repos.resolveRevision(url, "plain")), /layer media type "application\/vnd\.oci\.image\.layer\.v1\.tar" is not one of application\/vnd\.oci\.image\.layer\.v1\.tar\+gzip \(argocd-cmd-params-cm reposerver\.oci\.layer\.media\.types\)/);
});
