// Proves the appliance page counts an appliance's runs and prices the mean run at the time-of-use rate in the building's zone, in the chosen energy unit.
import type { BuildingList, ReadingsResponse } from '@nilm/contracts';
import { screen, within } from '@testing-library/react';
import { afterEach, expect, it, vi } from 'vitest';
import { defaultUnits } from '../lib/format.js';
import { renderPage } from '../test/page.fixture.js';
import AppliancePage from './appliance.page.js';

afterEach(() => {
  vi.unstubAllGlobals();
});

// 1 Jun 2026 (BST, UTC+1): the kettle runs for an hour at 04:00Z (05:00 local, night) and at
// 06:00Z (07:00 local, day; still night in UTC), 1 kWh each.
const readings: ReadingsResponse = {
  building_id: 'home',
  start: '2026-06-01T00:00:00.000Z',
  end: '2026-06-02T00:00:00.000Z',
  resolution_s: 3600,
  appliances: ['kettle'],
  points: Array.from({ length: 24 }, (_, h) => {
    const on = h === 4 || h === 6;
    return {
      time: new Date(Date.UTC(2026, 5, 1, h)).toISOString(),
      power_w: on ? 1100 : 100,
      appliances: { kettle: { power_w: on ? 1000 : 0, on_prob: on ? 0.99 : 0.01 } },
    };
  }),
};
const buildings: BuildingList = {
  buildings: [
    {
      id: 'home',
      name: 'Home',
      timezone: 'Europe/London',
      is_demo: false,
      model_ref: null,
      my_role: 'owner',
      created_at: '2026-01-01T00:00:00.000Z',
    },
  ],
};

it("prices the mean run by the hour it ran, in the building's local time", async () => {
  renderPage('/b/home/appliances/kettle', '/b/:buildingId/appliances/:name', <AppliancePage />, {
    answer: (url) =>
      url.includes('/readings') ? readings : url === '/api/v1/buildings' ? buildings : undefined,
    settings: {
      // 0.20 per kWh, 0.10 from 00:00 to 07:00 local: one run at night, one by day.
      tariff: {
        pricePerKwh: 0.2,
        bands: [{ name: 'Night', start: '00:00', end: '07:00', pricePerKwh: 0.1 }],
      },
      units: { ...defaultUnits, energy: 'Wh' },
    },
  });
  const timeline = await screen.findByRole('region', { name: 'On/off timeline' });
  const runs = await within(timeline).findByText('Runs');
  expect(runs.nextElementSibling).toHaveTextContent('2');
  // (1 kWh x 0.10 + 1 kWh x 0.20) / 2 runs; a flat 0.20 would give £0.20, UTC clocks £0.10.
  expect(await within(timeline).findByText('1000 Wh · £0.15')).toBeInTheDocument();
});
