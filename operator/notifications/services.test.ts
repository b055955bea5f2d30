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
    await assert.rejects(
      deliver({ service: svc("github", "github", { token: "t" }), recipient: "", notification: { github: { checkRun: {} } } }),
      /github\.checkRun is not supported by Hawser/,
    );
    assert.deepEqual(githubRepo("git@github.com:org/repo.git"), { owner: "org", repo: "repo" });
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
