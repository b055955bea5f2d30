import { test } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { checkHeaders } from "./auth.js";
import { appSetConcernsPush, pathsTouched, pushConcerns, repoIdentity } from "./match.js";
import { MAX_REPO_URL_LENGTH, parseWebhook, webhookSecretsFrom, type PushEvent } from "./parse.js";

type Json = Record<string, unknown>;

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

// ---- attacks (issue 10, finding 5) ----

const gitlabPush = Buffer.from(JSON.stringify({ object_kind: "push", ref: "refs/heads/main", project: { git_http_url: "https://github.com/eocndp/argocd-kustomize-demo.git" }, commits: [] }));
const gogsPush = Buffer.from(JSON.stringify({ ref: "refs/heads/main", repository: { clone_url: "https://github.com/eocndp/argocd-kustomize-demo.git" }, commits: [] }));
const hmac = (body: Buffer, secret: string): string => createHmac("sha256", secret).update(body).digest("hex");

test("with only the GitHub secret set, every other provider is refused, however it is dressed up", () => {
  const cases: Array<[string, Record<string, string>, Buffer]> = [
    ["unsigned GitLab", { "x-gitlab-event": "Push Hook" }, gitlabPush],
    ["GitLab with the GitHub secret as token", { "x-gitlab-event": "Push Hook", "x-gitlab-token": "argocd-webhook-secret" }, gitlabPush],
    ["unsigned Gogs", { "x-gogs-event": "push" }, gogsPush],
    ["Gogs signed with the GitHub secret", { "x-gogs-event": "push", "x-gogs-signature": hmac(gogsPush, "argocd-webhook-secret") }, gogsPush],
    ["Bitbucket Server signed with the GitHub secret", { "x-event-key": "repo:refs_changed", "x-hub-signature": `sha256=${hmac(gogsPush, "argocd-webhook-secret")}` }, gogsPush],
    ["Bitbucket Cloud", { "x-event-key": "repo:push", "x-hook-uuid": "argocd-webhook-secret" }, gogsPush],
    ["Azure DevOps", { "x-vss-activityid": "1", authorization: `Basic ${Buffer.from(":argocd-webhook-secret").toString("base64")}` }, gogsPush],
  ];
  for (const [name, headers, body] of cases) {
    const r = parseWebhook(headers, body, secrets);
    assert.equal(r.kind, "rejected", name);
    assert.equal(r.kind === "rejected" && r.status, 403, name);
    assert.match(r.kind === "rejected" ? r.reason : "", /is not set while another provider's webhook secret is/, name);
  }
});

test("each provider is accepted only with its own secret when several are set", () => {
  const all = webhookSecretsFrom({ stringData: { "webhook.github.secret": "gh", "webhook.gogs.secret": "gg", "webhook.gitlab.secret": "gl" } });
  assert.equal(parseWebhook({ "x-gogs-event": "push", "x-gogs-signature": hmac(gogsPush, "gg") }, gogsPush, all).kind, "push");
  const crossed = parseWebhook({ "x-gogs-event": "push", "x-gogs-signature": hmac(gogsPush, "gh") }, gogsPush, all);
  assert.deepEqual(crossed.kind === "rejected" && [crossed.status, crossed.reason], [401, "signature does not match webhook.gogs.secret"]);
  assert.equal(parseWebhook({ "x-gitlab-event": "Push Hook", "x-gitlab-token": "gh" }, gitlabPush, all).kind, "rejected", "GitLab with the GitHub secret");
  assert.equal(parseWebhook({ "x-gitlab-event": "Push Hook", "x-gitlab-token": "gl" }, gitlabPush, all).kind, "push");
});

test("signature headers are checked before the body: a missing or malformed one is refused from headers alone", () => {
  const gh = { github: "s" };
  for (const [name, headers] of [
    ["no signature", { "x-github-event": "push" }],
    ["sha256 of the wrong length", { "x-github-event": "push", "x-hub-signature-256": "sha256=abc" }],
    ["not hex", { "x-github-event": "push", "x-hub-signature-256": `sha256=${"z".repeat(64)}` }],
  ] as Array<[string, Record<string, string>]>) {
    const r = checkHeaders(headers, gh);
    assert.equal(r.kind === "rejected" && r.status, 401, name);
  }
  assert.deepEqual(checkHeaders({ "x-github-event": "push", "x-hub-signature-256": `sha256=${"a".repeat(64)}` }, gh), { kind: "accepted", provider: "github" });
  assert.equal(checkHeaders({ "x-gitlab-event": "Push Hook", "x-gitlab-token": "wrong" }, { gitlab: "t" }).kind, "rejected", "tokens are settled from headers");
  assert.deepEqual(checkHeaders({ "x-gogs-event": "push" }, {}), { kind: "accepted", provider: "gogs" }, "no secret at all: accepted as Argo does");
});

// Malformed deliveries: Argo's GHSA-wp4p-9pxh-cgx2, GHSA-gpx4-37g2-c8pv, GHSA-f9gq-prrc-hrhc crashed on these shapes.
test("malformed Gogs, Azure DevOps, Bitbucket Server and other payloads are 400s naming the field", () => {
  const table: Array<[string, Record<string, string>, unknown, RegExp]> = [
    ["Gogs without repository", { "x-gogs-event": "push" }, { ref: "refs/heads/main" }, /repository is missing/],
    ["Gogs repository as a string", { "x-gogs-event": "push" }, { ref: "refs/heads/main", repository: "x" }, /repository must be an object/],
    ["Gogs without any URL", { "x-gogs-event": "push" }, { ref: "refs/heads/main", repository: {} }, /no repository URL/],
    ["Gogs clone_url a number", { "x-gogs-event": "push" }, { ref: "refs/heads/main", repository: { clone_url: 7 } }, /repository.clone_url must be a string/],
    ["Gogs without ref", { "x-gogs-event": "push" }, { repository: { clone_url: "https://h/o/r" } }, /ref is missing/],
    ["Gogs commits an object", { "x-gogs-event": "push" }, { ref: "main", repository: { clone_url: "https://h/o/r" }, commits: {} }, /commits must be an array/],
    ["Gogs added files not strings", { "x-gogs-event": "push" }, { ref: "main", repository: { clone_url: "https://h/o/r" }, commits: [{ added: [1] }] }, /commits\[0\].added\[0\] must be a string/],
    ["Azure without resource", { "x-vss-activityid": "1" }, { eventType: "git.push" }, /resource is missing/],
    ["Azure without repository", { "x-vss-activityid": "1" }, { eventType: "git.push", resource: { refUpdates: [{ name: "refs/heads/main" }] } }, /resource.repository is missing/],
    ["Azure refUpdates empty", { "x-vss-activityid": "1" }, { eventType: "git.push", resource: { repository: { remoteUrl: "https://h/o/r" }, refUpdates: [] } }, /resource.refUpdates is empty/],
    ["Azure refUpdates[0] null", { "x-vss-activityid": "1" }, { eventType: "git.push", resource: { repository: { remoteUrl: "https://h/o/r" }, refUpdates: [null] } }, /resource.refUpdates\[0\] is missing/],
    ["Azure refUpdates a string", { "x-vss-activityid": "1" }, { eventType: "git.push", resource: { repository: { remoteUrl: "https://h/o/r" }, refUpdates: "main" } }, /resource.refUpdates must be an array/],
    ["Bitbucket Server without links", { "x-event-key": "repo:refs_changed" }, { repository: {}, changes: [{ refId: "refs/heads/main" }] }, /repository.links is missing/],
    ["Bitbucket Server clone not an array", { "x-event-key": "repo:refs_changed" }, { repository: { links: { clone: {} } }, changes: [{ refId: "refs/heads/main" }] }, /repository.links.clone must be an array/],
    ["Bitbucket Server clone entry a string", { "x-event-key": "repo:refs_changed" }, { repository: { links: { clone: ["x"] } }, changes: [{ refId: "refs/heads/main" }] }, /repository.links.clone\[0\] must be an object/],
    ["Bitbucket Server without changes", { "x-event-key": "repo:refs_changed" }, { repository: { links: { clone: [{ href: "https://h/o/r" }] } } }, /changes is empty/],
    ["Bitbucket Server refId a number", { "x-event-key": "repo:refs_changed" }, { repository: { links: { clone: [{ href: "https://h/o/r" }] } }, changes: [{ refId: 1 }] }, /changes\[0\].refId must be a string/],
    ["Bitbucket Cloud push missing", { "x-event-key": "repo:push", "x-hook-uuid": "u" }, { repository: { links: { html: { href: "https://h/o/r" } } } }, /push is missing/],
    ["GitHub repository an array", { "x-github-event": "push" }, { ref: "main", repository: [] }, /repository must be an object/],
    ["GitLab project missing", { "x-gitlab-event": "Push Hook" }, { object_kind: "push", ref: "main" }, /project is missing/],
    ["a JSON array", { "x-gogs-event": "push" }, [], /payload is not a JSON object/],
    ["JSON null", { "x-gogs-event": "push" }, null, /payload is not a JSON object/],
  ];
  for (const [name, headers, payload, reason] of table) {
    const r = parseWebhook(headers, Buffer.from(JSON.stringify(payload)), {});
    assert.equal(r.kind === "rejected" && r.status, 400, `${name}: ${JSON.stringify(r)}`);
    assert.match(r.kind === "rejected" ? r.reason : "", reason, name);
  }
});

test("random corruptions of every provider's payload never throw and never yield a push without a repository", () => {
  const samples: Array<[Record<string, string>, Json]> = [
    [{ "x-github-event": "push" }, { ref: "refs/heads/main", after: "a", repository: { html_url: "https://h/o/r", default_branch: "main" }, commits: [{ added: ["a"], modified: [], removed: [] }] }],
    [{ "x-gitlab-event": "Push Hook" }, { object_kind: "push", ref: "refs/heads/main", project: { web_url: "https://h/o/r" }, commits: [] }],
    [{ "x-gogs-event": "push" }, { ref: "refs/heads/main", repository: { clone_url: "https://h/o/r" }, commits: [{ modified: ["x"] }] }],
    [{ "x-event-key": "repo:refs_changed" }, { repository: { links: { clone: [{ href: "https://h/o/r" }] } }, changes: [{ refId: "refs/heads/main", toHash: "b" }] }],
    [{ "x-event-key": "repo:push", "x-hook-uuid": "u" }, { repository: { links: { html: { href: "https://h/o/r" } } }, push: { changes: [{ new: { name: "main", target: { hash: "c" } } }] } }],
    [{ "x-vss-activityid": "1" }, { eventType: "git.push", resource: { repository: { remoteUrl: "https://h/o/r", defaultBranch: "refs/heads/main" }, refUpdates: [{ name: "refs/heads/main", newObjectId: "d" }] } }],
  ];
  let seed = 42;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const junk: unknown[] = [null, 0, 1.5, "", "x", true, [], {}, [null], [{}], { href: 3 }];
  const paths = (v: unknown, prefix: string[] = []): string[][] => {
    if (v === null || typeof v !== "object") return [prefix];
    return [prefix, ...Object.entries(v as Json).flatMap(([k, c]) => paths(c, [...prefix, k]))];
  };
  let pushes = 0;
  for (const [headers, payload] of samples) {
    assert.equal(parseWebhook(headers, Buffer.from(JSON.stringify(payload)), {}).kind, "push", `the valid sample for ${JSON.stringify(headers)} parses`);
    const all = paths(payload).filter((p) => p.length > 0);
    for (let i = 0; i < 300; i++) {
      const copy = JSON.parse(JSON.stringify(payload)) as Json;
      const path = all[rand(all.length)]!;
      let parent: Record<string, unknown> = copy;
      for (const k of path.slice(0, -1)) parent = parent[k] as Record<string, unknown>;
      if (rand(4) === 0) delete parent[path.at(-1)!];
      else parent[path.at(-1)!] = junk[rand(junk.length)];
      let r: ReturnType<typeof parseWebhook>;
      assert.doesNotThrow(() => { r = parseWebhook(headers, Buffer.from(JSON.stringify(copy)), {}); }, `${path.join(".")}`);
      const result = r!;
      if (result.kind === "rejected") assert.equal(result.status, 400, `${path.join(".")}: ${result.reason}`);
      if (result.kind === "push") {
        pushes++;
        assert.ok(result.event.repoURLs.length > 0 && result.event.repoURLs.every((u) => typeof u === "string"), `a push always names its repository (${path.join(".")})`);
        assert.equal(typeof result.event.revision, "string", `revision is a string (${path.join(".")})`);
      }
    }
  }
  assert.ok(pushes > 0, "some corruptions (of optional fields) still parse");
});

test("repository URLs over 2 KB are refused; a changed-file list over the cap reads as unknown", () => {
  const long = `https://h/${"/".repeat(98 * 1024)}x`;
  const r = parseWebhook({ "x-gogs-event": "push" }, Buffer.from(JSON.stringify({ ref: "main", repository: { clone_url: long } })), {});
  assert.deepEqual(r.kind === "rejected" && [r.status, r.reason], [400, `malformed gogs payload: repository.clone_url is longer than ${MAX_REPO_URL_LENGTH} characters`]);
  const many = Array.from({ length: 10_001 }, (_, i) => `f${i}`);
  const p = parseWebhook({ "x-github-event": "push" }, Buffer.from(JSON.stringify({ ref: "main", repository: { html_url: "https://h/o/r" }, commits: [{ added: many }] })), {});
  assert.deepEqual(p.kind === "push" && p.event.changedFiles, [], "too many files: every matching app refreshes");
});

test("repository identity: many URL forms, computed in one pass (a megabyte of slashes is no harder than its length)", { timeout: 60_000 }, () => {
  const table: Array<[string, string]> = [
    ["https://github.com/org/repo", "github.com/org/repo"],
    ["https://github.com/org/repo.git/", "github.com/org/repo"],
    ["http://user:pass@github.com/org/repo", "github.com/org/repo"],
    ["git+ssh://git@github.com/org/repo.git", "github.com/org/repo"],
    ["ssh://git@gitlab.example:2222/group/sub/repo.git", "gitlab.example/group/sub/repo"],
    ["git@gitlab.example:group/sub/repo.git", "gitlab.example/group/sub/repo"],
    ["gitlab.example:group/repo", "gitlab.example/group/repo"],
    ["github.com/org/repo", "github.com/org/repo"],
    ["user@github.com/org/repo", "github.com/org/repo"],
    ["http://127.0.0.1:38123/apps", "127.0.0.1/apps"],
    ["http://[::1]:8080/apps.git", "[::1]/apps"],
    ["  HTTPS://Git.Example/Org/Repo.GIT  ", "git.example/org/repo"],
    ["https://dev.azure.com/org/proj/_git/repo", "dev.azure.com/org/proj/_git/repo"],
    ["file:///srv/git/repo.git", "/srv/git/repo"],
    ["https://github.com", "github.com"],
  ];
  for (const [url, id] of table) assert.equal(repoIdentity(url), id, url);
  // The inputs that made the old regular expressions backtrack quadratically (98 KB took 7 s):
  // a megabyte of them would take hours there.
  const mb = 1024 * 1024;
  assert.equal(repoIdentity(`${"/".repeat(mb)}x`), `${"/".repeat(mb)}x`);
  assert.equal(repoIdentity(`https://h${"/".repeat(mb)}x`), `h${"/".repeat(mb)}x`);
  assert.equal(repoIdentity(`https://h/o/r${"/".repeat(mb)}`), "h/o/r");
  assert.equal(repoIdentity(`${":".repeat(mb)}`), ":".repeat(mb));
  assert.equal(repoIdentity(`${"@".repeat(mb)}:x`), "/x");
  assert.equal(repoIdentity(`git@h:${"1/".repeat(mb / 2)}`), `h/${"1/".repeat(mb / 2 - 1)}1`);
});

test("secret references: $key and $name:key resolve; an unresolved one is no secret and refuses everything", () => {
  const lookup = (name: string, key: string): string | undefined => (name === "webhook-creds" && key === "github" ? " from-other-secret\n" : undefined);
  const same = webhookSecretsFrom({ stringData: { "webhook.github.secret": "$alt", alt: "from-same-secret" } }, lookup);
  assert.equal(same.github, "from-same-secret");
  const other = webhookSecretsFrom({ stringData: { "webhook.github.secret": "$webhook-creds:github" } }, lookup);
  assert.equal(other.github, "from-other-secret", "referenced values are trimmed, as Argo does");
  assert.equal(parseWebhook({ "x-github-event": "push", "x-hub-signature-256": sign(githubPush, "from-other-secret") }, githubPush, other).kind, "push");

  // The reference string is visible to anyone who reads the manifests: signing with it must not work.
  const dangling = webhookSecretsFrom({ stringData: { "webhook.github.secret": "$webhook-creds:missing" } }, lookup);
  const forged = parseWebhook({ "x-github-event": "push", "x-hub-signature-256": sign(githubPush, "$webhook-creds:missing") }, githubPush, dangling);
  assert.equal(forged.kind === "rejected" && forged.status, 403, JSON.stringify(forged));
  assert.match(forged.kind === "rejected" ? forged.reason : "", /webhook.github.secret refers to "\$webhook-creds:missing", which does not resolve/);
  // And it still counts as configured: other providers are not let in unauthenticated.
  assert.equal(parseWebhook({ "x-gogs-event": "push" }, gogsPush, dangling).kind, "rejected", "Gogs while GitHub's secret is a dangling reference");
});
