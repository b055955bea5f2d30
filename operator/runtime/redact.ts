// Scrubs credentials out of text that may reach a log line, an Event, a status message or an
// error: userinfo in URLs, bearer/basic authorization values, and PEM private keys. Also used by
// the process runner so tool output quoting a credential URL is cleaned before it is surfaced.

const urlUserinfo = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/@:]+)(?::[^\s/@]*)?@/gi;
const authHeader = /\b(authorization\s*[:=]\s*)(bearer|basic|token)\s+[^\s"',]+/gi;
const bearer = /\b(bearer)\s+[A-Za-z0-9\-._~+/]+=*/gi;
const pemKey = /-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?-----END \1PRIVATE KEY-----/g;

/** Known secret values (e.g. passwords read from repository Secrets) registered at run time. */
const knownSecrets = new Set<string>();

export function registerSecret(value: string | undefined): void {
  // Very short values would scrub innocent text; such weak secrets are still never logged
  // deliberately, this is only the safety net.
  if (value && value.length >= 6) knownSecrets.add(value);
}

export function redact(text: string): string {
  let out = text
    .replace(pemKey, "-----BEGIN $1PRIVATE KEY-----[REDACTED]-----END $1PRIVATE KEY-----")
    .replace(urlUserinfo, "$1[REDACTED]@")
    .replace(authHeader, "$1$2 [REDACTED]")
    .replace(bearer, "$1 [REDACTED]");
  for (const secret of knownSecrets) {
    if (out.includes(secret)) out = out.split(secret).join("[REDACTED]");
  }
  return out;
}

/** Redacts a URL for display: drops userinfo, keeps everything else. */
export function redactUrl(url: string): string {
  return url.replace(urlUserinfo, "$1");
}
