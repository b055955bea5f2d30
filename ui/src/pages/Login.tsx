// /login: username and password (unless the server has no local logins), and "Log in via <name>"
// when SSO is configured (argocd-cm oidc.config), which goes through the server's /auth/login.
// After logging in the user goes back to return_url when it is on this server.
import { useState, type FormEvent, type ReactNode } from "react";
import { basePath, errorText, post } from "../api";
import { useSession } from "../session";

/** return_url only when it points into this UI (no open redirect to another site). */
export function safeReturnUrl(raw: string | null): string {
  const fallback = `${basePath()}applications`;
  if (!raw) return fallback;
  try {
    const url = new URL(raw, window.location.href);
    if (url.origin !== window.location.origin || !url.pathname.startsWith(basePath()) || url.pathname.startsWith(`${basePath()}login`)) return fallback;
    return url.pathname + url.search + url.hash;
  } catch {
    return fallback;
  }
}

export function LoginPage(): ReactNode {
  const { settings } = useSession();
  const params = new URLSearchParams(window.location.search);
  const returnUrl = safeReturnUrl(params.get("return_url"));
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | undefined>(params.get("has_sso_error") === "true" ? "SSO login failed" : undefined);
  const [busy, setBusy] = useState(false);

  const submit = (e: FormEvent): void => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    post("api/v1/session", { username, password }, { noLoginRedirect: true })
      .then(() => window.location.assign(returnUrl))
      .catch((err: unknown) => { setError(errorText(err)); setBusy(false); });
  };

  const ssoName = settings?.oidcConfig?.name ?? (settings?.dexConfig?.connectors?.length === 1 ? settings.dexConfig.connectors[0]!.name : undefined);
  const sso = settings?.oidcConfig !== undefined || (settings?.dexConfig?.connectors?.length ?? 0) > 0;
  return (
    <main className="login">
      <div className="login-box">
        <h1>Hawser</h1>
        <p className="muted">Let's get stuff deployed!</p>
        {sso && (
          <a className="button primary wide" href={`auth/login?return_url=${encodeURIComponent(new URL(returnUrl, window.location.href).href)}`}>
            {settings?.uiLoginButtonText || `Log in via ${ssoName ?? "SSO"}`}
          </a>
        )}
        {!settings?.userLoginsDisabled && (
          <form onSubmit={submit} aria-label="Log in">
            <label>Username<input name="username" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} required autoFocus /></label>
            <label>Password<input name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required /></label>
            {error && <p className="error" role="alert">{error}</p>}
            <button className="primary wide" type="submit" disabled={busy}>Sign in</button>
          </form>
        )}
        {settings?.userLoginsDisabled && error && <p className="error" role="alert">{error}</p>}
      </div>
    </main>
  );
}
