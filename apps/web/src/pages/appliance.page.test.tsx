// Proves the appliance page shows the server's minute-resolution runs for the chosen range (not runs guessed from the chart's coarse buckets), prices the mean run at the time-of-use rate in the building's zone in the chosen energy unit, draws hours without readings as a hatched gap with the share of the range that had readings, and shows the empty and error states.
import type { BuildingList, ReadingsColumns, RunsResponse } from '@nilm/contracts';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, expect, it, vi } from 'vitest';
import { defaultUnits } from '../lib/format.js';
import { renderPage } from '../test/page.fixture.js';
import { columnsOf } from '../test/readings.fixture.js';
import AppliancePage from './appliance.page.js';

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

// Hourly chart buckets in which the kettle never looks on: runs must not come from these.
const hours = Array.from({ length: 24 }, (_, h) => ({
  time: new Date(Date.UTC(2026, 5, 1, h)).toISOString(),
  power_w: 150,
  appliances: { kettle: { power_w: 50, on_prob: 0.05 } },
}));
const day = {
  start: '2026-06-01T00:00:00.000Z',
  end: '2026-06-02T00:00:00.000Z',
  resolution_s: 3600,
  appliances: ['kettle'],
};
const readings: ReadingsColumns = columnsOf(hours, day);

// 1 Jun 2026 (BST, UTC+1): the kettle runs for an hour at 04:00Z (05:00 local, night) and at
// 06:00Z (07:00 local, day; still night in UTC), 1 kWh each.
const runs: RunsResponse = {
  building_id: 'home',
  appliance: 'kettle',
  start: '2026-06-01T00:00:00.000Z',
  end: '2026-06-02T00:00:00.000Z',
  threshold: 0.5,
  runs: [
    {
      start: '2026-06-01T04:00:00.000Z',
      end: '2026-06-01T05:00:00.000Z',
      minutes: 60,
      energy_kwh: 1,
      peak_w: 1000,
    },
    {
      start: '2026-06-01T06:00:00.000Z',
      end: '2026-06-01T07:00:00.000Z',
      minutes: 60,
      energy_kwh: 1,
      peak_w: 1000,
    },
  ],
  count: 2,
  typical_minutes: 60,
  mean_energy_kwh: 1,
  limit: 5000,
  truncated: false,
};
const noRuns: RunsResponse = {
  ...runs,
  runs: [],
  count: 0,
  typical_minutes: null,
  mean_energy_kwh: null,
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

/** Readings, buildings and `runsAnswer` for the runs route; the appliance list otherwise. */
const answers =
  (runsAnswer: () => unknown, chart: ReadingsColumns = readings) =>
  (url: string): unknown =>
    url.includes('/runs')
      ? runsAnswer()
      : url.includes('/readings')
        ? chart
        : url === '/api/v1/buildings'
          ? buildings
          : undefined;

const show = (answer: (url: string) => unknown) =>
  renderPage('/b/home/appliances/kettle', '/b/:buildingId/appliances/:name', <AppliancePage />, {
    answer,
    // The building's tariff, 0.20 per kWh, 0.10 from 00:00 to 07:00 local: one run at night,
    // one by day.
    tariff: {
      price_per_kwh: 0.2,
      bands: [{ name: 'Night', start: '00:00', end: '07:00', price_per_kwh: 0.1 }],
    },
    settings: { units: { ...defaultUnits, energy: 'Wh' } },
  });

it("shows the server's runs and prices the mean run by the hour it ran, in local time", async () => {
  const fetch = show(answers(() => runs));
  const timeline = await screen.findByRole('region', { name: 'On/off timeline' });
  expect(await within(timeline).findByRole('img', { name: 'On/off timeline: 2 runs' }));
  expect(within(timeline).getByText('Runs').nextElementSibling).toHaveTextContent('2');
  expect(within(timeline).getByText('Typical run').nextElementSibling).toHaveTextContent(
    '1 h 0 min',
  );
  // (1 kWh x 0.10 + 1 kWh x 0.20) / 2 runs; a flat 0.20 would give £0.20, UTC clocks £0.10.
  expect(within(timeline).getByText('1000 Wh · £0.15')).toBeInTheDocument();
  expect(fetch.mock.calls.map(([url]) => url)).toContain(
    '/api/v1/buildings/home/appliances/kettle/runs?start=-24h',
  );
  expect(screen.queryByText(/short runs may merge or vanish/)).not.toBeInTheDocument();
  // Every hour had readings: no gap, no note.
  expect(within(timeline).queryByText(/Data for/)).toBeNull();
});

it('draws hours without readings as a hatched gap and says the runs cover only the rest', async () => {
  // jsdom lays nothing out; give the chart a width to draw in.
  vi.spyOn(HTMLElement.prototype, 'clientWidth', 'get').mockReturnValue(600);
  // No readings from 08:00 to 14:00: 6 of the 24 hours.
  const gappy = columnsOf(
    hours.filter((p) => {
      const h = new Date(p.time).getUTCHours();
      return h < 8 || h >= 14;
    }),
    day,
  );
  show(answers(() => runs, gappy));
  const history = await screen.findByRole('region', { name: 'Power history' });
  const figure = await within(history).findByRole('figure');
  const bands = figure.querySelectorAll('rect.no-readings');
  expect(bands).toHaveLength(1);
  expect(bands[0]!.querySelector('title')?.textContent).toMatch(/^No readings .* – /);
  expect(within(history).getByText(/: drawn as a gap, not as zero power\./)).toBeVisible();
  const timeline = screen.getByRole('region', { name: 'On/off timeline' });
  expect(
    await within(timeline).findByText(
      'Data for 75% of this range: energy and cost count only the time with readings.',
    ),
  ).toBeVisible();
});

it('asks for the runs of the range chosen', async () => {
  const fetch = show(answers(() => runs));
  await screen.findByRole('img', { name: 'On/off timeline: 2 runs' });
  await userEvent.setup().click(screen.getByRole('tab', { name: '7d' }));
  await waitFor(() =>
    expect(fetch.mock.calls.map(([url]) => url)).toContain(
      '/api/v1/buildings/home/appliances/kettle/runs?start=-7d',
    ),
  );
});

it('says when the appliance was not on in the range', async () => {
  show(answers(() => noRuns));
  const timeline = await screen.findByRole('region', { name: 'On/off timeline' });
  expect(await within(timeline).findByText('It was not on in this range.')).toBeInTheDocument();
  expect(within(timeline).getByRole('img', { name: 'On/off timeline: 0 runs' }));
});

it("shows the server's message when the runs cannot be read", async () => {
  const message = 'runs cover at most 31 days per request; ask for a shorter range';
  show(
    answers(
      () =>
        new Response(
          JSON.stringify({
            error: { code: 'VALIDATION_TIME', message },
            request_id: 'req_test',
          }),
          { status: 422 },
        ),
    ),
  );
  const timeline = await screen.findByRole('region', { name: 'On/off timeline' });
  expect(await within(timeline).findByRole('alert')).toHaveTextContent(message);
});
