// Notifications end to end: seed 000's argocd-notifications-cm (its keys as written, with only the
// Slack API URL pointed at a loopback receiver) on the real control plane. A successful sync sends
// exactly one chat.postMessage with the bot token and the template filled in; a restarted operator
// does not send it again; a failing sync (refused by its project) sends on-sync-failed (the catalogue's trigger and
// template); an email subscription reaches a real SMTP server on loopback; a webhook whose first
// call fails is reported (Event, metric) and retried until it is delivered once. A second test
// fills a webhook from repo.GetCommitMetadata and repo.GetAppDetails (a tagged commit on the
// loopback git server), read by the operator before it evaluates the trigger, threads and updates
// a Slack message by groupingKey, sends GitHub's deployment, pull request comment and check run to
// a loopback API (enterpriseBaseURL), and leaves an app outside --notifications-app-label-selector
// alone. A third runs self-service mode: the app's own namespace's ConfigMap and Secret.
import { execFileSync } from "node:child_process";
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { SMTPServer } from "smtp-server";
import { parse } from "yaml";
import { NOTIFICATIONS_CATALOGUE } from "../../operator/engine/notifications/catalogue.js";
import { NOTIFIED_ANNOTATION } from "../../operator/engine/notifications/plan.js";
import { seedsDir } from "../crds/seeds.js";
import { eventually } from "../support/eventually.js";
import { scrapeSamples } from "../support/promql-names.js";
import { API, createWorld } from "../support/world.js";

interface Received { method: string; path: string; headers: IncomingMessage["headers"]; body: string }
interface AppStatus { sync?: { status?: string }; operationState?: { phase?: string } }

async function startReceiver(): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  let flakyCalls = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      // The first call to the flaky webhook fails: the controller must retry it later.
      if (req.url?.startsWith("/flaky/") && ++flakyCalls === 1) {
        res.statusCode = 503;
        res.end();
        return;
      }
      res.setHeader("content-type", "application/json");
      // GitHub's API (enterpriseBaseURL): no deployments yet, a new one gets id 1, the commit is in pull request 3.
      if (req.url?.startsWith("/github/")) {
        const get = req.method === "GET";
        res.statusCode = get ? 200 : 201;
        res.end(get ? (req.url.endsWith("/pulls") ? JSON.stringify([{ number: 3 }]) : "[]") : JSON.stringify({ id: 1 }));
        return;
      }
      // Slack's API answers 200 with ok:true.
      res.end(JSON.stringify({ ok: true, channel: "C1", ts: "1.0" }));
    });
  });
  server.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, received, close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

async function startSmtp(): Promise<{ port: number; mails: { from: string; to: string[]; raw: string }[]; close(): Promise<void> }> {
  const mails: { from: string; to: string[]; raw: string }[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : "";
        mails.push({ from, to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString("utf8") });
        callback();
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const { port } = server.server.address() as AddressInfo;
  return { port, mails, close: () => new Promise((r) => server.close(() => r())) };
}

const chatPosts = (received: Received[], channel: string): Record<string, unknown>[] =>
  received
    .filter((r) => r.path === "/slack/api/chat.postMessage")
    .map((r) => JSON.parse(r.body) as Record<string, unknown>)
    .filter((b) => b.channel === channel);

test("seed 000's notifications: one Slack message per successful sync, none again after a restart, on-sync-failed, email over SMTP", async (t) => {
  const dir = seedsDir();
  if (!dir) return t.skip("seed fixtures not present");
  const seedCm = parse(await readFile(join(dir, "000", "argocd-notifications-cm.yaml"), "utf8")) as { data: Record<string, string> };
  const receiver = await startReceiver();
  t.after(() => receiver.close());
  const smtp = await startSmtp();
  t.after(() => smtp.close());

  const data: Record<string, string> = {
    ...seedCm.data,
    // The only change to the seed's keys: Slack's API is the loopback receiver.
    "service.slack": `${seedCm.data["service.slack"]}apiURL: ${receiver.url}/slack/api/\n`,
    "service.email": `host: 127.0.0.1\nport: ${smtp.port}\nfrom: hawser@example.com\n`,
    "trigger.on-sync-failed": NOTIFICATIONS_CATALOGUE["trigger.on-sync-failed"]!,
    "template.app-sync-failed": NOTIFICATIONS_CATALOGUE["template.app-sync-failed"]!,
    "trigger.on-synced-mail": "- when: app.status.sync.status == 'Synced'\n  send: [synced-mail]\n",
    "template.synced-mail": "email:\n  subject: '{{.app.metadata.name}} synced to {{.app.spec.destination.namespace}}'\nmessage: 'Revision {{.app.status.sync.revision}} is live.'\n",
    "service.webhook.flaky": `url: ${receiver.url}/flaky\nretryMax: 0\nheaders:\n- name: X-Hook-Token\n  value: $hook-token\n`,
    "trigger.on-synced-hook": "- when: app.status.sync.status == 'Synced'\n  send: [synced-hook]\n",
    "template.synced-hook": "webhook:\n  flaky:\n    method: POST\n    path: /{{.app.metadata.name}}\n    body: '{\"app\": \"{{.app.metadata.name}}\", \"revision\": \"{{.app.status.sync.revision}}\"}'\n",
    "context": "argocdUrl: https://cd.example\n",
  };
  const w = await createWorld(t, {
    name: "notif",
    repos: {
      good: { "cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notif-good\ndata:\n  a: \"1\"\n" },
    },
    startOperator: false,
  });
  const { client, ns } = w;
  await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-notifications-cm", namespace: ns }, data });
  await client.create({ apiVersion: "v1", kind: "Secret", metadata: { name: "argocd-notifications-secret", namespace: ns }, stringData: { "slack-token": "xoxb-test-token", "hook-token": "hook-secret" } });
  await w.startOperator();

  const goodDest = w.dest("good");
  await client.create(w.application("my-api", {
    repo: "good", path: ".", dest: goodDest,
    syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ["CreateNamespace=true"] },
    metadata: { annotations: {
      "notifications.argoproj.io/subscribe.on-sync-succeeded.slack": "deploys",
      "notifications.argoproj.io/subscribe.on-synced-mail.email": "team@example.com",
      "notifications.argoproj.io/subscribe.on-synced-hook.flaky": "",
    } },
  }));

  await eventually(async () => {
    const s = await w.status<AppStatus>("my-api");
    assert.equal(s?.sync?.status, "Synced", "my-api synced");
    assert.equal(chatPosts(receiver.received, "deploys").length, 1, "one chat.postMessage to #deploys");
    assert.equal(smtp.mails.length, 1, "one email delivered");
  }, { timeoutMs: 120_000 });

  const post = receiver.received.find((r) => r.path === "/slack/api/chat.postMessage")!;
  assert.equal(post.method, "POST");
  assert.equal(post.headers.authorization, "Bearer xoxb-test-token", "the bot token from argocd-notifications-secret");
  assert.match(String(post.headers["content-type"]), /^application\/json/);
  const body = JSON.parse(post.body) as { channel: string; attachments: { color: string; title: string; text: string; fields: { title: string; value: string; short: boolean }[] }[] };
  const app = await w.getApp("my-api");
  const revision = (app?.status as { sync: { revision: string } }).sync.revision;
  assert.deepEqual(body.attachments, [{
    color: "#18be52",
    title: "my-api 동기화 완료",
    text: `리비전: ${revision}`,
    fields: [{ title: "네임스페이스", value: goodDest, short: true }],
  }], "the seed's attachment with the app's name, revision and namespace filled in");

  // The flaky webhook: the first send failed (a Warning Event naming the service, a failed delivery
  // counted), the controller retried, and exactly one request succeeded, with the template filled in.
  const hookCalls = (): Received[] => receiver.received.filter((r) => r.path === "/flaky/my-api");
  await eventually(async () => {
    assert.equal(hookCalls().length, 2, "one failed and one successful webhook call");
    const events = await client.list("v1", "Event", { namespace: ns, fieldSelector: "involvedObject.name=my-api,reason=NotificationFailed" });
    const messages = events.items.map((e) => String(e.message));
    assert.ok(messages.some((m) => m === "failed to notify flaky of on-synced-hook: webhook flaky: HTTP 503"), `NotificationFailed event: ${JSON.stringify(messages)}`);
    assert.ok(messages.every((m) => !m.includes("hook-secret") && !m.includes(receiver.url)), "no secret or URL in the event");
  }, { timeoutMs: 60_000 });
  const hook = hookCalls()[1]!;
  assert.equal(hook.method, "POST");
  assert.equal(hook.headers["x-hook-token"], "hook-secret", "the header's $hook-token from the Secret");
  assert.deepEqual(JSON.parse(hook.body), { app: "my-api", revision });
  await eventually(async () => {
    const samples = scrapeSamples(await (await fetch(`${await w.op.probeUrl()}/metrics`)).text())
      .filter((s) => s.name === "argocd_notifications_deliveries_total" && s.labels.trigger === "on-synced-hook" && s.labels.service === "flaky");
    assert.deepEqual(samples.map((m) => [m.labels.succeeded, m.value]).sort(), [["false", 1], ["true", 1]], "one failed and one successful delivery counted");
  }, { timeoutMs: 10_000 });

  const mail = smtp.mails[0]!;
  assert.equal(mail.from, "hawser@example.com");
  assert.deepEqual(mail.to, ["team@example.com"]);
  assert.match(mail.raw, new RegExp(`^Subject: my-api synced to ${goodDest}\\r?$`, "m"), "subject rendered");
  assert.ok(mail.raw.includes(`Revision ${revision} is live.`), `body rendered:\n${mail.raw}`);

  await eventually(async () => {
    const a = await w.getApp("my-api");
    const notified = JSON.parse(a?.metadata.annotations?.[NOTIFIED_ANNOTATION] ?? "{}") as Record<string, number>;
    assert.ok(Object.keys(notified).some((k) => k.startsWith("on-sync-succeeded:[0].") && k.endsWith(":slack:deploys")), `delivery recorded: ${JSON.stringify(notified)}`);
  }, { timeoutMs: 30_000 });

  // A restart: the new operator evaluates the app again (its trigger counter moves) and sends nothing.
  await w.op.stop("SIGTERM");
  const op2 = await w.startOperator();
  await w.refresh("my-api");
  await eventually(async () => {
    const res = await fetch(`${await op2.probeUrl()}/metrics`);
    const evals = scrapeSamples(await res.text()).filter((s) => s.name === "argocd_notifications_trigger_eval_total" && s.labels.name === "on-sync-succeeded" && s.labels.triggered === "true");
    assert.ok(evals.length === 1 && evals[0]!.value >= 1, "the restarted operator evaluated on-sync-succeeded as fired");
  }, { timeoutMs: 60_000 });
  assert.equal(chatPosts(receiver.received, "deploys").length, 1, "not sent again after the restart");
  assert.equal(smtp.mails.length, 1, "no second email after the restart");
  assert.equal(hookCalls().length, 2, "no further webhook call after the restart");

  // A failing sync: a project that does not allow the repository makes the operation end in Error;
  // on-sync-failed sends the catalogue's template.
  await client.create({
    apiVersion: API, kind: "AppProject", metadata: { name: "strict", namespace: ns },
    spec: { sourceRepos: ["https://nowhere.example/*"], destinations: [{ server: "*", namespace: "*" }] },
  });
  await client.create(w.application("broken", {
    repo: "good", path: ".", dest: w.dest("bad"), project: "strict",
    metadata: { annotations: { "notifications.argoproj.io/subscribe.on-sync-failed.slack": "alerts" } },
    extra: { operation: { sync: {} } },
  }));
  await eventually(async () => {
    const s = await w.status<AppStatus>("broken");
    assert.match(String(s?.operationState?.phase), /^(Failed|Error)$/, "the sync failed");
    assert.equal(chatPosts(receiver.received, "alerts").length, 1, "one on-sync-failed message to #alerts");
  }, { timeoutMs: 120_000 });
  const failed = chatPosts(receiver.received, "alerts")[0]!;
  assert.match(String(failed.text), /^:exclamation: Failed to sync application broken: /, "the catalogue's message for slack");
  const attachments = JSON.parse(JSON.stringify(failed.attachments)) as { title_link: string; color: string }[];
  assert.equal(attachments[0]?.title_link, "https://cd.example/applications/broken");
  assert.equal(attachments[0]?.color, "#E96D76");

  const res = await fetch(`${await op2.probeUrl()}/metrics`);
  const deliveries = scrapeSamples(await res.text()).filter((s) => s.name === "argocd_notifications_deliveries_total");
  assert.ok(deliveries.some((s) => s.labels.trigger === "on-sync-failed" && s.labels.service === "slack" && s.labels.succeeded === "true"),
    `deliveries counted with Argo's labels: ${JSON.stringify(deliveries)}`);
});

test("repo.GetCommitMetadata and repo.GetAppDetails: a tagged commit's author, message and tags and the source's type reach a webhook", async (t) => {
  const receiver = await startReceiver();
  t.after(() => receiver.close());
  const w = await createWorld(t, {
    name: "notif-repo",
    repos: { meta: { "cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notif-meta\ndata:\n  a: \"1\"\n" } },
    startOperator: false,
  });
  const { client, ns } = w;
  // The commit the app syncs: tagged, with a message of its own.
  const sha = await w.git.commitFiles("meta", { "cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notif-meta\ndata:\n  a: \"2\"\n" }, "Release two: a is 2");
  await w.git.tag("meta", "v2.0.0");
  await client.create({
    apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-notifications-cm", namespace: ns },
    data: {
      "service.webhook.meta": `url: ${receiver.url}/meta\n`,
      // A condition on the commit's tags and the app details' type: both must be fetched before evaluating.
      "trigger.on-release": "- when: \"app.status?.sync?.status == 'Synced' && 'v2.0.0' in repo.GetCommitMetadata(app.status.sync.revision).Tags"
        + " && repo.GetAppDetails().Type == 'Directory'\"\n  send: [release]\n",
      "template.release": "webhook:\n  meta:\n    method: POST\n    body: |\n"
        + "      {{ $c := call .repo.GetCommitMetadata .app.status.sync.revision }}{{ dict \"author\" $c.Author \"message\" $c.Message \"tags\" $c.Tags"
        + " \"year\" $c.Date.Year \"type\" (call .repo.GetAppDetails).Type | toJson }}\n",
      // Slack threads: condition [0] posts with a groupingKey, [1] (sent after it) updates that message.
      "service.slack": `token: $slack-token\napiURL: ${receiver.url}/slack/api/\n`,
      "trigger.on-release-slack": "- when: app.status?.sync?.status == 'Synced'\n  send: [release-post]\n"
        + "- when: app.status?.sync?.status == 'Synced'\n  send: [release-update]\n",
      "template.release-post": "message: '{{.app.metadata.name}} is syncing'\nslack:\n  groupingKey: '{{.app.metadata.name}}'\n",
      "template.release-update": "message: '{{.app.metadata.name}} synced'\nslack:\n  groupingKey: '{{.app.metadata.name}}'\n  deliveryPolicy: PostAndUpdate\n",
      // GitHub: a deployment with its status, a pull request comment and a check run on the synced commit.
      "service.github": `token: $github-token\nenterpriseBaseURL: ${receiver.url}/github/api/v3\n`,
      "trigger.on-release-github": "- when: app.status?.sync?.status == 'Synced'\n  send: [release-github]\n",
      "template.release-github": "message: '{{.app.metadata.name}} deployed'\ngithub:\n  repoURLPath: https://github.example/org/meta\n"
        + "  revisionPath: '{{.app.status.sync.revision}}'\n"
        + "  deployment:\n    state: success\n    environment: production\n    environmentURL: https://meta.example\n    requiredContexts: []\n"
        + "  pullRequestComment:\n    content: '{{.app.metadata.name}} is live'\n"
        + "  checkRun:\n    name: hawser\n    status: completed\n    conclusion: success\n    output:\n      title: Deployed\n      summary: '{{.app.metadata.name}} synced'\n",
    },
  });
  await client.create({ apiVersion: "v1", kind: "Secret", metadata: { name: "argocd-notifications-secret", namespace: ns }, stringData: { "slack-token": "xoxb-e2e", "github-token": "ghp_e2e" } });
  // Argo's notifications flags: two workers, and only apps labelled notify=yes are notified.
  await w.startOperator(["--notifications-processors-count=2", "--notifications-app-label-selector=notify=yes"]);
  const subscribed = { "notifications.argoproj.io/subscribe.on-release.meta": "", "notifications.argoproj.io/subscribe.on-release-slack.slack": "releases",
    "notifications.argoproj.io/subscribe.on-release-github.github": "" };
  // Subscribed too but outside the selector: synced first, it is never notified.
  await client.create(w.application("unlabelled", {
    repo: "meta", path: ".", dest: w.dest("unlabelled"),
    syncPolicy: { automated: { prune: true }, syncOptions: ["CreateNamespace=true"] },
    metadata: { annotations: subscribed },
  }));
  await eventually(async () => {
    assert.equal((await w.status<AppStatus>("unlabelled"))?.sync?.status, "Synced", "the unlabelled app synced");
  }, { timeoutMs: 120_000 });
  await client.create(w.application("released", {
    repo: "meta", path: ".", dest: w.dest("released"),
    syncPolicy: { automated: { prune: true }, syncOptions: ["CreateNamespace=true"] },
    metadata: { annotations: subscribed, labels: { notify: "yes" } },
  }));

  const calls = (): Received[] => receiver.received.filter((r) => r.path === "/meta");
  await eventually(async () => {
    const app = await w.getApp("released");
    assert.equal((app?.status as { sync?: { revision?: string } } | undefined)?.sync?.revision, sha, "synced at the tagged commit");
    assert.equal(calls().length, 1, "one webhook for the tagged release");
  }, { timeoutMs: 120_000 });
  const body = JSON.parse(calls()[0]!.body) as Record<string, unknown>;
  assert.deepEqual(body, {
    author: "Hawser Test <test@hawser.invalid>", message: "Release two: a is 2", tags: ["v2.0.0"],
    year: Number(execFileSync("git", ["log", "-1", "--format=%ad", "--date=format-local:%Y", sha], { cwd: join(w.git.root, "meta.git"), env: { ...process.env, TZ: "UTC" } }).toString().trim()),
    type: "Directory",
  }, "the commit's metadata from git and the source's details, filled in by the template");
  const events = await client.list("v1", "Event", { namespace: ns, fieldSelector: "involvedObject.name=released" });
  assert.ok(events.items.every((e) => !["NotificationFailed", "NotificationConfigError"].includes(String(e.reason))),
    `no notification problem reported: ${JSON.stringify(events.items.map((e) => e.message))}`);
  // The receiver answers every Slack call with channel C1 and ts 1.0: the update edits that message.
  const slackCalls = (): { path: string; body: Record<string, unknown> }[] => receiver.received
    .filter((r) => r.path.startsWith("/slack/api/")).map((r) => ({ path: r.path, body: JSON.parse(r.body) as Record<string, unknown> }));
  await eventually(async () => {
    assert.equal(slackCalls().length, 2, "one post and one update");
  }, { timeoutMs: 60_000 });
  assert.deepEqual(slackCalls(), [
    { path: "/slack/api/chat.postMessage", body: { channel: "releases", text: "released is syncing" } },
    { path: "/slack/api/chat.update", body: { channel: "C1", ts: "1.0", text: "released synced" } },
  ], "PostAndUpdate edits the message the groupingKey's first post made");
  const githubCalls = (): { method: string; path: string; body: unknown; auth: unknown }[] => receiver.received
    .filter((r) => r.path.startsWith("/github/")).map((r) => ({ method: r.method, path: r.path, body: r.body ? JSON.parse(r.body) as unknown : undefined, auth: r.headers.authorization }));
  await eventually(async () => {
    assert.equal(githubCalls().length, 6, "list and create the deployment, its status, the pull requests, the comment, the check run");
  }, { timeoutMs: 60_000 });
  const repoApi = "/github/api/v3/repos/org/meta";
  assert.deepEqual(githubCalls().map(({ auth: _a, ...c }) => c), [
    { method: "GET", path: `${repoApi}/deployments?ref=${sha}&environment=production`, body: undefined },
    { method: "POST", path: `${repoApi}/deployments`, body: { ref: sha, environment: "production", auto_merge: true, required_contexts: [] } },
    { method: "POST", path: `${repoApi}/deployments/1/statuses`, body: { state: "success", environment: "production", environment_url: "https://meta.example", description: "released deployed" } },
    { method: "GET", path: `${repoApi}/commits/${sha}/pulls`, body: undefined },
    { method: "POST", path: `${repoApi}/issues/3/comments`, body: { body: "released is live" } },
    { method: "POST", path: `${repoApi}/check-runs`, body: { name: "hawser", head_sha: sha, status: "completed", conclusion: "success", output: { title: "Deployed", summary: "released synced" } } },
  ], "Argo's GitHub deployment, pull request comment and check run shapes");
  assert.ok(githubCalls().every((c) => c.auth === "Bearer ghp_e2e"), "the token from argocd-notifications-secret");
  const unlabelled = await w.getApp("unlabelled");
  assert.equal(unlabelled?.metadata.annotations?.[NOTIFIED_ANNOTATION], undefined, "the app outside --notifications-app-label-selector was not notified");
});

test("self-service (notificationscontroller.selfservice.enabled): an app in its own namespace is notified by that namespace's ConfigMap and Secret as well as the central one", async (t) => {
  const receiver = await startReceiver();
  t.after(() => receiver.close());
  const w = await createWorld(t, {
    name: "notif-self",
    repos: { team: { "cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notif-team\ndata:\n  a: \"1\"\n" } },
    startOperator: false,
  });
  const { client, ns, id } = w;
  const teamNs = `team-n-${id}`;
  await w.createNamespace(teamNs);
  await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-cmd-params-cm", namespace: ns },
    data: { "application.namespaces": teamNs, "notificationscontroller.selfservice.enabled": "true" } });
  await client.create({ apiVersion: API, kind: "AppProject", metadata: { name: "teams", namespace: ns },
    spec: { sourceRepos: ["*"], destinations: [{ server: "*", namespace: "*" }], sourceNamespaces: [teamNs] } });
  // `.secrets` is hidden from templates in self-service mode; `$key` references in services still work.
  const body = "'{{.app.metadata.namespace}}/{{.app.metadata.name}}{{ if .secrets.token }} LEAK{{ end }}'";
  await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-notifications-cm", namespace: ns }, data: {
    "service.webhook.central": `url: ${receiver.url}/central\n`,
    "trigger.on-synced-central": "- when: app.status?.sync?.status == 'Synced'\n  send: [central]\n",
    "template.central": `webhook:\n  central:\n    method: POST\n    body: ${body}\n`,
  } });
  await client.create({ apiVersion: "v1", kind: "Secret", metadata: { name: "argocd-notifications-secret", namespace: ns }, stringData: { token: "central-secret" } });
  await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-notifications-cm", namespace: teamNs }, data: {
    "service.webhook.team": `url: ${receiver.url}/team\nheaders:\n- name: X-Team-Token\n  value: $token\n`,
    "trigger.on-synced-team": "- when: app.status?.sync?.status == 'Synced'\n  send: [team]\n",
    "template.team": `webhook:\n  team:\n    method: POST\n    body: ${body}\n`,
  } });
  await client.create({ apiVersion: "v1", kind: "Secret", metadata: { name: "argocd-notifications-secret", namespace: teamNs }, stringData: { token: "team-secret" } });
  await w.startOperator();

  const app = w.application("svc", {
    repo: "team", path: ".", dest: w.dest("svc"), project: "teams",
    syncPolicy: { automated: { prune: true }, syncOptions: ["CreateNamespace=true"] },
    metadata: { annotations: {
      "notifications.argoproj.io/subscribe.on-synced-central.central": "",
      "notifications.argoproj.io/subscribe.on-synced-team.team": "",
    } },
  });
  app.metadata.namespace = teamNs;
  await client.create(app);

  const at = (path: string): Received[] => receiver.received.filter((r) => r.path === path);
  await eventually(async () => {
    assert.equal(at("/central").length, 1, "the central configuration's webhook");
    assert.equal(at("/team").length, 1, "the team namespace's own webhook");
  }, { timeoutMs: 120_000 });
  assert.equal(at("/central")[0]!.body, `${teamNs}/svc`, "rendered, without .secrets");
  assert.equal(at("/team")[0]!.body, `${teamNs}/svc`, "rendered, without .secrets");
  assert.equal(at("/team")[0]!.headers["x-team-token"], "team-secret", "the team's service reads the team's Secret");
  await eventually(async () => {
    const a = await client.get(API, "Application", "svc", teamNs);
    const keys = Object.keys(JSON.parse(a?.metadata.annotations?.[NOTIFIED_ANNOTATION] ?? "{}") as Record<string, number>);
    assert.ok(keys.some((k) => k.startsWith(`${ns}:on-synced-central:[0].`)), `a key prefixed with the central namespace: ${JSON.stringify(keys)}`);
    assert.ok(keys.some((k) => k.startsWith(`${teamNs}:on-synced-team:[0].`)), `a key prefixed with the team namespace: ${JSON.stringify(keys)}`);
  }, { timeoutMs: 30_000 });
});
