// Who is logged in (userinfo), the server's settings, and RBAC questions (can-i), shared by every
// page. can-i answers are remembered for the page's life: they only hide or disable controls, the
// server checks every request anyway.
import { createContext, useContext, useEffect, useState, type ReactNode } from "react";
import { get, type Settings, type UserInfo } from "./api";

interface Session {
  user: UserInfo | undefined;
  settings: Settings | undefined;
}

const SessionContext = createContext<Session>({ user: undefined, settings: undefined });

export function SessionProvider({ children }: { children: ReactNode }): ReactNode {
  const [session, setSession] = useState<Session>({ user: undefined, settings: undefined });
  useEffect(() => {
    Promise.all([get<UserInfo>("api/v1/session/userinfo"), get<Settings>("api/v1/settings")])
      .then(([user, settings]) => setSession({ user, settings }))
      .catch(() => setSession({ user: {}, settings: {} }));
  }, []);
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  return useContext(SessionContext);
}

const canCache = new Map<string, Promise<boolean>>();

export function canI(resource: string, action: string, object: string): Promise<boolean> {
  const key = `${resource}/${action}/${object}`;
  let p = canCache.get(key);
  if (!p) {
    // A cluster's object is a server URL (perhaps after its project): one segment, slashes encoded,
    // so its `//` reaches the server intact; other objects keep their `/` parts.
    const subresource = resource === "clusters" ? encodeURIComponent(object) : object.split("/").map(encodeURIComponent).join("/");
    p = get<{ value?: string }>(`api/v1/account/can-i/${encodeURIComponent(resource)}/${encodeURIComponent(action)}/${subresource}`)
      .then((r) => r.value === "yes")
      .catch(() => false);
    canCache.set(key, p);
  }
  return p;
}

/** undefined while asking; then whether the caller may. */
export function useCan(resource: string, action: string, object: string | undefined): boolean | undefined {
  const [value, setValue] = useState<boolean | undefined>(undefined);
  useEffect(() => {
    if (!object) return;
    let live = true;
    void canI(resource, action, object).then((v) => { if (live) setValue(v); });
    return () => { live = false; };
  }, [resource, action, object]);
  return value;
}
