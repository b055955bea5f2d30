// The email service against a real SMTP server on loopback (smtp-server): envelope, subject, body
// (email.body, else message), AUTH with the configured credentials, and a rejected recipient
// reported without the password.
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { SMTPServer } from "smtp-server";
import type { ServiceConfig } from "../engine/notifications/config.js";
import { deliver, DeliveryError } from "./services.js";

const mails: { from: string; to: string[]; user: string | undefined; raw: string }[] = [];
const server = new SMTPServer({
  disabledCommands: ["STARTTLS"],
  allowInsecureAuth: true,
  authOptional: true,
  logger: false,
  onAuth(auth, _session, callback) {
    if (auth.username === "cd" && auth.password === "s3cret") callback(null, { user: auth.username });
    else callback(new Error("invalid credentials"));
  },
  onRcptTo(address, _session, callback) {
    if (address.address.endsWith("@nowhere.example")) {
      const err = new Error("no such mailbox") as Error & { responseCode: number };
      err.responseCode = 550;
      callback(err);
      return;
    }
    callback();
  },
  onData(stream, session, callback) {
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => {
      mails.push({
        from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
        to: session.envelope.rcptTo.map((r) => r.address),
        user: typeof session.user === "string" ? session.user : undefined,
        raw: Buffer.concat(chunks).toString("utf8"),
      });
      callback();
    });
  },
});
let port = 0;

before(async () => {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  port = (server.server.address() as AddressInfo).port;
});
after(() => new Promise<void>((r) => server.close(() => r())));

const email = (options: Record<string, unknown>): ServiceConfig => ({ type: "email", name: "email", options: { host: "127.0.0.1", port, from: "cd@example.com", ...options } });

describe("email service", () => {
  it("sends subject and body to the recipient, authenticating with username and password", async () => {
    mails.length = 0;
    await deliver({ service: email({ username: "cd", password: "s3cret" }), recipient: "team@example.com", notification: { message: "fallback", email: { subject: "my-api synced", body: "Revision abc is live." } } });
    assert.equal(mails.length, 1, "one mail delivered");
    assert.equal(mails[0]!.from, "cd@example.com");
    assert.deepEqual(mails[0]!.to, ["team@example.com"]);
    assert.equal(mails[0]!.user, "cd", "authenticated as the configured user");
    assert.match(mails[0]!.raw, /^Subject: my-api synced\r?$/m);
    assert.ok(mails[0]!.raw.includes("Revision abc is live."), `body: ${mails[0]!.raw}`);
    assert.ok(!mails[0]!.raw.includes("fallback"), "email.body wins over message");
  });

  it("uses message as the body when the template has no email.body", async () => {
    mails.length = 0;
    await deliver({ service: email({}), recipient: "a@example.com", notification: { message: "just the message", email: { subject: "s" } } });
    assert.ok(mails[0]!.raw.includes("just the message"), `body: ${mails[0]!.raw}`);
  });

  it("a rejected recipient is a permanent failure whose message names the service and code, not the password", async () => {
    await assert.rejects(
      deliver({ service: email({ username: "cd", password: "s3cret" }), recipient: "x@nowhere.example", notification: { message: "m" } }),
      (err: unknown) => err instanceof DeliveryError && !err.retryable && /^email email: sending to x@nowhere\.example failed \(\w+ 550\)$/.test(err.message) && !err.message.includes("s3cret"),
    );
    await assert.rejects(
      deliver({ service: email({ username: "cd", password: "wrong" }), recipient: "a@example.com", notification: { message: "m" } }),
      (err: unknown) => err instanceof DeliveryError && err.message.startsWith("email email: sending to a@example.com failed") && !err.message.includes("wrong"),
    );
    await assert.rejects(deliver({ service: email({ host: "" }), recipient: "a@example.com", notification: {} }), /service\.email needs host, port and from/);
  });
});
