// /settings: one tile per settings page, as Argo's settings overview.
import type { ReactNode } from "react";
import { Link } from "react-router";

const TILES: Array<{ to: string; title: string; text: string }> = [
  { to: "/settings/repos", title: "Repositories", text: "Connect git and Helm repositories and credentials templates" },
  { to: "/settings/certs", title: "Repository certificates and known hosts", text: "TLS certificates and SSH known hosts" },
  { to: "/settings/gpgkeys", title: "GnuPG keys", text: "Public keys that verify signed commits" },
  { to: "/settings/clusters", title: "Clusters", text: "Destination clusters, their connection and version" },
  { to: "/settings/projects", title: "Projects", text: "Sources, destinations, roles and sync windows" },
  { to: "/settings/accounts", title: "Accounts", text: "Local accounts and their API tokens" },
  { to: "/settings/appearance", title: "Appearance", text: "Light or dark theme, in this browser" },
  { to: "/settings/advanced", title: "Advanced", text: "The server's configuration, read-only" },
];

export function SettingsPage(): ReactNode {
  return (
    <div className="page">
      <h1>Settings</h1>
      <ul className="tiles" aria-label="Settings">
        {TILES.map((t) => <li key={t.to}><Link className="settings-tile" to={t.to}><strong>{t.title}</strong><span className="muted">{t.text}</span></Link></li>)}
      </ul>
    </div>
  );
}
