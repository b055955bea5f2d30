// The services against real HTTP receivers on loopback: what each sends (method, path, headers,
// body shape) and how failures are reported (retries, messages without secrets).
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { jwtVerify } from "jose";
import type { ServiceConfig } from "../engine/notifications/config.js";
import { deliver, DeliveryError, githubRepo } from "./services.js";
import { SlackThreads } from "./slack-threads.js";

interface Seen { method: string; path: string; headers: IncomingMessage["headers"]; body: string }
let seen: Seen[] = [];
let reply: (req: Seen, res: ServerResponse) => void = (_r, res) => res.end("ok");
let base = "";
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const s = { method: req.method ?? "", path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
    seen.push(s);
    reply(s, res);
  });
});

before(async () => {
  server.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => { server.closeAllConnections(); server.close(); });

const svc = (type: string, name: string, options: Record<string, unknown>): ServiceConfig => ({ type, name, options });

describe("notification services", () => {
  it("webhook: method, path appended to url, headers, basic auth, body; retries a 5xx", async () => {
    seen = [];
    let calls = 0;
    reply = (_r, res) => { calls++; res.statusCode = calls === 1 ? 503 : 200; res.end(); };
    await deliver({
      service: svc("webhook", "hook", { url: `${base}/base`, headers: [{ name: "X-Token", value: "t0k" }], basicAuth: { username: "u", password: "p" }, retryWaitMin: "10ms", retryWaitMax: "20ms" }),
      recipient: "",
      notification: { webhook: { hook: { method: "POST", path: "/deploy/my-api", body: "{\"a\":1}" } } },
    });
    assert.equal(seen.length, 2, "a 503 is retried once, then it succeeds");
    assert.equal(seen[1]!.method, "POST");
    assert.equal(seen[1]!.path, "/base/deploy/my-api");
    assert.equal(seen[1]!.headers["x-token"], "t0k");
    assert.equal(seen[1]!.headers.authorization, `Basic ${Buffer.from("u:p").toString("base64")}`);
    assert.equal(seen[1]!.body, "{\"a\":1}");
  });

  it("webhook: a 4xx fails at once and the error names the service, not the URL", async () => {
    seen = [];
    reply = (_r, res) => { res.statusCode = 404; res.end(); };
    await assert.rejects(
      deliver({ service: svc("webhook", "hook", { url: `${base}/secret-path-xyz`, retryWaitMin: "1ms" }), recipient: "", notification: { webhook: { hook: { method: "GET" } } } }),
      (err: unknown) => err instanceof DeliveryError && /^webhook hook: HTTP 404$/.test(err.message) && !err.message.includes("secret-path"),
    );
    assert.equal(seen.length, 1, "no retry of a 404");
  });

  it("slack: chat.postMessage with the bot token, channel, text, attachments and blocks; ok:false is a failure", async () => {
    seen = [];
    reply = (_r, res) => res.end(JSON.stringify({ ok: true }));
    await deliver({
      service: svc("slack", "slack", { token: "xoxb-1", apiURL: `${base}/api`, username: "cd" }),
      recipient: "ops",
      notification: { message: "hello", slack: { attachments: "[{\"color\":\"#fff\"}]", blocks: "[{\"type\":\"divider\"}]" } },
    });
    assert.equal(seen[0]!.path, "/api/chat.postMessage");
    assert.equal(seen[0]!.headers.authorization, "Bearer xoxb-1");
    assert.deepEqual(JSON.parse(seen[0]!.body), { channel: "ops", text: "hello", attachments: [{ color: "#fff" }], blocks: [{ type: "divider" }], username: "cd" });
    reply = (_r, res) => res.end(JSON.stringify({ ok: false, error: "channel_not_found" }));
    await assert.rejects(
      deliver({ service: svc("slack", "slack", { token: "xoxb-1", apiURL: `${base}/api/` }), recipient: "nope", notification: { message: "x" } }),
      (err: unknown) => err instanceof Error && err.message === "slack slack: chat.postMessage to nope failed: channel_not_found",
    );
    await assert.rejects(
      deliver({ service: svc("slack", "slack", { token: "t", apiURL: base }), recipient: "c", notification: { slack: { attachments: "[oops" } } }),
      /slack slack: template field slack\.attachments is not valid JSON/,
    );
  });

  it("slack without a token posts the payload to apiURL as an incoming webhook", async () => {
    seen = [];
    reply = (_r, res) => res.end("ok");
    await deliver({ service: svc("slack", "hooked", { apiURL: `${base}/services/T/B/X` }), recipient: "", notification: { message: "hi" } });
    assert.equal(seen[0]!.path, "/services/T/B/X");
    assert.deepEqual(JSON.parse(seen[0]!.body), { text: "hi" });
    assert.equal(seen[0]!.headers.authorization, undefined);
  });

  it("slack groupingKey: the first post starts a thread, later posts reply in it (broadcast with notifyBroadcast), per recipient and key", async () => {
    seen = [];
    let n = 0;
    // Slack answers each post with the channel's ID and a new ts.
    reply = (_r, res) => res.end(JSON.stringify({ ok: true, channel: "C0DEPLOYS", ts: `100.${++n}` }));
    const threads = new SlackThreads();
    const service = svc("slack", "slack", { token: "xoxb-1", apiURL: `${base}/api/` });
    const post = (recipient: string, slack: Record<string, unknown>, message = "m"): Promise<void> =>
      deliver({ service, recipient, notification: { message, slack }, slackThreads: threads });
    await post("deploys", { groupingKey: "my-api" }, "first");
    await post("deploys", { groupingKey: "my-api", notifyBroadcast: "true" }, "second");
    await post("deploys", { groupingKey: "my-api" }, "third");
    await post("alerts", { groupingKey: "my-api" }, "other channel");
    await post("deploys", { groupingKey: "other-app" }, "other key");
    await post("deploys", {}, "no key");
    const bodies = seen.map((r) => ({ path: r.path, ...(JSON.parse(r.body) as Record<string, unknown>) }));
    assert.deepEqual(bodies, [
      { path: "/api/chat.postMessage", channel: "deploys", text: "first" },
      { path: "/api/chat.postMessage", channel: "deploys", text: "second", thread_ts: "100.1", reply_broadcast: true },
      { path: "/api/chat.postMessage", channel: "deploys", text: "third", thread_ts: "100.1" },
      { path: "/api/chat.postMessage", channel: "alerts", text: "other channel" },
      { path: "/api/chat.postMessage", channel: "deploys", text: "other key" },
      { path: "/api/chat.postMessage", channel: "deploys", text: "no key" },
    ], "threads are kept per recipient and groupingKey; without a key every post stands alone");
  });

  it("slack deliveryPolicy: PostAndUpdate posts once then chat.updates that message; Update only edits; a bad policy names the field", async () => {
    seen = [];
    let n = 0;
    reply = (r, res) => res.end(JSON.stringify(r.path.endsWith("chat.update") ? { ok: true, channel: "C0DEPLOYS", ts: "200.1" } : { ok: true, channel: "C0DEPLOYS", ts: `200.${++n}` }));
    const threads = new SlackThreads();
    const service = svc("slack", "slack", { token: "xoxb-1", apiURL: `${base}/api/` });
    const send = (slack: Record<string, unknown>, message: string): Promise<void> =>
      deliver({ service, recipient: "deploys", notification: { message, slack }, slackThreads: threads });
    await send({ groupingKey: "g", deliveryPolicy: "Update" }, "nothing to update yet");
    assert.equal(seen.length, 0, "Update sends nothing before the key has a message");
    await send({ groupingKey: "g", deliveryPolicy: "PostAndUpdate" }, "Syncing");
    await send({ groupingKey: "g", deliveryPolicy: "PostAndUpdate" }, "Synced");
    await send({ groupingKey: "g", deliveryPolicy: "Update" }, "Healthy");
    await send({ groupingKey: "g", deliveryPolicy: "Post" }, "a reply");
    const bodies = seen.map((r) => ({ path: r.path, ...(JSON.parse(r.body) as Record<string, unknown>) }));
    assert.deepEqual(bodies, [
      { path: "/api/chat.postMessage", channel: "deploys", text: "Syncing" },
      { path: "/api/chat.update", channel: "C0DEPLOYS", ts: "200.1", text: "Synced" },
      { path: "/api/chat.update", channel: "C0DEPLOYS", ts: "200.1", text: "Healthy" },
      { path: "/api/chat.postMessage", channel: "deploys", text: "a reply", thread_ts: "200.1" },
    ], "the first message is edited with the channel ID Slack gave; Post replies in its thread");

    // A new store is what a restart leaves: PostAndUpdate starts over with a new message.
    const restarted = new SlackThreads();
    await deliver({ service, recipient: "deploys", notification: { message: "after restart", slack: { groupingKey: "g", deliveryPolicy: "PostAndUpdate" } }, slackThreads: restarted });
    assert.equal(seen.at(-1)!.path, "/api/chat.postMessage", "after a restart the key has no message: a new post");

    reply = (r, res) => res.end(JSON.stringify(r.path.endsWith("chat.update") ? { ok: false, error: "message_not_found" } : { ok: true, ts: "1" }));
    await assert.rejects(send({ groupingKey: "g", deliveryPolicy: "Update" }, "x"),
      (err: unknown) => err instanceof DeliveryError && err.message === "slack slack: chat.update to deploys failed: message_not_found", "a failed update is a failed delivery");
    await assert.rejects(send({ groupingKey: "g", deliveryPolicy: "Sometimes" }, "x"),
      (err: unknown) => err instanceof DeliveryError && /slack\.deliveryPolicy must be one of Post, PostAndUpdate, Update, got "Sometimes"/.test(err.message));
  });

  it("teams: a MessageCard with facts in a section and potentialAction, to the recipient's URL", async () => {
    seen = [];
    reply = (_r, res) => res.end("1");
    await deliver({
      service: svc("teams", "teams", { recipientUrls: { ops: `${base}/teams/ops` } }),
      recipient: "ops",
      notification: { message: "m", teams: { title: "T", themeColor: "FF0000", facts: "[{\"name\":\"a\",\"value\":\"b\"}]", potentialAction: "[{\"@type\":\"OpenUri\"}]" } },
    });
    assert.equal(seen[0]!.path, "/teams/ops");
    assert.deepEqual(JSON.parse(seen[0]!.body), {
      "@type": "MessageCard", "@context": "https://schema.org/extensions", summary: "T", text: "m", title: "T", themeColor: "FF0000",
      sections: [{ facts: [{ name: "a", value: "b" }] }], potentialAction: [{ "@type": "OpenUri" }],
    });
    await assert.rejects(deliver({ service: svc("teams", "teams", { recipientUrls: {} }), recipient: "x", notification: {} }), /no recipientUrls entry named "x"/);
  });

  it("github: a commit status on the repository and revision the template names", async () => {
    seen = [];
    reply = (_r, res) => { res.statusCode = 201; res.end("{}"); };
    await deliver({
      service: svc("github", "github", { token: "ghp_x", enterpriseBaseURL: `${base}/api/v3` }),
      recipient: "",
      notification: { message: "deployed", github: { repoURLPath: "https://github.com/org/repo.git", revisionPath: "0123456789abcdef0123456789abcdef01234567", status: { state: "success", label: "cd/my-api", targetURL: "https://cd.example/applications/my-api" } } },
    });
    assert.equal(seen[0]!.path, "/api/v3/repos/org/repo/statuses/0123456789abcdef0123456789abcdef01234567");
    assert.equal(seen[0]!.headers.authorization, "Bearer ghp_x");
    assert.deepEqual(JSON.parse(seen[0]!.body), { state: "success", context: "cd/my-api", target_url: "https://cd.example/applications/my-api", description: "deployed" });
    reply = (_r, res) => { res.statusCode = 422; res.end("{}"); };
    await assert.rejects(
      deliver({ service: svc("github", "github", { token: "t", enterpriseBaseURL: base }), recipient: "", notification: { github: { repoURLPath: "https://github.com/o/r", revisionPath: "abcdef1", status: {} } } }),
      (err: unknown) => err instanceof DeliveryError && err.message === "github github: creating the commit status: HTTP 422" && !err.retryable,
    );
    assert.deepEqual(githubRepo("git@github.com:org/repo.git"), { owner: "org", repo: "repo" });
  });

  const SHA = "0123456789abcdef0123456789abcdef01234567";
  const gh = (github: Record<string, unknown>, message = "Application my-api is now running new version"): Promise<void> => deliver({
    service: svc("github", "github", { token: "ghp_x", enterpriseBaseURL: `${base}/api/v3` }),
    recipient: "",
    notification: { message, github: { repoURLPath: "https://github.com/org/repo.git", revisionPath: SHA, ...github } },
  });
  const calls = (): { method: string; path: string; body: unknown }[] => seen.map((r) => ({ method: r.method, path: r.path, body: r.body ? JSON.parse(r.body) as unknown : undefined }));

  it("github deployment: a new deployment for the commit and environment, then its status; an existing one gets only the status", async () => {
    seen = [];
    reply = (r, res) => {
      res.statusCode = r.method === "GET" ? 200 : 201;
      res.end(r.method === "GET" ? "[]" : JSON.stringify({ id: r.path.endsWith("/deployments") ? 42 : 7 }));
    };
    await gh({ deployment: { state: "success", environment: "production", environmentURL: "https://api.example", logURL: "https://cd.example/applications/my-api", requiredContexts: [], transientEnvironment: "false" } });
    assert.deepEqual(calls(), [
      { method: "GET", path: `/api/v3/repos/org/repo/deployments?ref=${SHA}&environment=production`, body: undefined },
      { method: "POST", path: "/api/v3/repos/org/repo/deployments", body: { ref: SHA, environment: "production", auto_merge: true, required_contexts: [], transient_environment: false } },
      { method: "POST", path: "/api/v3/repos/org/repo/deployments/42/statuses", body: {
        state: "success", environment: "production", environment_url: "https://api.example", log_url: "https://cd.example/applications/my-api",
        description: "Application my-api is now running new version",
      } },
    ], "Argo's defaults: auto_merge on; required_contexts only when the template lists them");

    seen = [];
    reply = (r, res) => { res.statusCode = r.method === "GET" ? 200 : 201; res.end(r.method === "GET" ? JSON.stringify([{ id: 99 }, { id: 98 }]) : "{}"); };
    await gh({ deployment: { state: "in_progress", environment: "staging", reference: "v1.2.0", autoMerge: false } }, "");
    assert.deepEqual(calls(), [
      { method: "GET", path: "/api/v3/repos/org/repo/deployments?ref=v1.2.0&environment=staging", body: undefined },
      { method: "POST", path: "/api/v3/repos/org/repo/deployments/99/statuses", body: { state: "in_progress", environment: "staging" } },
    ], "the newest existing deployment for the reference is reused");
    await assert.rejects(gh({ deployment: { state: "success" } }), /github github: template field github\.deployment\.environment is empty/);
  });

  it("github pullRequestComment: a comment on every pull request of the commit; with a commentTag the tagged comment is edited", async () => {
    seen = [];
    reply = (r, res) => {
      res.statusCode = r.method === "GET" ? 200 : 201;
      if (r.path.endsWith(`/commits/${SHA}/pulls`)) return res.end(JSON.stringify([{ number: 5 }, { number: 8 }]));
      if (r.path.startsWith("/api/v3/repos/org/repo/issues/5/comments?")) return res.end(JSON.stringify([{ id: 1, body: "lgtm" }, { id: 2, body: "old\n<!-- argocd-notifications deploy -->" }]));
      if (r.path.startsWith("/api/v3/repos/org/repo/issues/8/comments?")) return res.end("[]");
      res.end("{}");
    };
    await gh({ pullRequestComment: { content: "Deployed my-api" } });
    assert.deepEqual(calls(), [
      { method: "GET", path: `/api/v3/repos/org/repo/commits/${SHA}/pulls`, body: undefined },
      { method: "POST", path: "/api/v3/repos/org/repo/issues/5/comments", body: { body: "Deployed my-api" } },
      { method: "POST", path: "/api/v3/repos/org/repo/issues/8/comments", body: { body: "Deployed my-api" } },
    ]);
    seen = [];
    await gh({ pullRequestComment: { content: "Deployed again", commentTag: "deploy" } });
    assert.deepEqual(calls(), [
      { method: "GET", path: `/api/v3/repos/org/repo/commits/${SHA}/pulls`, body: undefined },
      { method: "GET", path: "/api/v3/repos/org/repo/issues/5/comments?per_page=100", body: undefined },
      { method: "PATCH", path: "/api/v3/repos/org/repo/issues/comments/2", body: { body: "Deployed again\n<!-- argocd-notifications deploy -->" } },
      { method: "GET", path: "/api/v3/repos/org/repo/issues/8/comments?per_page=100", body: undefined },
      { method: "POST", path: "/api/v3/repos/org/repo/issues/8/comments", body: { body: "Deployed again\n<!-- argocd-notifications deploy -->" } },
    ], "the tagged comment is edited; a pull request without one gets a new, tagged comment");
  });

  it("github checkRun and repositoryDispatch: Argo's field names as GitHub's API takes them", async () => {
    seen = [];
    reply = (_r, res) => { res.statusCode = 201; res.end("{}"); };
    await gh({
      checkRun: { name: "ArgoCD", details_url: "https://cd.example/applications/my-api", status: "completed", conclusion: "success",
        started_at: "2026-12-07T00:00:00Z", completed_at: "2026-12-07T00:01:00Z", output: { title: "Deployed", summary: "my-api synced", text: "" } },
      repositoryDispatch: { event_type: "deployed", client_payload: "{\"app\": \"my-api\"}" },
    });
    assert.deepEqual(calls(), [
      { method: "POST", path: "/api/v3/repos/org/repo/check-runs", body: {
        name: "ArgoCD", head_sha: SHA, details_url: "https://cd.example/applications/my-api", status: "completed", conclusion: "success",
        started_at: "2026-12-07T00:00:00Z", completed_at: "2026-12-07T00:01:00Z", output: { title: "Deployed", summary: "my-api synced" },
      } },
      { method: "POST", path: "/api/v3/repos/org/repo/dispatches", body: { event_type: "deployed", client_payload: { app: "my-api" } } },
    ]);
    await assert.rejects(gh({ repositoryDispatch: { event_type: "x", client_payload: "{oops" } }), /github\.repositoryDispatch\.client_payload is not valid JSON/);
    await assert.rejects(gh({ revisionPath: "main", checkRun: { name: "x" } }), /github\.revisionPath did not render to a commit SHA/);
  });

  it("github: with an App key, mints an installation token with an RS256 JWT issued by the app id", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    seen = [];
    reply = (req, res) => {
      res.statusCode = 201;
      res.end(req.path.endsWith("/access_tokens") ? JSON.stringify({ token: "ghs_installation" }) : "{}");
    };
    await deliver({
      service: svc("github", "github", { appID: 12345, installationID: 678, privateKey: privateKey.export({ type: "pkcs1", format: "pem" }).toString(), enterpriseBaseURL: base }),
      recipient: "",
      notification: { github: { repoURLPath: "https://github.com/org/repo", revisionPath: "abcdef1", status: { state: "pending" } } },
    });
    assert.deepEqual(seen.map((s) => s.path), ["/app/installations/678/access_tokens", "/repos/org/repo/statuses/abcdef1"]);
    const jwt = String(seen[0]!.headers.authorization).replace(/^Bearer /, "");
    const { payload, protectedHeader } = await jwtVerify(jwt, publicKey);
    assert.equal(protectedHeader.alg, "RS256");
    assert.equal(payload.iss, "12345", "issued by the app id");
    assert.equal(seen[1]!.headers.authorization, "Bearer ghs_installation", "the status is posted with the installation token");
    await assert.rejects(
      deliver({ service: svc("github", "github", { appID: 1, installationID: 2, privateKey: "not a key", enterpriseBaseURL: base }), recipient: "", notification: { github: { repoURLPath: "https://github.com/o/r", revisionPath: "abcdef1", status: {} } } }),
      /github github: privateKey is not a valid RSA private key/,
    );
  });

  it("an unsupported service type is a clear error", async () => {
    await assert.rejects(deliver({ service: svc("opsgenie", "opsgenie", {}), recipient: "", notification: {} }), /service type opsgenie is not supported by Hawser/);
  });
});
