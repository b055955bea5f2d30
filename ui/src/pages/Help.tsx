// /help: the CLI downloads argocd-cm lists (help.download.<os>-<arch>) and the chat link
// (help.chatUrl, help.chatText), as GET /api/v1/settings gives them.
import type { ReactNode } from "react";
import { useSession } from "../session";
import type { GlobalSettings } from "../components/Banner";

export function HelpPage(): ReactNode {
  const settings: GlobalSettings | undefined = useSession().settings;
  const help = settings?.help;
  const downloads = Object.entries(help?.binaryUrls ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return (
    <div className="page">
      <h1>Help</h1>
      <h2>Command-line tool</h2>
      {downloads.length > 0 ? (
        <ul data-testid="downloads">{downloads.map(([platform, url]) => <li key={platform}><a href={url}>Download the CLI for {platform}</a></li>)}</ul>
      ) : <p>Run <code>npx hawser help</code> from a clone, or ask your administrator to set <code>help.download.&lt;os&gt;-&lt;arch&gt;</code> in argocd-cm.</p>}
      <h2>Chat</h2>
      {help?.chatUrl ? <p><a href={help.chatUrl} data-testid="chat-link">{help.chatText || "Chat now!"}</a></p> : <p className="muted">No chat configured (argocd-cm help.chatUrl).</p>}
    </div>
  );
}
