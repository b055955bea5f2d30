// The operator's git webhook endpoint attacked through the running process (issue 10, finding 5):
// with only the GitHub secret in argocd-secret, unsigned GitLab- and Gogs-style pushes for the
// app's repository are refused and refresh nothing, while a signed GitHub push refreshes the app;
// `$name:key` secret references resolve (a dangling one refuses); argocd-cm's
// webhook.maxPayloadSizeMB is applied without a restart.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHmac, randomBytes } from "node:crypto";
import { KubeClient } from "../../operator/kube/client.js";
import { loadKubeConfig } from "../../operator/operator.js";
import { sharedCluster } from "../support/cluster.js";
import { eventually } from "../support/eventually.js";
import { startGitServer } from "../support/git-server.js";
import { postHeadersFirst } from "../support/http-post.js";
import { startOperatorProcess } from "../support/operator-process.js";

const API = "argoproj.io/v1alpha1";

const post = postHeadersFirst;

async function reconciles(probe: string): Promise<number> {
  const res = await fetch(`${probe}/metrics`);
  let total = 0;
  for (const line of (await res.text()).split("\n")) {
    if (line.startsWith("controller_runtime_reconcile_total{") && line.includes('controller="application-refresh"')) total += Number(line.split(" ").pop());
  }
  return total;
}

test("webhooks: with only the GitHub secret set, other providers' unsigned pushes are refused; a signed push refreshes", async (t) => {
  const cluster = await sharedCluster();
  const client = new KubeClient(loadKubeConfig(cluster.kubeconfigPath));
  t.after(() => client.close());
  const ns = `hawser-wh-${randomBytes(3).toString("hex")}`;
  const git = await startGitServer();
  t.after(() => git.stop());
  await git.createRepo("guestbook", { "guestbook/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: guestbook\ndata: {}\n" });
  const repoURL = git.baseUrl("guestbook");

  const op = startOperatorProcess({ kubeconfig: cluster.kubeconfigPath, namespace: ns, args: ["--app-resync", "0"] });
  t.after(async () => { await op.stop("SIGKILL"); });
  await op.waitForLog((l) => l.msg === "controllers started", 90_000);
  const hookUrl = `http://${String((await op.waitForLog((l) => l.msg === "serving git webhooks")).address)}/api/webhook`;
  const probe = await op.probeUrl();
  const warning = await op.waitForLog((l) => String(l.msg).startsWith("git webhooks are unauthenticated"));
  assert.equal(warning.level, "warn", "no secret: the start-up log says the webhook is unauthenticated");

  await client.create({
    apiVersion: API, kind: "Application", metadata: { name: "guestbook", namespace: ns },
    spec: { project: "default", source: { repoURL, path: "guestbook", targetRevision: "HEAD" }, destination: { server: "https://kubernetes.default.svc", namespace: ns } },
  });
  await eventually(async () => {
    const app = await client.get(API, "Application", "guestbook", ns);
    assert.ok((app?.status as { reconciledAt?: string } | undefined)?.reconciledAt, "the app has been compared once");
  }, { timeoutMs: 60_000 });

  await client.create({ apiVersion: "v1", kind: "Secret", metadata: { name: "argocd-secret", namespace: ns }, stringData: { "webhook.github.secret": "argocd-webhook-secret" } });
  const required = await op.waitForLog((l) => l.msg === "git webhooks require a signature or token");
  assert.deepEqual(required.providers, ["github"]);
  const githubPush = JSON.stringify({ ref: "refs/heads/main", repository: { clone_url: repoURL, default_branch: "main" }, commits: [] });
  await eventually(async () => {
    assert.equal((await post(hookUrl, { "X-GitHub-Event": "push" }, githubPush)).status, 401, "the secret has reached the operator");
  }, { timeoutMs: 10_000 });

  const gitlabPush = JSON.stringify({ object_kind: "push", ref: "refs/heads/main", project: { git_http_url: repoURL, default_branch: "main" }, commits: [] });
  const gogsPush = JSON.stringify({ ref: "refs/heads/main", repository: { clone_url: repoURL, default_branch: "main" }, commits: [] });
  const gogsSignedWithGitHubSecret = createHmac("sha256", "argocd-webhook-secret").update(gogsPush).digest("hex");
  for (const [name, headers, body] of [
    ["unsigned GitLab", { "X-Gitlab-Event": "Push Hook" }, gitlabPush],
    ["GitLab with the GitHub secret as its token", { "X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": "argocd-webhook-secret" }, gitlabPush],
    ["unsigned Gogs", { "X-Gogs-Event": "push" }, gogsPush],
    ["Gogs signed with the GitHub secret", { "X-Gogs-Event": "push", "X-Gogs-Signature": gogsSignedWithGitHubSecret }, gogsPush],
  ] as Array<[string, Record<string, string>, string]>) {
    const r = await post(hookUrl, { "Content-Type": "application/json", ...headers }, body);
    assert.equal(r.status, 403, `${name}: ${r.text}`);
  }

  const before = await reconciles(probe);
  const signature = `sha256=${createHmac("sha256", "argocd-webhook-secret").update(githubPush).digest("hex")}`;
  const signed = await post(hookUrl, { "Content-Type": "application/json", "X-GitHub-Event": "push", "X-Hub-Signature-256": signature }, githubPush);
  assert.equal(signed.status, 200, signed.text);
  await op.waitForLog((l) => l.msg === "webhook push: refreshing applications" && l.applications === 1);
  await eventually(async () => assert.ok((await reconciles(probe)) > before, "the signed push refreshed the app"), { timeoutMs: 10_000 });
  // Log lines arrive in order: the refused deliveries came first and left no trace.
  const received = op.logs.filter((l) => l.msg === "webhook push received");
  assert.deepEqual(received.map((l) => l.provider), ["github"], "only the signed push was accepted");

  // A `$name:key` reference to a Secret labelled part-of argocd is resolved; the reference text
  // itself, which anyone reading the manifests knows, never works as the secret.
  const signedWith = (secret: string): Record<string, string> => ({ "X-GitHub-Event": "push", "X-Hub-Signature-256": `sha256=${createHmac("sha256", secret).update(githubPush).digest("hex")}` });
  await client.create({ apiVersion: "v1", kind: "Secret", metadata: { name: "webhook-creds", namespace: ns, labels: { "app.kubernetes.io/part-of": "argocd" } }, stringData: { github: "rotated" } });
  await client.patch({ apiVersion: "v1", kind: "Secret", name: "argocd-secret", namespace: ns }, { stringData: { "webhook.github.secret": "$webhook-creds:github" } });
  await eventually(async () => assert.equal((await post(hookUrl, signedWith("rotated"), githubPush)).status, 200, "signed with the referenced value"), { timeoutMs: 20_000 });
  assert.equal((await post(hookUrl, signedWith("$webhook-creds:github"), githubPush)).status, 401, "signed with the reference text");
  await client.patch({ apiVersion: "v1", kind: "Secret", name: "argocd-secret", namespace: ns }, { stringData: { "webhook.github.secret": "$webhook-creds:gone" } });
  await eventually(async () => {
    const r = await post(hookUrl, signedWith("$webhook-creds:gone"), githubPush);
    assert.equal(r.status, 403, r.text);
    assert.match(r.text, /does not resolve/);
  }, { timeoutMs: 20_000 });

  // webhook.maxPayloadSizeMB from argocd-cm, read live: a declared 2 MB body is refused unread.
  await client.patch({ apiVersion: "v1", kind: "Secret", name: "argocd-secret", namespace: ns }, { stringData: { "webhook.github.secret": "argocd-webhook-secret" } });
  await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-cm", namespace: ns }, data: { "webhook.maxPayloadSizeMB": "1" } });
  const wellFormed = `sha256=${"0".repeat(64)}`;
  await eventually(async () => {
    const r = await post(hookUrl, { "X-GitHub-Event": "push", "X-Hub-Signature-256": wellFormed, "Content-Length": String(2 * 1024 * 1024) });
    assert.equal(r.status, 413, r.text);
  }, { timeoutMs: 20_000 });
  await client.patch({ apiVersion: "v1", kind: "ConfigMap", name: "argocd-cm", namespace: ns }, { data: { "webhook.maxPayloadSizeMB": "ten" } });
  await eventually(async () => {
    await post(hookUrl, { "X-GitHub-Event": "push", "X-Hub-Signature-256": wellFormed, "Content-Length": String(60 * 1024 * 1024) }).catch(() => undefined);
    assert.ok(op.logs.some((l) => String(l.msg).includes("webhook.maxPayloadSizeMB must be a positive whole number")), "a bad value is reported and the default (50) applies");
  }, { timeoutMs: 20_000 });
});
