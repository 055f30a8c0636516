/**
 * Tariff rules the schema cannot say, shared so the server refuses and the web app warns about
 * exactly the same tariffs. Pure; no I/O.
 */
import type { TariffBody } from './api.contracts.js';

/** The tariff a building has until someone sets one (the web app's long-standing default). */
export const DEFAULT_TARIFF: Required<TariffBody> = {
  currency: 'GBP',
  price_per_kwh: 0.25,
  bands: [],
  standing_charge_per_day: 0,
  export_price_per_kwh: 0,
  dynamic: null,
};

const MINUTES_PER_DAY = 1440;

/** Minutes after midnight of a strict 'HH:MM' (00:00-23:59); undefined otherwise. */
function clockMinutes(s: string): number | undefined {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(s);
  return m ? Number(m[1]) * 60 + Number(m[2]) : undefined;
}

/**
 * The minutes of the day a band covers: [start, end), wrapping midnight when end < start, the
 * whole day when end equals start.
 */
function coveredMinutes(start: number, end: number): boolean[] {
  const covered = new Array<boolean>(MINUTES_PER_DAY).fill(false);
  const length =
    end === start ? MINUTES_PER_DAY : (end - start + MINUTES_PER_DAY) % MINUTES_PER_DAY;
  for (let i = 0; i < length; i++) covered[(start + i) % MINUTES_PER_DAY] = true;
  return covered;
}

/**
 * The first problem with a tariff's bands, as a sentence for the person who entered them, or
 * null when there is none. Bands must not overlap: a minute of the day belongs to one band at
 * most (so a whole-day band, end equal to start, must be the only band).
 */
export function tariffBandsProblem(bands: readonly TariffBody['bands'][number][]): string | null {
  const spans: { label: string; minutes: boolean[] }[] = [];
  for (const [i, b] of bands.entries()) {
    const label = `"${b.name}" (${b.start}-${b.end})`;
    const start = clockMinutes(b.start);
    const end = clockMinutes(b.end);
    if (start === undefined || end === undefined)
      return `band ${i + 1} ${label} needs start and end times as HH:MM between 00:00 and 23:59`;
    const minutes = coveredMinutes(start, end);
    for (const other of spans) {
      const shared = minutes.findIndex((on, m) => on && other.minutes[m]);
      if (shared !== -1)
        return `bands ${other.label} and ${label} overlap; change their times so each minute of the day is in one band at most`;
    }
    spans.push({ label, minutes });
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// The price in force in a minute: dynamic > time-of-use band > flat. One rule for the server
// (cheapest hours) and the web app (every cost on every page and in CSV).

/** A stored dynamic price over [startMs, endMs) (epoch ms), per kWh in the tariff's currency. */
export interface PriceSlot {
  startMs: number;
  endMs: number;
  pricePerKwh: number;
}

/** The parts of a tariff that set the price of a kWh drawn, in the pricing maths' names. */
export interface PricingTariff {
  pricePerKwh: number;
  bands: readonly { start: string; end: string; pricePerKwh: number }[];
}

/** Which rule priced a minute. */
export type PriceSource = 'dynamic' | 'band' | 'flat';

const MINUTE_MS = 60_000;
/** Every zone offset in use is a multiple of 15 minutes and changes on a quarter hour (UTC). */
const QUARTER_MS = 15 * MINUTE_MS;

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
    const block = Math.floor(ms / QUARTER_MS);
    let start = cache.get(block);
    if (start === undefined) {
      const parts = fmt.formatToParts(block * QUARTER_MS);
      const part = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
      start = ((part('hour') % 24) * 60 + part('minute')) % MINUTES_PER_DAY;
      cache.set(block, start);
    }
    return (start + Math.floor((ms - block * QUARTER_MS) / MINUTE_MS)) % MINUTES_PER_DAY;
  };
}

/** Prices a minute by the rule: a stored dynamic price, else the band in force, else flat. */
export interface MinutePricer {
  /** The price per kWh in force in the minute that holds `ms`. */
  priceAt(ms: number): number;
  /** Which rule set that price. */
  sourceAt(ms: number): PriceSource;
  /** The mean price over [fromMs, toMs), minute by minute (at least one minute). */
  mean(fromMs: number, toMs: number): number;
  /** Minutes of [fromMs, toMs) that a dynamic price covers (the rest fell back). */
  dynamicMinutes(fromMs: number, toMs: number): number;
}

/**
 * The pricer of a tariff, its stored dynamic prices (any order; where two overlap, the one that
 * starts later wins) and the building's zone. A band covers [start, end) local minutes and may
 * wrap midnight; where bands overlap the first listed wins (the server refuses overlaps, so this
 * only matters while one is being edited); a band with a malformed time is ignored.
 */
export function minutePricer(
  tariff: PricingTariff,
  slots: readonly PriceSlot[],
  timeZone: string,
): MinutePricer {
  const byMinute = new Float64Array(MINUTES_PER_DAY).fill(tariff.pricePerKwh);
  const banded = new Uint8Array(MINUTES_PER_DAY);
  for (const b of tariff.bands) {
    const start = clockMinutes(b.start.trim().padStart(5, '0'));
    const end = clockMinutes(b.end.trim().padStart(5, '0'));
    if (start === undefined || end === undefined) continue;
    coveredMinutes(start, end).forEach((on, m) => {
      if (on && !banded[m]) {
        banded[m] = 1;
        byMinute[m] = b.pricePerKwh;
      }
    });
  }
  const clock = zoneClock(timeZone);
  const sorted = slots
    .filter((s) => s.endMs > s.startMs && Number.isFinite(s.pricePerKwh))
    .sort((a, b) => a.startMs - b.startMs);
  /** Index of the slot holding `ms`, or -1. */
  const slotAt = (ms: number): number => {
    let lo = 0;
    let hi = sorted.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid]!.startMs <= ms) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found >= 0 && ms < sorted[found]!.endMs ? found : -1;
  };
  const minuteStart = (ms: number) => Math.floor(ms / MINUTE_MS) * MINUTE_MS;
  const priceAt = (ms: number): number => {
    const at = minuteStart(ms);
    const i = slotAt(at);
    return i >= 0 ? sorted[i]!.pricePerKwh : byMinute[clock(at)]!;
  };
  const minutesOf = (fromMs: number, toMs: number) =>
    Math.max(1, Math.round((toMs - fromMs) / MINUTE_MS));
  return {
    priceAt,
    sourceAt(ms) {
      const at = minuteStart(ms);
      if (slotAt(at) >= 0) return 'dynamic';
      return banded[clock(at)] ? 'band' : 'flat';
    },
    mean(fromMs, toMs) {
      const n = minutesOf(fromMs, toMs);
      let sum = 0;
      for (let i = 0; i < n; i++) sum += priceAt(fromMs + i * MINUTE_MS);
      return sum / n;
    },
    dynamicMinutes(fromMs, toMs) {
      if (sorted.length === 0) return 0;
      const n = Math.max(0, Math.round((toMs - fromMs) / MINUTE_MS));
      let covered = 0;
      for (let i = 0; i < n; i++) if (slotAt(minuteStart(fromMs + i * MINUTE_MS)) >= 0) covered++;
      return covered;
    },
  };
}

/**
 * How many local days [fromMs, toMs) touches in the zone: the days a standing charge is due for.
 * A day is counted from its first minute, so a report's day, week or month period counts its
 * days exactly (23- and 25-hour days are one day each) and today so far counts one.
 */
export function localDaysTouched(fromMs: number, toMs: number, timeZone: string): number {
  if (!(toMs > fromMs)) return 0;
  const clock = zoneClock(timeZone);
  let days = 1;
  // A new local day starts where the clock jumps back by more than any DST change (<= 2 h);
  // zone offsets are quarter hours, so looking at each quarter-hour boundary finds every one,
  // also in zones whose clocks skip midnight itself.
  let q = Math.floor(fromMs / QUARTER_MS) * QUARTER_MS + QUARTER_MS;
  let prev = clock(q - QUARTER_MS);
  for (; q < toMs; q += QUARTER_MS) {
    const now = clock(q);
    if (prev - now > 720) days++;
    prev = now;
  }
  return days;
}

/** A stretch of time and the mean price over it. */
export interface PricedWindow {
  startMs: number;
  endMs: number;
  pricePerKwh: number;
}

/** The cheapest block and the hours of a day, cheapest first, and how much was dynamic. */
export interface CheapestHours {
  block: PricedWindow | null;
  hours: PricedWindow[];
  dynamicMinutes: number;
  minutes: number;
}

/**
 * The cheapest run of `blockHours` within [fromMs, toMs) (starts tried every half hour from the
 * day's start; the earliest wins a tie) and each hour of the window, cheapest first (a day of 23
 * or 25 hours has that many; a last part-hour in a zone with a half-hour DST change is its own
 * entry). Prices come from the pricer, so missing dynamic prices fall back to bands or flat, and
 * `dynamicMinutes` says how much did not.
 */
export function cheapestHours(
  pricer: MinutePricer,
  fromMs: number,
  toMs: number,
  blockHours: number,
): CheapestHours {
  const blockMs = Math.round(blockHours * 60) * MINUTE_MS;
  let block: PricedWindow | null = null;
  for (let s = fromMs; s + blockMs <= toMs; s += 30 * MINUTE_MS) {
    const price = pricer.mean(s, s + blockMs);
    if (!block || price < block.pricePerKwh - 1e-12)
      block = { startMs: s, endMs: s + blockMs, pricePerKwh: price };
  }
  const hours: PricedWindow[] = [];
  for (let s = fromMs; s < toMs; s += 60 * MINUTE_MS) {
    const e = Math.min(toMs, s + 60 * MINUTE_MS);
    hours.push({ startMs: s, endMs: e, pricePerKwh: pricer.mean(s, e) });
  }
  hours.sort((a, b) => a.pricePerKwh - b.pricePerKwh || a.startMs - b.startMs);
  return {
    block,
    hours,
    dynamicMinutes: pricer.dynamicMinutes(fromMs, toMs),
    minutes: Math.round((toMs - fromMs) / MINUTE_MS),
  };
}
