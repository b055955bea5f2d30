// Email over SMTP (service.email: host, port, from, username, password, html,
// insecure_skip_verify) with nodemailer. Port 465 is implicit TLS; other ports upgrade with
// STARTTLS when the server offers it, and the certificate is verified unless
// insecure_skip_verify is set.
import { createTransport } from "nodemailer";
import { isRecord } from "../util/index.js";
import { type Delivery, DeliveryError } from "./delivery.js";

export async function sendEmail({ service, recipient, notification }: Delivery): Promise<void> {
  const name = `email ${service.name}`;
  const o = service.options;
  const host = typeof o.host === "string" ? o.host : "";
  const port = Number(o.port ?? 587);
  const from = typeof o.from === "string" ? o.from : "";
  if (!host || !Number.isInteger(port) || !from) throw new DeliveryError(`${name}: service.email needs host, port and from`, false);
  if (!recipient) throw new DeliveryError(`${name}: the subscription names no address`, false);
  const tpl = isRecord(notification.email) ? notification.email : {};
  const subject = typeof tpl.subject === "string" ? tpl.subject : "";
  const body = typeof tpl.body === "string" ? tpl.body : typeof notification.message === "string" ? notification.message : "";
  const username = typeof o.username === "string" ? o.username : "";
  const transport = createTransport({
    host,
    port,
    secure: port === 465,
    ...(username ? { auth: { user: username, pass: typeof o.password === "string" ? o.password : "" } } : {}),
    tls: { rejectUnauthorized: o.insecure_skip_verify !== true },
    connectionTimeout: 30_000,
    // nodemailer's logger would print the conversation (and AUTH); keep it off.
    logger: false,
  });
  try {
    await transport.sendMail({ from, to: recipient, subject, ...(o.html === true ? { html: body } : { text: body }) });
  } catch (err) {
    const code = isRecord(err) && typeof err.code === "string" ? err.code : "error";
    const responseCode = isRecord(err) && typeof err.responseCode === "number" ? ` ${err.responseCode}` : "";
    // 4xx SMTP replies and connection errors are worth another try; 5xx are permanent.
    const retryable = !responseCode || (Number(responseCode) >= 400 && Number(responseCode) < 500);
    throw new DeliveryError(`${name}: sending to ${recipient} failed (${code}${responseCode})`, retryable);
  } finally {
    transport.close();
  }
}
