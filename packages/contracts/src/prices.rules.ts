/**
 * Dynamic price CSV rules: read a whole file of prices per half hour or hour (Octopus Agile
 * style) and check every row before anything is stored. Shared so the server refuses, and the
 * web app warns before uploading, exactly the same files. Pure; no I/O.
 *
 * Layout: a header naming `start` and `price_per_kwh` (any case, any order) and optionally
 * `end`; then one row per slot. Times are ISO 8601 with a zone (`Z` or `+01:00`) or epoch
 * seconds/ms; a price is per kWh in the tariff's currency (0.2415 for 24.15p), -10..100. Without
 * an `end` column every slot lasts the smallest step between two starts (15, 30 or 60 minutes),
 * so a missing row stays a gap rather than stretching its neighbour.
 */
import { parseImportTime } from './import.rules.js';
import type { PriceSlot } from './tariff.rules.js';

/** Most rows one file may hold (a year of half hours is 17 520). */
export const PRICE_CSV_MAX_ROWS = 20_000;
/** Slot lengths a file without an `end` column may have, in minutes. */
export const PRICE_SLOT_MINUTES = [15, 30, 60] as const;
/** Lowest and highest dynamic price per kWh accepted (Agile prices go negative at times). */
export const DYNAMIC_PRICE_MIN = -10;
export const DYNAMIC_PRICE_MAX = 100;

export type PriceCsvCheck =
  | { ok: true; slots: PriceSlot[]; slotMinutes: number }
  | {
      ok: false;
      /** 1-based line of the file (the header is line 1). */
      line: number;
      reason: string;
      /** One sentence for a person: where and what, and what to do. */
      message: string;
    };

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const MINUTE = 60_000;

/** Check a whole price CSV and read its slots, oldest first; refuses at the first bad row. */
export function checkPriceCsv(text: string): PriceCsvCheck {
  const fail = (line: number, reason: string): PriceCsvCheck => ({
    ok: false,
    line,
    reason,
    message: `line ${line}: ${reason}`,
  });
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const headerAt = lines.findIndex((l) => l.trim() !== '');
  if (headerAt < 0)
    return fail(1, 'the file is empty; send a header "start,price_per_kwh" and one row per slot');
  const header = lines[headerAt]!.split(',').map((c) =>
    c
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .toLowerCase(),
  );
  const col = (name: string) => header.indexOf(name);
  const iStart = col('start');
  const iPrice = col('price_per_kwh');
  const iEnd = col('end');
  if (iStart < 0 || iPrice < 0)
    return fail(
      headerAt + 1,
      `the header "${lines[headerAt]!.trim()}" needs the columns start and price_per_kwh (end is optional)`,
    );

  const rows: { line: number; start: number; end?: number; price: number }[] = [];
  for (let i = headerAt + 1; i < lines.length; i++) {
    const raw = lines[i]!;
    if (raw.trim() === '') continue;
    const line = i + 1;
    if (rows.length >= PRICE_CSV_MAX_ROWS)
      return fail(line, `more than ${PRICE_CSV_MAX_ROWS} rows; split the file by time`);
    const cells = raw.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
    if (cells.length !== header.length)
      return fail(line, `has ${cells.length} cells where the header has ${header.length}`);
    const start = parseImportTime(cells[iStart]!, false);
    if ('reason' in start) return fail(line, `start: ${start.reason}`);
    let end: number | undefined;
    if (iEnd >= 0) {
      const e = parseImportTime(cells[iEnd]!, false);
      if ('reason' in e) return fail(line, `end: ${e.reason}`);
      if (e.ms <= start.ms)
        return fail(line, `end ${cells[iEnd]} is not after start ${cells[iStart]}`);
      if (e.ms - start.ms > 24 * 60 * MINUTE)
        return fail(line, 'a slot longer than a day is not a dynamic price; use the flat price');
      end = e.ms;
    }
    const p = cells[iPrice]!;
    const price = NUMBER.test(p) ? Number(p) : NaN;
    if (!Number.isFinite(price) || price < DYNAMIC_PRICE_MIN || price > DYNAMIC_PRICE_MAX)
      return fail(
        line,
        `price_per_kwh "${p}" is not a price between ${DYNAMIC_PRICE_MIN} and ${DYNAMIC_PRICE_MAX} per kWh (write 0.2415 for 24.15p)`,
      );
    rows.push({ line, start: start.ms, end, price });
  }
  if (rows.length === 0)
    return fail(headerAt + 2, 'the file has a header but no prices; add one row per slot');

  const order = [...rows].sort((a, b) => a.start - b.start);
  let step = Infinity;
  for (let k = 1; k < order.length; k++) {
    const gap = order[k]!.start - order[k - 1]!.start;
    if (gap === 0)
      return fail(
        order[k]!.line,
        `start ${new Date(order[k]!.start).toISOString()} repeats line ${order[k - 1]!.line}`,
      );
    step = Math.min(step, gap);
  }
  if (iEnd < 0) {
    if (order.length === 1)
      return fail(order[0]!.line, 'one row cannot say how long its slot is; add an end column');
    if (!PRICE_SLOT_MINUTES.some((m) => m * MINUTE === step))
      return fail(
        order.find((r, k) => k > 0 && r.start - order[k - 1]!.start === step)!.line,
        `starts ${step / MINUTE} minutes apart; slots must be ${PRICE_SLOT_MINUTES.join(', ')} minutes long, or add an end column`,
      );
  }
  const slots: PriceSlot[] = order.map((r) => ({
    startMs: r.start,
    endMs: r.end ?? r.start + step,
    pricePerKwh: r.price,
  }));
  for (let k = 1; k < slots.length; k++)
    if (slots[k]!.startMs < slots[k - 1]!.endMs)
      return fail(
        order[k]!.line,
        `its slot overlaps line ${order[k - 1]!.line}'s; slots must not overlap`,
      );
  return { ok: true, slots, slotMinutes: (slots[0]!.endMs - slots[0]!.startMs) / MINUTE };
}
