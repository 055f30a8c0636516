// Proves the sign-in page follows the server's sign-in mode: with Supabase it signs in at Supabase Auth, takes our role from /auth/me and keeps the refresh token, shows GoTrue's message for a wrong password and our server's when it refuses the token; with another identity provider it explains there is no sign-in here; a failed config load can be retried.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter, Route, Routes } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SessionProvider, useSession } from '../state/session.js';
import LoginPage from './login.page.js';

const SUPABASE = 'https://proj.supabase.test';
const ANON = 'sb_publishable_test-key';
const supabaseMode = { mode: 'supabase', supabase_url: SUPABASE, supabase_anon_key: ANON };
const goTrueSession = {
  access_token: 'sb-access-1',
  token_type: 'bearer',
  expires_in: 3600,
  expires_at: 1_900_000_000,
  refresh_token: 'sb-refresh-1',
  user: { id: 'u-1', email: 'alice@example.com', app_metadata: { role: 'admin' } },
};

const json = (body: unknown, status = 200) =>
  Promise.resolve(new Response(JSON.stringify(body), { status }));
const apiError = (status: number, code: string, message: string) =>
  json({ error: { code, message }, request_id: 'r' }, status);

/**
 * Stubs fetch: our API answers `config` and, for the GoTrue token, /auth/me (or `meAnswer`);
 * the Supabase stand-in accepts alice@example.com with "right password" only.
 */
function stubFetch(config: unknown, meAnswer?: () => Promise<Response>) {
  const fetch = vi.fn((url: string, init?: RequestInit) => {
    if (url === '/api/v1/auth/config') return json(config);
    if (url === '/api/v1/auth/me') {
      if (meAnswer) return meAnswer();
      const auth = (init?.headers as Record<string, string>).authorization;
      return auth === `Bearer ${goTrueSession.access_token}`
        ? json({ id: 'u-1', email: 'alice@example.com', role: 'admin' })
        : apiError(401, 'AUTH_INVALID', 'bad token');
    }
    if (url === `${SUPABASE}/auth/v1/token?grant_type=password`) {
      const body = JSON.parse(String(init?.body)) as { email: string; password: string };
      return body.email === 'alice@example.com' && body.password === 'right password'
        ? json(goTrueSession)
        : json(
            { code: 400, error_code: 'invalid_credentials', msg: 'Invalid login credentials' },
            400,
          );
    }
    if (url === `${SUPABASE}/auth/v1/logout`)
      return Promise.resolve(new Response(null, { status: 204 }));
    return apiError(404, 'NOT_FOUND', `not in this test: ${url}`);
  });
  vi.stubGlobal('fetch', fetch);
  return fetch;
}

function SignedIn() {
  const { session } = useSession();
  return (
    <p>
      Signed in as {session?.user.email} ({session?.user.role})
    </p>
  );
}

function renderLogin() {
  render(
    <QueryClientProvider
      client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}
    >
      <SessionProvider initial={null}>
        <MemoryRouter initialEntries={['/login']}>
          <Routes>
            <Route path="/login" element={<LoginPage />} />
            <Route path="/" element={<SignedIn />} />
          </Routes>
        </MemoryRouter>
      </SessionProvider>
    </QueryClientProvider>,
  );
}

async function signInAs(email: string, password: string) {
  const user = userEvent.setup();
  await user.type(await screen.findByLabelText('E-mail'), email);
  await user.type(screen.getByLabelText('Password'), password);
  await user.click(screen.getByRole('button', { name: 'Sign in' }));
}

describe('sign-in page with Supabase', () => {
  beforeEach(() => {
    sessionStorage.clear();
    localStorage.clear();
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('signs in at Supabase Auth, takes the role from /auth/me and keeps the refresh token', async () => {
    const fetch = stubFetch(supabaseMode);
    renderLogin();
    expect(
      await screen.findByText('Your account is checked by Supabase Auth at proj.supabase.test.'),
    ).toBeInTheDocument();
    await signInAs('alice@example.com', 'right password');
    expect(await screen.findByText('Signed in as alice@example.com (admin)')).toBeInTheDocument();

    const calls = fetch.mock.calls.map(([url, init]) => ({ url, init }));
    const token = calls.find((c) => c.url.startsWith(SUPABASE))!;
    expect(token.url).toBe(`${SUPABASE}/auth/v1/token?grant_type=password`);
    expect(token.init?.method).toBe('POST');
    expect(token.init?.headers).toEqual({ apikey: ANON, 'Content-Type': 'application/json' });
    expect(JSON.parse(String(token.init?.body))).toEqual({
      email: 'alice@example.com',
      password: 'right password',
    });
    expect(calls.find((c) => c.url === '/api/v1/auth/me')?.init?.headers).toMatchObject({
      authorization: 'Bearer sb-access-1',
    });
    expect(calls.some((c) => c.url.endsWith('/auth/login'))).toBe(false);
    expect(JSON.parse(sessionStorage.getItem('nilm.session') ?? '{}')).toMatchObject({
      token: 'sb-access-1',
      user: { id: 'u-1', email: 'alice@example.com', role: 'admin' },
      supabase: { url: SUPABASE, anonKey: ANON, refreshToken: 'sb-refresh-1' },
    });
  });

  it("shows GoTrue's message for a wrong password and stays signed out", async () => {
    const fetch = stubFetch(supabaseMode);
    renderLogin();
    await signInAs('alice@example.com', 'wrong password');
    expect(await screen.findByRole('alert')).toHaveTextContent('Invalid login credentials');
    expect(fetch.mock.calls.some(([url]) => url === '/api/v1/auth/me')).toBe(false);
    expect(sessionStorage.getItem('nilm.session')).toBeNull();
  });

  it("shows our server's message when it refuses the Supabase token, and ends it at Supabase", async () => {
    const fetch = stubFetch(supabaseMode, () =>
      apiError(
        401,
        'AUTH_INVALID',
        'Tokens signed with "HS256" are not accepted (accepted: RS256, ES256).',
      ),
    );
    renderLogin();
    await signInAs('alice@example.com', 'right password');
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'Tokens signed with "HS256" are not accepted',
    );
    const logout = fetch.mock.calls.find(([url]) => url === `${SUPABASE}/auth/v1/logout`);
    expect(logout?.[1]?.headers).toEqual({ apikey: ANON, Authorization: 'Bearer sb-access-1' });
    expect(sessionStorage.getItem('nilm.session')).toBeNull();
  });
});

describe('sign-in page in the other modes', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('explains that sign-in is not available here with an external identity provider', async () => {
    stubFetch({ mode: 'external' });
    renderLogin();
    expect(
      await screen.findByText(
        /Signing in here is not available: this server accepts access tokens/,
      ),
    ).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Sign in' })).toBeNull();
  });

  it('shows why the sign-in mode could not be loaded, and tries again', async () => {
    let answer = () => apiError(503, 'NOT_READY', 'the server is starting; retry later');
    vi.stubGlobal(
      'fetch',
      vi.fn(() => answer()),
    );
    renderLogin();
    expect(await screen.findByRole('alert')).toHaveTextContent('the server is starting');
    answer = () => json({ mode: 'local' });
    await userEvent.setup().click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByRole('button', { name: 'Sign in' })).toBeInTheDocument();
    expect(screen.queryByText(/Supabase/)).toBeNull();
  });
});
