// Proves report costs against hand-computed values: flat, time-of-use bands crossing midnight, Europe/London's 23- and 25-hour days, half-hour zones, and appliances plus Other adding up to Total.
import type { EnergyResponse } from '@nilm/contracts';
import { describe, expect, it } from 'vitest';
import { columnsOf, type Bucket } from '../test/readings.fixture.js';
import {
  costInZone,
  periodCosts,
  zoneClock,
  zoneMinuteOfDay,
  type PowerProfile,
} from './pricing.js';
import { costOf, type Tariff } from './tariff.js';

type Period = EnergyResponse['periods'][number];

const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** One period with full coverage; other_kwh is total less the appliances, as the API computes it. */
function period(
  start: string,
  end: string,
  total: number,
  appliances: Record<string, number> = {},
) {
  const tracked = Object.values(appliances).reduce((s, v) => s + v, 0);
  return {
    start,
    end,
    total_kwh: total,
    appliances,
    other_kwh: Math.max(0, total - tracked),
    pending_kwh: 0,
    baseload_kwh: 0,
    coverage: 1,
    estimate_coverage: 1,
  } satisfies Period;
}

/** An hourly profile from `hours` UTC hours from `start`, each given mains W and appliance W. */
function hourly(
  start: string,
  hours: number,
  at: (i: number) => { mains: number | null; apps?: Record<string, number> },
): PowerProfile {
  const t0 = Date.parse(start);
  const points: Bucket[] = [];
  for (let i = 0; i < hours; i++) {
    const { mains, apps = {} } = at(i);
    points.push({
      time: iso(t0 + i * HOUR),
      power_w: mains,
      appliances: Object.fromEntries(
        Object.entries(apps).map(([a, w]) => [a, { power_w: w, on_prob: 1 }]),
      ),
    });
  }
  return columnsOf(points, { resolution_s: 3600 });
}

// Night 0.10 from 22:00 to 07:00 (crossing midnight), peak 0.40 from 16:00 to 19:00, else 0.25.
const tou: Tariff = {
  pricePerKwh: 0.25,
  bands: [
    { name: 'Night', start: '22:00', end: '07:00', pricePerKwh: 0.1 },
    { name: 'Peak', start: '16:00', end: '19:00', pricePerKwh: 0.4 },
  ],
};
// Night 0.10 from 00:00 to 07:00 local, else 0.30.
const night: Tariff = {
  pricePerKwh: 0.3,
  bands: [{ name: 'Night', start: '00:00', end: '07:00', pricePerKwh: 0.1 }],
};

describe('zoneClock', () => {
  it('follows Europe/London across the spring change (01:00 UTC becomes 02:00 BST)', () => {
    const clock = zoneClock('Europe/London');
    expect(clock(Date.parse('2026-03-29T00:59:00Z'))).toBe(59);
    expect(clock(Date.parse('2026-03-29T01:00:00Z'))).toBe(120);
    expect(clock(Date.parse('2026-03-29T22:30:00Z'))).toBe(23 * 60 + 30);
  });

  it('handles half-hour zones and falls back to UTC for an unknown zone', () => {
    expect(zoneClock('Asia/Kolkata')(Date.parse('2026-01-01T18:29:00Z'))).toBe(23 * 60 + 59);
    expect(zoneClock('Not/AZone')(Date.parse('2026-01-01T18:29:00Z'))).toBe(18 * 60 + 29);
  });

  it("prices slices in the building's zone through tariff.ts: 1 kWh at 06:30 UTC = 07:30 BST", () => {
    const s = [
      { start: new Date('2026-06-01T06:00Z'), end: new Date('2026-06-01T07:00Z'), kwh: 1 },
    ];
    expect(costOf(s, night, zoneMinuteOfDay('Europe/London'))).toBeCloseTo(0.3, 10);
    expect(costOf(s, night, zoneMinuteOfDay('UTC'))).toBeCloseTo(0.1, 10);
  });
});

describe('periodCosts', () => {
  const day = period('2026-01-02T00:00:00.000Z', '2026-01-03T00:00:00.000Z', 4, { kettle: 1.5 });

  it('prices a flat tariff as kWh x price with no profile', () => {
    const costs = periodCosts(
      { timezone: 'UTC', periods: [{ ...day, baseload_kwh: 2 }] },
      { pricePerKwh: 0.2, bands: [] },
    );
    expect(costs).toHaveLength(1);
    const c = costs![0]!;
    expect(c.total).toBeCloseTo(0.8, 10);
    expect(c.appliances.kettle).toBeCloseTo(0.3, 10);
    expect(c.other).toBeCloseTo(0.5, 10);
    expect(c.baseload).toBeCloseTo(0.4, 10);
  });

  it('needs the hourly profile under time-of-use', () => {
    expect(periodCosts({ timezone: 'UTC', periods: [day] }, tou)).toBeUndefined();
  });

  it('prices each hour at its band, the night band crossing midnight', () => {
    // 1 kWh at 23:00 and 1 kWh at 02:00 (night, 0.10), 2 kWh at 12:00 (day, 0.25): 0.70;
    // the kettle's 1.5 kWh: 1 kWh at 23:00 and 0.5 kWh at 12:00 = 0.10 + 0.125 = 0.225.
    const profile = hourly(day.start, 24, (h) =>
      h === 23
        ? { mains: 1000, apps: { kettle: 1000 } }
        : h === 2
          ? { mains: 1000, apps: { kettle: 0 } }
          : h === 12
            ? { mains: 2000, apps: { kettle: 500 } }
            : { mains: 0, apps: { kettle: 0 } },
    );
    const c = periodCosts({ timezone: 'UTC', periods: [day] }, tou, profile)![0]!;
    expect(c.total).toBeCloseTo(0.7, 10);
    expect(c.appliances.kettle).toBeCloseTo(0.225, 10);
    expect(c.other).toBeCloseTo(0.7 - 0.225, 10);
    // The same energy at a flat 0.25 would cost 1.00: time-of-use makes a real difference.
    expect(periodCosts({ timezone: 'UTC', periods: [day] }, { ...tou, bands: [] })![0]!.total).toBe(
      1,
    );
  });

  it('prices the 23-hour spring day in Europe/London by local time', () => {
    // 29 Mar 2026 runs 00:00 GMT (00:00Z) to 00:00 BST (23:00Z). Night is 00:00-07:00 local,
    // that is 00:00Z-06:00Z (clocks skip 01:00-02:00): 6 hours at 0.10, then 17 hours at 0.30.
    const spring = period('2026-03-29T00:00:00.000Z', '2026-03-29T23:00:00.000Z', 23);
    const profile = hourly(spring.start, 23, () => ({ mains: 1000 }));
    const c = periodCosts({ timezone: 'Europe/London', periods: [spring] }, night, profile)![0]!;
    expect(c.total).toBeCloseTo(6 * 0.1 + 17 * 0.3, 10);
  });

  it('prices the 25-hour autumn day in Europe/London by local time', () => {
    // 25 Oct 2026 runs 00:00 BST (24 Oct 23:00Z) to 00:00 GMT (26 Oct 00:00Z). Local 01:00-02:00
    // happens twice, so night (00:00-07:00 local) holds 8 hours at 0.10, then 17 hours at 0.30.
    const autumn = period('2026-10-24T23:00:00.000Z', '2026-10-26T00:00:00.000Z', 25);
    const profile = hourly(autumn.start, 25, () => ({ mains: 1000 }));
    const c = periodCosts({ timezone: 'Europe/London', periods: [autumn] }, night, profile)![0]!;
    expect(c.total).toBeCloseTo(8 * 0.1 + 17 * 0.3, 10);
  });

  it('splits an hour that straddles local midnight in a half-hour zone', () => {
    // Kolkata is UTC+5:30: 2 Jan starts at 18:30Z on 1 Jan. 2 kW from 18:00Z to 19:00Z is
    // 1 kWh at 23:30-00:00 local (1 Jan) and 1 kWh at 00:00-00:30 local (2 Jan). Day 0.30
    // before midnight, night (00:00-07:00) 0.10 after.
    const jan1 = period('2025-12-31T18:30:00.000Z', '2026-01-01T18:30:00.000Z', 1);
    const jan2 = period('2026-01-01T18:30:00.000Z', '2026-01-02T18:30:00.000Z', 1);
    const profile = hourly('2026-01-01T18:00:00.000Z', 1, () => ({ mains: 2000 }));
    const costs = periodCosts({ timezone: 'Asia/Kolkata', periods: [jan1, jan2] }, night, profile)!;
    expect(costs[0]!.total).toBeCloseTo(0.3, 10);
    expect(costs[1]!.total).toBeCloseTo(0.1, 10);
  });

  it('makes appliances plus Other add up to Total, and prices baseload at the covered hours', () => {
    // Fridge 100 W all day; kettle 2 kW at 07:00 (day) and 17:00 (peak); mains 500 W all day
    // plus the kettle. Baseload 0.1 kW held all day.
    const p = { ...period(day.start, day.end, 16, { fridge: 2.4, kettle: 4 }), baseload_kwh: 2.4 };
    const profile = hourly(day.start, 24, (h) => {
      const kettle = h === 7 || h === 17 ? 2000 : 0;
      return { mains: 500 + kettle, apps: { fridge: 100, kettle } };
    });
    const c = periodCosts({ timezone: 'UTC', periods: [p] }, tou, profile)![0]!;
    // A constant load pays the day's mean price: (9 x 0.10 + 3 x 0.40 + 12 x 0.25) / 24.
    const meanDay = (9 * 0.1 + 3 * 0.4 + 12 * 0.25) / 24;
    expect(c.appliances.fridge).toBeCloseTo(2.4 * meanDay, 10);
    expect(c.appliances.kettle).toBeCloseTo(2 * 0.25 + 2 * 0.4, 10);
    expect(c.total).toBeCloseTo(12 * meanDay + 2 * 0.25 + 2 * 0.4, 10);
    expect(c.appliances.fridge! + c.appliances.kettle! + c.other).toBeCloseTo(c.total, 10);
    expect(c.baseload).toBeCloseTo(2.4 * meanDay, 10);
  });

  it("keeps /energy's kWh where hours are partly covered, using the hours only to weight the price", () => {
    // The profile holds 1 kWh at 02:00 (0.10) and 1 kWh at 12:00 (0.25), but /energy counted
    // only 1 kWh in all: it costs 1 x (0.10 + 0.25) / 2.
    const p = period(day.start, day.end, 1);
    const profile = hourly(day.start, 24, (h) => ({ mains: h === 2 || h === 12 ? 1000 : null }));
    expect(periodCosts({ timezone: 'UTC', periods: [p] }, tou, profile)![0]!.total).toBeCloseTo(
      0.175,
      10,
    );
  });

  it('costs nothing for a period without readings and prices a gap in the profile at the mean', () => {
    const empty = { ...period(day.start, day.end, 0), coverage: 0 };
    expect(
      periodCosts(
        { timezone: 'UTC', periods: [empty] },
        tou,
        hourly(day.start, 0, () => ({ mains: 0 })),
      ),
    ).toEqual([{ appliances: {}, other: 0, baseload: 0, total: 0 }]);
    const gap = periodCosts(
      { timezone: 'UTC', periods: [day] },
      tou,
      columnsOf([], { resolution_s: 3600 }),
    )!;
    expect(gap[0]!.total).toBeCloseTo(4 * ((9 * 0.1 + 3 * 0.4 + 12 * 0.25) / 24), 10);
  });
});

describe('costInZone', () => {
  it("spreads each slice over its span and prices it in the building's zone, across a DST change", () => {
    // 00:30Z-01:30Z on 29 Mar 2026 is 00:30-01:00 GMT then 02:00-02:30 BST: all night (0.10).
    // 05:30Z-06:30Z is 06:30-07:30 BST: half night, half day = 0.5 x 0.10 + 0.5 x 0.30.
    const slices = [
      { start: new Date('2026-03-29T00:30Z'), end: new Date('2026-03-29T01:30Z'), kwh: 1 },
      { start: new Date('2026-03-29T05:30Z'), end: new Date('2026-03-29T06:30Z'), kwh: 1 },
    ];
    expect(costInZone(slices, night, 'Europe/London')).toBeCloseTo(0.1 + 0.2, 10);
    expect(costInZone(slices, { pricePerKwh: 0.3, bands: [] }, 'Europe/London')).toBeCloseTo(
      0.6,
      10,
    );
  });
});
