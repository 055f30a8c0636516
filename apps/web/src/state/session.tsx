/**
 * The signed-in session: the access token and user, kept in sessionStorage (this tab) or
 * localStorage ("remember me"), and the API client bound to it. A 401 from any request clears
 * the session, which sends the person back to sign-in.
 */
import type { LoginResponse } from '@nilm/contracts';
import { useQueryClient } from '@tanstack/react-query';
import { createContext, use, useCallback, useMemo, useState, type ReactNode } from 'react';
import { createApiClient, type ApiClient } from '../lib/api.client.js';

const KEY = 'nilm.session';

export interface Session {
  token: string;
  user: LoginResponse['user'];
  /** Epoch ms when the token expires. */
  expiresAt: number;
}

function load(): Session | null {
  for (const store of [sessionStorage, localStorage]) {
    try {
      const raw = store.getItem(KEY);
      if (!raw) continue;
      const s = JSON.parse(raw) as Session;
      if (typeof s.token === 'string' && s.expiresAt > Date.now()) return s;
      store.removeItem(KEY);
    } catch {
      store.removeItem(KEY);
    }
  }
  return null;
}

interface SessionValue {
  session: Session | null;
  api: ApiClient;
  signIn: (res: LoginResponse, remember: boolean) => void;
  signOut: () => void;
}

/** The current token, shared by the provider and its API client. */
class TokenBox {
  constructor(private token: string | null) {}
  get(): string | null {
    return this.token;
  }
  set(token: string | null): void {
    this.token = token;
  }
}

const SessionContext = createContext<SessionValue | null>(null);

export function SessionProvider({
  children,
  initial,
}: {
  children: ReactNode;
  initial?: Session | null;
}) {
  const [session, setSession] = useState<Session | null>(() =>
    initial === undefined ? load() : initial,
  );
  // The client reads the token at request time, outside render, from this box.
  const [box] = useState(() => new TokenBox(session?.token ?? null));
  const queryClient = useQueryClient();

  const signOut = useCallback(() => {
    sessionStorage.removeItem(KEY);
    localStorage.removeItem(KEY);
    box.set(null);
    setSession(null);
    queryClient.clear();
  }, [box, queryClient]);

  const signIn = useCallback(
    (res: LoginResponse, remember: boolean) => {
      const s: Session = {
        token: res.access_token,
        user: res.user,
        expiresAt: Date.now() + res.expires_in * 1000,
      };
      (remember ? localStorage : sessionStorage).setItem(KEY, JSON.stringify(s));
      box.set(s.token);
      setSession(s);
    },
    [box],
  );

  const api = useMemo(
    () => createApiClient({ getToken: () => box.get(), onUnauthorized: signOut }),
    [box, signOut],
  );

  const value = useMemo(() => ({ session, api, signIn, signOut }), [session, api, signIn, signOut]);
  return <SessionContext value={value}>{children}</SessionContext>;
}

export function useSession(): SessionValue {
  const v = use(SessionContext);
  if (!v) throw new Error('useSession outside SessionProvider');
  return v;
}
