// Deleting an application (argo-cd-server.md §1.3 DELETE, §5.2): the user types the app's name to
// confirm and picks the propagation: Foreground (resources deleted before the app), Background,
// or Non-cascading (the app goes, its resources stay).
import { useState, type ReactNode } from "react";
import { errorText, query, request } from "../api";
import type { App } from "../apps";
import { DELETE_PROPAGATION, deleteQuery, type DeletePropagation } from "../appOps";
import "../app-ops.css";

type Message = { text: string; error: boolean };

const LABELS: Record<DeletePropagation, string> = {
  foreground: "Foreground: delete the resources, then the application",
  background: "Background: delete the application, the resources after it",
  "non-cascading": "Non-cascading: delete only the application, keep its resources",
};

export function DeleteDialog({ app, onClose }: { app: App; onClose: (msg?: Message) => void }): ReactNode {
  const name = app.metadata.name;
  const [typed, setTyped] = useState("");
  const [propagation, setPropagation] = useState<DeletePropagation>("foreground");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const submit = (): void => {
    setBusy(true);
    setError(undefined);
    request("DELETE", `api/v1/applications/${encodeURIComponent(name)}${query(deleteQuery(propagation, app.metadata.namespace))}`)
      .then(() => onClose({ text: `Deletion of ${name} requested`, error: false }))
      .catch((err: unknown) => { setError(errorText(err)); setBusy(false); });
  };
  return (
    <div className="dialog-backdrop">
      <div className="dialog" role="dialog" aria-modal="true" aria-label={`Delete ${name}`} data-testid="delete-dialog">
        <h2>Delete {name}</h2>
        <fieldset>
          <legend>Propagation policy</legend>
          {DELETE_PROPAGATION.map((p) => (
            <label key={p} className="check"><input type="radio" name="propagation" value={p} checked={propagation === p} onChange={() => setPropagation(p)} data-testid={`delete-${p}`} /> {LABELS[p]}</label>
          ))}
        </fieldset>
        <label className="field">Type the application's name (<strong>{name}</strong>) to confirm
          <input value={typed} onChange={(e) => setTyped(e.target.value)} data-testid="delete-confirm-name" autoFocus />
        </label>
        {error && <p className="error" role="alert">{error}</p>}
        <div className="dialog-buttons">
          <button className="primary" onClick={submit} disabled={busy || typed !== name} data-testid="delete-confirm">Delete</button>
          <button onClick={() => onClose()}>Cancel</button>
        </div>
      </div>
    </div>
  );
}
