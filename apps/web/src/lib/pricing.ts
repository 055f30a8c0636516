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
import type { EnergyResponse } from '@nilm/contracts';
import { localDaysTouched, minutePricer, zoneClock, type MinutePricer } from '@nilm/contracts';
import type { ReadingsColumns } from './readings.columns.js';
import { kwhOf, type EnergySlice, type MinuteOfDay, type Tariff } from './tariff.js';

export { zoneClock };

/** Mean power per bucket (`/readings` columns and bucket size), hourly or finer. */
export type PowerProfile = Pick<
  ReadingsColumns,
  'time_ms' | 'power_w' | 'appliance_power_w' | 'resolution_s'
>;

/** Cost of one report period, in the tariff's currency. */
export interface PeriodCost {
  appliances: Record<string, number>;
  /** The mains cost the appliances do not explain (0 when `other_kwh` is 0). */
  other: number;
  baseload: number;
  /** The mains cost: what the meter's energy cost. */
  total: number;
  /** The standing charge for the period's local days (0 without one). */
  standing?: number;
  /** What exported energy earned at the export price (0 without export or a price). */
  exportCredit?: number;
  /**
   * The period's bill: grid import (or, where the meter measures no import, the mains total)
   * priced minute by minute, plus the standing charge, less the export credit.
   */
  bill?: number;
}

/**
 * True when the price depends on when energy was used: time-of-use bands, or dynamic prices
 * loaded for the span.
 */
export function hasTimeOfUse(tariff: Tariff): boolean {
  return tariff.bands.length > 0 || (tariff.slots?.length ?? 0) > 0;
}

/** The one pricing rule of server and web (dynamic > band > flat), for a tariff in a zone. */
export function pricerOf(tariff: Tariff, timeZone: string): MinutePricer {
  return minutePricer(tariff, tariff.slots ?? [], timeZone);
}

/** `zoneClock` in the shape tariff.ts's `costOf` takes. */
export function zoneMinuteOfDay(timeZone: string): MinuteOfDay {
  const clock = zoneClock(timeZone);
  return (d) => clock(d.getTime());
}

/**
 * The cost of energy slices in a building's zone: each slice's energy spread evenly over its span
 * and priced minute by minute at the price in force (dynamic, band or flat; DST-safe).
 */
export function costInZone(
  slices: readonly EnergySlice[],
  tariff: Tariff,
  timeZone: string,
): number {
  if (!hasTimeOfUse(tariff)) return slices.reduce((s, x) => s + x.kwh * tariff.pricePerKwh, 0);
  const pricer = pricerOf(tariff, timeZone);
  return slices.reduce((s, x) => s + x.kwh * pricer.mean(x.start.getTime(), x.end.getTime()), 0);
}

/** The standing charge due for [fromMs, toMs): one day's charge per local day it touches. */
export function standingCharge(
  fromMs: number,
  toMs: number,
  tariff: Tariff,
  timeZone: string,
): number {
  const perDay = tariff.standingChargePerDay ?? 0;
  return perDay > 0 ? perDay * localDaysTouched(fromMs, toMs, timeZone) : 0;
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
 * A period's standing charge, export credit and bill. Grid import is priced at the mains'
 * energy-weighted mean price (import happens while the home draws); a meter that measures no
 * import leaves the mains total as the import.
 */
function billOf(
  p: Period,
  importPrice: number,
  tariff: Tariff,
  timeZone: string,
): Pick<PeriodCost, 'standing' | 'exportCredit' | 'bill'> {
  const standing = standingCharge(Date.parse(p.start), Date.parse(p.end), tariff, timeZone);
  const exportCredit = (p.export_kwh ?? 0) * (tariff.exportPricePerKwh ?? 0);
  const imported = p.import_kwh ?? p.total_kwh;
  return { standing, exportCredit, bill: imported * importPrice + standing - exportCredit };
}

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
            ...billOf(p, price, tariff, energy.timezone),
          },
    );
  }
  // Periods without readings cost nothing, so they need no profile.
  if (!profile)
    return energy.periods.every((p) => p.coverage === 0) ? energy.periods.map(zero) : undefined;

  const pricer = pricerOf(tariff, energy.timezone);
  const stepMs = profile.resolution_s * 1000;
  // Bucket indexes in time order (the API sends them so; a profile built elsewhere may not).
  const buckets = profile.time_ms
    .map((start, i) => ({ start, i }))
    .sort((a, b) => a.start - b.start);
  const appliancePower = Object.entries(profile.appliance_power_w);
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
      const { start, i } = buckets[k]!;
      const a = Math.max(start, from);
      const b = Math.min(start + stepMs, to);
      if (b <= a) continue;
      const share = (b - a) / stepMs;
      const price = pricer.mean(a, b);
      const watts = profile.power_w[i] ?? null;
      if (watts !== null) {
        add(mains, kwhOf(watts, profile.resolution_s) * share, price);
        add(covered, b - a, price);
      }
      for (const [name, series] of appliancePower) {
        const w = series[i] ?? null;
        if (w === null) continue;
        let m = apps.get(name);
        if (!m) apps.set(name, (m = { weight: 0, priced: 0 }));
        add(m, kwhOf(w, profile.resolution_s) * share, price);
      }
    }

    let periodMean: number | undefined;
    const average = (m: Mean | undefined) =>
      m && m.weight > 0 ? m.priced / m.weight : (periodMean ??= pricer.mean(from, to));

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
      ...billOf(p, average(mains), tariff, energy.timezone),
    };
  });
}
