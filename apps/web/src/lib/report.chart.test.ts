// Proves the report becomes stacked bars that add up to each period's Total (appliances then Other, no baseload, gaps as null), with the app's series colours and a caption summing it up in the chosen unit.
import type { EnergyResponse } from '@nilm/contracts';
import { describe, expect, it } from 'vitest';
import { seriesColor } from './colors.js';
import { periodCosts } from './pricing.js';
import { barsSummary, periodTick, reportBars } from './report.chart.js';
import { buildReport } from './report.csv.js';

const energy: EnergyResponse = {
  building_id: 'home',
  period: 'week',
  timezone: 'UTC',
  periods: [
    {
      start: '2025-12-29T00:00:00.000Z',
      end: '2026-01-05T00:00:00.000Z',
      total_kwh: 0,
      appliances: {},
      other_kwh: 0,
      pending_kwh: 0,
      baseload_kwh: 0,
      coverage: 0,
      estimate_coverage: null,
    },
    {
      start: '2026-01-05T00:00:00.000Z',
      end: '2026-01-12T00:00:00.000Z',
      total_kwh: 20,
      appliances: { 'tv.lounge': 3, kettle: 5 },
      other_kwh: 12,
      pending_kwh: 0,
      baseload_kwh: 7,
      coverage: 1,
      estimate_coverage: 1,
    },
    {
      start: '2026-01-12T00:00:00.000Z',
      end: '2026-01-19T00:00:00.000Z',
      total_kwh: 10,
      appliances: { kettle: 4 },
      other_kwh: 6,
      pending_kwh: 0,
      baseload_kwh: 7,
      coverage: 1,
      estimate_coverage: 1,
    },
  ],
};
const report = buildReport(
  energy,
  'week',
  periodCosts(energy, { pricePerKwh: 0.2, bands: [] })!,
  'GBP',
  {
    'tv.lounge': 'TV (lounge)',
  },
);

describe('reportBars', () => {
  it('stacks the appliances in column order, then Other, in the app colours', () => {
    expect(reportBars(report).series).toEqual([
      { key: 's0', name: 'kettle', label: 'Kettle', color: seriesColor('kettle') },
      { key: 's1', name: 'tv.lounge', label: 'TV (lounge)', color: seriesColor('tv.lounge') },
      { key: 's2', name: 'other', label: 'Other', color: '#94a3b8' },
    ]);
  });

  it('gives one bar per period whose parts add up to its Total, null where there are no readings', () => {
    const { rows } = reportBars(report);
    expect(rows).toEqual([
      { period: 'Week of 2025-12-29', s0: null, s1: null, s2: null },
      { period: 'Week of 2026-01-05', s0: 5, s1: 3, s2: 12 },
      { period: 'Week of 2026-01-12', s0: 4, s1: 0, s2: 6 },
    ]);
    expect(rows[1]!.s0! + rows[1]!.s1! + rows[1]!.s2!).toBe(energy.periods[1]!.total_kwh);
  });
});

describe('barsSummary', () => {
  it('says what the chart shows, the total and the biggest appliance, in the chosen unit', () => {
    expect(barsSummary(report, 'week', { energy: 'kWh' })).toBe(
      'Energy per appliance and Other, stacked, for 3 weeks (2 with readings). Total 30.00 kWh. The biggest appliance is Kettle at 9.00 kWh; Other is 18.00 kWh. The table below lists every value.',
    );
    expect(barsSummary(report, 'week', { energy: 'Wh' })).toContain('Kettle at 9000 Wh');
  });

  it('says so when no period has readings', () => {
    const none = buildReport({ ...energy, periods: [energy.periods[0]!] }, 'day', [], 'GBP');
    expect(barsSummary(none, 'day', { energy: 'kWh' })).toBe(
      'Energy per appliance and Other, stacked, for 1 day; none has readings.',
    );
  });
});

describe('periodTick', () => {
  it('shortens period labels for the axis without moving them to another day', () => {
    const day = (m: number, d: number) =>
      new Date(Date.UTC(2026, m, d)).toLocaleDateString(undefined, {
        month: 'short',
        day: 'numeric',
        timeZone: 'UTC',
      });
    expect(periodTick('2026-01-05')).toBe(day(0, 5));
    expect(periodTick('Week of 2026-01-26')).toBe(day(0, 26));
    expect(periodTick('2026-02')).toBe(
      new Date(Date.UTC(2026, 1, 1)).toLocaleDateString(undefined, {
        month: 'short',
        year: '2-digit',
        timeZone: 'UTC',
      }),
    );
    expect(periodTick('Total')).toBe('Total');
  });
});
