// Small pieces the settings and ApplicationSet pages share: loading a resource with its error,
// a status line for the last action, a labelled field, a modal dialog, and a one-time token box.
import { useCallback, useEffect, useRef, useState, type ReactNode } from "react";
import { errorText, request } from "../api";

/** GET `path` (again on reload()); undefined while loading. */
export function useLoad<T>(path: string | undefined): { data: T | undefined; error: string | undefined; reload: () => void } {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [n, setN] = useState(0);
  useEffect(() => {
    if (!path) return;
    const ctl = new AbortController();
    request<T>("GET", path, { signal: ctl.signal })
      .then((d) => { setData(d); setError(undefined); })
      .catch((err: unknown) => { if (!ctl.signal.aborted) setError(errorText(err)); });
    return () => ctl.abort();
  }, [path, n]);
  const reload = useCallback(() => setN((x) => x + 1), []);
  return { data, error, reload };
}

export interface Note { text: string; error: boolean }

/** Runs an API call, reporting its outcome as a Note; returns the result or undefined on failure. */
export function useAction(): { busy: boolean; note: Note | undefined; setNote: (n: Note | undefined) => void; run: <T>(label: string, f: () => Promise<T>) => Promise<T | undefined> } {
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<Note | undefined>(undefined);
  const run = useCallback(async <T,>(label: string, f: () => Promise<T>): Promise<T | undefined> => {
    setBusy(true);
    setNote(undefined);
    try {
      const r = await f();
      if (label) setNote({ text: label, error: false });
      return r;
    } catch (err) {
      setNote({ text: errorText(err), error: true });
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, note, setNote, run };
}

export function NoteLine({ note }: { note: Note | undefined }): ReactNode {
  if (!note) return null;
  return <p className={note.error ? "error" : "notice"} role={note.error ? "alert" : "status"} data-testid="note">{note.text}</p>;
}

export function LoadError({ error }: { error: string | undefined }): ReactNode {
  return error ? <p className="error" role="alert">{error}</p> : null;
}

/** A modal dialog: focus moves into it, Escape closes it. */
export function Dialog({ title, onClose, children }: { title: string; onClose: () => void; children: ReactNode }): ReactNode {
  const ref = useRef<HTMLDivElement>(null);
  // Focus moves in once, on opening; the latest onClose is read through a ref so a re-render
  // (every keystroke) neither steals focus back nor re-binds Escape.
  const close = useRef(onClose);
  close.current = onClose;
  useEffect(() => {
    ref.current?.querySelector<HTMLElement>("input, select, textarea, button")?.focus();
    const esc = (e: KeyboardEvent): void => { if (e.key === "Escape") close.current(); };
    document.addEventListener("keydown", esc);
    return () => document.removeEventListener("keydown", esc);
  }, []);
  return (
    <div className="dialog-backdrop">
      <div className="dialog" role="dialog" aria-modal="true" aria-label={title} ref={ref}>
        <h2>{title}</h2>
        {children}
      </div>
    </div>
  );
}

/** A token shown once, right after it was made: the server never returns it again. */
export function TokenOnce({ token, onDone }: { token: string; onDone: () => void }): ReactNode {
  return (
    <div className="token-once" role="status">
      <p><strong>New token</strong>: copy it now, it is not shown again.</p>
      <textarea readOnly aria-label="New token" className="mono wide-text" rows={3} value={token} data-testid="new-token" />
      <button onClick={onDone}>Done</button>
    </div>
  );
}

export function List({ items, empty = "None" }: { items: ReactNode[] | undefined; empty?: string }): ReactNode {
  if (!items || items.length === 0) return <span className="muted">{empty}</span>;
  return <ul className="plain">{items.map((x, i) => <li key={i}>{x}</li>)}</ul>;
}

/**
 * GETs `path` until `done` holds (or ~10 s pass): the server answers reads from its watch cache,
 * which catches up with a write just made a moment later.
 */
export async function pollUntil<T>(path: string, done: (v: T | undefined) => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let wait = 100; ; wait = Math.min(wait * 2, 1000)) {
    const v = await request<T>("GET", path).catch(() => undefined);
    if (done(v) || Date.now() > deadline) return;
    await new Promise((r) => setTimeout(r, wait));
  }
}
