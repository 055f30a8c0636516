// Proves the dashboard's "Cheapest hours tomorrow" shows the cheapest block and hours that GET /prices/cheapest answers, in the building's local time; says when no prices are published for the day (no made-up cheapest block when every hour costs the same) or only some are; and shows the server's message with a retry when the request fails.
import type { CheapestResponse } from '@nilm/contracts';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, expect, it, vi } from 'vitest';
import { apiError, renderWithApi, type Answer } from '../test/api.fixture.js';
import { CheapestHoursPanel } from './cheapest.hours.js';

afterEach(() => vi.unstubAllGlobals());

const CHEAPEST = 'GET /api/v1/buildings/home/prices/cheapest';

/** 2026-06-14 in London (BST, UTC+1): Agile-like prices, cheapest 03:00-06:00 local. */
const june: CheapestResponse = {
  building_id: 'home',
  currency: 'GBP',
  date: '2026-06-14',
  timezone: 'Europe/London',
  block: {
    start: '2026-06-14T02:00:00.000Z',
    end: '2026-06-14T05:00:00.000Z',
    price_per_kwh: 0.05,
  },
  hours: [
    { start: '2026-06-14T12:00:00.000Z', end: '2026-06-14T13:00:00.000Z', price_per_kwh: -0.02 },
    { start: '2026-06-14T02:00:00.000Z', end: '2026-06-14T03:00:00.000Z', price_per_kwh: 0.04 },
    { start: '2026-06-14T03:00:00.000Z', end: '2026-06-14T04:00:00.000Z', price_per_kwh: 0.05 },
    { start: '2026-06-14T04:00:00.000Z', end: '2026-06-14T05:00:00.000Z', price_per_kwh: 0.06 },
    { start: '2026-06-14T13:00:00.000Z', end: '2026-06-14T14:00:00.000Z', price_per_kwh: 0.11 },
    { start: '2026-06-14T01:00:00.000Z', end: '2026-06-14T02:00:00.000Z', price_per_kwh: 0.14 },
    { start: '2026-06-14T16:00:00.000Z', end: '2026-06-14T17:00:00.000Z', price_per_kwh: 0.38 },
  ],
  dynamic_minutes: 24 * 60,
  minutes: 24 * 60,
};

function renderPanel(answer: Answer<CheapestResponse>) {
  return renderWithApi('/b/home', '/b/:buildingId', <CheapestHoursPanel buildingId="home" />, {
    [CHEAPEST]: answer,
  });
}

it('shows the cheapest 3-hour block and the six cheapest hours in the building’s local time', async () => {
  const sent = renderPanel({ body: june });
  const panel = await screen.findByRole('region', { name: 'Cheapest hours tomorrow' });
  // 02:00-05:00 UTC is 03:00-06:00 in London in June.
  expect(await within(panel).findByText('03:00–06:00')).toBeInTheDocument();
  expect(panel).toHaveTextContent('Cheapest 3 hours on 2026-06-14: 03:00–06:00 at £0.05/kWh');
  const hours = within(within(panel).getByRole('list', { name: 'Cheapest hours' })).getAllByRole(
    'listitem',
  );
  expect(hours.map((h) => h.textContent)).toEqual([
    '13:00 · -£0.02/kWh',
    '03:00 · £0.04/kWh',
    '04:00 · £0.05/kWh',
    '05:00 · £0.06/kWh',
    '14:00 · £0.11/kWh',
    '02:00 · £0.14/kWh',
  ]);
  // Every minute of the day has a dynamic price: no fallback note.
  expect(panel).not.toHaveTextContent(/not published|No dynamic prices/);
  expect(sent.filter((r) => r.path === '/api/v1/buildings/home/prices/cheapest')).toHaveLength(1);
});

it('says how much of the day still lacks prices when only part is published', async () => {
  renderPanel({ body: { ...june, dynamic_minutes: 21 * 60 } });
  const panel = await screen.findByRole('region', { name: 'Cheapest hours tomorrow' });
  expect(
    await within(panel).findByText(
      'Prices for 3 h of the day are not published yet; band or flat prices are used there.',
    ),
  ).toBeInTheDocument();
});

it('names no cheapest block when no prices are published and every hour costs the same', async () => {
  const flat = Array.from({ length: 24 }, (_, h) => ({
    start: new Date(Date.UTC(2026, 11, 6, h)).toISOString(),
    end: new Date(Date.UTC(2026, 11, 6, h + 1)).toISOString(),
    price_per_kwh: 0.25,
  }));
  renderPanel({
    body: {
      ...june,
      date: '2026-12-06',
      block: { start: flat[0]!.start, end: flat[2]!.end, price_per_kwh: 0.25 },
      hours: flat,
      dynamic_minutes: 0,
    },
  });
  const panel = await screen.findByRole('region', { name: 'Cheapest hours tomorrow' });
  expect(
    await within(panel).findByText(
      'No prices for 2026-12-06 yet: every hour costs £0.25/kWh until they are published.',
    ),
  ).toBeInTheDocument();
  expect(within(panel).queryByRole('list', { name: 'Cheapest hours' })).toBeNull();
  expect(panel).not.toHaveTextContent('Cheapest 3 hours');
});

it('without dynamic prices but with bands, shows the band prices and says so', async () => {
  renderPanel({ body: { ...june, dynamic_minutes: 0 } });
  const panel = await screen.findByRole('region', { name: 'Cheapest hours tomorrow' });
  expect(await within(panel).findByText('03:00–06:00')).toBeInTheDocument();
  expect(panel).toHaveTextContent(
    "No dynamic prices for that day yet; these are the tariff's band and flat prices.",
  );
});

it("shows the server's message and asks again on Try again", async () => {
  const sent = renderPanel(
    apiError(
      503,
      'STORE_UNAVAILABLE',
      'The metadata store (postgres) is unavailable; retry shortly',
    ),
  );
  const panel = await screen.findByRole('region', { name: 'Cheapest hours tomorrow' });
  const alert = await within(panel).findByRole('alert');
  expect(alert).toHaveTextContent('The metadata store (postgres) is unavailable; retry shortly');
  await userEvent.setup().click(within(alert).getByRole('button', { name: 'Try again' }));
  const asked = () => sent.filter((r) => r.path === '/api/v1/buildings/home/prices/cheapest');
  await vi.waitFor(() => expect(asked()).toHaveLength(2));
});
