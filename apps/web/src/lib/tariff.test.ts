// Proves tariff prices and costs against hand-computed values: flat, time-of-use, bands wrapping midnight and slices straddling a band change.
import { describe, expect, it } from 'vitest';
import { costOf, kwhOf, parseClock, priceAtMinute, utcMinuteOfDay, type Tariff } from './tariff.js';

const at = (iso: string) => new Date(iso);
const slice = (start: string, end: string, kwh: number) => ({
  start: at(start),
  end: at(end),
  kwh,
});

// Night 0.10 from 22:00 to 07:00, peak 0.40 from 16:00 to 19:00, else 0.25.
const tou: Tariff = {
  pricePerKwh: 0.25,
  bands: [
    { name: 'Night', start: '22:00', end: '07:00', pricePerKwh: 0.1 },
    { name: 'Peak', start: '16:00', end: '19:00', pricePerKwh: 0.4 },
  ],
};

describe('tariff', () => {
  it('parses clock times and rejects bad ones', () => {
    expect(parseClock('07:30')).toBe(450);
    expect(parseClock('23:59')).toBe(1439);
    expect(parseClock('24:00')).toBeUndefined();
    expect(parseClock('7')).toBeUndefined();
  });

  it('prices a flat tariff: 3 kWh at 0.30 = 0.90', () => {
    const flat: Tariff = { pricePerKwh: 0.3, bands: [] };
    expect(costOf([slice('2026-01-01T10:00Z', '2026-01-01T11:00Z', 3)], flat)).toBeCloseTo(0.9, 10);
  });

  it('picks the band price, wrapping midnight, with exclusive ends', () => {
    expect(priceAtMinute(parseClock('23:00')!, tou)).toBe(0.1);
    expect(priceAtMinute(parseClock('06:59')!, tou)).toBe(0.1);
    expect(priceAtMinute(parseClock('07:00')!, tou)).toBe(0.25);
    expect(priceAtMinute(parseClock('16:00')!, tou)).toBe(0.4);
    expect(priceAtMinute(parseClock('19:00')!, tou)).toBe(0.25);
  });

  it('prices time-of-use slices: 2 kWh night + 1 kWh day + 1.5 kWh peak = 0.2 + 0.25 + 0.6 = 1.05', () => {
    const slices = [
      slice('2026-01-01T02:00Z', '2026-01-01T03:00Z', 2),
      slice('2026-01-01T12:00Z', '2026-01-01T13:00Z', 1),
      slice('2026-01-01T17:00Z', '2026-01-01T18:00Z', 1.5),
    ];
    expect(costOf(slices, tou, utcMinuteOfDay)).toBeCloseTo(1.05, 10);
  });

  it('splits a slice across a band change: 21:30-22:30, 1 kWh = 0.5 x 0.25 + 0.5 x 0.10 = 0.175', () => {
    const s = [slice('2026-01-01T21:30Z', '2026-01-01T22:30Z', 1)];
    expect(costOf(s, tou, utcMinuteOfDay)).toBeCloseTo(0.175, 10);
  });

  it('converts average power to energy: 500 W for 15 minutes = 0.125 kWh', () => {
    expect(kwhOf(500, 900)).toBeCloseTo(0.125, 10);
  });
});
