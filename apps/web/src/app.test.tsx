// Proves the session rules a person meets: signed out goes to sign-in, a good sign-in reaches the dashboard, an expired session (401) goes back to sign-in, and a failed sign-in shows the server's message.
import { QueryClientProvider } from '@tanstack/react-query';
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppRoutes, newQueryClient } from './app.js';
import { SessionProvider, type Session } from './state/session.js';
import { SettingsProvider } from './state/settings.js';

const json = (body: unknown, status = 200) =>
  Promise.resolve(new Response(JSON.stringify(body), { status }));
/** The sign-in page first asks how to sign in: with local accounts, in these tests. */
const localAuth = (url: string) =>
  url.endsWith('/api/v1/auth/config') ? json({ mode: 'local' }) : undefined;
const building = {
  id: 'home',
  name: 'My home',
  timezone: 'UTC',
  is_demo: false,
  model_ref: null,
  my_role: 'owner',
  created_at: '2026-01-01T00:00:00Z',
};

function renderApp(session: Session | null, path = '/') {
  return render(
    <QueryClientProvider client={newQueryClient()}>
      <SettingsProvider>
        <SessionProvider initial={session}>
          <MemoryRouter initialEntries={[path]}>
            <AppRoutes />
          </MemoryRouter>
        </SessionProvider>
      </SettingsProvider>
    </QueryClientProvider>,
  );
}

describe('session flow', () => {
  beforeEach(() => {
    sessionStorage.clear();
    localStorage.clear();
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('sends a signed-out visitor to sign-in', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn((url: string) => localAuth(url) ?? json({}, 404)),
    );
    renderApp(null, '/b/home');
    expect(await screen.findByRole('button', { name: 'Sign in' })).toBeInTheDocument();
  });

  it('signs in, keeps the token for this tab only, and lands on the first building', async () => {
    const login = {
      access_token: 'jwt',
      token_type: 'Bearer',
      expires_in: 3600,
      user: { id: 'u1', email: 'a@b.c', role: 'user' },
    };
    vi.stubGlobal(
      'fetch',
      vi.fn((url: string) => {
        if (url.endsWith('/auth/config')) return json({ mode: 'local' });
        if (url.endsWith('/auth/login')) return json(login);
        if (url.endsWith('/buildings')) return json({ buildings: [building] });
        return json(
          { error: { code: 'NOT_FOUND', message: 'not in this test' }, request_id: 'r' },
          404,
        );
      }),
    );
    renderApp(null, '/');
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText('E-mail'), 'a@b.c');
    await user.type(screen.getByLabelText('Password'), 'secret');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('link', { name: 'Dashboard' })).toHaveAttribute(
      'href',
      '/b/home',
    );
    expect(await screen.findByRole('option', { name: 'My home' })).toBeInTheDocument();
    expect(JSON.parse(sessionStorage.getItem('nilm.session') ?? '{}')).toMatchObject({
      token: 'jwt',
    });
    expect(localStorage.getItem('nilm.session')).toBeNull();
  });

  it('returns to sign-in when the API says the session has expired', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(
        (url: string) =>
          localAuth(url) ??
          json({ error: { code: 'AUTH_INVALID', message: 'token expired' }, request_id: 'r' }, 401),
      ),
    );
    sessionStorage.setItem('nilm.session', '{}');
    renderApp({
      token: 'old',
      user: { id: 'u', email: null, role: 'user' },
      expiresAt: Date.now() + 60_000,
    });
    expect(await screen.findByRole('button', { name: 'Sign in' })).toBeInTheDocument();
    expect(sessionStorage.getItem('nilm.session')).toBeNull();
  });

  it("shows the server's message when sign-in fails", async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(
        (url: string) =>
          localAuth(url) ??
          json(
            {
              error: { code: 'AUTH_BAD_CREDENTIALS', message: 'wrong e-mail or password' },
              request_id: 'r',
            },
            401,
          ),
      ),
    );
    renderApp(null, '/login');
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText('E-mail'), 'a@b.c');
    await user.type(screen.getByLabelText('Password'), 'nope');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('wrong e-mail or password');
  });
});
