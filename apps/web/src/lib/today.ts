/**
 * Today's window and cost: pure helpers for the dashboard's "Today" panel (the building's wall
 * clock is @nilm/contracts' time.zone.ts, shared with the server).
 */
import { zonedClock, zonedTime } from '@nilm/contracts';
import { costInZone, hasTimeOfUse } from './pricing.js';
import type { ReadingsColumns } from './readings.columns.js';
import { kwhOf, type EnergySlice, type Tariff } from './tariff.js';

/**
 * The instant (ISO, UTC) of local midnight that starts the day containing `now` in an IANA zone
 * (UTC when the zone is unknown): the building's "today", as the API's energy periods count it.
 * The offset is taken at midnight itself, so a day that changes to or from summer time starts at
 * the right instant.
 */
export function startOfZonedDay(now: Date, timeZone: string): string {
  const w = zonedClock(now, timeZone);
  return new Date(zonedTime(w.y, w.m, w.d, 0, 0, timeZone)).toISOString();
}

/** What the bill needs of readings: the buckets' times, mains and grid import. */
export type BillReadings = Pick<ReadingsColumns, 'time_ms' | 'power_w' | 'grid' | 'resolution_s'>;

/** Grid import (the mains where no import is measured) as energy slices, one per bucket. */
export function slicesOf(res: BillReadings): EnergySlice[] {
  return res.time_ms.flatMap((t, i) => {
    // What the bill counts: grid import where the meter measures it, else the mains.
    const watts = res.grid?.import_w[i] ?? res.power_w[i] ?? null;
    if (watts === null) return [];
    const start = new Date(t);
    return [
      {
        start,
        end: new Date(start.getTime() + res.resolution_s * 1000),
        kwh: kwhOf(watts, res.resolution_s),
      },
    ];
  });
}

/**
 * Today's bill so far, priced as the Reports page's Bill: `kwh` (grid import, or the mains where
 * the meter measures no import) x price for a flat tariff; under time-of-use or dynamic prices
 * each bucket's import is priced at the price in force in that minute in the building's zone.
 * Today's standing charge is added and what `exportKwh` earned at the export price taken off.
 */
export function todayCost(
  kwh: number,
  tariff: Tariff,
  readings: BillReadings | undefined,
  timeZone: string,
  exportKwh = 0,
): number | undefined {
  const extras = (tariff.standingChargePerDay ?? 0) - exportKwh * (tariff.exportPricePerKwh ?? 0);
  if (!hasTimeOfUse(tariff)) return kwh * tariff.pricePerKwh + extras;
  return readings ? costInZone(slicesOf(readings), tariff, timeZone) + extras : undefined;
}
