// The resource panel's Terminal tab (Argo's `tab=exec`): a shell in one of the pod's containers,
// over the server's `/terminal` WebSocket (Argo's query and JSON frames: `stdin` and `resize` go
// up, `stdout` comes down), drawn by xterm.js. The session cookie authenticates the upgrade; the
// server checks exec.enabled, `exec, create` and the pod again, whatever this tab shows.
import { useEffect, useRef, useState, type ReactNode } from "react";
import { Terminal } from "@xterm/xterm";
import "@xterm/xterm/css/xterm.css";
import type { App } from "../apps";
import type { GraphNode } from "../tree";

const ROWS = 20;
const COLS = 100;

/** The WebSocket URL of a terminal session, relative to the page's `<base href>` like every API call. */
export function terminalUrl(q: { pod: string; container: string; appName: string; projectName: string; namespace: string; appNamespace?: string }): string {
  const u = new URL("terminal", document.baseURI);
  u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
  for (const [k, v] of Object.entries(q)) if (v) u.searchParams.set(k, v);
  return u.toString();
}

export function TerminalTab({ app, node, containers }: { app: App; node: GraphNode; containers: string[] }): ReactNode {
  const [container, setContainer] = useState(containers[0] ?? "");
  const [state, setState] = useState<{ phase: "connecting" | "open" | "closed"; message?: string }>({ phase: "connecting" });
  const box = useRef<HTMLDivElement>(null);
  // A new session each time the container (or the pod) changes; the old one is closed.
  useEffect(() => {
    if (!box.current || !container) return;
    const term = new Terminal({ rows: ROWS, cols: COLS, convertEol: false, cursorBlink: true, fontSize: 13 });
    term.open(box.current);
    setState({ phase: "connecting" });
    const ws = new WebSocket(terminalUrl({
      pod: node.name, container, appName: app.metadata.name, projectName: app.spec?.project || "default", namespace: node.namespace,
      ...(app.metadata.namespace ? { appNamespace: app.metadata.namespace } : {}),
    }));
    ws.onopen = () => {
      setState({ phase: "open" });
      ws.send(JSON.stringify({ operation: "resize", rows: term.rows, cols: term.cols }));
      term.focus();
    };
    ws.onmessage = (e) => {
      try {
        const msg = JSON.parse(String(e.data)) as { operation?: string; data?: string };
        if (msg.operation === "stdout" && typeof msg.data === "string") term.write(msg.data);
      } catch {
        term.write(String(e.data));
      }
    };
    // The browser hides a refused upgrade's status and body; the close reason, if any, says more.
    ws.onclose = (e) => setState({ phase: "closed", message: e.reason || (e.code === 1000 ? "the shell exited" : `the server refused or ended the session (code ${e.code}): is exec enabled and may you exec into this pod?`) });
    const input = term.onData((data) => { if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ operation: "stdin", data })); });
    const resize = term.onResize(({ rows, cols }) => { if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ operation: "resize", rows, cols })); });
    return () => {
      input.dispose();
      resize.dispose();
      ws.onclose = null;
      ws.close();
      term.dispose();
    };
  }, [app.metadata.name, app.metadata.namespace, app.spec?.project, node.name, node.namespace, container]);

  if (containers.length === 0) return <p className="muted">Loading the pod's containers…</p>;
  return (
    <div data-testid="terminal-tab" data-phase={state.phase}>
      <div className="manifest-options">
        <label>Container{" "}
          <select value={container} onChange={(e) => setContainer(e.target.value)} data-testid="terminal-container">
            {containers.map((c) => <option key={c} value={c}>{c}</option>)}
          </select>
        </label>
        <span className={state.phase === "closed" ? "error" : "muted"} role="status" data-testid="terminal-status">
          {state.phase === "connecting" ? "Connecting…" : state.phase === "open" ? "Connected" : `Closed: ${state.message ?? ""}`}
        </span>
      </div>
      <div className="terminal-box" ref={box} data-testid="terminal" role="region" aria-label={`Terminal in ${node.name}/${container}`} />
    </div>
  );
}
