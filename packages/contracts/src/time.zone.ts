/**
 * A building's wall clock, shared by the server (energy periods, prices, discovery) and the web
 * app (today, Compare's weeks and months, report rows), so both count days the same way: the
 * local calendar fields of an instant in an IANA zone, and the instant of a local wall-clock
 * time, right across summer-time changes. An unknown zone counts as UTC (the server refuses one
 * when a building is saved; this keeps an old or hand-edited value from breaking a page).
 */

/** A local calendar date and time of day; `weekday` 0 is Monday. */
export interface ZonedClock {
  y: number;
  m: number;
  d: number;
  h: number;
  mi: number;
  s: number;
  weekday: number;
}

const formats = new Map<string, Intl.DateTimeFormat>();

/** One formatter per zone (they are costly to make, and cheap to reuse). */
function formatOf(timeZone: string): Intl.DateTimeFormat {
  let fmt = formats.get(timeZone);
  if (fmt) return fmt;
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
    fmt = new Intl.DateTimeFormat('en-US', { ...options, timeZone });
  } catch {
    fmt = new Intl.DateTimeFormat('en-US', { ...options, timeZone: 'UTC' });
  }
  formats.set(timeZone, fmt);
  return fmt;
}

/** The wall clock of an instant (ms, or a Date) in an IANA zone. */
export function zonedClock(at: number | Date, timeZone: string): ZonedClock {
  const ms = typeof at === 'number' ? at : at.getTime();
  const parts = formatOf(timeZone).formatToParts(ms);
  const n = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const y = n('year');
  const m = n('month');
  const d = n('day');
  return {
    y,
    m,
    d,
    h: n('hour') % 24,
    mi: n('minute'),
    s: n('second'),
    weekday: (new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7,
  };
}

/** The zone's offset from UTC at an instant, in ms (local wall clock minus UTC). */
export function zoneOffsetMs(ms: number, timeZone: string): number {
  const w = zonedClock(ms, timeZone);
  return Date.UTC(w.y, w.m - 1, w.d, w.h, w.mi, w.s) - Math.floor(ms / 1000) * 1000;
}

/**
 * The instant (ms) a local wall-clock time happens in an IANA zone. Out-of-range fields roll
 * over as in `Date.UTC` (day 0 is the last of the month before, d - 7 is a week earlier), so
 * callers do calendar arithmetic on the fields. The offset is taken at the answer itself, so a
 * time on the far side of a summer-time change is right; a time the clocks skip (spring
 * forward) comes out as the instant the clocks show the hour after.
 */
export function zonedTime(
  y: number,
  m: number,
  d: number,
  h: number,
  mi: number,
  timeZone: string,
): number {
  const wall = Date.UTC(y, m - 1, d, h, mi);
  // Two passes: the offset at the first guess may differ from the one at the answer (DST).
  const guess = wall - zoneOffsetMs(wall, timeZone);
  return wall - zoneOffsetMs(guess, timeZone);
}

/** The instant of local midnight that starts calendar day y-m-d in the zone. */
export function zonedMidnight(y: number, m: number, d: number, timeZone: string): number {
  return zonedTime(y, m, d, 0, 0, timeZone);
}

/** The local calendar date ('YYYY-MM-DD') of an instant in the zone. */
export function zonedDate(at: number | Date, timeZone: string): string {
  const w = zonedClock(at, timeZone);
  const two = (v: number): string => String(v).padStart(2, '0');
  return `${String(w.y).padStart(4, '0')}-${two(w.m)}-${two(w.d)}`;
}
