// The API server's probes of Helm and OCI repositories against loopback servers: which request
// each type makes, whose credentials it uses (the repository's own, a repo-creds template's, a
// project-scoped Secret's for its project) and what insecureOCIForceHttp changes.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { SecretLike } from "../../git/credentials.js";
import type { RepoSource } from "../../git/types.js";
import { startOciRegistry } from "../../../test/support/oci-registry.js";
import { serveLoopback, type AfterHook } from "../../../test/support/loopback-server.js";
import { ociRepositoryTags, probeNonGitRepository, type RepoAccess } from "./repo-access.js";

const PASSWORD = "probe-s3cret-do-not-leak";

function secret(kind: "repository" | "repo-creds", name: string, data: Record<string, string>): SecretLike {
  return { metadata: { name, namespace: "argocd", labels: { "argocd.argoproj.io/secret-type": kind } }, stringData: data };
}

function access(secrets: SecretLike[]): RepoAccess {
  // Only caCertFor is consulted; there is no CA configured here.
  return { repos: { caCertFor: () => Promise.resolve(undefined) } as unknown as RepoSource, secrets: () => secrets };
}

async function rejection(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    assert.ok(!msg.includes(PASSWORD), `no password in: ${msg}`);
    return msg;
  }
  assert.fail("expected a rejection");
}

/** A Helm repository: a hand-written index.yaml behind basic auth (no chart needs packaging to be listed). */
async function indexServer(t: AfterHook, password: string): Promise<{ url: string; requests: string[] }> {
  const requests: string[] = [];
  const expected = `Basic ${Buffer.from(`h:${password}`).toString("base64")}`;
  const { url } = await serveLoopback(t, (req, res) => {
    requests.push(req.url ?? "");
    if (req.headers.authorization !== expected) return void res.writeHead(401, { "www-authenticate": 'Basic realm="charts"' }).end();
    if (req.url !== "/index.yaml") return void res.writeHead(404).end();
    res.writeHead(200, { "content-type": "text/yaml" }).end("apiVersion: v1\nentries:\n  web:\n  - name: web\n    version: 0.1.0\n");
  });
  return { url, requests };
}

test("probes: a Helm index with its credentials, an OCI repository with a repo-creds template's, a project-scoped Secret's own", async (t) => {
  const helm = await indexServer(t, PASSWORD);
  const registry = await startOciRegistry({
    artifacts: [{ repository: "team/app", tag: "v1", layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", body: Buffer.from("x") }] }],
    auth: { username: "o", password: PASSWORD }, authScheme: "bearer",
  });
  t.after(() => registry.close());
  const app = `oci://${registry.host}/team/app`;

  const helmData = { type: "helm", url: helm.url };
  await probeNonGitRepository(access([secret("repository", "h", { ...helmData, username: "h", password: PASSWORD })]), helmData);
  assert.ok(helm.requests.includes("/index.yaml"), "the index was read");
  assert.match(await rejection(probeNonGitRepository(access([secret("repository", "h", helmData)]), helmData)), /index\.yaml returned HTTP 401: the repository needs credentials/);

  // The registry speaks plain HTTP: insecureOCIForceHttp says so; without it the failure says what to set.
  const ociData = { type: "oci", url: app, insecureOCIForceHttp: "true" };
  const template = secret("repo-creds", "tpl", { url: `oci://${registry.host}/team`, username: "o", password: PASSWORD });
  await probeNonGitRepository(access([secret("repository", "a", ociData), template]), ociData);
  assert.deepEqual(await ociRepositoryTags(access([secret("repository", "a", ociData), template]), ociData, app), ["v1"]);
  const noForce = { type: "oci", url: app };
  assert.match(await rejection(probeNonGitRepository(access([secret("repository", "a", noForce), template]), noForce)), /registry 127\.0\.0\.1:\d+: .*(set insecureOCIForceHttp|EPROTO|wrong version)/);

  // A project-scoped Secret's credentials are used for it (its project is the Secret's own).
  const scoped = { type: "oci", url: app, insecureOCIForceHttp: "true", project: "team" };
  await probeNonGitRepository(access([secret("repository", "a", { ...scoped, username: "o", password: PASSWORD })]), scoped);
  // A Helm OCI registry is a namespace of charts: it is asked GET /v2/, not for tags.
  const before = registry.requests.length;
  const helmOci = { type: "helm", url: `${registry.host}/team`, enableOCI: "true", insecureOCIForceHttp: "true" };
  await probeNonGitRepository(access([secret("repository", "r", { ...helmOci, username: "o", password: PASSWORD })]), helmOci);
  assert.ok(registry.requests.slice(before).some((r) => r === "GET /v2/") && !registry.requests.slice(before).some((r) => r.includes("tags/list")), registry.requests.slice(before).join(", "));

  assert.match(await rejection(probeNonGitRepository(access([]), { type: "svn", url: "svn://x" })), /unknown repository type "svn" \(git, helm or oci\)/);
  assert.match(await rejection(probeNonGitRepository(access([]), { type: "oci", url: `oci://o:${PASSWORD}@${registry.host}/team/app` })), /^the OCI reference oci:\/\/127\.0\.0\.1:\d+\/team\/app must not carry credentials/);
});
