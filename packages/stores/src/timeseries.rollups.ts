/**
 * Which part of a bucket read comes from which rollup, shared by the time-series stores that
 * keep rollups: sums and counts of the mains and of each appliance's estimates per 15 min, 1 h
 * and 1 d bucket, so a month or a year of buckets reads a few thousand rows instead of every
 * minute. A mean is the summed sums over the summed counts, so a bucket read from rollups is the
 * mean over its raw points (up to floating-point summation order).
 */

/** Rollup bucket sizes in seconds, finest first; each divides the next. */
export const ROLLUP_LEVELS = [900, 3600, 86_400] as const;
export type RollupLevel = (typeof ROLLUP_LEVELS)[number];

/** A [from, to) range of bucket starts (rollups) or times (minute data), in ms. */
export interface Span {
  from: number;
  to: number;
}

/** Where each part of a bucket read comes from: the minute data and each rollup level. */
export interface BucketPlan {
  base: Span[];
  rollups: Array<{ level: RollupLevel; span: Span }>;
}

/** `t` rounded down to a multiple of `size` from the epoch (negative times too). */
export const floorTo = (t: number, size: number): number => t - (((t % size) + size) % size);
const ceilTo = (t: number, size: number): number => -floorTo(-t, size);

/**
 * Split [startMs, endMs) for buckets of `size` ms: the aligned middle from the coarsest rollup
 * whose size divides `size` and that has a whole bucket in the range, each ragged end from the
 * next finer level down to the minute data (all of it from the minute data when `rollups` is
 * false). Every rollup bucket read lies wholly inside the range and inside one requested
 * bucket, so summing its sums and counts is exact.
 */
export function planBuckets(
  startMs: number,
  endMs: number,
  size: number,
  rollups: boolean,
): BucketPlan {
  const levels = rollups
    ? ROLLUP_LEVELS.filter(
        (l) => size % (l * 1000) === 0 && ceilTo(startMs, l * 1000) < floorTo(endMs, l * 1000),
      )
    : [];
  const plan: BucketPlan = { base: [], rollups: [] };
  const add = (level: RollupLevel | null, from: number, to: number) => {
    if (from >= to) return;
    if (level === null) plan.base.push({ from, to });
    else plan.rollups.push({ level, span: { from, to } });
  };
  // Walk from the finest level up: each level covers what lies between its own alignment and
  // the next coarser one's, the coarsest covers the middle.
  let lo = startMs;
  let hi = endMs;
  let finer: RollupLevel | null = null;
  for (const level of levels) {
    const a = ceilTo(startMs, level * 1000);
    const b = floorTo(endMs, level * 1000);
    add(finer, lo, a);
    add(finer, b, hi);
    lo = a;
    hi = b;
    finer = level;
  }
  add(finer, lo, hi);
  return plan;
}
