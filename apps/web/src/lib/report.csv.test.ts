// Proves the report table's values (kWh, cost from the pricing, "no data", Total row, the share of each period with readings) in the display units, and that its CSV is the same table in kWh, quoting labels with commas and quotes.
import type { EnergyResponse } from '@nilm/contracts';
import { describe, expect, it } from 'vitest';
import { periodCosts, type PeriodCost } from './pricing.js';
import {
  buildReport,
  CSV_WORDS,
  csvField,
  fromFirstReading,
  reportCsv,
  reportPeriodLabel,
  reportTable,
  tableCsv,
} from './report.csv.js';

const energy: EnergyResponse = {
  building_id: 'home',
  period: 'day',
  timezone: 'Europe/London',
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
      appliances: { kettle: 1.5, tv: 0.5 },
      other_kwh: 2,
      pending_kwh: 0,
      baseload_kwh: 2,
      coverage: 1,
      estimate_coverage: 1,
    },
    {
      start: '2026-01-03T00:00:00.000Z',
      end: '2026-01-04T00:00:00.000Z',
      total_kwh: 4,
      appliances: { kettle: 0.5 },
      other_kwh: 1.5,
      pending_kwh: 0,
      baseload_kwh: 2,
      coverage: 0.5,
      estimate_coverage: 1,
    },
  ],
};

/** Costs at a flat 0.20 per kWh. */
const flat = periodCosts(energy, { pricePerKwh: 0.2, bands: [] })!;
const kwhUnits = { energy: 'kWh' } as const;

describe('buildReport', () => {
  it('gives kWh and cost per appliance per period, "no data" for empty periods and a Total row', () => {
    const t = reportTable(buildReport(energy, 'day', flat, 'GBP', { tv: 'TV, lounge' }), kwhUnits);
    expect(t.header).toEqual([
      'Period',
      'Kettle (kWh)',
      'Kettle (GBP)',
      'TV, lounge (kWh)',
      'TV, lounge (GBP)',
      'Other (kWh)',
      'Other (GBP)',
      'Baseload (kWh)',
      'Baseload (GBP)',
      'Total (kWh)',
      'Total (GBP)',
      'Data coverage (%)',
    ]);
    expect(t.rows[0]).toEqual(['2026-01-01', ...new Array<string>(10).fill('no data'), '0.0']);
    expect(t.rows[1]).toEqual([
      '2026-01-02',
      '1.500',
      '0.30',
      '0.500',
      '0.10',
      '2.000',
      '0.40',
      '2.000',
      '0.40',
      '6.000',
      '1.20',
      '100.0',
    ]);
    // A missing appliance in a covered period is 0 kWh; half the day had readings.
    expect(t.rows[2]?.slice(3, 5)).toEqual(['0.000', '0.00']);
    expect(t.rows[2]?.at(-1)).toBe('50.0');
    expect(t.rows[3]).toEqual([
      'Total',
      '2.000',
      '0.40',
      '0.500',
      '0.10',
      '3.500',
      '0.70',
      '4.000',
      '0.80',
      '10.000',
      '2.00',
      // 0 + 1 + 0.5 of three days.
      '50.0',
    ]);
  });

  it('shows the costs it is given (time-of-use) and sums them in the Total row', () => {
    const tou: PeriodCost[] = [
      { appliances: {}, other: 0, baseload: 0, total: 0 },
      { appliances: { kettle: 0.15, tv: 0.2 }, other: 0.55, baseload: 0.3, total: 0.9 },
      { appliances: { kettle: 0.05 }, other: 0.45, baseload: 0.5, total: 0.5 },
    ];
    const t = reportTable(buildReport(energy, 'day', tou, 'EUR'), kwhUnits);
    expect(t.header[2]).toBe('Kettle (EUR)');
    expect(t.rows[1]).toEqual([
      '2026-01-02',
      '1.500',
      '0.15',
      '0.500',
      '0.20',
      '2.000',
      '0.55',
      '2.000',
      '0.30',
      '6.000',
      '0.90',
      '100.0',
    ]);
    expect(t.rows[3]?.slice(-3)).toEqual(['10.000', '1.40', '50.0']);
  });

  it('shows energy in Wh when chosen, naming the unit in the header', () => {
    const t = reportTable(buildReport(energy, 'day', flat, 'GBP'), { energy: 'Wh' });
    expect(t.header.slice(0, 3)).toEqual(['Period', 'Kettle (Wh)', 'Kettle (GBP)']);
    expect(t.rows[1]?.slice(0, 3)).toEqual(['2026-01-02', '1500', '0.30']);
    expect(t.rows[0]?.[1]).toBe('no data');
  });

  it('names weeks and months in the building time zone', () => {
    // 23:30 UTC on 4 Jan is already 5 Jan in Berlin.
    expect(reportPeriodLabel('2026-01-04T23:30:00.000Z', 'week', 'Europe/Berlin')).toBe(
      'Week of 2026-01-05',
    );
    expect(reportPeriodLabel('2026-01-31T23:00:00.000Z', 'month', 'Europe/Berlin')).toBe('2026-02');
    expect(reportPeriodLabel('2026-01-02T00:00:00.000Z', 'day', 'Not/AZone')).toBe('2026-01-02');
  });
});

describe('reportCsv', () => {
  it('writes the header and every row, quoting fields with commas or quotes', () => {
    const report = buildReport(energy, 'day', flat, 'GBP', { tv: 'TV, "big" one' });
    const lines = reportCsv(report).split('\r\n');
    expect(lines).toEqual([
      'Period,Kettle (kWh),Kettle (GBP),"TV, ""big"" one (kWh)","TV, ""big"" one (GBP)",Other (kWh),Other (GBP),Baseload (kWh),Baseload (GBP),Total (kWh),Total (GBP),Data coverage (%)',
      '2026-01-01,no data,no data,no data,no data,no data,no data,no data,no data,no data,no data,0.0',
      '2026-01-02,1.500,0.30,0.500,0.10,2.000,0.40,2.000,0.40,6.000,1.20,100.0',
      '2026-01-03,0.500,0.10,0.000,0.00,1.500,0.30,2.000,0.40,4.000,0.80,50.0',
      'Total,2.000,0.40,0.500,0.10,3.500,0.70,4.000,0.80,10.000,2.00,50.0',
      '',
    ]);
  });

  it('is exactly the table shown in kWh, and keeps kWh when the page shows Wh', () => {
    const report = buildReport(energy, 'day', flat, 'GBP');
    expect(reportCsv(report)).toBe(tableCsv(reportTable(report, kwhUnits)));
    expect(reportCsv(report)).not.toBe(tableCsv(reportTable(report, { energy: 'Wh' })));
    expect(reportCsv(report).split('\r\n')[2]).toBe(
      '2026-01-02,1.500,0.30,0.500,0.10,2.000,0.40,2.000,0.40,6.000,1.20,100.0',
    );
  });

  it('rounds numbers as the table does (decimal, half up), with a decimal point and no grouping', () => {
    expect(CSV_WORDS.number(0.705, 2)).toBe('0.71');
    expect(CSV_WORDS.number(0.705, 2)).toBe(
      (0.705).toLocaleString('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 2 }),
    );
    expect(CSV_WORDS.number(1234.5, 3)).toBe('1234.500');
  });

  it('leaves plain fields alone and quotes newlines', () => {
    expect(csvField('Kettle')).toBe('Kettle');
    expect(csvField('a\nb')).toBe('"a\nb"');
  });
});

describe('fromFirstReading', () => {
  it('leaves out the periods before the first reading, keeps later gaps and the Total', () => {
    const gap = {
      ...energy.periods[0]!,
      start: '2026-01-04T00:00:00.000Z',
      end: '2026-01-05T00:00:00.000Z',
    };
    const report = buildReport(
      { ...energy, periods: [...energy.periods, gap] },
      'day',
      [...flat, flat[0]!],
      'GBP',
    );
    const trimmed = fromFirstReading(report);
    expect(trimmed.omitted).toBe(1);
    expect(trimmed.rows.map((r) => r.label)).toEqual([
      '2026-01-02',
      '2026-01-03',
      '2026-01-04',
      'Total',
    ]);
    expect(trimmed.rows[2]!.kwh).toBeNull();
    // The same sums; the coverage is of the days kept: (1 + 0.5 + 0) / 3, not / 4.
    const { coverage, minutes, ...sums } = trimmed.rows.at(-1)!;
    const { coverage: all, minutes: allMinutes, ...allSums } = report.rows.at(-1)!;
    expect(sums).toEqual(allSums);
    expect([all, allMinutes]).toEqual([0.375, 4 * 1440]);
    expect([coverage, minutes]).toEqual([0.5, 3 * 1440]);
  });

  it('gives the running period its share of the time so far', () => {
    // 18:00 on 3 Jan: that day's 12 hours of readings are 12 of the 18 hours lived (less the
    // 2 minutes readings may take to arrive), and the day counts 18 hours towards the Total.
    const now = Date.parse('2026-01-03T18:00:00.000Z');
    const report = buildReport(energy, 'day', flat, 'GBP', {}, now);
    expect(report.rows[2]!.coverage).toBeCloseTo(720 / 1078, 9);
    expect(report.rows[2]!.minutes).toBe(1080);
    expect(reportTable(report, kwhUnits).rows[2]!.at(-1)).toBe('66.8');
    // Total: the days' shares weighted by the minutes each counts.
    expect(report.rows[3]!.coverage).toBeCloseTo(
      (1440 + (1080 * 720) / 1078) / (2 * 1440 + 1080),
      9,
    );
  });

  it('keeps every row when no period has readings (the page says so instead)', () => {
    const empty = { ...energy, periods: [energy.periods[0]!] };
    const report = buildReport(empty, 'day', [flat[0]!], 'GBP');
    expect(fromFirstReading(report).omitted).toBe(0);
    expect(fromFirstReading(report).rows).toHaveLength(2);
  });
});
