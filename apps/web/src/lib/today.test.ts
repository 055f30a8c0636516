// Proves today's cost: kWh x price under a flat tariff, and per-bucket pricing from mains readings under time-of-use.
import { describe, expect, it } from 'vitest';
import { slicesOf, startOfUtcDay, todayCost } from './today.js';

describe('today', () => {
  it('starts the day at UTC midnight (the API energy periods are UTC days)', () => {
    expect(startOfUtcDay(new Date('2026-03-05T17:42:10Z'))).toBe('2026-03-05T00:00:00.000Z');
  });

  it('prices a flat tariff from the kWh alone: 4 kWh x 0.30 = 1.20', () => {
    expect(todayCost(4, { pricePerKwh: 0.3, bands: [] })).toBeCloseTo(1.2, 10);
  });

  it('turns 15-minute mains buckets into slices, skipping missing mains', () => {
    const slices = slicesOf({
      resolution_s: 900,
      points: [
        { time: '2026-01-01T00:00:00Z', power_w: 1000, appliances: {} },
        { time: '2026-01-01T00:15:00Z', power_w: null, appliances: {} },
      ],
    });
    expect(slices).toHaveLength(1);
    expect(slices[0]!.kwh).toBeCloseTo(0.25, 10);
    expect(slices[0]!.end.toISOString()).toBe('2026-01-01T00:15:00.000Z');
  });

  it('needs readings for a time-of-use tariff', () => {
    const tou = {
      pricePerKwh: 0.3,
      bands: [{ name: 'all day', start: '00:00', end: '00:00', pricePerKwh: 0.1 }],
    };
    expect(todayCost(4, tou)).toBeUndefined();
    // One hour at 2 kW = 2 kWh, all inside the all-day band at 0.10 = 0.20.
    const readings = {
      resolution_s: 3600,
      points: [{ time: '2026-01-01T10:00:00Z', power_w: 2000, appliances: {} }],
    };
    expect(todayCost(2, tou, readings)).toBeCloseTo(0.2, 10);
  });
});
