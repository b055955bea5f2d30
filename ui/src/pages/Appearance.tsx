// /settings/appearance (the theme, stored in this browser) and /settings/advanced (the instance's
// configuration as GET /api/v1/settings and /api/version tell it, read-only), as Argo's
// settings pages.
import { useEffect, useState, type ReactNode } from "react";
import { errorText, get } from "../api";
import { setTheme, storedTheme, THEMES, type Theme } from "../theme";

const THEME_TITLES: Record<Theme, string> = { light: "Light", dark: "Dark", auto: "Follow the system" };

export function AppearancePage(): ReactNode {
  const [theme, choose] = useState<Theme>(storedTheme);
  return (
    <div className="page">
      <h1>Appearance</h1>
      <fieldset className="card">
        <legend>Theme</legend>
        <div className="theme-choice" role="radiogroup" aria-label="Theme">
          {THEMES.map((t) => (
            <label key={t} className="check">
              <input type="radio" name="theme" value={t} checked={theme === t} onChange={() => { setTheme(t); choose(t); }} data-testid={`theme-${t}`} /> {THEME_TITLES[t]}
            </label>
          ))}
        </div>
        <p className="muted">Kept in this browser only.</p>
      </fieldset>
    </div>
  );
}

/** Scalar settings as rows; nested ones as JSON (secrets never reach this endpoint). */
function rows(o: Record<string, unknown>): Array<[string, string]> {
  return Object.entries(o).filter(([, v]) => v !== undefined && v !== null && v !== "")
    .map(([k, v]): [string, string] => [k, typeof v === "string" ? v : JSON.stringify(v)])
    .sort((a, b) => a[0].localeCompare(b[0]));
}

export function AdvancedPage(): ReactNode {
  const [state, setState] = useState<{ settings?: Record<string, unknown>; version?: Record<string, unknown>; error?: string }>({});
  useEffect(() => {
    let live = true;
    Promise.all([get<Record<string, unknown>>("api/v1/settings"), get<Record<string, unknown>>("api/version")])
      .then(([settings, version]) => { if (live) setState({ settings, version }); })
      .catch((err: unknown) => { if (live) setState({ error: errorText(err) }); });
    return () => { live = false; };
  }, []);
  if (state.error) return <div className="page"><h1>Advanced</h1><p className="error" role="alert">{state.error}</p></div>;
  return (
    <div className="page">
      <h1>Advanced</h1>
      <p className="muted">The server's configuration (argocd-cm and flags), read-only.</p>
      {!state.settings ? <p className="muted">Loading…</p> : (
        <>
          <h2>Version</h2>
          <dl className="fields" data-testid="advanced-version">{rows(state.version ?? {}).map(([k, v]) => <div key={k} style={{ display: "contents" }}><dt>{k}</dt><dd className="mono">{v}</dd></div>)}</dl>
          <h2>Settings</h2>
          <dl className="fields" data-testid="advanced-settings">{rows(state.settings).map(([k, v]) => <div key={k} style={{ display: "contents" }}><dt>{k}</dt><dd className="mono" style={{ wordBreak: "break-all" }}>{v}</dd></div>)}</dl>
        </>
      )}
    </div>
  );
}
