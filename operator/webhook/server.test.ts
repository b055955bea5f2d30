// The webhook server on loopback, attacked as an unauthenticated sender would (issue 10, finding 5):
// other providers' unsigned pushes with only the GitHub secret set, bodies over the limit,
// concurrent large posts, over-long URLs and malformed payloads.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import http from "node:http";
import { fileURLToPath } from "node:url";
import { createLogger } from "../runtime/logger.js";
import { eventually } from "../../test/support/eventually.js";
import { postHeadersFirst, type PostReply } from "../../test/support/http-post.js";
import { pushConcerns } from "./match.js";
import { webhookSecretsFrom, type PushEvent, type WebhookSecrets } from "./parse.js";
import { maxPayloadBytesFrom, startWebhookServer, type WebhookServer, type WebhookServerOptions } from "./server.js";

const REPO = "https://github.com/eocndp/argocd-kustomize-demo";

interface Harness {
  server: WebhookServer;
  pushes: PushEvent[];
  logs: Array<Record<string, unknown>>;
}

async function serve(t: { after(fn: () => Promise<void>): void }, opts: Partial<WebhookServerOptions> = {}): Promise<Harness> {
  const pushes: PushEvent[] = [];
  const logs: Array<Record<string, unknown>> = [];
  const server = await startWebhookServer({
    host: "127.0.0.1", port: 0, secrets: () => ({}), onPush: (e) => pushes.push(e),
    log: createLogger({ level: "debug", sink: { write: (line) => logs.push(JSON.parse(line) as Record<string, unknown>) } }),
    ...opts,
  });
  t.after(() => server.close());
  return { server, pushes, logs };
}

type Reply = PostReply;

const post = (port: number, headers: Record<string, string>, body?: Buffer): Promise<Reply> =>
  postHeadersFirst(`http://127.0.0.1:${port}/api/webhook`, headers, body, 60_000);

const sign = (body: Buffer, secret: string): string => `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
const githubPush = Buffer.from(JSON.stringify({ ref: "refs/heads/main", repository: { html_url: REPO, default_branch: "main" }, commits: [] }));
const gitlabPush = Buffer.from(JSON.stringify({ object_kind: "push", ref: "refs/heads/main", project: { web_url: REPO, default_branch: "main" }, commits: [] }));
const gogsPush = Buffer.from(JSON.stringify({ ref: "refs/heads/main", repository: { html_url: REPO, default_branch: "main" }, commits: [] }));
const onlyGitHub: WebhookSecrets = webhookSecretsFrom({ stringData: { "webhook.github.secret": "argocd-webhook-secret" } });

test("only the GitHub secret set: unsigned GitLab and Gogs pushes are refused before their body is read; a signed GitHub push refreshes", { timeout: 30_000 }, async (t) => {
  const h = await serve(t, { secrets: () => onlyGitHub });
  const json = { "Content-Type": "application/json" };
  const refused: Array<[string, Record<string, string>, Buffer]> = [
    ["GitLab", { ...json, "X-Gitlab-Event": "Push Hook" }, gitlabPush],
    ["GitLab with the GitHub secret as its token", { ...json, "X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": "argocd-webhook-secret" }, gitlabPush],
    ["Gogs", { ...json, "X-Gogs-Event": "push" }, gogsPush],
    ["Gogs signed with the GitHub secret", { ...json, "X-Gogs-Event": "push", "X-Gogs-Signature": sign(gogsPush, "argocd-webhook-secret").slice(7) }, gogsPush],
  ];
  for (const [name, headers, body] of refused) {
    const whole = await post(h.server.port, headers, body);
    assert.equal(whole.status, 403, `${name}: ${whole.text}`);
    // The same request with its body never sent is answered all the same: nothing was read.
    const headersOnly = await post(h.server.port, { ...headers, "Content-Length": String(body.length) });
    assert.equal(headersOnly.status, 403, `${name}, headers only: ${headersOnly.text}`);
  }
  const unsigned = await post(h.server.port, { "X-GitHub-Event": "push", "Content-Length": String(githubPush.length) });
  assert.equal(unsigned.status, 401, "an unsigned GitHub push is refused from its headers");
  assert.deepEqual(h.pushes, [], "nothing refused reached the controllers");

  const signed = await post(h.server.port, { ...json, "X-GitHub-Event": "push", "X-Hub-Signature-256": sign(githubPush, "argocd-webhook-secret") }, githubPush);
  assert.equal(signed.status, 200, signed.text);
  assert.equal(h.pushes.length, 1, "the signed push reached the controllers");
  assert.ok(pushConcerns([{ repoURL: `${REPO}.git`, targetRevision: "HEAD" }], {}, h.pushes[0]!), "and concerns an app of that repository");
  assert.deepEqual(h.server.stats(), { inFlight: 0, bufferedBytes: 0 }, "every slot and byte was given back");
});

test("until argocd-secret has been read, deliveries are refused rather than taken as unauthenticated", async (t) => {
  const state: { secrets?: WebhookSecrets } = {};
  const h = await serve(t, { secrets: () => state.secrets });
  const early = await post(h.server.port, { "X-Gogs-Event": "push" }, gogsPush);
  assert.equal(early.status, 503, early.text);
  state.secrets = {};
  assert.equal((await post(h.server.port, { "X-Gogs-Event": "push" }, gogsPush)).status, 200, "no secret configured: accepted, as Argo does");
  assert.equal(h.pushes.length, 1, "one push delivered");
});

test("a declared Content-Length over webhook.maxPayloadSizeMB is 413 without reading the body", { timeout: 30_000 }, async (t) => {
  const limit = maxPayloadBytesFrom({ "webhook.maxPayloadSizeMB": "1" }).bytes;
  assert.equal(limit, 1024 * 1024);
  const h = await serve(t, { maxPayloadBytes: () => limit });
  const r = await post(h.server.port, { "X-GitHub-Event": "push", "Content-Length": String(limit + 1) });
  assert.equal(r.status, 413, r.text);
  assert.match(r.text, /webhook.maxPayloadSizeMB/);
});

test("a body that streams past the limit is cut off at the limit, never buffered further", { timeout: 60_000 }, async (t) => {
  const limit = 1024 * 1024;
  const h = await serve(t, { maxPayloadBytes: () => limit });
  const chunk = Buffer.alloc(64 * 1024, "x");
  const total = 256 * 1024 * 1024;
  let sent = 0;
  const reply = await new Promise<Reply>((resolve, reject) => {
    // No Content-Length: chunked transfer, so only the stream itself says how big it is.
    const req = http.request({ host: "127.0.0.1", port: h.server.port, method: "POST", path: "/api/webhook", headers: { "X-GitHub-Event": "push" }, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => { text += c; });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    let answered = false;
    req.on("response", () => { answered = true; });
    req.on("error", (err) => (answered ? undefined : reject(err)));
    const pump = (): void => {
      while (!answered && sent < total) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once("drain", pump);
          return;
        }
      }
      if (!answered) req.end();
    };
    pump();
  });
  assert.equal(reply.status, 413, reply.text);
  const cut = h.logs.find((l) => l.msg === "webhook rejected" && l.status === 413);
  assert.ok(cut, "the cut-off is logged");
  assert.ok(typeof cut.bytesRead === "number" && cut.bytesRead <= limit, `at most the limit was buffered (${String(cut.bytesRead)})`);
  assert.ok(sent < total, `the sender was stopped before sending everything (${sent} of ${total})`);
});

test("at most server.webhook.parallelism.limit requests at once: the next is refused at once, and slots come back", { timeout: 30_000 }, async (t) => {
  const h = await serve(t, { parallelism: 2 });
  // Two deliveries that have sent their headers and part of their body, and wait.
  const open = [0, 1].map(() => {
    const req = http.request({ host: "127.0.0.1", port: h.server.port, method: "POST", path: "/api/webhook", headers: { "X-GitHub-Event": "push", "Content-Length": String(githubPush.length) }, agent: false });
    const reply = once(req, "response").then(([res]) => (res as http.IncomingMessage).statusCode);
    req.write(githubPush.subarray(0, 10));
    return { req, reply };
  });
  await eventually(() => assert.equal(h.server.stats().inFlight, 2, "both are being read"));
  const third = await post(h.server.port, { "X-GitHub-Event": "push" }, githubPush);
  assert.equal(third.status, 503, third.text);
  for (const o of open) o.req.end(githubPush.subarray(10));
  assert.deepEqual(await Promise.all(open.map((o) => o.reply)), [200, 200]);
  await eventually(() => assert.equal(h.server.stats().inFlight, 0, "slots released"));
  assert.equal((await post(h.server.port, { "X-GitHub-Event": "push" }, githubPush)).status, 200, "a later delivery is served");
  assert.equal(h.pushes.length, 3, "the two held deliveries and the later one were processed");
});

test("body bytes held at once are bounded across requests (two maximum payloads)", { timeout: 30_000 }, async (t) => {
  const limit = 64 * 1024;
  const h = await serve(t, { maxPayloadBytes: () => limit });
  const hold = [0, 1].map(() => {
    const req = http.request({ host: "127.0.0.1", port: h.server.port, method: "POST", path: "/api/webhook", headers: { "X-GitHub-Event": "push", "Content-Length": String(limit) }, agent: false });
    req.on("error", () => undefined);
    req.flushHeaders();
    return req;
  });
  await eventually(() => assert.equal(h.server.stats().bufferedBytes, 2 * limit, "two full payloads reserved"));
  const r = await post(h.server.port, { "X-GitHub-Event": "push", "Content-Length": "100" });
  assert.equal(r.status, 503, r.text);
  for (const req of hold) req.destroy();
  await eventually(() => assert.deepEqual(h.server.stats(), { inFlight: 0, bufferedBytes: 0 }, "aborted requests give their bytes back"));
});

test("eight concurrent 45 MB posts: excess refused, peak memory of the server process stays bounded", { timeout: 120_000 }, async (t) => {
  const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("./testdata/server-process.ts", import.meta.url))], { stdio: ["pipe", "pipe", "inherit"] });
  t.after(() => { child.kill(); });
  const [first] = await once(child.stdout, "data") as [Buffer];
  const port = Number(first.toString().trim());
  const pad = "x".repeat(45 * 1024 * 1024);
  const body = Buffer.from(JSON.stringify({ ref: "refs/heads/main", repository: { html_url: REPO }, commits: [], pad }));
  // A refused post is answered without its body being read and the connection closed, so a
  // sender still writing may see the reset (EPIPE/ECONNRESET) before the 503.
  const statuses = await Promise.all(Array.from({ length: 8 }, () => post(port, { "X-GitHub-Event": "push", "Content-Length": String(body.length) }, body)
    .then((r) => String(r.status), (err: NodeJS.ErrnoException) => err.code ?? "error")));
  const peakMB = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1]) / 1024;
  const refused = statuses.filter((s) => s === "503" || s === "EPIPE" || s === "ECONNRESET");
  assert.ok(refused.length >= 4, `excess posts are refused: ${statuses.join(",")}`);
  assert.ok(statuses.includes("200"), `some are served: ${statuses.join(",")}`);
  assert.equal(refused.length + statuses.filter((s) => s === "200").length, 8, `nothing else happens: ${statuses.join(",")}`);
  // Before: every post was buffered (about 700 MB peak). Now at most two bodies are held.
  assert.ok(peakMB < 450, `server peak RSS ${peakMB.toFixed(0)} MB`);
});

test("a 98 KB repository URL of slashes is refused with a 400, and malformed payloads are 400s, over HTTP", async (t) => {
  const h = await serve(t);
  const long = Buffer.from(JSON.stringify({ ref: "refs/heads/main", repository: { clone_url: `https://h${"/".repeat(98 * 1024)}x` } }));
  const r = await post(h.server.port, { "X-Gogs-Event": "push" }, long);
  assert.equal(r.status, 400, r.text);
  assert.match(r.text, /repository.clone_url is longer than 2048 characters/);
  for (const [headers, payload] of [
    [{ "X-Gogs-Event": "push" }, { ref: "main" }],
    [{ "X-Vss-ActivityId": "1" }, { eventType: "git.push", resource: { repository: null } }],
    [{ "X-Event-Key": "repo:refs_changed" }, { repository: { links: { clone: "x" } }, changes: [] }],
  ] as Array<[Record<string, string>, unknown]>) {
    const bad = await post(h.server.port, headers, Buffer.from(JSON.stringify(payload)));
    assert.equal(bad.status, 400, `${JSON.stringify(payload)}: ${bad.text}`);
  }
  assert.deepEqual(h.pushes, [], "nothing malformed reached the controllers");
});

test("webhook.maxPayloadSizeMB: Argo's default, a positive number of megabytes, and a clear error otherwise", () => {
  assert.deepEqual(maxPayloadBytesFrom(undefined), { bytes: 50 * 1024 * 1024 });
  assert.deepEqual(maxPayloadBytesFrom({ "webhook.maxPayloadSizeMB": "10" }), { bytes: 10 * 1024 * 1024 });
  for (const bad of ["0", "-1", "1.5", "ten"]) {
    const r = maxPayloadBytesFrom({ "webhook.maxPayloadSizeMB": bad });
    assert.equal(r.bytes, 50 * 1024 * 1024, bad);
    assert.match(r.error ?? "", /webhook.maxPayloadSizeMB must be a positive whole number/, bad);
  }
});
