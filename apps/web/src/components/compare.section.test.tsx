// Proves the Reports page's Compare asks the energy API for this week so far and the same days and
// hours of last week (and this month against the same days a year before) in the building's zone,
// and shows per appliance the kWh, change and % as a table and grouped bars, with the one-line
// summary; a previous window without readings reads "no data", never as a drop.
import type { BuildingList, EnergyResponse } from '@nilm/contracts';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { renderPage } from '../test/page.fixture.js';
import { CompareSection } from './compare.section.js';

type Period = EnergyResponse['periods'][number];

beforeEach(() => {
  // Saturday 5 December 2026, 07:43:30 UTC (London is on GMT); only Date is faked.
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2026-12-05T07:43:30Z'));
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

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

function span(start: string, end: string, p: Partial<Period>): EnergyResponse {
  return {
    building_id: 'home',
    period: 'span',
    timezone: 'Europe/London',
    periods: [
      {
        start,
        end,
        total_kwh: 0,
        appliances: {},
        other_kwh: 0,
        pending_kwh: 0,
        baseload_kwh: 0,
        coverage: 1,
        estimate_coverage: 1,
        ...p,
      },
    ],
  };
}

/** Answers span queries by their start; records each one asked. */
function server(byStart: Record<string, Partial<Period>>) {
  const asked: string[] = [];
  const answer = (url: string) => {
    if (/\/buildings(\?|$)/.test(url)) return buildings;
    const q = new URL(url, 'http://test').searchParams;
    if (q.get('period') !== 'span') return undefined;
    const start = q.get('start')!;
    const end = q.get('end')!;
    asked.push(`${start} ${end}`);
    return span(start, end, byStart[start] ?? { coverage: 0, estimate_coverage: null });
  };
  return { asked, answer };
}

const cells = (rowName: string) =>
  within(screen.getByRole('rowheader', { name: rowName }).closest('tr')!)
    .getAllByRole('cell')
    .map((c) => c.textContent);

it('compares this week so far with the same hours of last week, as numbers and bars', async () => {
  vi.spyOn(HTMLElement.prototype, 'clientWidth', 'get').mockReturnValue(600);
  const { asked, answer } = server({
    '2026-11-30T00:00:00.000Z': {
      total_kwh: 21,
      appliances: { kettle: 2.4, fridge: 3.2 },
      other_kwh: 7,
      baseload_kwh: 7.95,
    },
    '2026-11-23T00:00:00.000Z': {
      total_kwh: 20,
      appliances: { kettle: 1.2, fridge: 3, washing_machine: 2 },
      other_kwh: 6,
      baseload_kwh: 8,
    },
  });
  renderPage('/b/home/reports', '/b/:buildingId/reports', <CompareSection buildingId="home" />, {
    answer,
  });
  expect(
    await screen.findByText('Washing machine used 2.0 kWh less than last week so far (−100 %).'),
  ).toBeTruthy();
  expect(asked).toEqual([
    '2026-11-30T00:00:00.000Z 2026-12-05T07:41:00.000Z',
    '2026-11-23T00:00:00.000Z 2026-11-28T07:41:00.000Z',
  ]);
  expect(screen.getAllByRole('columnheader').map((h) => h.textContent)).toEqual([
    'Appliance',
    'This week so far',
    'Last week so far',
    'Change',
    'Change %',
  ]);
  // Labels from the building's appliance list (Kettle); the rest made readable from the key.
  expect(cells('Kettle')).toEqual(['2.40 kWh', '1.20 kWh', '+1.20 kWh', '+100 %']);
  expect(cells('Washing machine')).toEqual(['0.000 kWh', '2.00 kWh', '−2.00 kWh', '−100 %']);
  expect(cells('Total')).toEqual(['21.00 kWh', '20.00 kWh', '+1.00 kWh', '+5 %']);
  expect(
    screen.getByText(/Like for like: Mon 30 Nov 00:00 – Sat 5 Dec 07:41 against/),
  ).toBeTruthy();
  expect(
    screen.getByText(/Sat 28 Nov 07:41 \(the building's time zone, Europe\/London/),
  ).toBeTruthy();
  // The grouped bars: a bar per window for 3 appliances, Other and Baseload (10), less the
  // washing machine's this week, which is 0 kWh and so has no width.
  const figure = screen.getByRole('figure');
  expect(figure.querySelectorAll('.recharts-bar-rectangle').length).toBe(9);
  expect(
    within(figure).getByText(/this week so far \(green\) beside last week so far/),
  ).toBeTruthy();
});

it('says a month a year before without readings plainly, with no change and no drop', async () => {
  const thisMonth = { total_kwh: 30, appliances: { kettle: 2 }, other_kwh: 20 };
  const { asked, answer } = server({
    '2026-11-30T00:00:00.000Z': thisMonth,
    '2026-12-01T00:00:00.000Z': thisMonth,
  });
  renderPage('/b/home/reports', '/b/:buildingId/reports', <CompareSection buildingId="home" />, {
    answer,
  });
  // This week has readings; the same hours of last week have none.
  await screen.findByRole('rowheader', { name: 'Kettle' });
  await userEvent.setup().click(screen.getByRole('tab', { name: 'month vs last year' }));
  expect(
    await screen.findByText(
      'There are no readings for 1–5 December 2025, so there is nothing to compare.',
    ),
  ).toBeTruthy();
  expect(asked).toContain('2026-12-01T00:00:00.000Z 2026-12-05T07:41:00.000Z');
  expect(asked).toContain('2025-12-01T00:00:00.000Z 2025-12-05T07:41:00.000Z');
  expect(cells('Kettle')).toEqual(['2.00 kWh', 'no data', '–', '–']);
  expect(cells('Total')).toEqual(['30.00 kWh', 'no data', '–', '–']);
  expect(
    screen.getByText(/no readings for 1–5 December 2025\. A change is given only/),
  ).toBeTruthy();
});
