/**
 * Tariff rules the schema cannot say, shared so the server refuses and the web app warns about
 * exactly the same tariffs. Pure; no I/O.
 */
import type { TariffBody } from './api.contracts.js';

/** The tariff a building has until someone sets one (the web app's long-standing default). */
export const DEFAULT_TARIFF: TariffBody = { currency: 'GBP', price_per_kwh: 0.25, bands: [] };

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
