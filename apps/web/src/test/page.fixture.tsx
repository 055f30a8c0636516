// Test support for page tests: a two-day energy response (one day without data), a one-appliance
// list, and a renderer that serves them through a stubbed fetch inside the app's providers.
import type { ApplianceList, BuildingList, EnergyResponse, TariffResponse } from '@nilm/contracts';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import type { ReactElement } from 'react';
import { MemoryRouter, Route, Routes } from 'react-router';
import { vi } from 'vitest';
import { SessionProvider } from '../state/session.js';
import { SettingsProvider, defaultSettings, type Settings } from '../state/settings.js';

/** Jan 1 without readings; Jan 2 with 6 kWh, 1.5 of them the kettle's. */
export const twoDays: EnergyResponse = {
  building_id: 'home',
  period: 'day',
  timezone: 'UTC',
  periods: [
    {
      start: '2026-01-01T00:00:00.000Z',
      end: '2026-01-02T00:00:00.000Z',
      total_kwh: 0,
      appliances: {},
      other_kwh: 0,
      pending_kwh: 0,
      baseload_kwh: 0,
      coverage: 0,
      estimate_coverage: null,
    },
    {
      start: '2026-01-02T00:00:00.000Z',
      end: '2026-01-03T00:00:00.000Z',
      total_kwh: 6,
      appliances: { kettle: 1.5 },
      other_kwh: 2,
      pending_kwh: 0,
      baseload_kwh: 2.5,
      coverage: 1,
      estimate_coverage: 1,
    },
  ],
};

/** The signed-in user's one building, `home`, in UTC. */
const homeOnly: BuildingList = {
  buildings: [
    {
      id: 'home',
      name: 'Home',
      timezone: 'UTC',
      is_demo: false,
      model_ref: null,
      my_role: 'owner',
      created_at: '2026-01-01T00:00:00.000Z',
    },
  ],
};

export const kettleOnly: ApplianceList = {
  building_id: 'home',
  model: 'm@1',
  appliances: [
    {
      name: 'kettle',
      label: 'Kettle',
      enabled: true,
      on_threshold_w: 2000,
      on_prob_threshold: 0.5,
    },
  ],
};

/**
 * What the issue 13 routes answer for a home with nothing learnt yet (no devices, labels, jobs,
 * own models or meters), or undefined for any other URL.
 */
export function learnAnswer(url: string): unknown {
  const path = url.split('?')[0]!;
  if (path.endsWith('/devices')) return { devices: [] };
  if (path.endsWith('/labels')) return { labels: [] };
  if (path.endsWith('/finetune')) return { jobs: [] };
  if (/\/buildings\/[^/]+\/models$/.test(path)) return { models: [] };
  if (path.endsWith('/sources')) return { sources: [] };
  return undefined;
}

/**
 * What a page test may change: settings, and answers for URLs (undefined: the default one; a
 * Response is sent as it is, for errors).
 */
export interface PageOptions {
  settings?: Partial<Settings>;
  /** The building's tariff as `GET /buildings/{id}/tariff` answers it; flat GBP 0.20 unless set. */
  tariff?: Partial<TariffResponse>;
  answer?: (url: string) => unknown;
}

/**
 * Render `element` at `path` (matched by `route`) for a signed-in user whose building has a flat
 * tariff of 0.20 GBP/kWh (`/tariff`); `/buildings` lists `home` (UTC); `/energy` answers `twoDays`, the issue 13 routes `learnAnswer`, anything else `kettleOnly`, unless `options` says
 * otherwise. Returns the fetch mock.
 */
export function renderPage(
  path: string,
  route: string,
  element: ReactElement,
  options: PageOptions = {},
) {
  const fetch = vi.fn((url: string) => {
    const answer = options.answer?.(url);
    if (answer instanceof Response) return Promise.resolve(answer);
    if (answer === undefined && /\/tariff(\?|$)/.test(url))
      return Promise.resolve(
        new Response(
          JSON.stringify({
            building_id: 'home',
            currency: 'GBP',
            price_per_kwh: 0.2,
            bands: [],
            is_default: false,
            ...options.tariff,
          }),
        ),
      );
    if (answer === undefined && /\/buildings(\?|$)/.test(url))
      return Promise.resolve(new Response(JSON.stringify(homeOnly)));
    return Promise.resolve(
      new Response(
        JSON.stringify(
          answer ?? learnAnswer(url) ?? (url.includes('/energy') ? twoDays : kettleOnly),
        ),
      ),
    );
  });
  vi.stubGlobal('fetch', fetch);
  render(
    <QueryClientProvider
      client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}
    >
      <SettingsProvider
        initial={{
          ...defaultSettings,
          ...options.settings,
        }}
      >
        <SessionProvider
          initial={{
            token: 't',
            user: { id: 'u', email: null, role: 'user' },
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
  return fetch;
}
