// Proves a Supabase session is renewed: a minute before expiry, by taking up another tab's renewal instead of spending the used refresh token, following another tab's sign-out, at once when it was stored expired, and once on a 401 (the request is then sent again with the new token); Supabase refusing to renew ends the session; signing out ends it at Supabase too; a local session has nothing to renew.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SessionProvider, useSession, type Session } from './session.js';

const SUPABASE = 'https://proj.supabase.test';
const ANON = 'sb_publishable_test-key';
const TOKEN_URL = `${SUPABASE}/auth/v1/token?grant_type=refresh_token`;
const user = { id: 'u-1', email: 'alice@example.com', role: 'user' as const };

const json = (body: unknown, status = 200) =>
  Promise.resolve(new Response(JSON.stringify(body), { status }));
const renewed = (n: number) => ({
  access_token: `access-${n}`,
  token_type: 'bearer',
  expires_in: 3600,
  refresh_token: `refresh-${n}`,
  user: { id: 'u-1', email: 'alice@example.com' },
});
const supabaseSession = (expiresAt: number): Session => ({
  token: 'access-1',
  user,
  expiresAt,
  supabase: { url: SUPABASE, anonKey: ANON, refreshToken: 'refresh-1' },
});

/**
 * Stubs fetch: our API accepts only `accepted` as the bearer token; Supabase renews
 * `refresh-1` into session 2 unless `refuse`, and answers logout with 204.
 */
function stubFetch({ accepted = 'access-2', refuse = false } = {}) {
  const fetch = vi.fn((url: string, init?: RequestInit) => {
    if (url === TOKEN_URL) {
      const { refresh_token } = JSON.parse(String(init?.body)) as { refresh_token: string };
      return !refuse && refresh_token === 'refresh-1'
        ? json(renewed(2))
        : json(
            {
              code: 400,
              error_code: 'refresh_token_not_found',
              msg: 'Invalid Refresh Token: Refresh Token Not Found',
            },
            400,
          );
    }
    if (url === `${SUPABASE}/auth/v1/logout`)
      return Promise.resolve(new Response(null, { status: 204 }));
    const auth = (init?.headers as Record<string, string>).authorization;
    return auth === `Bearer ${accepted}`
      ? json({ buildings: [] })
      : json({ error: { code: 'AUTH_INVALID', message: 'token expired' }, request_id: 'r' }, 401);
  });
  vi.stubGlobal('fetch', fetch);
  return fetch;
}

const urls = (fetch: ReturnType<typeof stubFetch>) => fetch.mock.calls.map(([url]) => url);

function Probe() {
  const { session, api, signOut } = useSession();
  return (
    <>
      <p>{session ? `token ${session.token}` : 'signed out'}</p>
      <button type="button" onClick={() => void api.buildings().catch(() => undefined)}>
        load
      </button>
      <button type="button" onClick={signOut}>
        sign out
      </button>
    </>
  );
}

function renderSession(initial?: Session | null) {
  render(
    <QueryClientProvider client={new QueryClient()}>
      <SessionProvider initial={initial}>
        <Probe />
      </SessionProvider>
    </QueryClientProvider>,
  );
}

describe('Supabase session renewal', () => {
  beforeEach(() => {
    sessionStorage.clear();
    localStorage.clear();
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it('renews on a 401 and sends the request again with the new token', async () => {
    const fetch = stubFetch();
    localStorage.setItem('nilm.session', JSON.stringify(supabaseSession(Date.now() + 3_600_000)));
    renderSession();
    await userEvent.setup().click(screen.getByRole('button', { name: 'load' }));
    expect(await screen.findByText('token access-2')).toBeInTheDocument();
    expect(urls(fetch)).toEqual(['/api/v1/buildings', TOKEN_URL, '/api/v1/buildings']);
    expect(fetch.mock.calls[1]![1]?.headers).toEqual({
      apikey: ANON,
      'Content-Type': 'application/json',
    });
    expect(fetch.mock.calls[2]![1]?.headers).toMatchObject({ authorization: 'Bearer access-2' });
    // Kept where it was ("remember me"), with the rotated refresh token.
    expect(JSON.parse(localStorage.getItem('nilm.session') ?? '{}')).toMatchObject({
      token: 'access-2',
      supabase: { refreshToken: 'refresh-2' },
    });
    expect(sessionStorage.getItem('nilm.session')).toBeNull();
  });

  it('ends the session when Supabase refuses to renew it', async () => {
    const fetch = stubFetch({ refuse: true });
    sessionStorage.setItem('nilm.session', JSON.stringify(supabaseSession(Date.now() + 3_600_000)));
    renderSession();
    await userEvent.setup().click(screen.getByRole('button', { name: 'load' }));
    expect(await screen.findByText('signed out')).toBeInTheDocument();
    expect(urls(fetch)).toEqual(['/api/v1/buildings', TOKEN_URL]);
    expect(sessionStorage.getItem('nilm.session')).toBeNull();
  });

  it('renews at once a session stored expired (the refresh token outlives it)', async () => {
    const fetch = stubFetch();
    sessionStorage.setItem('nilm.session', JSON.stringify(supabaseSession(Date.now() - 1000)));
    renderSession();
    expect(await screen.findByText('token access-2')).toBeInTheDocument();
    expect(urls(fetch)).toEqual([TOKEN_URL]);
  });

  it('renews a minute before expiry, not earlier', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const fetch = stubFetch();
    renderSession(supabaseSession(Date.now() + 5 * 60_000));
    await act(() => vi.advanceTimersByTimeAsync(4 * 60_000 - 1000));
    expect(fetch).not.toHaveBeenCalled();
    await act(() => vi.advanceTimersByTimeAsync(1000));
    expect(urls(fetch)).toEqual([TOKEN_URL]);
    expect(screen.getByText('token access-2')).toBeInTheDocument();
  });

  it('signs out at Supabase too, with the bearer token', async () => {
    const fetch = stubFetch();
    renderSession(supabaseSession(Date.now() + 3_600_000));
    await userEvent.setup().click(screen.getByRole('button', { name: 'sign out' }));
    expect(screen.getByText('signed out')).toBeInTheDocument();
    expect(urls(fetch)).toEqual([`${SUPABASE}/auth/v1/logout`]);
    expect(fetch.mock.calls[0]![1]?.headers).toEqual({
      apikey: ANON,
      Authorization: 'Bearer access-1',
    });
  });

  it('has nothing to renew in a local session: a 401 ends it', async () => {
    const fetch = stubFetch();
    renderSession({ token: 'local-1', user, expiresAt: Date.now() + 3_600_000 });
    await userEvent.setup().click(screen.getByRole('button', { name: 'load' }));
    expect(await screen.findByText('signed out')).toBeInTheDocument();
    expect(urls(fetch)).toEqual(['/api/v1/buildings']);
  });

  it("takes up another tab's renewal instead of spending the used refresh token", async () => {
    const fetch = stubFetch({ accepted: 'access-9' });
    const old = supabaseSession(Date.now() + 3_600_000);
    localStorage.setItem('nilm.session', JSON.stringify(old));
    renderSession();
    // The other tab renewed: the shared storage now holds session 9 (a longer-lived token).
    const other: Session = {
      ...old,
      token: 'access-9',
      expiresAt: Date.now() + 7_200_000,
      supabase: { ...old.supabase!, refreshToken: 'refresh-9' },
    };
    localStorage.setItem('nilm.session', JSON.stringify(other));
    act(() => {
      window.dispatchEvent(
        new StorageEvent('storage', {
          key: 'nilm.session',
          newValue: JSON.stringify(other),
          storageArea: localStorage,
        }),
      );
    });
    expect(screen.getByText('token access-9')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'load' }));
    await waitFor(() => expect(urls(fetch)).toHaveLength(1));
    expect(urls(fetch)).not.toContain(TOKEN_URL);
  });

  it('renews from the shared storage when another tab got there first (no event seen)', async () => {
    const fetch = stubFetch({ accepted: 'access-9' });
    const old = supabaseSession(Date.now() + 3_600_000);
    localStorage.setItem('nilm.session', JSON.stringify(old));
    renderSession();
    // Written without an event reaching this tab (e.g. while it slept): found at renewal time.
    localStorage.setItem(
      'nilm.session',
      JSON.stringify({
        ...old,
        token: 'access-9',
        expiresAt: Date.now() + 7_200_000,
        supabase: { ...old.supabase!, refreshToken: 'refresh-9' },
      }),
    );
    // Our API refuses access-1 (401): the renewal takes session 9 and the request is sent again.
    await userEvent.click(screen.getByRole('button', { name: 'load' }));
    await screen.findByText('token access-9');
    expect(urls(fetch)).not.toContain(TOKEN_URL);
    expect(fetch.mock.calls.at(-1)![1]!.headers).toMatchObject({
      authorization: 'Bearer access-9',
    });
  });

  it('signs out when another tab sharing the session signs out', () => {
    stubFetch();
    localStorage.setItem('nilm.session', JSON.stringify(supabaseSession(Date.now() + 3_600_000)));
    renderSession();
    expect(screen.getByText('token access-1')).toBeInTheDocument();
    localStorage.removeItem('nilm.session');
    act(() => {
      window.dispatchEvent(
        new StorageEvent('storage', {
          key: 'nilm.session',
          newValue: null,
          storageArea: localStorage,
        }),
      );
    });
    expect(screen.getByText('signed out')).toBeInTheDocument();
  });

  it('ignores the shared storage in a tab whose session is its own (not remembered)', () => {
    stubFetch();
    sessionStorage.setItem('nilm.session', JSON.stringify(supabaseSession(Date.now() + 3_600_000)));
    renderSession();
    act(() => {
      window.dispatchEvent(
        new StorageEvent('storage', {
          key: 'nilm.session',
          newValue: null,
          storageArea: localStorage,
        }),
      );
    });
    expect(screen.getByText('token access-1')).toBeInTheDocument();
  });
});
