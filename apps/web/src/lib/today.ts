/**
 * Today's window and cost: pure helpers for the dashboard's "Today" panel, and the building's
 * wall clock (zonedClock, zonedTime) that Compare's weeks and months are counted on.
 */
import type { ReadingsResponse } from '@nilm/contracts';
import { costInZone, hasTimeOfUse } from './pricing.js';
import { kwhOf, type EnergySlice, type Tariff } from './tariff.js';

function zoneFormat(timeZone: string): Intl.DateTimeFormat {
  const options = {
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  } as const;
  try {
    return new Intl.DateTimeFormat('en-US', { ...options, timeZone });
  } catch {
    return new Intl.DateTimeFormat('en-US', { ...options, timeZone: 'UTC' });
  }
}

/** Local wall-clock fields of an instant in a zone. */
function wallClock(fmt: Intl.DateTimeFormat, ms: number) {
  const parts = fmt.formatToParts(ms);
  const n = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return {
    y: n('year'),
    m: n('month'),
    d: n('day'),
    h: n('hour') % 24,
    mi: n('minute'),
    s: n('second'),
  };
}

/** The zone's offset from UTC at an instant, in ms (local wall clock minus UTC). */
function offsetAt(fmt: Intl.DateTimeFormat, ms: number): number {
  const w = wallClock(fmt, ms);
  return Date.UTC(w.y, w.m - 1, w.d, w.h, w.mi, w.s) - Math.floor(ms / 1000) * 1000;
}

/** A local calendar date and time of day; `weekday` 0 is Monday. */
export interface ZonedClock {
  y: number;
  m: number;
  d: number;
  h: number;
  mi: number;
  weekday: number;
}

/** The wall clock of `now` in an IANA zone (UTC when the zone is unknown). */
export function zonedClock(now: Date, timeZone: string): ZonedClock {
  const w = wallClock(zoneFormat(timeZone), now.getTime());
  return { ...w, weekday: (new Date(Date.UTC(w.y, w.m - 1, w.d)).getUTCDay() + 6) % 7 };
}

/**
 * The instant (ms) a local wall-clock time happens in an IANA zone. Out-of-range fields roll
 * over as in `Date.UTC` (day 0 is the last of the month before, d - 7 is a week earlier), so
 * callers do calendar arithmetic on the fields. The offset is taken at the answer itself, so a
 * time on the far side of a summer-time change is right.
 */
export function zonedTime(
  y: number,
  m: number,
  d: number,
  h: number,
  mi: number,
  timeZone: string,
) {
  const fmt = zoneFormat(timeZone);
  const wall = Date.UTC(y, m - 1, d, h, mi);
  // Two passes: the offset at the first guess may differ from the one at the answer (DST).
  const guess = wall - offsetAt(fmt, wall);
  return wall - offsetAt(fmt, guess);
}

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

/** Grid import (the mains where no import is measured) as energy slices, one per bucket. */
export function slicesOf(res: Pick<ReadingsResponse, 'points' | 'resolution_s'>): EnergySlice[] {
  return res.points.flatMap((p) => {
    // What the bill counts: grid import where the meter measures it, else the mains.
    const watts = p.grid?.import_w ?? p.power_w;
    if (watts === null) return [];
    const start = new Date(p.time);
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
  readings: Pick<ReadingsResponse, 'points' | 'resolution_s'> | undefined,
  timeZone: string,
  exportKwh = 0,
): number | undefined {
  const extras = (tariff.standingChargePerDay ?? 0) - exportKwh * (tariff.exportPricePerKwh ?? 0);
  if (!hasTimeOfUse(tariff)) return kwh * tariff.pricePerKwh + extras;
  return readings ? costInZone(slicesOf(readings), tariff, timeZone) + extras : undefined;
}
