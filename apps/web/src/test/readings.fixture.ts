// Test support: readings in the columnar shape the API answers (`?shape=columns`, ReadingsColumns
// of @nilm/contracts), built from a list of buckets as a test reads best (time, mains, the
// appliances with an estimate, grid), so a fake server answers what the real one does.
import type { ReadingsColumns } from '@nilm/contracts';

/** One bucket: its start, mains (null: none), the appliances estimated in it, grid measurements. */
export interface Bucket {
  time: string;
  power_w: number | null;
  appliances?: Record<string, { power_w: number; on_prob: number }>;
  grid?: {
    import_w: number | null;
    export_w: number | null;
    production_w: number | null;
    phases_w?: number[];
  };
}

/**
 * `buckets` as ReadingsColumns. `appliances` defaults to every appliance named in a bucket, in
 * order of appearance; `start`/`end` to the first bucket's start and the last one's end.
 */
export function columnsOf(
  buckets: readonly Bucket[],
  meta: Partial<Omit<ReadingsColumns, 'shape' | 'time_ms' | 'power_w' | 'grid'>> = {},
): ReadingsColumns {
  const resolution = meta.resolution_s ?? 60;
  const names = meta.appliances ?? [
    ...new Set(buckets.flatMap((b) => Object.keys(b.appliances ?? {}))),
  ];
  const series = (f: (b: Bucket) => number | null) => buckets.map(f);
  const times = buckets.map((b) => Date.parse(b.time));
  const out: ReadingsColumns = {
    building_id: meta.building_id ?? 'home',
    start: meta.start ?? new Date(times[0] ?? 0).toISOString(),
    end: meta.end ?? new Date((times.at(-1) ?? 0) + resolution * 1000).toISOString(),
    resolution_s: resolution,
    shape: 'columns',
    appliances: names,
    estimate_coverage: meta.estimate_coverage ?? 1,
    time_ms: times,
    power_w: series((b) => b.power_w),
    appliance_power_w: Object.fromEntries(
      names.map((a) => [a, series((b) => b.appliances?.[a]?.power_w ?? null)]),
    ),
    appliance_on_prob: Object.fromEntries(
      names.map((a) => [a, series((b) => b.appliances?.[a]?.on_prob ?? null)]),
    ),
  };
  if (buckets.some((b) => b.grid))
    out.grid = {
      import_w: series((b) => b.grid?.import_w ?? null),
      export_w: series((b) => b.grid?.export_w ?? null),
      production_w: series((b) => b.grid?.production_w ?? null),
      phases_w: buckets.map((b) => b.grid?.phases_w ?? null),
    };
  return out;
}
