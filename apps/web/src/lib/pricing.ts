/**
 * The cost of an energy report under the tariff, pure. `/energy` gives kWh per period (summed
 * minute by minute, in the building's time zone); `/readings` at 1 h gives when in each period
 * that energy was used. Under time-of-use each group (an appliance, the mains total, baseload) is
 * priced at its own energy-weighted average price over the period's hours, and each hour is priced
 * minute by minute at the rate in force at that local time in the building's zone, so bands that
 * cross midnight, days of 23 or 25 hours and zones offset by half hours come out right. Where the
 * hours hold the same energy as `/energy` (full coverage) this is exactly the sum of kWh per hour
 * times its price; where an hour is only partly covered, `/energy`'s kWh stay and the hours only
 * weight the price, so kWh and cost never disagree about how much energy there was.
 */
import type { EnergyResponse, ReadingsResponse } from '@nilm/contracts';
import { kwhOf, priceAtMinute, type EnergySlice, type MinuteOfDay, type Tariff } from './tariff.js';

/** Mean power per bucket (`/readings` points and bucket size), hourly or finer. */
export type PowerProfile = Pick<ReadingsResponse, 'points' | 'resolution_s'>;

/** Cost of one report period, in the tariff's currency. */
export interface PeriodCost {
  appliances: Record<string, number>;
  /** The mains cost the appliances do not explain (0 when `other_kwh` is 0). */
  other: number;
  baseload: number;
  /** The mains cost: what the meter's energy cost. */
  total: number;
}

/** True when the tariff has time-of-use bands, so cost depends on when energy was used. */
export function hasTimeOfUse(tariff: Tariff): boolean {
  return tariff.bands.length > 0;
}

const MINUTE = 60_000;
/** Every zone offset in use is a multiple of 15 minutes and changes on a quarter hour (UTC). */
const QUARTER = 15 * MINUTE;

/**
 * Minute of the local day (0..1439) in an IANA zone at an instant (epoch ms); UTC when the zone is
 * unknown. The zone is asked once per quarter hour and the answer cached, so pricing 90 days
 * minute by minute costs about 9 000 look-ups rather than 130 000.
 */
export function zoneClock(timeZone: string): (ms: number) => number {
  const options = { hourCycle: 'h23', hour: 'numeric', minute: 'numeric' } as const;
  let fmt: Intl.DateTimeFormat;
  try {
    fmt = new Intl.DateTimeFormat('en-US', { ...options, timeZone });
  } catch {
    fmt = new Intl.DateTimeFormat('en-US', { ...options, timeZone: 'UTC' });
  }
  const cache = new Map<number, number>();
  return (ms) => {
    const block = Math.floor(ms / QUARTER);
    let start = cache.get(block);
    if (start === undefined) {
      const parts = fmt.formatToParts(block * QUARTER);
      const part = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
      start = ((part('hour') % 24) * 60 + part('minute')) % 1440;
      cache.set(block, start);
    }
    return (start + Math.floor((ms - block * QUARTER) / MINUTE)) % 1440;
  };
}

/** `zoneClock` in the shape tariff.ts's `costOf` takes. */
export function zoneMinuteOfDay(timeZone: string): MinuteOfDay {
  const clock = zoneClock(timeZone);
  return (d) => clock(d.getTime());
}

/** The tariff's price for each minute of the day, so pricing a minute is one array read. */
export function pricesByMinute(tariff: Tariff): Float64Array {
  const prices = new Float64Array(1440);
  for (let m = 0; m < 1440; m++) prices[m] = priceAtMinute(m, tariff);
  return prices;
}

/** Average price over [fromMs, toMs), minute by minute in local time. */
export function meanPrice(
  fromMs: number,
  toMs: number,
  prices: Float64Array,
  clock: (ms: number) => number,
): number {
  const minutes = Math.max(1, Math.round((toMs - fromMs) / MINUTE));
  let sum = 0;
  for (let i = 0; i < minutes; i++) sum += prices[clock(fromMs + i * MINUTE)]!;
  return sum / minutes;
}

/**
 * The cost of energy slices in a building's zone: each slice's energy spread evenly over its span
 * and priced minute by minute at the local rate (DST-safe, unlike a minute-of-day count from the
 * slice's start).
 */
export function costInZone(
  slices: readonly EnergySlice[],
  tariff: Tariff,
  timeZone: string,
): number {
  if (!hasTimeOfUse(tariff)) return slices.reduce((s, x) => s + x.kwh * tariff.pricePerKwh, 0);
  const prices = pricesByMinute(tariff);
  const clock = zoneClock(timeZone);
  return slices.reduce(
    (s, x) => s + x.kwh * meanPrice(x.start.getTime(), x.end.getTime(), prices, clock),
    0,
  );
}

type Period = EnergyResponse['periods'][number];

const zero = (p: Period): PeriodCost => ({
  appliances: Object.fromEntries(Object.keys(p.appliances).map((a) => [a, 0])),
  other: 0,
  baseload: 0,
  total: 0,
});

/** A running weighted mean: weight (kWh or ms) and weight times price. */
interface Mean {
  weight: number;
  priced: number;
}

const add = (m: Mean, weight: number, price: number) => {
  m.weight += weight;
  m.priced += weight * price;
};

/**
 * Cost per period of an energy report. A flat tariff needs no profile (kWh times the price). A
 * time-of-use tariff needs the hourly profile covering the periods and gives undefined without
 * it (unless no period has readings). Appliance costs plus Other's equal Total whenever their
 * kWh do: Other is priced as Total's cost less the appliances' (never negative), just as
 * `other_kwh` is Total's kWh less theirs.
 * Baseload, a constant draw, is priced at the mean price over the hours with mains data. A group
 * with kWh but no energy in the profile (a gap in it) is priced at the period's mean price. A
 * period without readings (coverage 0) costs 0.
 */
export function periodCosts(
  energy: Pick<EnergyResponse, 'periods' | 'timezone'>,
  tariff: Tariff,
  profile?: PowerProfile,
): PeriodCost[] | undefined {
  if (!hasTimeOfUse(tariff)) {
    const price = tariff.pricePerKwh;
    return energy.periods.map((p) =>
      p.coverage === 0
        ? zero(p)
        : {
            appliances: Object.fromEntries(
              Object.entries(p.appliances).map(([a, kwh]) => [a, kwh * price]),
            ),
            other: p.other_kwh * price,
            baseload: p.baseload_kwh * price,
            total: p.total_kwh * price,
          },
    );
  }
  // Periods without readings cost nothing, so they need no profile.
  if (!profile)
    return energy.periods.every((p) => p.coverage === 0) ? energy.periods.map(zero) : undefined;

  const prices = pricesByMinute(tariff);
  const clock = zoneClock(energy.timezone);
  const stepMs = profile.resolution_s * 1000;
  const buckets = profile.points
    .map((point) => ({ start: Date.parse(point.time), point }))
    .sort((a, b) => a.start - b.start);
  let first = 0;

  return energy.periods.map((p) => {
    if (p.coverage === 0) return zero(p);
    const from = Date.parse(p.start);
    const to = Date.parse(p.end);
    while (first < buckets.length && buckets[first]!.start + stepMs <= from) first++;

    const mains: Mean = { weight: 0, priced: 0 };
    const covered: Mean = { weight: 0, priced: 0 };
    const apps = new Map<string, Mean>();
    // A bucket straddling a period edge (zones offset by half hours) is split pro rata.
    for (let k = first; k < buckets.length && buckets[k]!.start < to; k++) {
      const { start, point } = buckets[k]!;
      const a = Math.max(start, from);
      const b = Math.min(start + stepMs, to);
      if (b <= a) continue;
      const share = (b - a) / stepMs;
      const price = meanPrice(a, b, prices, clock);
      if (point.power_w !== null) {
        add(mains, kwhOf(point.power_w, profile.resolution_s) * share, price);
        add(covered, b - a, price);
      }
      for (const [name, v] of Object.entries(point.appliances)) {
        let m = apps.get(name);
        if (!m) apps.set(name, (m = { weight: 0, priced: 0 }));
        add(m, kwhOf(v.power_w, profile.resolution_s) * share, price);
      }
    }

    let periodMean: number | undefined;
    const average = (m: Mean | undefined) =>
      m && m.weight > 0 ? m.priced / m.weight : (periodMean ??= meanPrice(from, to, prices, clock));

    const appliances = Object.fromEntries(
      Object.entries(p.appliances).map(([a, kwh]) => [a, kwh > 0 ? kwh * average(apps.get(a)) : 0]),
    );
    const total = p.total_kwh > 0 ? p.total_kwh * average(mains) : 0;
    const tracked = Object.values(appliances).reduce((s, c) => s + c, 0);
    return {
      appliances,
      other: p.other_kwh > 0 ? Math.max(0, total - tracked) : 0,
      baseload: p.baseload_kwh > 0 ? p.baseload_kwh * average(covered) : 0,
      total,
    };
  });
}
