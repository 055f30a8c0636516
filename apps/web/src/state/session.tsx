/**
 * The signed-in session: the access token and user, kept in sessionStorage (this tab) or
 * localStorage ("remember me"), and the API client bound to it. A 401 from any request clears
 * the session, which sends the person back to sign-in. A session from Supabase also holds its
 * refresh token: the access token is renewed a minute before it expires and once on a 401, and
 * when Supabase refuses to renew it the session ends. Tabs sharing a remembered session follow
 * each other's renewals (the refresh token rotates: each is used once) and sign-outs.
 */
import type { LoginResponse } from '@nilm/contracts';
import { useQueryClient } from '@tanstack/react-query';
import {
  createContext,
  use,
  useCallback,
  useEffect,
  useMemo,
  useState,
  type ReactNode,
} from 'react';
import { ApiError, createApiClient, type ApiClient } from '../lib/api.client.js';
import { forgetOfflineData } from '../lib/offline.status.js';
import { createSupabaseAuth, expiresAtMs, refreshDelayMs } from '../lib/supabase.auth.js';

const KEY = 'nilm.session';
/** After a renewal that failed for a passing reason (offline, Supabase 5xx), try again this soon. */
const RETRY_REFRESH_MS = 15_000;

/** What renews a Supabase session: the project, its public key and the current refresh token. */
export interface SupabaseSessionPart {
  url: string;
  anonKey: string;
  refreshToken: string;
}

export interface Session {
  token: string;
  user: LoginResponse['user'];
  /** Epoch ms when the token expires. */
  expiresAt: number;
  /** Present when signed in with Supabase: the token is then renewed before it expires. */
  supabase?: SupabaseSessionPart;
}

function load(): Session | null {
  for (const store of [sessionStorage, localStorage]) {
    try {
      const raw = store.getItem(KEY);
      if (!raw) continue;
      const s = JSON.parse(raw) as Session;
      // An expired Supabase session can still be renewed with its refresh token.
      const renewable = typeof s.supabase?.refreshToken === 'string';
      if (typeof s.token === 'string' && (s.expiresAt > Date.now() || renewable)) return s;
      store.removeItem(KEY);
    } catch {
      store.removeItem(KEY);
    }
  }
  return null;
}

/** Parse a stored session; null when absent or not one. */
function parse(raw: string | null): Session | null {
  if (!raw) return null;
  try {
    const s = JSON.parse(raw) as Session;
    return typeof s.token === 'string' && typeof s.expiresAt === 'number' ? s : null;
  } catch {
    return null;
  }
}

/**
 * The remembered session other tabs share, when it is `s`'s user renewed since: its token
 * lasts longer. Tabs share one rotating Supabase refresh token, so a tab that finds its
 * neighbour already renewed takes that session instead of spending the used refresh token.
 */
function newerShared(s: Session): Session | null {
  if (sessionStorage.getItem(KEY) !== null) return null; // this tab's own session
  const shared = parse(localStorage.getItem(KEY));
  return shared && shared.user.id === s.user.id && shared.expiresAt > s.expiresAt ? shared : null;
}

/** Store `s` in localStorage ("remember me") or sessionStorage; by default where it already is. */
function save(s: Session, remember = localStorage.getItem(KEY) !== null): void {
  (remember ? sessionStorage : localStorage).removeItem(KEY);
  (remember ? localStorage : sessionStorage).setItem(KEY, JSON.stringify(s));
}

interface SessionValue {
  session: Session | null;
  api: ApiClient;
  /** Start a session; `supabase` when it came from Supabase (it is then renewed). */
  signIn: (res: LoginResponse, remember: boolean, supabase?: SupabaseSessionPart) => void;
  /** End the session, at Supabase too (best effort) when it came from there. */
  signOut: () => void;
}

/** The current session and any renewal in flight, read by the API client outside render. */
class SessionBox {
  private renewal: Promise<string | null> | null = null;
  constructor(private session: Session | null) {}
  get(): Session | null {
    return this.session;
  }
  set(session: Session | null): void {
    this.session = session;
  }
  /** The renewal in flight, else the one `start` begins; forgotten once it settles. */
  renew(start: () => Promise<string | null>): Promise<string | null> {
    this.renewal ??= start().finally(() => {
      this.renewal = null;
    });
    return this.renewal;
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
  const [box] = useState(() => new SessionBox(session));
  const queryClient = useQueryClient();

  /** Forget the session here: storage, token and cached data; the router then shows sign-in. */
  const endSession = useCallback(() => {
    sessionStorage.removeItem(KEY);
    localStorage.removeItem(KEY);
    box.set(null);
    setSession(null);
    queryClient.clear();
    // The service worker's copies of this person's data go too (lib/offline.status.ts).
    void forgetOfflineData();
  }, [box, queryClient]);

  const signOut = useCallback(() => {
    const s = box.get();
    // Not awaited: signing out here must not wait for, or depend on, reaching Supabase.
    if (s?.supabase) void createSupabaseAuth(s.supabase).signOut(s.token);
    endSession();
  }, [box, endSession]);

  const signIn = useCallback(
    (res: LoginResponse, remember: boolean, supabase?: SupabaseSessionPart) => {
      const s: Session = {
        token: res.access_token,
        user: res.user,
        expiresAt: Date.now() + res.expires_in * 1000,
        ...(supabase ? { supabase } : {}),
      };
      save(s, remember);
      box.set(s);
      setSession(s);
    },
    [box],
  );

  /**
   * Renew a Supabase session, one renewal at a time: resolves with the new token, or null. When
   * the token that `failed` has already been replaced, the newer one is the answer. Supabase
   * refusing the refresh token ends the session; a passing failure (offline, Supabase 5xx)
   * keeps it while its token is still valid.
   */
  const refresh = useCallback(
    (failed?: string): Promise<string | null> => {
      const s = box.get();
      const sb = s?.supabase;
      if (!s || !sb) return Promise.resolve(null);
      if (failed !== undefined && failed !== s.token) return Promise.resolve(s.token);
      return box.renew(async () => {
        const shared = newerShared(s);
        if (shared) {
          box.set(shared);
          setSession(shared);
          return shared.token;
        }
        try {
          const next = await createSupabaseAuth(sb).refresh(sb.refreshToken);
          if (box.get() !== s) return box.get()?.token ?? null; // signed out meanwhile
          const renewed: Session = {
            ...s,
            token: next.access_token,
            expiresAt: expiresAtMs(next, Date.now()),
            supabase: { ...sb, refreshToken: next.refresh_token },
          };
          save(renewed);
          box.set(renewed);
          setSession(renewed);
          return renewed.token;
        } catch (e) {
          const passing = e instanceof ApiError && (e.status === 0 || e.status >= 500);
          if (box.get() === s && (!passing || s.expiresAt <= Date.now())) endSession();
          return null;
        }
      });
    },
    [box, endSession],
  );

  // Tabs sharing a remembered session follow each other: a renewal in one is taken up by the
  // others (their refresh token is spent), and signing out in one signs out all of them.
  useEffect(() => {
    const onStorage = (e: StorageEvent) => {
      if (e.storageArea !== localStorage || e.key !== KEY) return;
      const current = box.get();
      if (!current || sessionStorage.getItem(KEY) !== null) return;
      const next = parse(e.newValue);
      if (next === null) {
        box.set(null);
        setSession(null);
        queryClient.clear();
      } else if (next.user.id === current.user.id && next.token !== current.token) {
        box.set(next);
        setSession(next);
      }
    };
    window.addEventListener('storage', onStorage);
    return () => window.removeEventListener('storage', onStorage);
  }, [box, queryClient]);

  // Renew a Supabase token before it expires (at once if it already has, e.g. after a reload).
  useEffect(() => {
    if (!session?.supabase) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const arm = (ms: number) => {
      timer = setTimeout(() => {
        void refresh().then((token) => {
          if (token === null && !stopped && box.get() === session) arm(RETRY_REFRESH_MS);
        });
      }, ms);
    };
    arm(refreshDelayMs(session.expiresAt, Date.now()));
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [session, refresh, box]);

  const api = useMemo(
    () =>
      createApiClient({
        getToken: () => box.get()?.token ?? null,
        onUnauthorized: endSession,
        refresh,
      }),
    [box, endSession, refresh],
  );

  const value = useMemo(() => ({ session, api, signIn, signOut }), [session, api, signIn, signOut]);
  return <SessionContext value={value}>{children}</SessionContext>;
}

export function useSession(): SessionValue {
  const v = use(SessionContext);
  if (!v) throw new Error('useSession outside SessionProvider');
  return v;
}
