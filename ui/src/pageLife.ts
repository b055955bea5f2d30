// Streams and the back/forward cache: a page left for another may be kept whole in the browser's
// back/forward cache, and an EventSource it holds stays connected. Over plain HTTP/1.1 a browser
// keeps at most six connections to a host, so two or three cached app pages (two streams each)
// leave the live page none: its requests and the next navigation wait forever. Each stream is
// therefore closed when the page is hidden and opened again when a cached page is shown.
import { useEffect, useState } from "react";

/** Calls `onHide` when the page is left (closed or kept in the back/forward cache); returns the listener's remover. */
export function onPageHide(onHide: () => void): () => void {
  window.addEventListener("pagehide", onHide);
  return () => window.removeEventListener("pagehide", onHide);
}

/** A number that changes each time the page comes back from the back/forward cache: a stream effect's dependency. */
export function usePageShows(): number {
  const [shows, setShows] = useState(0);
  useEffect(() => {
    const shown = (e: PageTransitionEvent): void => { if (e.persisted) setShows((n) => n + 1); };
    window.addEventListener("pageshow", shown);
    return () => window.removeEventListener("pageshow", shown);
  }, []);
  return shows;
}
