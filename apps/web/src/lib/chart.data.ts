/**
 * Shapes API readings into recharts rows for the stacked power chart, and picks the query for
 * a chosen range. Pure: no React, no fetch.
 */
import type { ReadingsResponse } from '@nilm/contracts';

export type RangeKey = '1h' | '24h' | '7d' | '30d';
export const RANGES: readonly RangeKey[] = ['1h', '24h', '7d', '30d'];

/** The series key for mains power the appliances do not explain. */
export const OTHER = 'other';

/** One chart row: epoch ms `t`, then watts per series; null where there is no data (a gap). */
export type ChartRow = { t: number } & Record<string, number | null>;

export interface StackedChartData {
  /** Series in stacking order: appliances as the API lists them, then `other`. */
  series: string[];
  rows: ChartRow[];
}

/** A range from a URL parameter; 24h when absent or unknown. */
export function parseRange(s: string | null): RangeKey {
  return RANGES.find((r) => r === s) ?? '24h';
}

/**
 * Turns readings into stacked rows. An appliance missing from a point is null (no estimate
 * yet), not zero, so the chart shows a gap rather than a false "off". `other` is mains minus
 * the appliances' sum, never negative, and null when mains is missing.
 */
export function toStackedRows(
  res: Pick<ReadingsResponse, 'appliances' | 'points'>,
): StackedChartData {
  const series = [...res.appliances, OTHER];
  const rows = res.points.map((p) => {
    const row: ChartRow = { t: Date.parse(p.time) } as ChartRow;
    let sum = 0;
    for (const name of res.appliances) {
      const v = p.appliances[name];
      row[name] = v ? v.power_w : null;
      if (v) sum += v.power_w;
    }
    row[OTHER] = p.power_w === null ? null : Math.max(0, p.power_w - sum);
    return row;
  });
  return { series, rows };
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
