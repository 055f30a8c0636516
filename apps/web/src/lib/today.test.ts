// Proves today's cost: kWh x price under a flat tariff, and per-bucket pricing from mains readings under time-of-use.
import { describe, expect, it } from 'vitest';
import { columnsOf } from '../test/readings.fixture.js';
import { slicesOf, startOfZonedDay, todayCost } from './today.js';

describe('today', () => {
  it("starts the day at the building's local midnight", () => {
    const at = new Date('2026-07-05T17:42:10Z');
    expect(startOfZonedDay(at, 'UTC')).toBe('2026-07-05T00:00:00.000Z');
    // London in summer (UTC+1): midnight is 23:00 UTC the evening before.
    expect(startOfZonedDay(at, 'Europe/London')).toBe('2026-07-04T23:00:00.000Z');
    // New York (UTC-4 in July): 02:00 UTC is still the previous local day.
    expect(startOfZonedDay(new Date('2026-07-06T02:00:00Z'), 'America/New_York')).toBe(
      '2026-07-05T04:00:00.000Z',
    );
    // Kolkata's half-hour offset (UTC+5:30): 17:42 UTC is 23:12 local, so the day began at 18:30 UTC the day before.
    expect(startOfZonedDay(at, 'Asia/Kolkata')).toBe('2026-07-04T18:30:00.000Z');
    // An unknown zone falls back to UTC.
    expect(startOfZonedDay(at, 'Not/AZone')).toBe('2026-07-05T00:00:00.000Z');
  });

  it('starts a summer-time change day at the midnight before the change', () => {
    // London, 2026-03-29: clocks go forward at 01:00 UTC; at 15:00 UTC it is BST (UTC+1) but
    // the day began at 00:00 GMT = 00:00 UTC.
    expect(startOfZonedDay(new Date('2026-03-29T15:00:00Z'), 'Europe/London')).toBe(
      '2026-03-29T00:00:00.000Z',
    );
    // 2026-10-25: clocks go back at 01:00 UTC; the day began at 00:00 BST = 23:00 UTC.
    expect(startOfZonedDay(new Date('2026-10-25T15:00:00Z'), 'Europe/London')).toBe(
      '2026-10-24T23:00:00.000Z',
    );
  });

  it('prices a flat tariff from the kWh alone: 4 kWh x 0.30 = 1.20', () => {
    expect(todayCost(4, { pricePerKwh: 0.3, bands: [] }, undefined, 'UTC')).toBeCloseTo(1.2, 10);
  });

  it('turns 15-minute mains buckets into slices, skipping missing mains', () => {
    const slices = slicesOf(
      columnsOf(
        [
          { time: '2026-01-01T00:00:00Z', power_w: 1000, appliances: {} },
          { time: '2026-01-01T00:15:00Z', power_w: null, appliances: {} },
        ],
        { resolution_s: 900 },
      ),
    );
    expect(slices).toHaveLength(1);
    expect(slices[0]!.kwh).toBeCloseTo(0.25, 10);
    expect(slices[0]!.end.toISOString()).toBe('2026-01-01T00:15:00.000Z');
  });

  it('prices what came from the grid where the meter measures import: solar used at once is free', () => {
    // 3 kW used while 2 kW of solar is made: 1 kW imported for the hour at 0.10 = 0.10, not 0.30.
    const tou = {
      pricePerKwh: 0.3,
      bands: [{ name: 'all day', start: '00:00', end: '00:00', pricePerKwh: 0.1 }],
    };
    const grid = { import_w: 1000, export_w: 0, production_w: 2000 };
    const readings = columnsOf(
      [{ time: '2026-01-01T10:00:00Z', power_w: 3000, appliances: {}, grid }],
      { resolution_s: 3600 },
    );
    expect(slicesOf(readings)[0]!.kwh).toBeCloseTo(1, 10);
    // A bucket whose meter measured no import counts its mains.
    const mixed = columnsOf(
      [
        { time: '2026-01-01T10:00:00Z', power_w: 3000, grid },
        { time: '2026-01-01T11:00:00Z', power_w: 500 },
      ],
      { resolution_s: 3600 },
    );
    expect(slicesOf(mixed).map((s) => s.kwh)).toEqual([1, 0.5]);
    expect(todayCost(1, tou, readings, 'UTC')).toBeCloseTo(0.1, 10);
  });

  it('needs readings for a time-of-use tariff', () => {
    const tou = {
      pricePerKwh: 0.3,
      bands: [{ name: 'all day', start: '00:00', end: '00:00', pricePerKwh: 0.1 }],
    };
    expect(todayCost(4, tou, undefined, 'UTC')).toBeUndefined();
    // One hour at 2 kW = 2 kWh, all inside the all-day band at 0.10 = 0.20.
    const readings = columnsOf([{ time: '2026-01-01T10:00:00Z', power_w: 2000, appliances: {} }], {
      resolution_s: 3600,
    });
    expect(todayCost(2, tou, readings, 'UTC')).toBeCloseTo(0.2, 10);
  });

  it("prices time-of-use buckets at the building's local time", () => {
    // Cheap 00:00-07:00 local. 06:30 UTC in summer is 07:30 in London (peak), 06:30 in UTC (cheap).
    const tou = {
      pricePerKwh: 0.3,
      bands: [{ name: 'night', start: '00:00', end: '07:00', pricePerKwh: 0.1 }],
    };
    const readings = columnsOf([{ time: '2026-07-01T06:30:00Z', power_w: 4000, appliances: {} }], {
      resolution_s: 900,
    });
    expect(todayCost(1, tou, readings, 'UTC')).toBeCloseTo(0.1, 10);
    expect(todayCost(1, tou, readings, 'Europe/London')).toBeCloseTo(0.3, 10);
  });
});
