// Proves the appliances table shows each appliance's kWh and cost per period, and "no data" (not a false 0 kWh) for periods without readings.
import type { ApplianceList, EnergyResponse } from '@nilm/contracts';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render, screen, within } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router';
import { afterEach, expect, it, vi } from 'vitest';
import { SessionProvider } from '../state/session.js';
import { SettingsProvider, defaultSettings } from '../state/settings.js';
import AppliancesPage from './appliances.page.js';

afterEach(() => {
  vi.unstubAllGlobals();
});

const energy: EnergyResponse = {
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
      baseload_kwh: 0,
      coverage: 0,
    },
    {
      start: '2026-01-02T00:00:00.000Z',
      end: '2026-01-03T00:00:00.000Z',
      total_kwh: 6,
      appliances: { kettle: 1.5 },
      other_kwh: 2,
      baseload_kwh: 2.5,
      coverage: 1,
    },
  ],
};
const appliances: ApplianceList = {
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

it('lists kWh and cost per appliance, most recent day first, and marks days without data', async () => {
  vi.stubGlobal(
    'fetch',
    vi.fn((url: string) =>
      Promise.resolve(new Response(JSON.stringify(url.includes('/energy') ? energy : appliances))),
    ),
  );
  render(
    <QueryClientProvider
      client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}
    >
      <SettingsProvider
        initial={{ ...defaultSettings, currency: 'GBP', tariff: { pricePerKwh: 0.2, bands: [] } }}
      >
        <SessionProvider
          initial={{
            token: 't',
            user: { id: 'u', email: null, role: 'user' },
            expiresAt: Date.now() + 60_000,
          }}
        >
          <MemoryRouter initialEntries={['/b/home/appliances']}>
            <Routes>
              <Route path="/b/:buildingId/appliances" element={<AppliancesPage />} />
            </Routes>
          </MemoryRouter>
        </SessionProvider>
      </SettingsProvider>
    </QueryClientProvider>,
  );
  const row = (await screen.findByRole('rowheader', { name: 'Kettle' })).closest('tr')!;
  const cells = within(row).getAllByRole('cell');
  expect(cells[0]).toHaveTextContent('1.50 kWh£0.30'); // Jan 2 first: 1.5 kWh x 0.20
  expect(cells[1]).toHaveTextContent('no data'); // Jan 1 had no readings
  const headers = screen.getAllByRole('columnheader').map((h) => h.textContent);
  expect(headers[1]).toMatch(/Jan 2|2 Jan/);
});
