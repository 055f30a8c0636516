/**
 * What the readings answer cache and the energy report's day cache share about the stores'
 * rollup rows (`readRollupRows`): the UTC day and quarter-hour grid they fingerprint ranges on,
 * and one row as text in an order that does not depend on the store's.
 */
import type { RollupRow } from '@nilm/stores';

export const DAY_MS = 86_400_000;
export const QUARTER_MS = 900_000;

/** `t` rounded down / up to a multiple of `size`. */
export const floorTo = (t: number, size: number): number => t - (((t % size) + size) % size);
export const ceilTo = (t: number, size: number): number => -floorTo(-t, size);

/** One rollup row as text: its bucket, series and every value. */
export const rowText = (r: RollupRow): string =>
  `${r.bucket}\u0001${r.kind}\u0001${r.appliance}\u0001${r.values.join('\u0001')}`;

/** Order of rows by bucket, then series, so their text does not depend on the store's order. */
export const byBucketThenSeries = (a: RollupRow, b: RollupRow): number =>
  a.bucket - b.bucket ||
  (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0) ||
  (a.appliance < b.appliance ? -1 : a.appliance > b.appliance ? 1 : 0);
