// The notification services Hawser delivers to (spec §6.6): webhook, Slack, email (SMTP),
// Microsoft Teams and GitHub commit statuses. Each takes a rendered notification (the template's
// fields, strings filled in) and one destination. Errors name the service and what failed, never a
// URL, header or body: service URLs (Slack and Teams webhooks) and tokens are secrets.
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { importPKCS8, SignJWT } from "jose";
import { createPrivateKey } from "node:crypto";
import { isRecord } from "../util/index.js";
import { type Delivery, DeliveryError } from "./delivery.js";
import { sendEmail } from "./email.js";

interface HttpResponse {
  status: number;
  body: string;
}

/** One HTTP request; TLS is verified unless the service config sets insecureSkipVerify. */
export function httpCall(
  service: string,
  url: string,
  init: { method: string; headers?: Record<string, string>; body?: string; insecureSkipVerify?: boolean; timeoutMs?: number },
): Promise<HttpResponse> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return Promise.reject(new DeliveryError(`${service}: the configured URL is not valid`, false));
  }
  if (target.protocol !== "http:" && target.protocol !== "https:") {
    return Promise.reject(new DeliveryError(`${service}: only http and https URLs are supported`, false));
  }
  const send = target.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(target, {
      method: init.method,
      headers: { ...(init.body !== undefined ? { "content-length": String(Buffer.byteLength(init.body)) } : {}), ...init.headers },
      ...(target.protocol === "https:" ? { rejectUnauthorized: !init.insecureSkipVerify } : {}),
      timeout: init.timeoutMs ?? 30_000,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", () => reject(new DeliveryError(`${service}: the response was cut off`, true)));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    // The error's own text may carry the host; say only what kind of failure it was.
    req.on("error", (err: NodeJS.ErrnoException) => reject(new DeliveryError(`${service}: request failed (${err.code ?? err.message})`, true)));
    if (init.body !== undefined) req.write(init.body);
    req.end();
  });
}

function expectOk(service: string, res: HttpResponse): void {
  if (res.status >= 200 && res.status < 300) return;
  throw new DeliveryError(`${service}: HTTP ${res.status}`, res.status >= 500 || res.status === 429);
}

function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

/** A scalar config value as text (YAML may give numbers, e.g. appID: 12345). */
function text(v: unknown): string {
  return typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" ? String(v) : "";
}

function jsonField(service: string, field: string, v: unknown): unknown {
  if (typeof v !== "string" || v.trim() === "") return undefined;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    throw new DeliveryError(`${service}: template field ${field} is not valid JSON`, false);
  }
}

function durationMs(v: unknown, fallback: number): number {
  if (typeof v === "number") return v * 1000;
  if (typeof v !== "string") return fallback;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(v.trim());
  if (!m) return fallback;
  const n = Number(m[1]);
  return m[2] === "ms" ? n : m[2] === "m" ? n * 60_000 : n * 1000;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Webhook: `url` + the template's path, method (GET), body; headers, basic auth; retries 5xx and network errors. */
async function sendWebhook({ service, notification }: Delivery): Promise<void> {
  const o = service.options;
  const tpl = isRecord(notification.webhook) ? notification.webhook[service.name] : undefined;
  if (!isRecord(tpl)) {
    // The template has nothing for this webhook: Argo sends nothing either.
    return;
  }
  const base = str(o.url);
  if (!base) throw new DeliveryError(`webhook ${service.name}: service.webhook.${service.name} has no url`, false);
  const url = base + (str(tpl.path) ?? "");
  const headers: Record<string, string> = {};
  if (Array.isArray(o.headers)) {
    for (const h of o.headers as unknown[]) if (isRecord(h) && typeof h.name === "string") headers[h.name] = text(h.value);
  }
  if (isRecord(o.basicAuth)) {
    headers.authorization = `Basic ${Buffer.from(`${text(o.basicAuth.username)}:${text(o.basicAuth.password)}`).toString("base64")}`;
  }
  const method = (str(tpl.method) ?? "GET").toUpperCase();
  const body = str(tpl.body);
  const retryMax = typeof o.retryMax === "number" ? o.retryMax : 3;
  const waitMin = durationMs(o.retryWaitMin, 1000);
  const waitMax = durationMs(o.retryWaitMax, 5000);
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await httpCall(`webhook ${service.name}`, url, {
        method, headers, ...(body !== undefined && method !== "GET" ? { body } : {}), insecureSkipVerify: o.insecureSkipVerify === true,
      });
      expectOk(`webhook ${service.name}`, res);
      return;
    } catch (err) {
      if (!(err instanceof DeliveryError) || !err.retryable || attempt >= retryMax) throw err;
      await sleep(Math.min(waitMax, waitMin * 2 ** attempt));
    }
  }
}

/** Slack's deliveryPolicy values (spec §6.4); Post is the default. */
export const SLACK_DELIVERY_POLICIES = ["Post", "PostAndUpdate", "Update"] as const;

/**
 * Slack: chat.postMessage with the bot token, or an incoming webhook at apiURL when there is no
 * token. With a groupingKey (and a token), the first post for the key starts a thread that later
 * posts reply in (`reply_broadcast` with notifyBroadcast); deliveryPolicy PostAndUpdate edits that
 * first message with chat.update once it exists, and Update only ever edits it (nothing is sent
 * while there is no message for the key yet).
 */
async function sendSlack({ service, recipient, notification, slackThreads }: Delivery): Promise<void> {
  const o = service.options;
  const tpl = isRecord(notification.slack) ? notification.slack : {};
  const name = `slack ${service.name}`;
  const payload: Record<string, unknown> = { text: str(notification.message) ?? "" };
  const attachments = jsonField(name, "slack.attachments", tpl.attachments);
  const blocks = jsonField(name, "slack.blocks", tpl.blocks);
  if (attachments !== undefined) payload.attachments = attachments;
  if (blocks !== undefined) payload.blocks = blocks;
  const username = str(tpl.username) ?? str(o.username);
  const icon = str(tpl.icon) ?? str(o.icon);
  if (username) payload.username = username;
  if (icon) payload[/^https?:\/\//.test(icon) ? "icon_url" : "icon_emoji"] = icon;
  if (o.disableUnfurl === true) Object.assign(payload, { unfurl_links: false, unfurl_media: false });
  const policy = str(tpl.deliveryPolicy)?.trim() || "Post";
  if (!(SLACK_DELIVERY_POLICIES as readonly string[]).includes(policy)) {
    throw new DeliveryError(`${name}: template field slack.deliveryPolicy must be one of ${SLACK_DELIVERY_POLICIES.join(", ")}, got ${JSON.stringify(policy)}`, false);
  }
  const groupingKey = str(tpl.groupingKey) ?? "";
  const broadcast = tpl.notifyBroadcast === true || tpl.notifyBroadcast === "true";
  const token = str(o.token);
  const insecureSkipVerify = o.insecureSkipVerify === true;
  if (!token) {
    const hook = str(o.apiURL);
    if (!hook) throw new DeliveryError(`${name}: service.slack needs a token (bot) or an apiURL (incoming webhook)`, false);
    // An incoming webhook answers no message ts: nothing can be threaded or updated.
    expectOk(name, await httpCall(name, hook, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(payload), insecureSkipVerify }));
    return;
  }
  const apiBase = (str(o.apiURL) ?? "https://slack.com/api/").replace(/\/?$/, "/");
  const call = async (method: "chat.postMessage" | "chat.update", body: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const res = await httpCall(name, `${apiBase}${method}`, {
      method: "POST",
      headers: { "content-type": "application/json; charset=utf-8", authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
      insecureSkipVerify,
    });
    expectOk(name, res);
    let reply: unknown;
    try {
      reply = JSON.parse(res.body) as unknown;
    } catch {
      throw new DeliveryError(`${name}: the Slack API answered with something other than JSON`, true);
    }
    if (!isRecord(reply) || reply.ok !== true) {
      const error = isRecord(reply) && typeof reply.error === "string" ? reply.error : "unknown error";
      throw new DeliveryError(`${name}: ${method} to ${recipient} failed: ${error}`, error === "ratelimited");
    }
    return reply;
  };
  const threads = groupingKey !== "" ? slackThreads : undefined;
  const first = threads?.get(service.name, recipient, groupingKey);
  if (first && policy !== "Post") {
    await call("chat.update", { channel: first.channel, ts: first.ts, ...payload });
    return;
  }
  // Update edits only: before the key's first message exists there is nothing to do.
  if (policy === "Update" && threads) return;
  const reply = await call("chat.postMessage", {
    channel: recipient, ...payload, ...(first ? { thread_ts: first.ts, ...(broadcast ? { reply_broadcast: true } : {}) } : {}),
  });
  if (threads && !first && typeof reply.ts === "string") {
    threads.set(service.name, recipient, groupingKey, { channel: typeof reply.channel === "string" ? reply.channel : recipient, ts: reply.ts });
  }
}

/** Teams: a MessageCard (or the template's own `teams.template` JSON) to the recipient's URL. */
async function sendTeams({ service, recipient, notification }: Delivery): Promise<void> {
  const name = `teams ${service.name}`;
  const urls = isRecord(service.options.recipientUrls) ? service.options.recipientUrls : {};
  const url = str(urls[recipient]);
  if (!url) throw new DeliveryError(`${name}: no recipientUrls entry named ${JSON.stringify(recipient)}`, false);
  const tpl = isRecord(notification.teams) ? notification.teams : {};
  let body: string;
  if (str(tpl.template)) {
    jsonField(name, "teams.template", tpl.template);
    body = str(tpl.template)!;
  } else {
    const card: Record<string, unknown> = {
      "@type": "MessageCard",
      "@context": "https://schema.org/extensions",
      summary: str(tpl.summary) ?? str(tpl.title) ?? str(notification.message) ?? "",
      text: str(tpl.text) ?? str(notification.message) ?? "",
    };
    if (str(tpl.title)) card.title = tpl.title;
    if (str(tpl.themeColor)) card.themeColor = tpl.themeColor;
    const sections = (jsonField(name, "teams.sections", tpl.sections) as unknown[] | undefined) ?? [];
    const facts = jsonField(name, "teams.facts", tpl.facts);
    if (facts !== undefined) sections.push({ facts });
    if (sections.length > 0) card.sections = sections;
    const actions = jsonField(name, "teams.potentialAction", tpl.potentialAction);
    if (actions !== undefined) card.potentialAction = actions;
    body = JSON.stringify(card);
  }
  const res = await httpCall(name, url, { method: "POST", headers: { "content-type": "application/json" }, body, insecureSkipVerify: service.options.insecureSkipVerify === true });
  expectOk(name, res);
}

/** A GitHub token: the configured `token`, or an installation token minted with the App's key. */
async function githubToken(name: string, o: Record<string, unknown>, apiBase: string, insecureSkipVerify: boolean): Promise<string> {
  if (str(o.token)) return str(o.token)!;
  const appID = text(o.appID);
  const installationID = text(o.installationID);
  const pem = str(o.privateKey);
  if (!appID || !installationID || !pem) throw new DeliveryError(`${name}: set appID, installationID and privateKey (or token)`, false);
  let key: Awaited<ReturnType<typeof importPKCS8>>;
  try {
    // GitHub hands out PKCS#1 keys; jose wants PKCS#8.
    const pkcs8 = createPrivateKey(pem).export({ type: "pkcs8", format: "pem" }).toString();
    key = await importPKCS8(pkcs8, "RS256");
  } catch {
    throw new DeliveryError(`${name}: privateKey is not a valid RSA private key`, false);
  }
  const now = Math.floor(Date.now() / 1000);
  const jwt = await new SignJWT({}).setProtectedHeader({ alg: "RS256" }).setIssuer(appID).setIssuedAt(now - 60).setExpirationTime(now + 540).sign(key);
  const res = await httpCall(name, `${apiBase}/app/installations/${encodeURIComponent(installationID)}/access_tokens`, {
    method: "POST", headers: { authorization: `Bearer ${jwt}`, accept: "application/vnd.github+json", "user-agent": "hawser" }, insecureSkipVerify,
  });
  expectOk(name, res);
  const token = (JSON.parse(res.body) as { token?: unknown }).token;
  if (typeof token !== "string") throw new DeliveryError(`${name}: GitHub returned no installation token`, true);
  return token;
}

/** owner/repo of a GitHub URL (https, ssh or scp-like). */
export function githubRepo(url: string): { owner: string; repo: string } | undefined {
  const m = /^(?:[a-z+]+:\/\/)?(?:[^@/]+@)?[^/:]+(?::\d+)?[/:]([^/]+)\/([^/]+?)(?:\.git)?\/?$/.exec(url.trim());
  return m ? { owner: m[1]!, repo: m[2]! } : undefined;
}

/** A template field as a boolean: YAML gives booleans, rendered strings give "true"/"false". */
function flag(v: unknown): boolean | undefined {
  if (typeof v === "boolean") return v;
  if (typeof v === "string" && /^(true|false)$/i.test(v.trim())) return v.trim().toLowerCase() === "true";
  return undefined;
}

/** Only the fields that are set (GitHub rejects some empty ones, e.g. a conclusion ""). */
function compact(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== ""));
}

/** Marks a comment so a later notification with the same commentTag edits it instead of adding one. */
const commentMarker = (tag: string): string => `<!-- argocd-notifications ${tag} -->`;

/**
 * GitHub (spec §6.4, Argo's github service): on the repository and commit the template names, a
 * commit `status`; a `deployment` (the newest one for that ref and environment, else a new one) and
 * a deployment status; a `pullRequestComment` on every pull request holding the commit (with a
 * `commentTag`, the comment carrying that tag is edited instead); a `checkRun`; and a
 * `repositoryDispatch` event. Each part the template has is sent, in that order.
 */
async function sendGitHub({ service, notification }: Delivery): Promise<void> {
  const name = `github ${service.name}`;
  const o = service.options;
  const tpl = isRecord(notification.github) ? notification.github : {};
  const parts = ["status", "deployment", "pullRequestComment", "checkRun", "repositoryDispatch"].filter((k) => isRecord(tpl[k]));
  if (parts.length === 0) return;
  const repo = githubRepo(str(tpl.repoURLPath) ?? "");
  const sha = str(tpl.revisionPath) ?? "";
  if (!repo) throw new DeliveryError(`${name}: github.repoURLPath did not render to a repository URL`, false);
  const needsSha = parts.some((p) => p !== "repositoryDispatch");
  if (needsSha && !/^[0-9a-f]{7,64}$/i.test(sha)) throw new DeliveryError(`${name}: github.revisionPath did not render to a commit SHA`, false);
  const apiBase = (str(o.enterpriseBaseURL) ?? "https://api.github.com").replace(/\/$/, "");
  const insecureSkipVerify = o.insecureSkipVerify === true;
  const token = await githubToken(name, o, apiBase, insecureSkipVerify);
  const repoPath = `${apiBase}/repos/${encodeURIComponent(repo.owner)}/${encodeURIComponent(repo.repo)}`;
  const api = async (method: string, url: string, what: string, body?: unknown): Promise<unknown> => {
    const res = await httpCall(name, url, {
      method,
      headers: { authorization: `Bearer ${token}`, accept: "application/vnd.github+json", "user-agent": "hawser", ...(body !== undefined ? { "content-type": "application/json" } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      insecureSkipVerify,
    });
    if (res.status < 200 || res.status >= 300) throw new DeliveryError(`${name}: ${what}: HTTP ${res.status}`, res.status >= 500 || res.status === 429);
    if (res.body.trim() === "") return undefined;
    try {
      return JSON.parse(res.body) as unknown;
    } catch {
      throw new DeliveryError(`${name}: ${what}: GitHub answered with something other than JSON`, true);
    }
  };
  const message = str(notification.message) ?? "";

  if (isRecord(tpl.status)) {
    const status = tpl.status;
    await api("POST", `${repoPath}/statuses/${sha}`, "creating the commit status", compact({
      state: str(status.state) ?? "pending", context: str(status.label) ?? "continuous-delivery/argocd",
      target_url: str(status.targetURL), description: message ? message.slice(0, 140) : undefined,
    }));
  }

  if (isRecord(tpl.deployment)) {
    const d = tpl.deployment;
    const environment = str(d.environment) ?? "";
    if (environment === "") throw new DeliveryError(`${name}: template field github.deployment.environment is empty`, false);
    const ref = str(d.reference) || sha;
    const query = new URLSearchParams({ ref, environment });
    const existing = await api("GET", `${repoPath}/deployments?${query.toString()}`, "listing deployments");
    let id = Array.isArray(existing) && isRecord(existing[0]) && typeof existing[0].id === "number" ? existing[0].id : undefined;
    if (id === undefined) {
      const contexts = d.requiredContexts;
      if (contexts !== undefined && contexts !== null && !(Array.isArray(contexts) && contexts.every((c) => typeof c === "string"))) {
        throw new DeliveryError(`${name}: template field github.deployment.requiredContexts must be a list of strings`, false);
      }
      const created = await api("POST", `${repoPath}/deployments`, "creating the deployment", {
        ref, environment,
        // Argo's defaults: auto-merge on, GitHub's own required contexts unless the template lists them.
        auto_merge: flag(d.autoMerge) ?? true,
        ...(Array.isArray(contexts) ? { required_contexts: contexts } : {}),
        ...(flag(d.transientEnvironment) !== undefined ? { transient_environment: flag(d.transientEnvironment) } : {}),
      });
      id = isRecord(created) && typeof created.id === "number" ? created.id : undefined;
      if (id === undefined) throw new DeliveryError(`${name}: creating the deployment: GitHub answered without a deployment id`, true);
    }
    await api("POST", `${repoPath}/deployments/${id}/statuses`, "creating the deployment status", compact({
      state: str(d.state) ?? "", environment, environment_url: str(d.environmentURL), log_url: str(d.logURL),
      description: message ? message.slice(0, 140) : undefined,
    }));
  }

  if (isRecord(tpl.pullRequestComment)) {
    const c = tpl.pullRequestComment;
    const tag = str(c.commentTag) ?? "";
    const body = (str(c.content) ?? "") + (tag ? `\n${commentMarker(tag)}` : "");
    const pulls = await api("GET", `${repoPath}/commits/${sha}/pulls`, "listing the pull requests of the commit");
    for (const pr of Array.isArray(pulls) ? (pulls as unknown[]) : []) {
      if (!isRecord(pr) || typeof pr.number !== "number") continue;
      let commentId: number | undefined;
      if (tag) {
        const comments = await api("GET", `${repoPath}/issues/${pr.number}/comments?per_page=100`, `listing the comments of pull request ${pr.number}`);
        const mine = (Array.isArray(comments) ? (comments as unknown[]) : []).find((x) => isRecord(x) && typeof x.body === "string" && x.body.includes(commentMarker(tag)));
        commentId = isRecord(mine) && typeof mine.id === "number" ? mine.id : undefined;
      }
      if (commentId !== undefined) await api("PATCH", `${repoPath}/issues/comments/${commentId}`, `editing the comment on pull request ${pr.number}`, { body });
      else await api("POST", `${repoPath}/issues/${pr.number}/comments`, `commenting on pull request ${pr.number}`, { body });
    }
  }

  if (isRecord(tpl.checkRun)) {
    const r = tpl.checkRun;
    const output = isRecord(r.output) ? compact({ title: str(r.output.title), summary: str(r.output.summary), text: str(r.output.text) }) : {};
    await api("POST", `${repoPath}/check-runs`, "creating the check run", compact({
      name: str(r.name) || "continuous-delivery/argocd", head_sha: sha, details_url: str(r.details_url), external_id: str(r.external_id),
      status: str(r.status), conclusion: str(r.conclusion), started_at: str(r.started_at), completed_at: str(r.completed_at),
      ...(Object.keys(output).length > 0 ? { output } : {}),
    }));
  }

  if (isRecord(tpl.repositoryDispatch)) {
    const r = tpl.repositoryDispatch;
    const eventType = str(r.event_type) ?? "";
    if (eventType === "") throw new DeliveryError(`${name}: template field github.repositoryDispatch.event_type is empty`, false);
    const payload = jsonField(name, "github.repositoryDispatch.client_payload", r.client_payload);
    await api("POST", `${repoPath}/dispatches`, "sending the repository dispatch", { event_type: eventType, ...(payload !== undefined ? { client_payload: payload } : {}) });
  }
}

export { type Delivery, DeliveryError };

/** Delivers one notification to one destination; throws DeliveryError on failure. */
export async function deliver(d: Delivery): Promise<void> {
  switch (d.service.type) {
    case "webhook": return sendWebhook(d);
    case "slack": return sendSlack(d);
    case "teams": return sendTeams(d);
    case "github": return sendGitHub(d);
    case "email": return sendEmail(d);
  }
  throw new DeliveryError(`${d.service.type} ${d.service.name}: service type ${d.service.type} is not supported by Hawser`, false);
}
