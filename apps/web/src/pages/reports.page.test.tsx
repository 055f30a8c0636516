// Proves the Reports page shows a fixture energy response as rows a person reads: per-appliance kWh and flat-tariff cost per day, "no data" days, and the Total row and column.
import type { ApplianceList, EnergyResponse } from '@nilm/contracts';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render, screen, within } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router';
import { afterEach, expect, it, vi } from 'vitest';
import { SessionProvider } from '../state/session.js';
import { SettingsProvider, defaultSettings } from '../state/settings.js';
import ReportsPage from './reports.page.js';

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

it('renders kWh and cost per appliance per day with other, baseload and totals', async () => {
  const fetch = vi.fn((url: string) =>
    Promise.resolve(new Response(JSON.stringify(url.includes('/energy') ? energy : appliances))),
  );
  vi.stubGlobal('fetch', fetch);
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
          <MemoryRouter initialEntries={['/b/home/reports']}>
            <Routes>
              <Route path="/b/:buildingId/reports" element={<ReportsPage />} />
            </Routes>
          </MemoryRouter>
        </SessionProvider>
      </SettingsProvider>
    </QueryClientProvider>,
  );
  const day = (await screen.findByRole('rowheader', { name: '2026-01-02' })).closest('tr')!;
  expect(
    within(day)
      .getAllByRole('cell')
      .map((c) => c.textContent),
  ).toEqual(['1.500', '0.30', '2.000', '0.40', '2.500', '0.50', '6.000', '1.20']);
  const empty = screen.getByRole('rowheader', { name: '2026-01-01' }).closest('tr')!;
  expect(within(empty).getAllByRole('cell')[0]).toHaveTextContent('no data');
  const total = screen.getByRole('rowheader', { name: 'Total' }).closest('tr')!;
  expect(
    within(total)
      .getAllByRole('cell')
      .map((c) => c.textContent),
  ).toEqual(['1.500', '0.30', '2.000', '0.40', '2.500', '0.50', '6.000', '1.20']);
  expect(screen.getAllByRole('columnheader').map((h) => h.textContent)).toEqual([
    'Period',
    'Kettle (kWh)',
    'Kettle (GBP)',
    'Other (kWh)',
    'Other (GBP)',
    'Baseload (kWh)',
    'Baseload (GBP)',
    'Total (kWh)',
    'Total (GBP)',
  ]);
  expect(screen.getByText(/flat tariff from Settings \(£0\.20 per kWh\)/)).toBeInTheDocument();
  expect(screen.getByRole('button', { name: 'Export CSV' })).toBeEnabled();
  const energyUrl = fetch.mock.calls.map((c) => c[0]).find((u) => u.includes('/energy'));
  expect(energyUrl).toBe('/api/v1/buildings/home/energy?start=-30d&end=now&period=day');
});
