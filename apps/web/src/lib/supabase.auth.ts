/**
 * Supabase Auth (GoTrue) over its REST API with plain fetch: password sign-in, token refresh and
 * sign-out, which is all the dashboard needs. supabase-js (or its auth-js part) is not used: it
 * would add a dependency many times the size of this file to the bundle for three requests.
 *
 * Every request carries the project's public `apikey`; failures become a SupabaseAuthError whose
 * message is GoTrue's own (`error_description`, `msg` or `message`), so the page can show it.
 */
import { ApiError } from './api.client.js';
import { i18n } from '../i18n/i18n.setup.js';

/** The parts of a GoTrue user the app reads. */
export interface GoTrueUser {
  id: string;
  email?: string | null;
  app_metadata?: Record<string, unknown>;
}

/** A GoTrue session, as `POST /auth/v1/token` answers it. */
export interface GoTrueSession {
  access_token: string;
  refresh_token: string;
  token_type: string;
  /** Lifetime of the access token in seconds. */
  expires_in: number;
  /** Expiry in seconds since the epoch, by the Supabase server's clock. */
  expires_at?: number;
  user: GoTrueUser;
}

/** A Supabase Auth failure: HTTP status (0 when unreachable), GoTrue's error code and message. */
export class SupabaseAuthError extends ApiError {
  constructor(status: number, code: string, message: string) {
    super(status, code, message);
    this.name = 'SupabaseAuthError';
  }
}

export interface SupabaseAuthOptions {
  /** The project URL, e.g. https://<project>.supabase.co (from GET /api/v1/auth/config). */
  url: string;
  /** The project's public anon (or publishable) key. */
  anonKey: string;
  fetch?: typeof fetch;
}

const str = (v: unknown): string | undefined =>
  typeof v === 'string' && v.trim() !== '' ? v : undefined;

/**
 * GoTrue's message from an error body: `error_description` (OAuth-style errors), `msg` (GoTrue's
 * own errors), `message` (the API gateway's, e.g. "Invalid API key"), else `error`.
 */
export function goTrueErrorMessage(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as Record<string, unknown>;
  return str(b.error_description) ?? str(b.msg) ?? str(b.message) ?? str(b.error);
}

function goTrueErrorCode(body: unknown): string {
  if (typeof body !== 'object' || body === null) return 'HTTP_ERROR';
  const b = body as Record<string, unknown>;
  return str(b.error_code) ?? str(b.error) ?? 'HTTP_ERROR';
}

function isSession(v: unknown): v is GoTrueSession {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  const user = s.user as Record<string, unknown> | null | undefined;
  return (
    typeof s.access_token === 'string' &&
    typeof s.refresh_token === 'string' &&
    typeof s.expires_in === 'number' &&
    typeof user === 'object' &&
    user !== null &&
    typeof user.id === 'string'
  );
}

/**
 * When the access token expires, in epoch ms by our clock: from `expires_in` counted from
 * `nowMs`, which a skewed local clock cannot spoil; `expires_at` only when `expires_in` is absent.
 */
export function expiresAtMs(
  session: Pick<GoTrueSession, 'expires_in' | 'expires_at'>,
  nowMs: number,
): number {
  if (Number.isFinite(session.expires_in)) return nowMs + session.expires_in * 1000;
  return (session.expires_at ?? 0) * 1000;
}

/** Refresh this long before expiry, so requests in flight never carry an expired token. */
const REFRESH_MARGIN_MS = 60_000;

/**
 * How long to wait before refreshing a token that expires at `expiresAt`: a minute before
 * expiry, but never later than half the remaining lifetime, so a short-lived token is not
 * refreshed in a tight loop; 0 when it has expired.
 */
export function refreshDelayMs(expiresAt: number, nowMs: number): number {
  const left = expiresAt - nowMs;
  return Math.max(0, left - REFRESH_MARGIN_MS, left / 2);
}

/** The GoTrue client for one project; `fetch` is injected by tests. */
export function createSupabaseAuth(opts: SupabaseAuthOptions) {
  const doFetch = opts.fetch ?? ((input, init) => fetch(input, init));
  const root = opts.url.replace(/\/+$/, '');
  const base = `${root}/auth/v1`;

  async function post(path: string, init: { body?: object; token?: string }): Promise<Response> {
    const headers: Record<string, string> = { apikey: opts.anonKey };
    if (init.body !== undefined) headers['Content-Type'] = 'application/json';
    if (init.token !== undefined) headers.Authorization = `Bearer ${init.token}`;
    let res: Response;
    try {
      res = await doFetch(`${base}${path}`, {
        method: 'POST',
        headers,
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      });
    } catch {
      throw new SupabaseAuthError(0, 'NETWORK', i18n.t('supabase.unreachable', { root }));
    }
    if (res.ok) return res;
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      body = undefined;
    }
    throw new SupabaseAuthError(
      res.status,
      goTrueErrorCode(body),
      goTrueErrorMessage(body) ?? i18n.t('supabase.answered', { status: res.status }),
    );
  }

  async function token(grant: 'password' | 'refresh_token', body: object): Promise<GoTrueSession> {
    const res = await post(`/token?grant_type=${grant}`, { body });
    let session: unknown;
    try {
      session = await res.json();
    } catch {
      session = undefined;
    }
    if (!isSession(session)) {
      throw new SupabaseAuthError(
        res.status,
        'BAD_RESPONSE',
        i18n.t('supabase.noSession', { root }),
      );
    }
    return session;
  }

  return {
    /** `POST /auth/v1/token?grant_type=password`. */
    signInWithPassword: (email: string, password: string) => token('password', { email, password }),
    /** `POST /auth/v1/token?grant_type=refresh_token`; the refresh token is spent (rotated). */
    refresh: (refreshToken: string) => token('refresh_token', { refresh_token: refreshToken }),
    /**
     * `POST /auth/v1/logout`: ends the session at Supabase (its refresh tokens stop working).
     * Best effort: never throws, since signing out here must not depend on reaching Supabase.
     */
    signOut: async (accessToken: string): Promise<void> => {
      await post('/logout', { token: accessToken }).catch(() => undefined);
    },
  };
}
