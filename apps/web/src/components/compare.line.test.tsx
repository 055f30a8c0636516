// Proves the dashboard's one line names what changed most this week so far against the same hours
// of last week, says plainly when last week's readings are partial, and says when the comparison
// could not be loaded; it links to the Reports page's Compare.
import type { EnergyResponse } from '@nilm/contracts';
import { screen } from '@testing-library/react';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { renderPage } from '../test/page.fixture.js';
import { CompareLine } from './compare.line.js';

type Period = EnergyResponse['periods'][number];

beforeEach(() => {
  // Wednesday 2 December 2026, 12:00 UTC; the building's list is empty, so its zone is UTC.
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2026-12-02T12:00:00Z'));
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

function answering(thisWeek: Partial<Period>, lastWeek: Partial<Period>) {
  return (url: string) => {
    if (/\/buildings(\?|$)/.test(url)) return { buildings: [] };
    const q = new URL(url, 'http://test').searchParams;
    if (q.get('period') !== 'span') return undefined;
    const start = q.get('start')!;
    const p = start === '2026-11-30T00:00:00.000Z' ? thisWeek : lastWeek;
    return {
      building_id: 'home',
      period: 'span',
      timezone: 'UTC',
      periods: [
        {
          start,
          end: q.get('end')!,
          total_kwh: 10,
          appliances: {},
          other_kwh: 4,
          pending_kwh: 0,
          baseload_kwh: 3,
          coverage: 1,
          estimate_coverage: 1,
          ...p,
        },
      ],
    } satisfies EnergyResponse;
  };
}

const show = (answer: (url: string) => unknown) =>
  renderPage('/b/home', '/b/:buildingId', <CompareLine buildingId="home" />, { answer });

it('names the appliance that changed most, with kWh and %, and links to Compare', async () => {
  show(
    answering(
      { appliances: { kettle: 4.6, fridge: 2 } },
      { appliances: { kettle: 3.4, fridge: 2.1 } },
    ),
  );
  const line = await screen.findByText(
    /Kettle used 1\.2 kWh more than last week so far \(\+35 %\)\./,
  );
  expect(line.textContent).toBe(
    'Kettle used 1.2 kWh more than last week so far (+35 %). See the numbers',
  );
  expect(screen.getByRole('link', { name: 'See the numbers' }).getAttribute('href')).toBe(
    '/b/home/reports#compare',
  );
});

it('says when last week had readings for only part of the same hours', async () => {
  show(answering({ appliances: { kettle: 4.6 } }, { appliances: { kettle: 1 }, coverage: 0.4 }));
  expect(
    await screen.findByText(
      /Readings cover only 40 % of last week so far, so no change is given\./,
    ),
  ).toBeTruthy();
  expect(screen.queryByText(/less than last week/)).toBeNull();
});

it('says when the comparison could not be loaded', async () => {
  show((url) =>
    /\/buildings(\?|$)/.test(url)
      ? { buildings: [] }
      : url.includes('period=span')
        ? new Response(
            JSON.stringify({
              error: { code: 'INTERNAL', message: 'the time-series store did not answer' },
              request_id: 'r',
            }),
            { status: 503 },
          )
        : undefined,
  );
  expect(
    await screen.findByText(
      /Could not compare with last week: the time-series store did not answer\./,
    ),
  ).toBeTruthy();
});
