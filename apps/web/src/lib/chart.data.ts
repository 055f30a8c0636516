/**
 * Shapes API readings (the columnar answer, lib/readings.columns.ts) into recharts rows for the
 * stacked power chart, and picks the query for a chosen range. Pure: no React, no fetch.
 */
import type { ReadingsColumns } from './readings.columns.js';

export type RangeKey = '1h' | '24h' | '7d' | '30d';
export const RANGES: readonly RangeKey[] = ['1h', '24h', '7d', '30d'];

/** The series key for mains power the appliances do not explain. */
export const OTHER = 'other';

/** One chart row: epoch ms `t`, then watts per series; null where there is no data (a gap). */
export type ChartRow = { t: number } & Record<string, number | null>;

/**
 * The row key that opens a stretch without readings: the row sits at the stretch's start with
 * every series null (so the line breaks there) and this key holds the stretch's end, epoch ms.
 * The chart draws a hatched "No readings" band from `t` to it. Not an appliance name (those
 * are the model's snake_case heads), so it never collides with a series.
 */
export const NO_READINGS_UNTIL = '__no_readings_until';

/** A stretch without mains readings: epoch ms, `from` inclusive, `to` exclusive. */
export interface Gap {
  from: number;
  to: number;
}

export interface StackedChartData {
  /** Series in stacking order: appliances as the API lists them, then `other`. */
  series: string[];
  /** Rows in time order, with a marker row opening each gap (`NO_READINGS_UNTIL`). */
  rows: ChartRow[];
  /** The stretches without readings, oldest first. */
  gaps: Gap[];
}

/** What the chart needs of a readings response: its range and bucket size as well as series. */
export type ChartReadings = Pick<
  ReadingsColumns,
  'appliances' | 'time_ms' | 'power_w' | 'appliance_power_w' | 'start' | 'end' | 'resolution_s'
>;

/** What the gaps need: the times, mains power and the range with its bucket size. */
type GapReadings = Pick<ChartReadings, 'time_ms' | 'power_w' | 'start' | 'end' | 'resolution_s'>;

/** A range from a URL parameter; 24h when absent or unknown. */
export function parseRange(s: string | null): RangeKey {
  return RANGES.find((r) => r === s) ?? '24h';
}

/**
 * The stretches of [startMs, endMs) without readings. The API cuts time into buckets of `stepMs`
 * aligned to the epoch (UTC, so daylight saving never shifts them) and leaves buckets without
 * readings out; `times` are the starts of the buckets that have them, ascending. A gap is two or
 * more missing buckets in a row: a single one is a meter's jitter (a reading every 70 s at
 * 1-minute buckets), and the bucket holding `endMs` may still be waiting for its first reading.
 * Gaps at either edge of the range count, clipped to it.
 */
export function findGaps(
  times: readonly number[],
  startMs: number,
  endMs: number,
  stepMs: number,
): Gap[] {
  if (!(stepMs > 0) || !(endMs > startMs)) return [];
  const first = Math.floor(startMs / stepMs) * stepMs;
  const last = Math.floor((endMs - 1) / stepMs) * stepMs;
  const gaps: Gap[] = [];
  // The bucket before the range counts as read, so a gap at the start begins at `startMs`.
  let prev = first - stepMs;
  const close = (next: number, to: number) => {
    if (Math.round((next - prev) / stepMs) - 1 >= 2)
      gaps.push({ from: Math.max(startMs, prev + stepMs), to });
  };
  for (const t of times) {
    if (t < first || t > last || t <= prev) continue;
    close(t, t);
    prev = t;
  }
  // As if the bucket after `last` had readings: a gap at the end runs to `endMs`.
  close(last + stepMs, endMs);
  return gaps;
}

/** The gaps in a readings response: buckets without mains power, as the chart shows them. */
export function readingGaps(res: GapReadings): Gap[] {
  const times = res.time_ms.filter((_, i) => res.power_w[i] !== null);
  return findGaps(times, Date.parse(res.start), Date.parse(res.end), res.resolution_s * 1000);
}

/** Share of [start, end) that had readings, 0..1, from the response's gaps (1 when none). */
export function readingsCoverage(res: GapReadings): number {
  const span = Date.parse(res.end) - Date.parse(res.start);
  const n = res.time_ms.length;
  if (!(span > 0) || n === 0) return n === 0 ? 0 : 1;
  const missing = readingGaps(res).reduce((sum, g) => sum + (g.to - g.from), 0);
  return Math.max(0, 1 - missing / span);
}

/**
 * Chart rows for the buckets (`values` of bucket i), broken at each gap. Before a gap, a copy of the last row at the
 * gap's start carries its value through its own bucket (a step chart ends each step at the next
 * row); then a marker row with every series null, so recharts (connectNulls off) breaks the line
 * instead of drawing flat power across the stretch. Points inside a gap (estimates without
 * mains) are left out, and a gap at the end gets a null row at its end so the axis reaches it.
 */
function rowsWithGaps(
  res: ChartReadings,
  series: readonly string[],
  values: (i: number) => Record<string, number | null>,
): { rows: ChartRow[]; gaps: Gap[] } {
  if (res.time_ms.length === 0) return { rows: [], gaps: [] };
  const gaps = readingGaps(res);
  const nulls = Object.fromEntries(series.map((s) => [s, null])) as Record<string, null>;
  const rows: ChartRow[] = [];
  let prev: ChartRow | undefined;
  let g = 0;
  const open = (gap: Gap) => {
    if (prev && prev.t < gap.from) rows.push({ ...prev, t: gap.from });
    rows.push({ t: gap.from, ...nulls, [NO_READINGS_UNTIL]: gap.to } as ChartRow);
    prev = undefined;
  };
  res.time_ms.forEach((t, i) => {
    while (g < gaps.length && gaps[g]!.from <= t) open(gaps[g++]!);
    if (g > 0 && t < gaps[g - 1]!.to) return;
    prev = { t, ...values(i) } as ChartRow;
    rows.push(prev);
  });
  while (g < gaps.length) {
    const gap = gaps[g++]!;
    open(gap);
    rows.push({ t: gap.to, ...nulls } as ChartRow);
  }
  return { rows, gaps };
}

/**
 * Turns readings into stacked rows. An appliance without an estimate in a bucket is null (no estimate
 * yet), not zero, so the chart shows a gap rather than a false "off". `other` is mains minus
 * the appliances' sum, never negative, and null when mains is missing. Stretches without
 * readings break the chart (see `findGaps`).
 */
export function toStackedRows(res: ChartReadings): StackedChartData {
  const series = [...res.appliances, OTHER];
  const { rows, gaps } = rowsWithGaps(res, series, (i) => {
    const row: Record<string, number | null> = {};
    let sum = 0;
    for (const name of res.appliances) {
      const v = res.appliance_power_w[name]?.[i] ?? null;
      row[name] = v;
      if (v !== null) sum += v;
    }
    const mains = res.power_w[i] ?? null;
    row[OTHER] = mains === null ? null : Math.max(0, mains - sum);
    return row;
  });
  return { series, rows, gaps };
}

/** Rows of one appliance's power (null where it has no estimate), broken at gaps like `toStackedRows`. */
export function applianceRows(res: ChartReadings, name: string): { rows: ChartRow[]; gaps: Gap[] } {
  return rowsWithGaps(res, [name], (i) => ({ [name]: res.appliance_power_w[name]?.[i] ?? null }));
}

/** The gaps a chart's rows mark (`NO_READINGS_UNTIL`), for drawing their bands. */
export function markedGaps(rows: readonly ChartRow[]): Gap[] {
  return rows.flatMap((r) => {
    const to = r[NO_READINGS_UNTIL];
    return typeof to === 'number' && to > r.t ? [{ from: r.t, to }] : [];
  });
}

/** The readings query for a range: relative start and as many points as the chart is wide. */
export function rangeQuery(range: RangeKey, chartWidthPx: number) {
  const points = Math.min(20_000, Math.max(10, Math.round(chartWidthPx)));
  return { start: `-${range}`, resolution: 'auto' as const, points };
}

/** Rounds a measured width so small resizes do not refetch (steps of 50 px, at least 100). */
export function widthBucket(px: number): number {
  return Math.max(100, Math.round(px / 50) * 50);
}
