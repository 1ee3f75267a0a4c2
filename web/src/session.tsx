// Who is signed in, for every page: loaded once from /api/users/currentuser, refreshed after
// sign-in, sign-up and sign-out. The session itself is an httpOnly cookie the app never reads.
import { createContext, type ComponentChildren } from 'preact';
import { useCallback, useContext, useEffect, useState } from 'preact/hooks';
import { Api } from './api/endpoints';
import type { CurrentUser } from './api/types';

interface Session {
  // undefined while loading, null when signed out.
  user: CurrentUser | null | undefined;
  refresh: () => Promise<void>;
}

const SessionContext = createContext<Session>({ user: undefined, refresh: async () => {} });

export function SessionProvider({ children }: { children: ComponentChildren }) {
  const [user, setUser] = useState<CurrentUser | null | undefined>(undefined);
  const refresh = useCallback(async () => {
    try {
      setUser((await Api.currentUser()).currentUser ?? null);
    } catch {
      setUser(null);
    }
  }, []);
  useEffect(() => {
    void refresh();
  }, [refresh]);
  return <SessionContext.Provider value={{ user, refresh }}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  return useContext(SessionContext);
}
