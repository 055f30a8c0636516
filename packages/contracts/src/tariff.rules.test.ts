// Proves the one pricing rule shared by server and web: a stored dynamic price beats the band in
// force, which beats the flat price; minutes are read in the building's zone (DST days of 23 and
// 25 hours, zones offset by half hours); missing dynamic slots fall back and are counted; the
// standing charge counts local days; and the cheapest block and hours of a day.
import { describe, expect, it } from 'vitest';
import {
  cheapestHours,
  localDaysTouched,
  minutePricer,
  zoneClock,
  type PriceSlot,
  type PricingTariff,
} from './tariff.rules.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const tou: PricingTariff = {
  pricePerKwh: 0.3,
  bands: [{ start: '00:00', end: '07:00', pricePerKwh: 0.1 }],
};
const slot = (startMs: number, minutes: number, pricePerKwh: number): PriceSlot => ({
  startMs,
  endMs: startMs + minutes * MIN,
  pricePerKwh,
});

describe('minutePricer: dynamic > band > flat', () => {
  const day = Date.UTC(2026, 5, 10); // 10 June, UTC
  it('uses the dynamic price where a slot covers the minute, else the band, else flat', () => {
    const p = minutePricer(
      tou,
      [slot(day + 2 * HOUR, 30, -0.05), slot(day + 12 * HOUR, 60, 0.42)],
      'UTC',
    );
    expect([p.priceAt(day + 2 * HOUR), p.sourceAt(day + 2 * HOUR)]).toEqual([-0.05, 'dynamic']);
    expect([p.priceAt(day + 2 * HOUR + 30 * MIN), p.sourceAt(day + 2 * HOUR + 30 * MIN)]).toEqual([
      0.1,
      'band',
    ]);
    expect([p.priceAt(day + 12 * HOUR + 59 * MIN), p.sourceAt(day + 12 * HOUR + 59 * MIN)]).toEqual(
      [0.42, 'dynamic'],
    );
    expect([p.priceAt(day + 13 * HOUR), p.sourceAt(day + 13 * HOUR)]).toEqual([0.3, 'flat']);
  });

  it('prices a minute at the price in force when it starts, and means minute by minute', () => {
    const p = minutePricer({ pricePerKwh: 0.2, bands: [] }, [slot(day, 30, 0.1)], 'UTC');
    expect(p.priceAt(day + 29 * MIN + 59_999)).toBe(0.1);
    // An hour half at 0.10 and half at the flat 0.20.
    expect(p.mean(day, day + HOUR)).toBeCloseTo(0.15, 12);
    expect(p.dynamicMinutes(day, day + HOUR)).toBe(30);
  });

  it('says how much of a window fell back where dynamic slots are missing', () => {
    const slots = [slot(day, 30, 0.1), slot(day + HOUR, 30, 0.1)]; // 00:30-01:00 missing
    const p = minutePricer(tou, slots, 'UTC');
    expect(p.dynamicMinutes(day, day + 90 * MIN)).toBe(60);
    expect(p.sourceAt(day + 45 * MIN)).toBe('band');
  });

  it('reads bands in local time across a DST change (Europe/London, 29 March 2026)', () => {
    const p = minutePricer(tou, [], 'Europe/London');
    // 06:30 UTC on the 29th is 07:30 BST: out of the night band; on the 28th it is 06:30 GMT: in.
    expect(p.priceAt(Date.UTC(2026, 2, 29, 6, 30))).toBe(0.3);
    expect(p.priceAt(Date.UTC(2026, 2, 28, 6, 30))).toBe(0.1);
    // The night band lasts 6 real hours that day (00:00 GMT to 07:00 BST).
    const from = Date.UTC(2026, 2, 29, 0, 0);
    expect(p.mean(from, from + 6 * HOUR)).toBeCloseTo(0.1, 12);
    expect(p.mean(from + 6 * HOUR, from + 7 * HOUR)).toBeCloseTo(0.3, 12);
  });

  it('reads bands in a zone offset by half an hour (Asia/Kolkata, UTC+05:30)', () => {
    const p = minutePricer(tou, [], 'Asia/Kolkata');
    // 01:29 UTC is 06:59 IST (band); 01:30 UTC is 07:00 IST (flat).
    expect(p.priceAt(Date.UTC(2026, 0, 5, 1, 29))).toBe(0.1);
    expect(p.priceAt(Date.UTC(2026, 0, 5, 1, 30))).toBe(0.3);
    expect(zoneClock('Asia/Kolkata')(Date.UTC(2026, 0, 5, 18, 30))).toBe(0);
  });

  it('ignores a band with a malformed time and takes 7:00 as 07:00; an unknown zone is UTC', () => {
    const p = minutePricer(
      {
        pricePerKwh: 0.3,
        bands: [
          { start: 'x', end: '07:00', pricePerKwh: 0 },
          { start: '6:00', end: '7:00', pricePerKwh: 0.2 },
        ],
      },
      [],
      'Not/AZone',
    );
    expect(p.priceAt(Date.UTC(2026, 0, 1, 5, 0))).toBe(0.3);
    expect(p.priceAt(Date.UTC(2026, 0, 1, 6, 0))).toBe(0.2);
  });
});

describe('localDaysTouched: days a standing charge is due for', () => {
  const london = 'Europe/London';
  it('counts a local day whatever its length (23 h and 25 h days)', () => {
    expect(localDaysTouched(Date.UTC(2026, 2, 29, 0), Date.UTC(2026, 2, 29, 23), london)).toBe(1);
    expect(localDaysTouched(Date.UTC(2026, 9, 24, 23), Date.UTC(2026, 9, 26, 0), london)).toBe(1);
    // March 2026 in London: 31 days, one of them 23 hours long.
    expect(localDaysTouched(Date.UTC(2026, 2, 1), Date.UTC(2026, 2, 31, 23), london)).toBe(31);
  });
  it('counts today so far as one day and a week as seven, in a half-hour zone too', () => {
    const ist = Date.UTC(2026, 0, 4, 18, 30); // midnight 5 Jan in Kolkata
    expect(localDaysTouched(ist, ist + 3 * HOUR, 'Asia/Kolkata')).toBe(1);
    expect(localDaysTouched(ist, ist + 7 * 24 * HOUR, 'Asia/Kolkata')).toBe(7);
    expect(localDaysTouched(ist - MIN, ist + MIN, 'Asia/Kolkata')).toBe(2);
    expect(localDaysTouched(ist, ist, 'Asia/Kolkata')).toBe(0);
  });
});

describe('cheapestHours', () => {
  const day = Date.UTC(2026, 5, 10);
  const agile = Array.from({ length: 48 }, (_, i) =>
    slot(day + i * 30 * MIN, 30, i >= 26 && i < 32 ? 0.02 : i >= 34 && i < 38 ? 0.4 : 0.2),
  );
  it('finds the cheapest 3-hour block and lists the hours cheapest first', () => {
    const r = cheapestHours(minutePricer(tou, agile, 'UTC'), day, day + 24 * HOUR, 3);
    expect(r.block).toEqual({
      startMs: day + 13 * HOUR,
      endMs: day + 16 * HOUR,
      pricePerKwh: expect.closeTo(0.02, 12),
    });
    expect(r.hours).toHaveLength(24);
    expect(r.hours.slice(0, 3).map((h) => (h.startMs - day) / HOUR)).toEqual([13, 14, 15]);
    expect(r.hours.at(-1)?.pricePerKwh).toBeCloseTo(0.4, 12);
    expect([r.dynamicMinutes, r.minutes]).toEqual([1440, 1440]);
  });
  it('falls back to bands where prices are missing, and a day shorter than the block has none', () => {
    const r = cheapestHours(minutePricer(tou, agile.slice(34), 'UTC'), day, day + 24 * HOUR, 2);
    expect(r.dynamicMinutes).toBe(420);
    expect(r.block?.pricePerKwh).toBeCloseTo(0.1, 12);
    expect(cheapestHours(minutePricer(tou, [], 'UTC'), day, day + HOUR, 2).block).toBeNull();
  });
});
