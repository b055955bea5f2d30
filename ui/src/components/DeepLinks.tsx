// Deep links (argocd-cm application.links, resource.links, project.links): the server renders
// them for this app, resource or project and answers `{items[{title, url, description,
// iconClass}]}`; shown as a short list of outside links. Nothing is shown when there are none.
import { useEffect, useState, type ReactNode } from "react";
import { errorText, get } from "../api";

export interface LinkInfo { title: string; url: string; description?: string; iconClass?: string }

export function DeepLinks({ path, testId }: { path: string; testId: string }): ReactNode {
  const [state, setState] = useState<{ items?: LinkInfo[]; error?: string }>({});
  useEffect(() => {
    let current = true;
    get<{ items?: LinkInfo[] }>(path)
      .then((r) => { if (current) setState({ items: r.items ?? [] }); })
      .catch((err: unknown) => { if (current) setState({ error: errorText(err) }); });
    return () => { current = false; };
  }, [path]);
  if (state.error) return <p className="error" data-testid={`${testId}-error`}>Links: {state.error}</p>;
  if (!state.items || state.items.length === 0) return null;
  return (
    <nav className="deep-links" aria-label="Links" data-testid={testId}>
      <ul>
        {state.items.map((l, i) => (
          <li key={`${i}-${l.url}`}>
            <a href={l.url} target="_blank" rel="noopener noreferrer" title={l.description ?? l.url} data-testid="deep-link">
              {l.iconClass && <i className={l.iconClass} aria-hidden="true" />} {l.title}
            </a>
            {l.description && <span className="muted"> — {l.description}</span>}
          </li>
        ))}
      </ul>
    </nav>
  );
}
