// Live applications: one List (with `fields`, small on the wire), then the watch stream from the
// list's resourceVersion over server-sent events (for one app: a GET, then its stream). Events are
// folded into a Map and published in an animation frame, so a burst of changes costs one render;
// a list is published at most every LIST_PUBLISH_MS besides, because each publication filters,
// counts and sorts every app again (10,000 of them), and a thousand apps changing for seconds
// would otherwise do that in every frame. When the stream breaks, the list is loaded again and a
// new stream opened (a 401 there goes to the login page).
import { useEffect, useRef, useState } from "react";
import { appKey, applyWatchEvent, LIST_FIELDS, type App } from "./apps";
import { errorText, get, HttpError, query } from "./api";
import { onPageHide, usePageShows } from "./pageLife";

export interface AppsWatch {
  apps: App[] | undefined;
  error: string | undefined;
  /** Whether the stream is open (for a "live" indicator). */
  live: boolean;
}

/** The shortest time between two publications of a list (one app's page is published every frame). */
export const LIST_PUBLISH_MS = 250;

interface StreamMessage { result?: { type?: string; application?: App }; error?: { message?: string } }

/** `extraFields`: paths asked for beside LIST_FIELDS (e.g. `status.resources` for the resource list). */
export function useAppsWatch(opts: { name?: string; appNamespace?: string; fields?: boolean; extraFields?: readonly string[] } = {}): AppsWatch {
  const [state, setState] = useState<AppsWatch>({ apps: undefined, error: undefined, live: false });
  const mapRef = useRef(new Map<string, App>());
  const { name, appNamespace } = opts;
  const useFields = opts.fields !== false;
  const extra = (opts.extraFields ?? []).join(",");
  const shows = usePageShows();

  useEffect(() => {
    const wanted = [...LIST_FIELDS, ...(extra ? extra.split(",") : [])];
    let stopped = false;
    let source: EventSource | undefined;
    let frame = 0;
    let paceTimer = 0;
    let lastPublished = 0;
    let retry = 0;
    let retryTimer = 0;
    const minInterval = name ? 0 : LIST_PUBLISH_MS;
    const publish = (): void => {
      frame = 0;
      lastPublished = performance.now();
      if (!stopped) setState((s) => ({ ...s, apps: [...mapRef.current.values()] }));
    };
    const schedule = (): void => {
      if (frame !== 0 || paceTimer !== 0) return;
      const wait = lastPublished + minInterval - performance.now();
      if (wait <= 0) frame = window.requestAnimationFrame(publish);
      else paceTimer = window.setTimeout(() => { paceTimer = 0; frame = window.requestAnimationFrame(publish); }, wait);
    };

    const start = async (): Promise<void> => {
      try {
        let rv = "";
        if (!name) {
          const list = await get<{ metadata?: { resourceVersion?: string }; items?: App[] }>(`api/v1/applications${query({
            ...(useFields ? { fields: ["metadata.resourceVersion", ...wanted.map((f) => `items.${f}`)].join(",") } : {}),
            appNamespace,
          })}`);
          if (stopped) return;
          mapRef.current = new Map((list.items ?? []).map((a) => [appKey(a), a]));
          rv = list.metadata?.resourceVersion ?? "";
          setState({ apps: [...mapRef.current.values()], error: undefined, live: false });
        } else {
          // One app: the stream sends it first anyway, but an EventSource cannot tell a 401 from a
          // network error, so a plain GET finds out whether the session is still good.
          const one = await get<App>(`api/v1/applications/${encodeURIComponent(name)}${query({ appNamespace })}`);
          if (stopped) return;
          mapRef.current = new Map([[appKey(one), one]]);
          setState({ apps: [one], error: undefined, live: false });
        }
        const fields = useFields ? ["result.type", ...wanted.map((f) => `result.application.${f}`)].join(",") : undefined;
        source = new EventSource(`api/v1/stream/applications${query({ name, appNamespace, resourceVersion: rv, fields })}`);
        source.onopen = () => { retry = 0; setState((s) => ({ ...s, live: true })); };
        source.onmessage = (ev: MessageEvent<string>) => {
          let msg: StreamMessage;
          try { msg = JSON.parse(ev.data) as StreamMessage; } catch { return; }
          if (msg.error) { restart(msg.error.message ?? "the stream failed"); return; }
          if (msg.result && applyWatchEvent(mapRef.current, msg.result)) schedule();
        };
        source.onerror = () => restart(undefined);
      } catch (err) {
        // Refused or missing: retrying will not change that; say so and stop.
        if (err instanceof HttpError && (err.status === 403 || err.status === 404)) {
          setState({ apps: [], error: errorText(err), live: false });
          return;
        }
        restart(errorText(err));
      }
    };
    const restart = (error: string | undefined): void => {
      source?.close();
      source = undefined;
      if (stopped) return;
      setState((s) => ({ ...s, live: false, ...(error ? { error } : {}) }));
      // Back off up to 10 s; the list is loaded again, so nothing missed while away is lost.
      retry = Math.min(retry + 1, 5);
      window.clearTimeout(retryTimer);
      retryTimer = window.setTimeout(() => { void start(); }, 500 * 2 ** (retry - 1));
    };

    const stop = (): void => {
      stopped = true;
      source?.close();
      window.clearTimeout(retryTimer);
      window.clearTimeout(paceTimer);
      if (frame) window.cancelAnimationFrame(frame);
    };
    // Closed when the page is left, so a page kept in the back/forward cache holds no connection (pageLife.ts).
    const removeHide = onPageHide(stop);
    void start();
    return () => { removeHide(); stop(); };
  }, [name, appNamespace, useFields, extra, shows]);

  return state;
}
