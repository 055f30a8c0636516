// Test support for pages that read and write the API: a fake server that answers by method and
// path (each answer a status and a JSON body), records every request, and a renderer that puts
// a page inside the app's providers for a signed-in user of the given platform role.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import type { ReactElement } from 'react';
import { MemoryRouter, Route, Routes } from 'react-router';
import { vi } from 'vitest';
import { SessionProvider } from '../state/session.js';
import { SettingsProvider, defaultSettings } from '../state/settings.js';

export type Answer = { status?: number; body?: unknown };
/** `"GET /api/v1/buildings/home"` -> an answer, or a function of the request's JSON body. */
export type Routes = Record<string, Answer | ((body: unknown) => Answer)>;

export interface SentRequest {
  method: string;
  path: string;
  body: unknown;
}

/** An error body as the server sends it. */
export function apiError(status: number, code: string, message: string): Answer {
  return { status, body: { error: { code, message }, request_id: 'req_test' } };
}

/**
 * Stub `fetch` with `routes` (unknown routes answer 404 so a test never hangs) and render
 * `element` at `path`, matched by `route`. Returns the requests sent so far (a live array).
 */
export function renderWithApi(
  path: string,
  route: string,
  element: ReactElement,
  routes: Routes,
  role: 'admin' | 'user' = 'user',
): SentRequest[] {
  const sent: SentRequest[] = [];
  const fetch = vi.fn((url: string, init?: RequestInit) => {
    const method = init?.method ?? 'GET';
    const p = url.split('?')[0]!;
    const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined;
    sent.push({ method, path: p, body });
    const handler = routes[`${method} ${p}`];
    const answer =
      handler === undefined
        ? apiError(404, 'NOT_FOUND', `no route ${method} ${p}`)
        : typeof handler === 'function'
          ? handler(body)
          : handler;
    const status = answer.status ?? 200;
    return Promise.resolve(
      new Response(status === 204 ? null : JSON.stringify(answer.body ?? {}), { status }),
    );
  });
  vi.stubGlobal('fetch', fetch);
  render(
    <QueryClientProvider
      client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}
    >
      <SettingsProvider initial={defaultSettings}>
        <SessionProvider
          initial={{
            token: 't',
            user: { id: 'me', email: 'me@example.org', role },
            expiresAt: Date.now() + 60_000,
          }}
        >
          <MemoryRouter initialEntries={[path]}>
            <Routes>
              <Route path={route} element={element} />
            </Routes>
          </MemoryRouter>
        </SessionProvider>
      </SettingsProvider>
    </QueryClientProvider>,
  );
  return sent;
}
