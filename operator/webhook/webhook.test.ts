import { test } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { appSetConcernsPush, pathsTouched, pushConcerns, repoIdentity } from "./match.js";
import { parseWebhook, webhookSecretsFrom, type PushEvent } from "./parse.js";

// seed 000/argocd-secret-webhook.yaml
const secrets = webhookSecretsFrom({ stringData: { "webhook.github.secret": "argocd-webhook-secret" } });

const githubPush = Buffer.from(JSON.stringify({
  ref: "refs/heads/main",
  after: "0123456789abcdef0123456789abcdef01234567",
  repository: { html_url: "https://github.com/eocndp/argocd-kustomize-demo", clone_url: "https://github.com/eocndp/argocd-kustomize-demo.git", ssh_url: "git@github.com:eocndp/argocd-kustomize-demo.git", default_branch: "main" },
  commits: [{ added: ["overlays/dev/new.yaml"], modified: ["base/deployment.yaml"], removed: [] }],
}));
const sign = (body: Buffer, secret: string) => `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

test("a GitHub push signed with the configured secret is accepted and parsed", () => {
  const r = parseWebhook({ "x-github-event": "push", "x-hub-signature-256": sign(githubPush, "argocd-webhook-secret") }, githubPush, secrets);
  assert.equal(r.kind, "push");
  if (r.kind !== "push") return;
  assert.equal(r.event.revision, "main");
  assert.equal(r.event.defaultBranch, "main");
  assert.deepEqual(r.event.changedFiles.sort(), ["base/deployment.yaml", "overlays/dev/new.yaml"]);
  assert.ok(r.event.repoURLs.includes("git@github.com:eocndp/argocd-kustomize-demo.git"));
});

test("unsigned, wrongly signed and tampered GitHub deliveries are rejected when a secret is set", () => {
  const unsigned = parseWebhook({ "x-github-event": "push" }, githubPush, secrets);
  assert.deepEqual(unsigned.kind === "rejected" && [unsigned.status, unsigned.reason], [401, "missing X-Hub-Signature-256 (webhook.github.secret is set)"]);
  const wrong = parseWebhook({ "x-github-event": "push", "x-hub-signature-256": sign(githubPush, "guess") }, githubPush, secrets);
  assert.equal(wrong.kind === "rejected" && wrong.status, 401);
  const tampered = Buffer.from(githubPush.toString().replace("main", "evil"));
  const t = parseWebhook({ "x-github-event": "push", "x-hub-signature-256": sign(githubPush, "argocd-webhook-secret") }, tampered, secrets);
  assert.equal(t.kind, "rejected");
  // Without a configured secret Argo accepts deliveries (their only effect is a refresh).
  assert.equal(parseWebhook({ "x-github-event": "push" }, githubPush, {}).kind, "push");
});

test("GitLab token, pings, unknown providers and bad JSON", () => {
  const body = Buffer.from(JSON.stringify({ object_kind: "push", ref: "refs/heads/dev", project: { git_http_url: "https://gitlab.example/g/r.git", default_branch: "main" }, commits: [] }));
  assert.equal(parseWebhook({ "x-gitlab-event": "Push Hook", "x-gitlab-token": "t0k" }, body, { gitlab: "t0k" }).kind, "push");
  assert.equal(parseWebhook({ "x-gitlab-event": "Push Hook", "x-gitlab-token": "nope" }, body, { gitlab: "t0k" }).kind, "rejected");
  assert.equal(parseWebhook({ "x-github-event": "ping" }, Buffer.from("{}"), {}).kind, "ignored");
  assert.equal(parseWebhook({}, githubPush, {}).kind, "rejected");
  assert.equal(parseWebhook({ "x-github-event": "push" }, Buffer.from("{not json"), {}).kind, "rejected");
  assert.deepEqual(webhookSecretsFrom({ data: { "webhook.gitlab.secret": Buffer.from("b64secret").toString("base64") } }).gitlab, "b64secret");
});

test("repository identity is the same across https, ssh and scp-like URLs", () => {
  const id = "github.com/eocndp/argocd-kustomize-demo";
  for (const u of ["https://github.com/eocndp/argocd-kustomize-demo", "https://github.com/eocndp/argocd-kustomize-demo.git", "git@github.com:eocndp/argocd-kustomize-demo.git", "ssh://git@github.com:22/eocndp/argocd-kustomize-demo.git", "HTTPS://GitHub.com/eocndp/argocd-kustomize-demo/"]) {
    assert.equal(repoIdentity(u), id, u);
  }
});

test("which apps a push concerns: repo, revision, manifest-generate-paths", () => {
  const event: PushEvent = { provider: "github", repoURLs: ["https://github.com/eocndp/argocd-kustomize-demo"], revision: "main", defaultBranch: "main", changedFiles: ["overlays/dev/kustomization.yaml"] };
  const repo = "https://github.com/eocndp/argocd-kustomize-demo";
  assert.equal(pushConcerns([{ repoURL: repo, targetRevision: "main", path: "overlays/dev" }], {}, event), true);
  assert.equal(pushConcerns([{ repoURL: repo, targetRevision: "HEAD", path: "overlays/dev" }], {}, event), true);
  assert.equal(pushConcerns([{ repoURL: repo, targetRevision: "release", path: "overlays/dev" }], {}, event), false);
  assert.equal(pushConcerns([{ repoURL: "https://github.com/other/repo", targetRevision: "main" }], {}, event), false);
  const paths = { "argocd.argoproj.io/manifest-generate-paths": ".;/base" };
  assert.equal(pushConcerns([{ repoURL: repo, targetRevision: "main", path: "overlays/prod" }], paths, event), false, "prod's paths untouched");
  assert.equal(pushConcerns([{ repoURL: repo, targetRevision: "main", path: "overlays/dev" }], paths, event), true);
  assert.equal(pathsTouched("/base", "overlays/prod", ["base/deployment.yaml"]), true);
  assert.equal(pushConcerns([{ repoURL: repo, targetRevision: ">=1.0.0" }], {}, { ...event, revision: "v1.2.0" }), true);
});

test("ApplicationSets: git generators of the pushed repo and branch, nested ones, and plugin generators are refreshed", () => {
  const ev: PushEvent = { provider: "github", repoURLs: ["https://github.com/org/apps.git", "git@github.com:org/apps.git"], revision: "main", defaultBranch: "main", changedFiles: [] };
  const git = (repoURL: string, revision?: string): Record<string, unknown> => ({ git: { repoURL, ...(revision !== undefined ? { revision } : {}), directories: [{ path: "*" }] } });
  const table: [string, unknown[], boolean][] = [
    ["same repo, HEAD", [git("https://github.com/org/apps")], true],
    ["same repo over ssh, branch", [git("git@github.com:org/apps.git", "main")], true],
    ["refs/heads form", [git("https://github.com/org/apps.git", "refs/heads/main")], true],
    ["other branch", [git("https://github.com/org/apps.git", "release")], false],
    ["other repo", [git("https://github.com/org/other.git")], false],
    ["list only", [{ list: { elements: [] } }], false],
    ["matrix child", [{ matrix: { generators: [{ clusters: {} }, git("https://github.com/org/apps.git")] } }], true],
    ["merge in matrix", [{ matrix: { generators: [{ list: {} }, { merge: { generators: [{ list: {} }, git("https://github.com/ORG/apps")] } }] } }], true],
    ["plugin", [{ plugin: { configMapRef: { name: "p" } } }], true],
  ];
  for (const [name, generators, want] of table) assert.equal(appSetConcernsPush(generators, ev), want, name);
  // A push to a non-default branch does not refresh HEAD-tracking sets.
  assert.equal(appSetConcernsPush([git("https://github.com/org/apps.git")], { ...ev, revision: "feature" }), false);
  assert.equal(appSetConcernsPush([git("https://github.com/org/apps.git", "feature")], { ...ev, revision: "feature" }), true);
});
