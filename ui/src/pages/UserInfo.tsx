// /user-info: who is logged in (username, issuer, groups), and Update Password for local users
// (tokens Hawser issued itself: issuer "argocd"); the server checks the current password and the
// argocd-cm passwordPattern.
import { useState, type FormEvent, type ReactNode } from "react";
import { request } from "../api";
import { NoteLine, useAction } from "../components/Admin";
import { useSession } from "../session";

export function UserInfoPage(): ReactNode {
  const { user } = useSession();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [confirm, setConfirm] = useState("");
  const { busy, note, run } = useAction();
  const local = user?.loggedIn === true && user.iss === "argocd";
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    void run("Password updated", async () => {
      if (next !== confirm) throw new Error("Confirm new password: does not match the new password");
      return request("PUT", "api/v1/account/password", { body: { name: user?.username, currentPassword: current, newPassword: next } });
    }).then((r) => { if (r) { setCurrent(""); setNext(""); setConfirm(""); } });
  };
  return (
    <div className="page">
      <h1>User info</h1>
      {!user ? <p className="muted">Loading…</p> : !user.loggedIn ? <p>You are not logged in (anonymous access).</p> : (
        <dl className="fields" data-testid="user-info">
          <dt>Username</dt><dd data-testid="user-info-username">{user.username}</dd>
          <dt>Issuer</dt><dd>{user.iss}</dd>
          <dt>Groups</dt><dd>{(user.groups ?? []).join(", ") || "none"}</dd>
        </dl>
      )}
      {local && (
        <form className="form card" onSubmit={submit} aria-label="Update password">
          <h2>Update password</h2>
          <label>Current password<input type="password" name="currentPassword" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} required /></label>
          <label>New password<input type="password" name="newPassword" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} required /></label>
          <label>Confirm new password<input type="password" name="confirmPassword" autoComplete="new-password" value={confirm} onChange={(e) => setConfirm(e.target.value)} required /></label>
          <NoteLine note={note} />
          <button type="submit" className="primary" disabled={busy}>Save new password</button>
        </form>
      )}
    </div>
  );
}
