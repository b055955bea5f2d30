// The frame around every page once logged in: the top bar with navigation (Resources unless
// argocd-cm ui.view.resources.disabled) and the user menu
// (user name, groups, log out through the server's /auth/logout, which clears the cookie).
import { useEffect, useRef, useState, type ReactNode } from "react";
import { Link } from "react-router";
import { useSession } from "../session";
import { Banner } from "./Banner";

export function Layout({ children }: { children: ReactNode }): ReactNode {
  const { settings } = useSession();
  return (
    <div className="layout">
      <Banner position="top" />
      <header className="topbar">
        <Link to="/applications" className="brand">Hawser</Link>
        <nav aria-label="Main">
          <Link to="/applications">Applications</Link>
          <Link to="/applicationsets">ApplicationSets</Link>
          {/* argocd-cm ui.view.resources.disabled turns the cross-app resource list off; hidden until the settings say. */}
          {settings && !settings.uiViewResourcesDisabled && <Link to="/resources" data-testid="nav-resources">Resources</Link>}
          <Link to="/settings">Settings</Link>
          <Link to="/user-info">User info</Link>
          <Link to="/help">Help</Link>
        </nav>
        <UserMenu />
      </header>
      <main className="content">{children}</main>
      <Banner position="bottom" />
    </div>
  );
}

function UserMenu(): ReactNode {
  const { user } = useSession();
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const close = (e: MouseEvent): void => { if (!ref.current?.contains(e.target as Node)) setOpen(false); };
    document.addEventListener("mousedown", close);
    return () => document.removeEventListener("mousedown", close);
  }, [open]);
  const name = user?.loggedIn ? user.username ?? "" : "anonymous";
  return (
    <div className="user-menu" ref={ref}>
      <button aria-haspopup="menu" aria-expanded={open} onClick={() => setOpen(!open)} data-testid="user-menu">{name}</button>
      {open && (
        <div className="menu" role="menu">
          <div className="menu-item muted">Logged in as <strong data-testid="username">{name}</strong></div>
          {user?.iss && <div className="menu-item muted">Issuer: {user.iss}</div>}
          <div className="menu-item muted">Groups: <span data-testid="groups">{(user?.groups ?? []).join(", ") || "none"}</span></div>
          <a role="menuitem" className="menu-item" href="auth/logout">Log out</a>
        </div>
      )}
    </div>
  );
}
