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

/** The zone's offset at an instant (ms, whole seconds), from the zone's formatter. */
function formattedOffsetMs(ms: number, timeZone: string): number {
  const parts = formatOf(timeZone).formatToParts(ms);
  const n = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const wall = Date.UTC(
    n('year'),
    n('month') - 1,
    n('day'),
    n('hour') % 24,
    n('minute'),
    n('second'),
  );
  return wall - Math.floor(ms / 1000) * 1000;
}

/** Offsets are remembered per aligned quarter hour of UTC time, per zone. */
const QUARTER_MS = 900_000;
/** Quarters remembered per zone before its memo starts afresh (about 8 MB). */
const MAX_QUARTERS = 100_000;
const quarterOffsets = new Map<string, Map<number, number>>();

/**
 * The zone's offset from UTC at an instant, in ms (local wall clock minus UTC). A formatter call
 * costs several microseconds and a year of daily energy needs about 1,500 of them, so each
 * quarter hour's offset is remembered once the zone's offset is the same at both its ends (every
 * transition since 1972 is at least hours from the next); a quarter with a transition inside it
 * (some happened at 00:01 local time) is asked of the formatter every time.
 */
export function zoneOffsetMs(ms: number, timeZone: string): number {
  const quarter = Math.floor(ms / QUARTER_MS);
  let known = quarterOffsets.get(timeZone);
  const memo = known?.get(quarter);
  if (memo !== undefined) return memo;
  const start = quarter * QUARTER_MS;
  const first = formattedOffsetMs(start, timeZone);
  if (first !== formattedOffsetMs(start + QUARTER_MS - 1000, timeZone))
    return formattedOffsetMs(ms, timeZone);
  if (!known || known.size >= MAX_QUARTERS) quarterOffsets.set(timeZone, (known = new Map()));
  known.set(quarter, first);
  return first;
}

/** The wall clock of an instant (ms, or a Date) in an IANA zone. */
export function zonedClock(at: number | Date, timeZone: string): ZonedClock {
  const ms = typeof at === 'number' ? at : at.getTime();
  const local = new Date(Math.floor(ms / 1000) * 1000 + zoneOffsetMs(ms, timeZone));
  const y = local.getUTCFullYear();
  const m = local.getUTCMonth() + 1;
  const d = local.getUTCDate();
  return {
    y,
    m,
    d,
    h: local.getUTCHours(),
    mi: local.getUTCMinutes(),
    s: local.getUTCSeconds(),
    weekday: (local.getUTCDay() + 6) % 7,
  };
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
