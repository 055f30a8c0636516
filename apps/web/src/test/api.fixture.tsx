// Test support for pages that read and write the API: a fake server that answers by method and
// path (each answer a status and a JSON body), records every request, and a renderer that puts
// a page inside the app's providers for a signed-in user of the given platform role.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import type { ErrorBody } from '@nilm/contracts';
import { render } from '@testing-library/react';
import type { ReactElement } from 'react';
import { MemoryRouter, Route, Routes } from 'react-router';
import { vi } from 'vitest';
import { SessionProvider } from '../state/session.js';
import { SettingsProvider, defaultSettings } from '../state/settings.js';
import type { ResponseOf } from './api.contract.js';

/** An error as the server sends it: any status, the contracts' error body. */
type ErrorAnswer = { status: number; body: ErrorBody };
/** A route's answer: its success body as the contract types it (200 unless said), 204, or an error. */
export type Answer<T = unknown> =
  { status?: 200 | 201 | 202; body: T } | { status: 204; body?: undefined } | ErrorAnswer;
/** `"GET /api/v1/buildings/home"` -> an answer, or a function of the request's JSON body. */
export type Routes = Record<string, Answer | ((body: unknown) => Answer)>;

/**
 * `routes` with each answer checked against the contract of its route (ApiContract): a body that
 * no longer fits its route's response type, or a route the API does not have, is a type error.
 * Routes typed only as `Routes` (string keys) are not checked.
 */
export type Checked<R> = {
  [K in keyof R]: string extends K
    ? R[K]
    : K extends string
      ? [ResponseOf<K>] extends [never]
        ? { error: `${K} is not a route of the API (apps/web/src/test/api.contract.ts)` }
        : Answer<ResponseOf<K>> | ((body: unknown) => Answer<ResponseOf<K>>)
      : never;
};

export interface SentRequest {
  method: string;
  path: string;
  body: unknown;
}

/** An error body as the server sends it. */
export function apiError(status: number, code: string, message: string): ErrorAnswer {
  return { status, body: { error: { code, message }, request_id: 'req_test' } };
}

/**
 * Stub `fetch` with `routes` (unknown routes answer 404 so a test never hangs) and render
 * `element` at `path`, matched by `route`. Returns the requests sent so far (a live array).
 */
export function renderWithApi<R extends Routes>(
  path: string,
  route: string,
  element: ReactElement,
  routes: R & Checked<R>,
  role: 'admin' | 'user' = 'user',
): SentRequest[] {
  const sent: SentRequest[] = [];
  const fetch = vi.fn((url: string, init?: RequestInit) => {
    const method = init?.method ?? 'GET';
    const p = url.split('?')[0]!;
    const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined;
    sent.push({ method, path: p, body });
    const handler = (routes as Routes)[`${method} ${p}`];
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
