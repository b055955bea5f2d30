// The global banner from argocd-cm ui.bannercontent (a link with ui.bannerurl; top or bottom by
// ui.bannerposition; closable unless ui.bannerpermanent, remembered per content in the browser),
// and ui.cssurl as an extra stylesheet. GET /api/v1/settings serves them to logged-in users.
import { useEffect, useState, type ReactNode } from "react";
import type { Settings } from "../api";
import { useSession } from "../session";

export interface GlobalSettings extends Settings {
  uiBannerContent?: string; uiBannerURL?: string; uiBannerPermanent?: boolean; uiBannerPosition?: string; uiCssURL?: string;
  help?: { chatUrl?: string; chatText?: string; binaryUrls?: Record<string, string> };
}

const CLOSED_KEY = "hawser.bannerClosed";

export function Banner({ position }: { position: "top" | "bottom" }): ReactNode {
  const settings: GlobalSettings | undefined = useSession().settings;
  const content = settings?.uiBannerContent;
  const [closed, setClosed] = useState(() => window.localStorage.getItem(CLOSED_KEY));
  const at = settings?.uiBannerPosition === "bottom" ? "bottom" : "top";
  if (!content || at !== position || (!settings?.uiBannerPermanent && closed === content)) return null;
  return (
    <div className={`banner banner-${position}`} role="region" aria-label="Announcement" data-testid="banner">
      {settings?.uiBannerURL ? <a href={settings.uiBannerURL} target="_blank" rel="noreferrer">{content}</a> : <span>{content}</span>}
      {!settings?.uiBannerPermanent && <button className="banner-close" aria-label="Close the banner" onClick={() => { window.localStorage.setItem(CLOSED_KEY, content); setClosed(content); }}>×</button>}
    </div>
  );
}

/** Adds argocd-cm ui.cssurl's stylesheet to every page (the login page too) once settings are known. */
export function CustomCss(): null {
  const settings: GlobalSettings | undefined = useSession().settings;
  const href = settings?.uiCssURL;
  useEffect(() => {
    if (!href) return;
    const link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = href;
    link.dataset.testid = "custom-css";
    document.head.appendChild(link);
    return () => link.remove();
  }, [href]);
  return null;
}
