// The app's resource tree, live: the tree stream (`api/v1/stream/applications/{name}/resource-tree`)
// sends the whole ApplicationTree first and again on every change. On a broken stream it
// reconnects with back-off (the first message is always the whole tree, so nothing is missed).
import { useEffect, useState } from "react";
import { query } from "./api";
import { onPageHide, usePageShows } from "./pageLife";
import type { ApplicationTree } from "./tree";

export interface TreeWatch { tree: ApplicationTree | undefined; error: string | undefined; live: boolean }

export function useTreeWatch(name: string, appNamespace: string | undefined): TreeWatch {
  const [state, setState] = useState<TreeWatch>({ tree: undefined, error: undefined, live: false });
  const shows = usePageShows();
  useEffect(() => {
    let stopped = false;
    let source: EventSource | undefined;
    let retry = 0;
    let timer = 0;
    const start = (): void => {
      source = new EventSource(`api/v1/stream/applications/${encodeURIComponent(name)}/resource-tree${query({ appNamespace })}`);
      source.onopen = () => { retry = 0; setState((s) => ({ ...s, live: true })); };
      source.onmessage = (ev: MessageEvent<string>) => {
        let msg: { result?: ApplicationTree; error?: { message?: string } };
        try { msg = JSON.parse(ev.data) as typeof msg; } catch { return; }
        if (msg.error) { setState((s) => ({ ...s, error: msg.error?.message ?? "the tree stream failed" })); return; }
        if (msg.result) setState({ tree: msg.result, error: undefined, live: true });
      };
      source.onerror = () => {
        source?.close();
        if (stopped) return;
        setState((s) => ({ ...s, live: false }));
        retry = Math.min(retry + 1, 5);
        timer = window.setTimeout(start, 500 * 2 ** (retry - 1));
      };
    };
    const stop = (): void => { stopped = true; source?.close(); window.clearTimeout(timer); };
    // Closed when the page is left, so a page kept in the back/forward cache holds no connection (pageLife.ts).
    const removeHide = onPageHide(stop);
    start();
    return () => { removeHide(); stop(); };
  }, [name, appNamespace, shows]);
  return state;
}
