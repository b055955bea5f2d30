// Tells the operator what the SSO settings amount to: at start and whenever argocd-cm or a Secret
// changes, one log line per warning (a not-supported key such as dex.config, an unknown key) and
// one error line when SSO cannot work, naming the key. The same text is not logged twice in a row.
import type { Logger } from "../../../runtime/logger.js";
import type { SsoClient } from "./sso.js";

export interface SsoReportSource {
  onConfigMap(handler: { add(): void; update(): void; delete(): void }): void;
  onSecret(handler: { add(): void; update(): void; delete(): void }): void;
}

/** Logs sso.status() now and after every change; returns the function that checks again. */
export function reportSsoSettings(sso: Pick<SsoClient, "status">, log: Logger, source?: SsoReportSource): () => void {
  let last = "";
  const check = (): void => {
    const status = sso.status();
    const key = JSON.stringify(status);
    if (key === last) return;
    last = key;
    for (const warning of status.warnings) log.warn("SSO setting", { problem: warning });
    if (status.error) log.error("SSO is misconfigured: logins through it are refused", { problem: status.error });
  };
  check();
  const handler = { add: check, update: check, delete: check };
  source?.onConfigMap(handler);
  source?.onSecret(handler);
  return check;
}
