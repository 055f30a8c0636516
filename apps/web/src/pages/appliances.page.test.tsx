// Proves the appliances table (one card per appliance on a phone) shows each appliance's kWh and cost per period, "no data" (not a false 0 kWh) for periods without readings, the share of a period that had readings, and time-of-use costs priced by the hour in the chosen energy unit; in Dutch, names, headings, numbers and dates are Dutch.
import type { EnergyResponse, ReadingsColumns } from '@nilm/contracts';
import { screen, within } from '@testing-library/react';
import { afterEach, expect, it, vi } from 'vitest';
import { showLanguage } from '../i18n/i18n.setup.js';
import { defaultUnits } from '../lib/format.js';
import { phoneScreen } from '../test/media.fixture.js';
import { renderPage, twoDays } from '../test/page.fixture.js';
import { columnsOf } from '../test/readings.fixture.js';
import AppliancesPage from './appliances.page.js';

afterEach(() => {
  vi.unstubAllGlobals();
});

it('lists kWh and cost per appliance, most recent day first, and marks days without data', async () => {
  renderPage('/b/home/appliances', '/b/:buildingId/appliances', <AppliancesPage />);
  const row = (await screen.findByRole('rowheader', { name: 'Kettle' })).closest('tr')!;
  const cells = within(row).getAllByRole('cell');
  expect(cells[0]).toHaveTextContent('1.50 kWh£0.30'); // Jan 2 first: 1.5 kWh x 0.20
  expect(cells[1]).toHaveTextContent('no data'); // Jan 1 had no readings
  const headers = screen.getAllByRole('columnheader').map((h) => h.textContent);
  expect(headers[1]).toMatch(/Jan 2|2 Jan/);
  expect(headers[1]).not.toMatch(/data for/);
});

it("says, over a period's column, what share of it had readings", async () => {
  const partial: EnergyResponse = {
    ...twoDays,
    periods: [twoDays.periods[0]!, { ...twoDays.periods[1]!, coverage: 0.75 }],
  };
  renderPage('/b/home/appliances', '/b/:buildingId/appliances', <AppliancesPage />, {
    answer: (url) => (url.includes('/energy') ? partial : undefined),
  });
  await screen.findByRole('rowheader', { name: 'Kettle' });
  const headers = screen.getAllByRole('columnheader').map((h) => h.textContent);
  expect(headers[1]).toMatch(/(Jan 2|2 Jan)data for 75%/);
  // A day without any readings says "no data" in its cells instead.
  expect(headers[2]).not.toMatch(/data for/);
});

it('prices a time-of-use tariff hour by hour and shows the chosen energy unit', async () => {
  // 2 Jan: the kettle's 1 kWh at 06:00-07:00 (night, 0.10) and 1 kWh of other load at 12:00.
  const energy: EnergyResponse = {
    ...twoDays,
    periods: [
      {
        start: '2026-01-02T00:00:00.000Z',
        end: '2026-01-03T00:00:00.000Z',
        total_kwh: 2,
        appliances: { kettle: 1 },
        other_kwh: 1,
        pending_kwh: 0,
        baseload_kwh: 0,
        coverage: 1,
        estimate_coverage: 1,
      },
    ],
  };
  const hourly: ReadingsColumns = columnsOf(
    [6, 12].map((h) => ({
      time: new Date(Date.UTC(2026, 0, 2, h)).toISOString(),
      power_w: 1000,
      appliances: { kettle: { power_w: h === 6 ? 1000 : 0, on_prob: 1 } },
    })),
    { resolution_s: 3600 },
  );
  renderPage('/b/home/appliances', '/b/:buildingId/appliances', <AppliancesPage />, {
    answer: (url) =>
      url.includes('/readings') ? hourly : url.includes('/energy') ? energy : undefined,
    // The building's tariff, from GET /tariff.
    tariff: {
      price_per_kwh: 0.2,
      bands: [{ name: 'Night', start: '00:00', end: '07:00', price_per_kwh: 0.1 }],
    },
    settings: { units: { ...defaultUnits, energy: 'Wh' } },
  });
  const row = (name: string) =>
    within(screen.getByRole('rowheader', { name }).closest('tr')!).getAllByRole('cell')[0];
  await screen.findByRole('rowheader', { name: 'Kettle' });
  expect(row('Kettle')).toHaveTextContent('1000 Wh£0.10'); // flat would be £0.20
  expect(row('Other / untracked')).toHaveTextContent('1000 Wh£0.20');
  expect(row('Total')).toHaveTextContent('2000 Wh£0.30');
  expect(screen.getByText(/building's time-of-use tariff/)).toBeInTheDocument();
});

it('shows each appliance as a card on a phone, periods named beside their values', async () => {
  phoneScreen();
  renderPage('/b/home/appliances', '/b/:buildingId/appliances', <AppliancesPage />);
  const region = await screen.findByRole('region', { name: 'Energy by appliance table' });
  const kettle = (await within(region).findByRole('heading', { name: 'Kettle' })).closest('li')!;
  expect(within(region).queryByRole('table')).toBeNull();
  expect(within(kettle).getByRole('link', { name: 'Kettle' })).toHaveAttribute(
    'href',
    '/b/home/appliances/kettle',
  );
  const values = within(kettle).getAllByRole('definition');
  expect(within(kettle).getAllByRole('term')[0]).toHaveTextContent(/Jan 2|2 Jan/);
  expect(values[0]).toHaveTextContent('1.50 kWh£0.30');
  expect(values[1]).toHaveTextContent('no data');
  for (const name of ['Other / untracked', 'Always-on baseload', 'Total'])
    expect(within(region).getByRole('heading', { name })).toBeInTheDocument();
});

it('speaks Dutch: appliance names, headings, "no data" and Dutch numbers and dates', async () => {
  await showLanguage('nl');
  try {
    renderPage('/b/home/appliances', '/b/:buildingId/appliances', <AppliancesPage />);
    const row = (await screen.findByRole('rowheader', { name: 'Waterkoker' })).closest('tr')!;
    const cells = within(row).getAllByRole('cell');
    expect(cells[0]).toHaveTextContent(/^1,50 kWh£\s0,30$/);
    expect(cells[1]).toHaveTextContent('geen gegevens');
    const headers = screen.getAllByRole('columnheader').map((h) => h.textContent);
    expect(headers[0]).toBe('Apparaat');
    expect(headers[1]).toBe('2 jan');
    expect(screen.getByRole('rowheader', { name: 'Sluipverbruik (altijd aan)' })).toBeVisible();
    expect(screen.getByRole('heading', { name: 'Energie per apparaat' })).toBeVisible();
  } finally {
    await showLanguage('en');
  }
});
